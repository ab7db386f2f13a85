"""Fixtures shared by every Qt test: offscreen, isolated settings, an in-memory keychain, and a
check that each test leaves no thread, pool job, timer or top-level widget behind.

Generic on purpose: every file in tests/qt gets these, whatever part of the app it tests.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QStyleFactory

from isaac_gui.qt.run.engine_process import live_engines
from isaac_gui.qt.run.executor import live_executors
from isaac_gui.qt.style import theme
from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.samples import generate_samples
from isaac_gui.sim.server import Simulator


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")


# -- isolation ---------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, caches and fallback output folders of this test only; no SDK setting leaks in."""
    base = tmp_path_factory.mktemp("user")
    for name, sub in (
        ("ISAAC_GUI_CONFIG_DIR", "config"),
        ("ISAAC_GUI_CACHE_DIR", "cache"),
        ("ISAAC_GUI_DATA_DIR", "data"),
    ):
        monkeypatch.setenv(name, str(base / sub))
    for name in ("PERCEPTRON_API_KEY", "PERCEPTRON_BASE_URL", "PERCEPTRON_MODEL", "PERCEPTRON_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    return base


@pytest.fixture(autouse=True)
def isolated_qsettings(qapp: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """QSettings in INI files under a per-test folder (window geometry, splitter state)."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    qapp.setOrganizationName("isaac-gui-tests")
    qapp.setApplicationName("isaac-gui-tests")
    yield folder


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keychain that lives in a dict, for one test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(MemoryKeyring())  # never fall back to the machine's real keychain


# -- leak checks -------------------------------------------------------------------------------
class _TimerWatch:
    """Records the QTimers started and the single shots scheduled from Python during a test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.timers: weakref.WeakSet[Any] = weakref.WeakSet()
        self.single_shots: dict[int, tuple[str, Any]] = {}
        base_start = QTimer.start
        base_single_shot = QTimer.singleShot
        watch = self

        def start(timer: Any, *args: Any) -> None:
            watch.timers.add(timer)
            base_start(timer, *args)

        def single_shot(*args: Any) -> None:
            args_list = list(args)
            fn = args_list[-1]
            if callable(fn) and not hasattr(fn, "emit"):
                token = id(args_list)
                context = args_list[1] if len(args_list) >= 3 else None
                watch.single_shots[token] = (getattr(fn, "__qualname__", repr(fn)), context)

                def fire(*a: Any) -> Any:
                    watch.single_shots.pop(token, None)
                    return fn(*a)

                args_list[-1] = fire
            base_single_shot(*args_list)

        monkeypatch.setattr(QTimer, "start", start)
        monkeypatch.setattr(QTimer, "singleShot", staticmethod(single_shot))

    def dangling(self) -> list[str]:
        out = []
        for timer in list(self.timers):
            if shiboken6.isValid(timer) and timer.isActive():
                parent = timer.parent()
                out.append(
                    f"QTimer {timer.objectName() or ''} of {type(parent).__name__ if parent else None}"
                )
        for name, context in self.single_shots.values():
            if context is None or shiboken6.isValid(context):
                out.append(f"QTimer.singleShot({name})")
        return out


def _settle(
    qapp: Any, until: Callable[[], bool], timeout: float, threads: Callable[[], list[threading.Thread]]
) -> bool:
    """Deliver deferred deletes and posted events until `until()` holds, waiting in between on the
    threads still running (woken the moment one ends) or on the global pool's jobs."""
    deadline = time.monotonic() + timeout
    while True:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qapp.processEvents()
        if until():
            return True
        if time.monotonic() > deadline:
            return False
        running = threads()
        if running:
            running[0].join(0.01)
        else:
            QThreadPool.globalInstance().waitForDone(10)


@pytest.fixture(autouse=True)
def no_leaks(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a Python thread, a pool job, an active timer or a widget behind."""
    threads_before = set(threading.enumerate())
    widgets_before = {id(w) for w in QApplication.topLevelWidgets()}
    timers = _TimerWatch(monkeypatch)
    yield

    def new_threads() -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]

    def pools_idle() -> bool:
        pools = [QThreadPool.globalInstance(), *qapp.findChildren(QThreadPool)]
        return all(p.activeThreadCount() == 0 for p in pools)

    def widgets_left() -> list[str]:
        left = []
        for w in QApplication.topLevelWidgets():
            if id(w) in widgets_before or type(w).__name__ in (
                "QTipLabel",
                "QMenu",
                "QComboBoxPrivateContainer",
            ):
                continue
            left.append(f"{type(w).__name__}({w.objectName() or w.windowTitle()!r})")
        return left

    _settle(
        qapp,
        lambda: not new_threads() and pools_idle() and not widgets_left() and not live_engines(),
        10.0,
        new_threads,
    )
    problems = []
    if new_threads():
        problems.append(f"threads left running: {[t.name for t in new_threads()]}")
    if live_engines():
        problems.append(f"engine processes not ended: {[e.pid for e in live_engines()]}")
    if live_executors():
        problems.append(f"QThreadPoolExecutors not shut down: {len(live_executors())}")
    if not pools_idle():
        problems.append("a QThreadPool still has active jobs")
    if widgets_left():
        problems.append(f"top-level widgets left alive: {widgets_left()}")
    dangling = timers.dangling()
    if dangling:
        problems.append(f"timers still active: {dangling}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


# -- shared ingredients (not autouse) ----------------------------------------------------------
SAMPLE_CLASSES = ("scratch", "dent", "missing screw")


@pytest.fixture
def sample_photos(tmp_path: Path) -> tuple[Path, list[Any]]:
    """24 small generated photos with coloured markers, and their ground truth."""
    folder = tmp_path / "photos"
    truth = generate_samples(folder, 24, SAMPLE_CLASSES, seed=11, size=(640, 480))
    return folder, truth


@pytest.fixture
def simulator() -> Iterator[Any]:
    """A loopback simulator of the Perceptron API answering at once (no latency, no limit)."""
    with Simulator(SimulatorConfig(seed=5)) as sim:
        yield sim


@pytest.fixture
def in_the_app_theme(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The widget in the app's theme (ISAAC_GUI_SHOTS_THEME picks it for pictures), restored after."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    monkeypatch.setattr(theme, "_current", theme._current)
    monkeypatch.setattr(theme, "_requested", theme._requested)
    theme.apply_theme(qapp, os.environ.get("ISAAC_GUI_SHOTS_THEME", "light"))
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    if style and qapp.style().name() != style:
        qapp.setStyle(QStyleFactory.create(style))
