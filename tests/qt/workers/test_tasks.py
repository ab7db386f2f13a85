"""Background tasks: the result or the error comes back on the GUI thread, never to a deleted owner."""

from __future__ import annotations

import threading
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from isaac_gui.qt.workers.tasks import BackgroundTasks


def _fail() -> int:
    raise ValueError("no such photo")


def _drained(qtbot: Any) -> None:
    """Every outcome posted so far has been delivered: a later task's outcome comes after them."""
    probe = BackgroundTasks()
    seen: list[object] = []
    probe.run(lambda: "probe", seen.append, seen.append)
    qtbot.waitUntil(lambda: seen == ["probe"], timeout=5000)
    probe.close()


def test_the_result_comes_back_on_the_gui_thread(qtbot: Any) -> None:
    tasks = BackgroundTasks()
    worker: list[threading.Thread] = []
    done: list[tuple[int, threading.Thread]] = []
    errors: list[BaseException] = []

    def work() -> int:
        worker.append(threading.current_thread())
        return 42

    tasks.run(work, lambda n: done.append((n, threading.current_thread())), errors.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert done == [(42, threading.main_thread())]
    assert worker and worker[0] is not threading.main_thread()
    assert errors == []
    tasks.close()


def test_an_error_comes_back_on_the_gui_thread(qtbot: Any) -> None:
    tasks = BackgroundTasks()
    done: list[int] = []
    errors: list[tuple[BaseException, threading.Thread]] = []
    tasks.run(_fail, done.append, lambda exc: errors.append((exc, threading.current_thread())))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    (exc, thread), *_ = errors
    assert isinstance(exc, ValueError) and str(exc) == "no such photo"
    assert thread is threading.main_thread()
    assert done == []
    tasks.close()


def test_a_deleted_owner_is_told_nothing(qtbot: Any) -> None:
    owner = QWidget()
    tasks = BackgroundTasks(owner)
    label_texts: list[str] = []
    gate, started = threading.Event(), threading.Event()

    def work() -> str:
        started.set()
        gate.wait(5)
        return "late"

    # Either callback would touch the deleted widget and crash; neither may run.
    tasks.run(work, lambda text: label_texts.append(owner.windowTitle() + text), lambda e: owner.close())
    assert started.wait(5)
    running = [t for t in threading.enumerate() if t.name == "isaac-task"]
    shiboken6.delete(owner)  # the dialog closed and went, its tasks with it
    assert not shiboken6.isValid(tasks)
    gate.set()
    for thread in running:
        thread.join(5)
    _drained(qtbot)
    assert label_texts == []


def test_close_waits_for_running_tasks_and_drops_their_outcome(qtbot: Any) -> None:
    tasks = BackgroundTasks()
    done: list[str] = []
    started, gate, finished = threading.Event(), threading.Event(), threading.Event()

    def work() -> str:
        started.set()
        gate.wait(5)
        finished.set()
        return "done"

    tasks.run(work, done.append, lambda exc: done.append(repr(exc)), name="isaac-task-close")
    closing = threading.Event()
    opener = threading.Thread(target=lambda: closing.wait(5) and gate.set())  # lets the task end
    opener.start()
    assert started.wait(5) and tasks.busy
    closing.set()
    tasks.close()
    assert finished.is_set() and not tasks.busy
    assert not any(t.name == "isaac-task-close" for t in threading.enumerate())
    opener.join(5)
    _drained(qtbot)
    assert done == []  # closed: the outcome is not delivered


def test_a_closed_runner_starts_nothing(qtbot: Any) -> None:
    tasks = BackgroundTasks()
    tasks.close()
    ran = threading.Event()
    tasks.run(ran.set, lambda _: None, lambda _: None)
    _drained(qtbot)
    assert not ran.is_set()
