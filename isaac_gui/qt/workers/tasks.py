"""One-line background operations: `tasks.run(work, on_done, on_error)`.

`work` runs on a plain thread; `on_done(result)` or `on_error(exception)` then run on the GUI
thread (through a `Mailbox`). Forgetting the error path or blocking the window is hard to write.
`close()` joins whatever is still running (bounded), so tests and shutdown leave no thread behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from isaac_gui.qt.workers.mailbox import Mailbox
from isaac_gui.qt.workers.responsive import lower_this_thread


class BackgroundTasks(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mailbox = Mailbox(self._deliver, interval_ms=0, parent=self)
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str = "isaac-task",
    ) -> threading.Thread:
        def target() -> None:
            lower_this_thread()
            try:
                result = work()
            except Exception as exc:
                self._mailbox.post((on_error, exc))
            else:
                self._mailbox.post((on_done, result))
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._threads)

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        self._mailbox.close()

    def _deliver(self, items: list[tuple[Callable[[Any], None] | None, Any]]) -> None:
        for callback, value in items:
            if callback is not None:
                callback(value)
