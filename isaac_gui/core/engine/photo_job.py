"""One photo through a run: identified (hashed, looked up in the journal), read, prepared, sent
when its turn comes, retried, its result saved to the journal and only then announced, to it and
to every identical photo that waited for its answer."""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from perceptron import errors as sdk

from isaac_gui.core import discovery
from isaac_gui.core.detector import Detection
from isaac_gui.core.engine.schedule import Place, Rel, Schedule
from isaac_gui.core.events import Event, PhotoFinished, PhotoQueued, PhotoRetrying, PhotoStarted
from isaac_gui.core.images import ImageError, PreparedImage
from isaac_gui.core.images import prepare as prepare_image
from isaac_gui.core.journal import Journal, file_sha256, job_key
from isaac_gui.core.pacing import RateLimiter
from isaac_gui.core.retry import (
    Attempts,
    CancelledError,
    FatalError,
    call_with_retries,
    describe,
    fatal_from,
)
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.stats import RunStats
from isaac_gui.core.turns import Turns


class DetectorLike(Protocol):
    def detect(self, prepared: PreparedImage, classes: Sequence[str]) -> Detection: ...
    def close(self) -> None: ...


class PhotoJobs:
    """What a run does with each photo; `run` is what a worker of the executor runs."""

    def __init__(
        self,
        settings: RunSettings,
        connection: Connection,
        *,
        schedule: Schedule,
        journal: Journal,
        stats: RunStats,
        limiter: RateLimiter,
        detector: DetectorLike,
        turns: Turns,
        emit: Callable[[Event], None],
    ) -> None:
        self.settings = settings
        self.connection = connection
        self._schedule = schedule
        self._journal = journal
        self._stats = stats
        self._limiter = limiter
        self._detector = detector
        self._turns = turns
        self._emit = emit
        self._last_answer: float | None = None  # when the service last answered, in this run

    def key(self, sha: str) -> str:
        return job_key(sha, self.connection.model, self.settings.classes, self.settings.preparation)

    def identify(self, photo: discovery.FoundPhoto, seq: int) -> tuple[str, str] | None:
        """Hash the photo and look it up: its (sha, job key) when it needs sending, None when the
        journal already answers it (announced here)."""
        known = self._journal.known(photo.rel)
        if known and known.size == photo.size and known.mtime_ns == photo.mtime_ns:
            sha = known.sha256
        else:
            try:
                sha = file_sha256(photo.path)
            except OSError as exc:
                sha = "unreadable:" + hashlib.sha256(photo.rel.encode()).hexdigest()
                key = self.key(sha)
                self._journal.see_photo(photo.rel, seq, photo.size, photo.mtime_ns, sha, key)
                record = self._error_record(None, "unreadable", f"cannot be read: {exc.strerror or exc}", 0)
                self._save_and_announce(key, record, retryable=True, rels=[(photo.rel, seq)])
                return None
        key = self.key(sha)
        self._journal.see_photo(photo.rel, seq, photo.size, photo.mtime_ns, sha, key)
        existing = self._journal.result(key)
        if existing is not None:
            status, retryable, record = existing
            if status == "ok" or not (retryable or self.settings.retry_errors):
                self._stats.image_skipped()
                self._emit(PhotoFinished(photo.rel, seq, {"image": photo.rel, **record}, from_journal=True))
                return None
        return sha, key

    def run(self, photo: discovery.FoundPhoto, seq: int, sha: str, key: str) -> None:
        """The job of one admitted photo, to its end (`Schedule.job_ended`) whatever happens."""
        started = False
        try:
            self._schedule.gate.wait()
            self._stats.started()
            started = True
            self._emit(PhotoStarted(photo.rel))
            record, retryable = self._process(photo, seq, sha)
            self._save_and_announce(key, record, retryable=retryable)
        except CancelledError:
            self._requeue(key)
        except FatalError as exc:
            self._schedule.stop(exc)
            self._requeue(key)
        except Exception as exc:  # never lose the batch to one photo
            record = self._error_record(sha, "internal", f"failed unexpectedly: {exc!r}", 0)
            self._save_and_announce(key, record, retryable=True)
        finally:
            if started:
                self._stats.stopped()
            self._schedule.job_ended(key)

    def _requeue(self, key: str) -> None:
        """The photos of a job that will not be sent in this run are queued again, as they were."""
        for rel, rel_seq in self._schedule.twins.take(key):
            self._emit(PhotoQueued(rel, rel_seq))

    def _save_and_announce(
        self, key: str, record: dict[str, Any], *, retryable: bool, rels: list[Rel] | None = None
    ) -> None:
        with self._turns.turn():
            self._journal.save_result(key, record, retryable=retryable)
            self._stats.image_finished(record["status"] == "ok")
            for rel, rel_seq in rels if rels is not None else self._schedule.twins.take(key):
                self._emit(PhotoFinished(rel, rel_seq, {"image": rel, **record}))

    def _error_record(
        self, sha: str | None, kind: str, message: str, attempts: int, **extra: Any
    ) -> dict[str, Any]:
        return {
            "sha256": sha,
            "width": extra.pop("width", None),
            "height": extra.pop("height", None),
            "status": "error",
            "model": self.connection.model,
            "classes": list(self.settings.classes),
            "error": {"kind": kind, "message": message},
            "detections": [],
            "latency_ms": None,
            "attempts": attempts,
            **extra,
        }

    def _in_outage(self, exc: BaseException) -> bool:
        """The service answered earlier in this run and now cannot be reached: wait for it
        (bounded by the policy's max_outage_s) rather than give photos up. A service that never
        answered (a wrong address) is not an outage: its photos fail after their tries."""
        if not isinstance(exc, sdk.TransportError | sdk.TimeoutError) or self._last_answer is None:
            return False
        return time.monotonic() - self._last_answer < self.settings.policy.max_outage_s

    def _process(self, photo: discovery.FoundPhoto, seq: int, sha: str) -> tuple[dict[str, Any], bool]:
        """Prepare and send one photo; returns its record and whether its failure is worth a rerun.

        The photo first waits for one of the few places of a photo prepared but not yet sent. With
        a rate limit the photos then decode one by one as their turns come, not all at once at the
        start (a burst that would take both cores from the window), and few prepared bodies wait
        in memory."""
        with self._schedule.ahead_place() as place:
            return self._prepare_and_send(photo, seq, sha, place)

    def _prepare_and_send(
        self, photo: discovery.FoundPhoto, seq: int, sha: str, place: Place
    ) -> tuple[dict[str, Any], bool]:
        try:
            with open(photo.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except OSError as exc:
            return self._error_record(sha, "unreadable", f"cannot be read: {exc.strerror or exc}", 0), True
        if (st.st_size, st.st_mtime_ns) != (photo.size, photo.mtime_ns):
            # `sha` describes the file as the scan found it; these bytes may be another photo.
            message = "changed while being read; run again to detect it"
            return self._error_record(sha, "changed", message, 0), True
        try:
            with self._schedule.preparing:
                self._schedule.gate.wait()
                prepared = prepare_image(data, self.settings.max_side)
        except ImageError as exc:
            return self._error_record(sha, exc.kind, exc.message, 0), False
        del data
        attempts = Attempts()

        def on_retry(exc: BaseException, delay: float) -> None:
            rate_limited = isinstance(exc, sdk.RateLimitError)
            self._stats.retried(rate_limited)
            self._emit(PhotoRetrying(photo.rel, attempts.total, describe(exc), delay, rate_limited))

        size = {"width": prepared.width, "height": prepared.height}
        try:
            detection, latency = call_with_retries(
                functools.partial(self._send, photo, seq, prepared, place),
                policy=self.settings.policy,
                cancel=self._schedule.cancelled,
                attempts=attempts,
                on_rate_limited=self._limiter.on_rate_limited,
                on_retry=on_retry,
                in_outage=self._in_outage,
            )
        except CancelledError:
            raise
        except sdk.SDKError as exc:
            fatal = fatal_from(exc, self.connection.model)
            if fatal is not None:
                raise fatal from exc
            if self._schedule.cancelled.is_set():
                raise CancelledError() from exc
            if isinstance(exc, sdk.BadRequestError):
                message = f"was refused by the API: {describe(exc)}"
                return self._error_record(sha, "rejected", message, attempts.total, **size), False
            message = f"got no usable answer after {attempts.total} tries; last: {describe(exc)}"
            return self._error_record(sha, "gave_up", message, attempts.total, **size), True
        record: dict[str, Any] = {
            "sha256": sha,
            **size,
            "status": "ok",
            "model": self.connection.model,
            "classes": list(self.settings.classes),
            "text": detection.text,
            "detections": [box.to_record() for box in detection.boxes],
            "latency_ms": round(latency * 1000.0, 1),
            "attempts": attempts.total,
            "request_id": detection.request_id,
            "usage": detection.usage,
            "sent": {"width": prepared.sent_width, "height": prepared.sent_height},
        }
        if detection.warnings:
            record["warnings"] = list(detection.warnings)
        return record, False

    def _send(
        self, photo: discovery.FoundPhoto, seq: int, prepared: PreparedImage, place: Place
    ) -> tuple[Detection, float]:
        """One try: the answer and how long it took."""
        schedule = self._schedule
        schedule.gate.wait()
        with schedule.requests:
            if not self._limiter.acquire(schedule.cancelled):
                raise CancelledError()
            # The gate again, after the limiter's wait, which a pause may overtake. A photo held by
            # the pause goes back to queued (and says so) until the run resumes.
            held = schedule.gate.holds()
            if held:
                self._emit(PhotoQueued(photo.rel, seq))
            with schedule.gate.sending_one():
                if held:
                    self._emit(PhotoStarted(photo.rel))
                place.release()
                begun = time.perf_counter()
                detection = self._detector.detect(prepared, self.settings.classes)
                latency = time.perf_counter() - begun
        self._stats.request_answered(latency)
        self._last_answer = time.monotonic()
        return detection, latency
