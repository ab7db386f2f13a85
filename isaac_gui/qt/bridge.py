"""The one seam from worker threads to the GUI thread.

Worker threads (the engine's jobs, the folder scan, the thumbnail decoders) never touch a widget
or a model. They `post` plain Python objects into a `Mailbox`, which costs a lock and an append.
The first post into an empty mailbox wakes the GUI thread once (a queued signal); the GUI thread
then drains everything that arrived since, in chunks, at most once per `interval_ms`, and within a
time budget per turn of the event loop, so a burst of 100,000 events becomes a few dozen short
deliveries with painting in between instead of one long freeze.

`EventBridge` is the mailbox for the engine's events: it folds each chunk into typed signals
(one `photosUpdated` list per chunk, only the latest `statsTick`, ...).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from isaac_gui.core.events import (
    PhotoFinished,
    PhotoQueued,
    PhotoRetrying,
    PhotoStarted,
    RunFinished,
    ScanFinished,
    ScanProblem,
    StatsTick,
)
from isaac_gui.qt.engine_process import LatencyBuckets, Notice, UploadState


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


class PhotoState(IntEnum):
    PENDING = 0  # found, not (yet) part of a run
    QUEUED = 1
    RUNNING = 2
    RETRYING = 3
    OK = 4
    ERROR = 5


@dataclass(frozen=True, slots=True)
class PhotoUpdate:
    """The latest thing known about one photo, as the GUI needs it."""

    rel: str
    state: PhotoState
    record: dict[str, Any] | None = None  # for OK and ERROR
    detail: str = ""  # the reason of a retry


@dataclass(frozen=True, slots=True)
class RunClosed:
    """Posted by the controller's supervisor when a run's threads are all gone."""

    token: int


def _update_of(event: Any) -> PhotoUpdate | None:
    if isinstance(event, PhotoFinished):
        ok = event.record.get("status") == "ok"
        return PhotoUpdate(event.rel, PhotoState.OK if ok else PhotoState.ERROR, event.record)
    if isinstance(event, PhotoStarted):
        return PhotoUpdate(event.rel, PhotoState.RUNNING)
    if isinstance(event, PhotoQueued):
        return PhotoUpdate(event.rel, PhotoState.QUEUED)
    if isinstance(event, PhotoRetrying):
        wait = f" (next try in {event.delay_s:.0f} s)" if event.delay_s >= 1 else ""
        return PhotoUpdate(
            event.rel, PhotoState.RETRYING, None, f"attempt {event.attempt}: {event.reason}{wait}"
        )
    return None


class EventBridge(QObject):
    """Engine events in, typed signals out, on the GUI thread. `post` is the engine's listener."""

    photosUpdated = Signal(object)  # list[PhotoUpdate], one entry per photo per chunk
    statsTick = Signal(object)  # Snapshot, only the latest of a chunk
    bucketsReady = Signal(object)  # list[Bucket]: finished seconds of latency, for the plot
    scanFinished = Signal(int)
    scanProblems = Signal(object)  # list[ScanProblem]
    runFinished = Signal(str, str, object, str)  # outcome, message, Snapshot, why it stopped (kind)
    runClosed = Signal(int)  # RunClosed.token
    notice = Signal(str, str)  # source, message
    uploadState = Signal(object)  # UploadState, only the latest of a chunk

    def __init__(
        self, parent: QObject | None = None, *, interval_ms: int = 30, budget_ms: float = 8.0
    ) -> None:
        super().__init__(parent)
        self._mailbox = Mailbox(self._deliver, interval_ms=interval_ms, budget_ms=budget_ms, parent=self)

    def post(self, event: Any) -> None:
        self._mailbox.post(event)

    def post_all(self, events: Sequence[Any]) -> None:
        self._mailbox.post_all(events)

    __call__ = post

    def flush(self) -> None:
        self._mailbox.flush()

    def close(self) -> None:
        self._mailbox.close()

    def _deliver(self, events: Sequence[Any]) -> None:
        updates: dict[str, PhotoUpdate] = {}
        problems: list[ScanProblem] = []
        tick: Any = None
        upload: UploadState | None = None
        tail: list[Any] = []  # run-level events, delivered after the photo updates of the chunk
        for event in events:
            update = _update_of(event)
            if update is not None:
                updates.pop(update.rel, None)  # keep order of the latest news
                updates[update.rel] = update
            elif isinstance(event, StatsTick):
                tick = event.snapshot
            elif isinstance(event, ScanProblem):
                problems.append(event)
            elif isinstance(event, UploadState):
                upload = event
            else:
                tail.append(event)
        if updates:
            self.photosUpdated.emit(list(updates.values()))
        if problems:
            self.scanProblems.emit(problems)
        if tick is not None:
            self.statsTick.emit(tick)
        if upload is not None:
            self.uploadState.emit(upload)
        for event in tail:
            if isinstance(event, ScanFinished):
                self.scanFinished.emit(event.total)
            elif isinstance(event, RunFinished):
                self.statsTick.emit(event.snapshot)
                self.runFinished.emit(event.outcome, event.message, event.snapshot, event.kind)
            elif isinstance(event, RunClosed):
                self.runClosed.emit(event.token)
            elif isinstance(event, LatencyBuckets):
                self.bucketsReady.emit(event.rows)
            elif isinstance(event, Notice):
                self.notice.emit(event.source, event.message)
