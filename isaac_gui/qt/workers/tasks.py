"""Background tasks: `tasks.run(work, on_done, on_error)`, the one way to work off the GUI thread.

`work()` runs on a plain thread; `on_done(result)` or `on_error(exception)` then runs on the GUI
thread. Both are required, so a failure always reaches someone. `work` must not capture widgets.

The thread holds no QObject but the one mailbox every task posts its outcome into, which lives as
long as the process: had it the last reference to a widget (or a QObject a widget owns), the wrapper
would be freed on the worker thread while the GUI thread uses Qt (measured with PySide6 6.12:
intermittent heap corruption). The callbacks stay on the GUI side, by job number, and are dropped
unrun when their `BackgroundTasks` has been closed or deleted (with the dialog that owns it, say).
`close()` joins whatever is still running (bounded), so tests and shutdown leave no thread behind.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from isaac_gui.qt.workers.mailbox import Mailbox
from isaac_gui.qt.workers.responsive import lower_this_thread

_Callbacks = tuple["BackgroundTasks", Callable[[Any], None], Callable[[BaseException], None]]

_outcomes: Mailbox | None = None  # created on the GUI thread by the first task; never deleted
_waiting: dict[int, _Callbacks] = {}  # GUI thread only: job number -> whom to tell
_numbers = itertools.count(1)


def _mailbox() -> Mailbox:
    global _outcomes  # noqa: PLW0603 - once per process
    if _outcomes is None:
        _outcomes = Mailbox(_deliver, interval_ms=0)
    return _outcomes


def _deliver(outcomes: list[tuple[int, bool, Any]]) -> None:
    for job, ok, value in outcomes:
        callbacks = _waiting.pop(job, None)
        if callbacks is None:
            continue  # its tasks were closed
        tasks, on_done, on_error = callbacks
        if not shiboken6.isValid(tasks):
            continue  # deleted meanwhile, with whatever owned it: nobody to tell
        if ok:
            on_done(value)
        else:
            on_error(value)


class BackgroundTasks(QObject):
    """Runs tasks for its owner (its parent); deleting the owner drops the outcomes still to come."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._closed = False

    def run[T](
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
        *,
        name: str = "isaac-task",
    ) -> None:
        """Start `work` on a thread (GUI thread only); ignored once closed."""
        if self._closed:
            return
        mailbox = _mailbox()
        job = next(_numbers)
        _waiting[job] = (self, on_done, on_error)
        threads, lock = self._threads, self._lock  # the thread gets these, never `self`

        def target() -> None:
            lower_this_thread()
            try:
                result = work()
            except BaseException as exc:
                mailbox.post((job, False, exc))
            else:
                mailbox.post((job, True, result))
            finally:
                with lock:
                    threads.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=name, daemon=True)
        with lock:
            threads.add(thread)
        thread.start()

    @property
    def busy(self) -> bool:
        """Whether a task of these is running (its outcome may still be on its way)."""
        with self._lock:
            return bool(self._threads)

    def close(self, timeout: float = 10.0) -> None:
        """Wait for the running tasks (up to `timeout` each), then drop their outcomes (GUI thread)."""
        self._closed = True
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        for job in [job for job, (tasks, _, _) in _waiting.items() if tasks is self]:
            del _waiting[job]
