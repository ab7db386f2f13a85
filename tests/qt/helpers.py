"""Helpers of the main-window tests: a window wired to a simulator, waiting on its signals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.run.bridge import EventBridge
from isaac_gui.qt.run.controller import RunController, RunState
from isaac_gui.qt.shell.main_window import MainWindow
from tests.qt.conftest import SAMPLE_CLASSES

RUN_TIMEOUT_MS = 60_000


def make_window(qtbot: Any, settings: AppSettings | None = None, **kwargs: Any) -> MainWindow:
    window = MainWindow(settings or AppSettings(rpm=0), **kwargs)
    window.confirm_close = lambda _w: True
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.resize(1200, 800)
    window.show()
    return window


def drop(window: MainWindow, *paths: Path) -> bool:
    """Drag `paths` from a file manager onto the window's grid and let go; True if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = window.grid.mapTo(window, window.grid.rect().center())
    enter = QDragEnterEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def wait_loaded(qtbot: Any, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: window.model.rowCount() == count and not window.loader.loading, timeout=10_000)


def run_to_end(qtbot: Any, window: MainWindow) -> str:
    """Press Run and wait for the run to end; returns its outcome."""
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        window.commands.run.trigger()
    qtbot.waitUntil(lambda: window.controller.state is RunState.IDLE, timeout=RUN_TIMEOUT_MS)
    return str(finished.args[0])


def make_controller(settings: AppSettings, key: str | None = "test") -> tuple[EventBridge, RunController]:
    """A run controller on its own bridge (no window); `key` is what the keychain holds."""
    bridge = EventBridge()
    return bridge, RunController(bridge, settings, load_key=lambda: key, parent=bridge)


def run_controller(qtbot: Any, controller: RunController, folder: Path, out: Path) -> tuple[str, str]:
    """Start a run of `folder` and wait for its end and for the controller to be idle again;
    returns the run's (outcome, message)."""
    with qtbot.waitSignal(controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        controller.start([folder], out, SAMPLE_CLASSES)
    qtbot.waitUntil(lambda: controller.state is RunState.IDLE, timeout=RUN_TIMEOUT_MS)
    return str(finished.args[0]), str(finished.args[1])


def close_controller(bridge: EventBridge, controller: RunController) -> None:
    assert controller.shutdown(timeout=10)
    bridge.close()


def boxes_agree(
    found: list[tuple[str, tuple[int, int, int, int]]], truth: Any, tolerance: float = 0.01
) -> bool:
    """Every marker of `truth` has exactly one box of its class within 1% of the image size, and no more."""
    if len(found) != len(truth.boxes):
        return False
    tol_x, tol_y = truth.width * tolerance + 1, truth.height * tolerance + 1
    left = list(found)
    for name, (x1, y1, x2, y2) in truth.boxes:
        match = next(
            (
                f
                for f in left
                if f[0] == name
                and abs(f[1][0] - x1) <= tol_x
                and abs(f[1][1] - y1) <= tol_y
                and abs(f[1][2] - (x2 - 1)) <= tol_x
                and abs(f[1][3] - (y2 - 1)) <= tol_y
            ),
            None,
        )
        if match is None:
            return False
        left.remove(match)
    return True
