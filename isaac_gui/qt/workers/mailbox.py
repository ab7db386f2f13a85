"""The one seam from other threads to the GUI thread: a `Mailbox`.

Worker threads (the engine's supervisor, the folder scan, the thumbnail decoders, background tasks)
never touch a widget or a model. They `post` plain Python objects into a `Mailbox`, which costs a
lock and an append. The first post into an empty mailbox wakes the GUI thread once (a queued
signal); the GUI thread then drains everything that arrived since, in chunks, at most once per
`interval_ms`, and within a time budget per turn of the event loop, so a burst of 100,000 events
becomes a few dozen short deliveries with painting in between instead of one long freeze.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal


class Mailbox(QObject):
    """Thread-safe `post(item)`; `deliver(list_of_items)` runs on the thread that owns the mailbox."""

    _wake = Signal()

    def __init__(
        self,
        deliver: Callable[[list[Any]], None],
        *,
        interval_ms: int = 30,
        budget_ms: float = 8.0,
        chunk: int = 512,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._interval_s = interval_ms / 1000.0
        self._budget_s = budget_ms / 1000.0
        self._chunk = chunk
        self._lock = threading.Lock()
        self._inbox: deque[Any] = deque()
        self._backlog: deque[Any] = deque()  # GUI-thread only: taken from the inbox, not yet delivered
        self._armed = False
        self._closed = False
        self._last_delivery = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._drain)
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)

    def post(self, item: Any) -> None:
        """Hand `item` to the GUI thread. Safe from any thread; ignored once closed."""
        self.post_all((item,))

    def post_all(self, items: Sequence[Any]) -> None:
        """Hand `items` to the GUI thread in order, under one lock."""
        with self._lock:
            if self._closed or not items:
                return
            self._inbox.extend(items)
            if self._armed:
                return
            self._armed = True
            # Under the lock, so `close()` (which takes it) cannot slip in between the check and the
            # emit and let the object go while a worker still signals it. A queued emit only posts.
            self._wake.emit()

    def close(self) -> None:
        """Stop accepting posts and drop what was not delivered (GUI thread)."""
        with self._lock:
            self._closed = True
            self._inbox.clear()
        self._backlog.clear()
        self._timer.stop()

    @property
    def closed(self) -> bool:
        return self._closed

    def flush(self) -> None:
        """Deliver everything posted so far, now, whatever the budget (GUI thread; for tests and shutdown)."""
        self._take()
        while self._backlog:
            self._deliver_chunk()

    def _on_wake(self) -> None:
        if self._closed or self._timer.isActive():
            return
        wait = self._last_delivery + self._interval_s - time.monotonic()
        self._timer.start(max(int(wait * 1000), 0))

    def _take(self) -> None:
        with self._lock:
            self._backlog.extend(self._inbox)
            self._inbox.clear()
            self._armed = False

    def _deliver_chunk(self) -> None:
        n = min(self._chunk, len(self._backlog))
        items = [self._backlog.popleft() for _ in range(n)]
        self._deliver(items)

    def _drain(self) -> None:
        if self._closed:
            return
        self._take()
        started = time.monotonic()
        while self._backlog and not self._closed:
            self._deliver_chunk()
            if time.monotonic() - started > self._budget_s:
                break
        self._last_delivery = time.monotonic()
        if self._backlog and not self._closed:
            self._timer.start(0)  # the rest on the next turn, after painting and input
