"""The engine's events on the GUI thread: `EventBridge` folds each mailbox delivery into typed signals
(one `photosUpdated` list per chunk, only the latest `statsTick`, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

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
from isaac_gui.qt.photos.model import PhotoState, PhotoUpdate
from isaac_gui.qt.run.protocol import LatencyBuckets, Notice, UploadState
from isaac_gui.qt.workers.mailbox import Mailbox


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

    def __init__(self, parent: QObject | None = None, *, budget_ms: float = 8.0) -> None:
        super().__init__(parent)
        # No interval of its own: the engine's process already gathers its events into a batch at
        # most every 30 ms (`engine_process.PipeMailbox`), so each batch is delivered as it comes.
        self._mailbox = Mailbox(self._deliver, interval_ms=0, budget_ms=budget_ms, parent=self)

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
