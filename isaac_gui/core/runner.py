"""The engine: every photo of a folder through Isaac, concurrently, paced, resumable.

A conductor thread scans the folder (streaming) and hands each photo that the journal does not
already hold to the executor the caller passes in (a `ThreadPoolExecutor` on the command line, a
`QThreadPool` adapter in the GUI). At most `concurrency` requests are in flight, and a few more
photos are being prepared beside them (so preparing the next photo overlaps waiting for the last
answer); memory stays bounded however large the folder. Each job reads, prepares (at most one per core at a time), waits
for its turn from the rate limiter, sends, retries, and commits its result to the journal before
telling anyone. Pause holds photos that have not been sent; cancel wakes every wait at once.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from perceptron import errors as sdk

from isaac_gui.core import discovery
from isaac_gui.core.detector import Detection, Detector
from isaac_gui.core.events import (
    Listener,
    PhotoFinished,
    PhotoQueued,
    PhotoRetrying,
    PhotoStarted,
    RunFinished,
    ScanFinished,
    ScanProblem,
    StatsTick,
)
from isaac_gui.core.images import (
    ImageError,
    PreparedImage,
)
from isaac_gui.core.images import prepare as prepare_image
from isaac_gui.core.journal import Journal, file_sha256, job_key
from isaac_gui.core.outputs import write_outputs
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
from isaac_gui.core.turns import WORKER_TURNS, Turns

_COUNT_BATCH = 256  # entries the counting scan takes per turn


class DetectorLike(Protocol):
    def detect(self, prepared: PreparedImage, classes: Sequence[str]) -> Detection: ...
    def close(self) -> None: ...


class Runner:
    """One run over one folder into one output folder. Start it, then pause/resume/cancel/wait."""

    def __init__(
        self,
        source: Path | Sequence[Path],
        out_dir: Path,
        settings: RunSettings,
        *,
        executor: Executor,
        listener: Listener,
        connection: Connection | None = None,
        detector: DetectorLike | None = None,
        turns: Turns = WORKER_TURNS,
    ) -> None:
        if not settings.classes:
            raise ValueError("name at least one class to look for")
        self.settings = settings
        self.connection = connection or Connection()
        self.out_dir = Path(out_dir)
        self._sources = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
        self._executor = executor
        self._listener = listener
        self._detector = detector or Detector(
            self.connection, max_connections=settings.concurrency, turns=turns
        )
        self._turns = turns
        self._owns_detector = detector is None
        self.journal = Journal(self.out_dir)
        self.limiter = RateLimiter(settings.rpm)
        self.stats = RunStats()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._cond = threading.Condition()
        self._paused = False
        self._last_answer: float | None = None
        self._in_flight = 0
        self._ahead = 0
        self._sending = 0
        self._waiters: dict[str, list[tuple[str, int]]] = {}
        self._prep_slots = threading.BoundedSemaphore(max(settings.prepare_workers, 1))
        self._request_slots = threading.BoundedSemaphore(settings.concurrency)
        self._fatal: FatalError | None = None
        self._threads: list[threading.Thread] = []
        self.outcome: str | None = None
        self.message = ""

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        self.journal.begin_run(self._settings_record())
        for name, target in (("isaac-conductor", self._conduct), ("isaac-stats", self._tick)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_paused(self, timeout: float | None = None) -> bool:
        """After `pause()`: wait until the requests already sent have been answered. True when
        nothing is being sent (front ends show "Pausing…" until then)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._sending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def cancel(self) -> None:
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True when it has (its threads are then gone too)."""
        if not self._done.wait(timeout):
            return False
        for thread in self._threads:
            thread.join(timeout)
        return True

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    # -- the conductor ----------------------------------------------------------------------
    def _emit(self, event: Any) -> None:
        self._listener(event)

    def _settings_record(self) -> dict[str, Any]:
        return {
            "source": [str(p) for p in self._sources],
            "classes": list(self.settings.classes),
            "model": self.connection.model,
            "base_url": self.connection.base_url,
            "max_side": self.settings.max_side,
            "rpm": self.settings.rpm,
            "concurrency": self.settings.concurrency,
            "preparation": self.settings.preparation,
        }

    def _scan(self, report: bool) -> tuple[Path, Any]:
        problem = (lambda path, message: self._emit(ScanProblem(path, message))) if report else None
        return discovery.scan_paths(self._sources, recursive=self.settings.recursive, on_problem=problem)

    def _count(self) -> None:
        _root, photos = self._scan(report=False)
        total = 0
        while True:  # a few hundred entries per turn (see `turns.Turns`)
            with self._turns.turn():
                n = sum(1 for _photo in itertools.islice(photos, _COUNT_BATCH))
            total += n
            if self._cancel.is_set():
                return
            if n < _COUNT_BATCH:
                break
        self.stats.set_total(total)
        self._emit(ScanFinished(total))

    def _conduct(self) -> None:
        try:
            expected = self.settings.expected_total
            counter: threading.Thread | None = None
            if expected is None:
                counter = threading.Thread(target=self._count, name="isaac-count", daemon=True)
                counter.start()
            else:
                self.stats.set_total(expected)
                self._emit(ScanFinished(expected))
            root, photos = self._scan(report=True)
            self.journal.set_meta("source_root", str(root))
            seq = 0
            while not self._cancel.is_set():
                with self._turns.turn():  # the scan's next step and the photo's lookups are Python work
                    photo = next(photos, None)
                    if photo is None:
                        break
                    job = self._identify(photo, seq)
                if job is not None:
                    self._queue(photo, seq, *job)
                seq += 1
            if expected is not None and seq != expected and not self._cancel.is_set():
                self.stats.set_total(seq)  # the folder changed since the caller listed it
                self._emit(ScanFinished(seq))
            self._drain()
            if counter is not None:
                counter.join()
        except Exception as exc:  # a bug must still end the run visibly, with results written
            self._fatal = self._fatal or FatalError(
                "internal", f"The run stopped on an internal error: {exc!r}"
            )
            self._cancel.set()
            self._drain()
        finally:
            self._finish()

    def _identify(self, photo: discovery.FoundPhoto, seq: int) -> tuple[str, str] | None:
        """Hash the photo and look it up: its (sha, job key) when it needs sending, None when the
        journal already answers it (announced here)."""
        known = self.journal.known(photo.rel)
        if known and known.size == photo.size and known.mtime_ns == photo.mtime_ns:
            sha = known.sha256
        else:
            try:
                sha = file_sha256(photo.path)
            except OSError as exc:
                sha = "unreadable:" + hashlib.sha256(photo.rel.encode()).hexdigest()
                key = self._key(sha)
                self.journal.see_photo(photo.rel, seq, photo.size, photo.mtime_ns, sha, key)
                record = self._error_record(None, "unreadable", f"cannot be read: {exc.strerror or exc}", 0)
                self._save_and_announce(key, record, retryable=True, rels=[(photo.rel, seq)])
                return None
        key = self._key(sha)
        self.journal.see_photo(photo.rel, seq, photo.size, photo.mtime_ns, sha, key)
        existing = self.journal.result(key)
        if existing is not None:
            status, retryable, record = existing
            if status == "ok" or not (retryable or self.settings.retry_errors):
                self.stats.image_skipped()
                self._emit(PhotoFinished(photo.rel, seq, {"image": photo.rel, **record}, from_journal=True))
                return None
        return sha, key

    def _queue(self, photo: discovery.FoundPhoto, seq: int, sha: str, key: str) -> None:
        """Hand the photo to a worker, waiting (without a turn) while `jobs` photos are in flight."""
        with self._cond:
            if key in self._waiters:  # the same content is already on its way: share its answer
                self._waiters[key].append((photo.rel, seq))
                return
            while self._in_flight >= self.settings.jobs and not self._cancel.is_set():
                self._cond.wait()
            if self._cancel.is_set():
                return
            self._in_flight += 1
            self._waiters[key] = [(photo.rel, seq)]
        self._emit(PhotoQueued(photo.rel, seq))
        try:
            self._executor.submit(self._job, photo, seq, sha, key)
        except RuntimeError:  # the executor was shut down under us
            self._job_ended(key)
            raise

    def _key(self, sha: str) -> str:
        return job_key(sha, self.connection.model, self.settings.classes, self.settings.preparation)

    def _drain(self) -> None:
        """Wait for the photos in flight; after a cancel, give them a grace period, then cut the connections."""
        with self._cond:
            if not self._cancel.is_set():
                while self._in_flight and not self._cancel.is_set():
                    self._cond.wait()
            if self._cancel.is_set():
                deadline = time.monotonic() + self.settings.cancel_grace_s
                while self._in_flight and time.monotonic() < deadline:
                    self._cond.wait(max(deadline - time.monotonic(), 0.0))
        if self._in_flight:
            self._detector.close()  # requests still hanging end with a transport error
            with self._cond:
                while self._in_flight:
                    self._cond.wait()

    def _finish(self) -> None:
        if self._owns_detector:
            self._detector.close()
        snapshot = self.stats.snapshot()
        if self._fatal is not None:
            self.outcome, self.message = "stopped", self._fatal.message
        elif self._cancel.is_set():
            self.outcome, self.message = "cancelled", "Stopped by the user; run again to continue."
        else:
            self.outcome, self.message = "completed", "Every photo reached a final state."
        try:
            self.journal.end_run(self.outcome)
            write_outputs(self.journal, self.out_dir, snapshot, self.outcome, self.settings.rules)
        finally:
            self.journal.close()
            self._done.set()
            kind = self._fatal.kind if self._fatal is not None else ""
            self._emit(RunFinished(self.outcome, self.message, snapshot, kind))

    def _tick(self) -> None:
        while not self._done.wait(self.settings.stats_interval_s):
            self._emit(StatsTick(self.stats.snapshot()))

    # -- one photo --------------------------------------------------------------------------
    def _wait_unpaused(self) -> None:
        """Wait while paused; CancelledError once the run is cancelled. Call with `_cond` held."""
        while self._paused and not self._cancel.is_set():
            self._cond.wait()
        if self._cancel.is_set():
            raise CancelledError()

    def _gate(self) -> None:
        with self._cond:
            self._wait_unpaused()

    def _enter_send(self, rel: str, seq: int) -> None:
        """Pass the pause gate and count this request as being sent, in one step, so that
        `wait_paused` never misses a request about to leave. A photo held by a pause goes back
        to queued (and says so) until the run resumes."""
        with self._cond:
            held = self._paused and not self._cancel.is_set()
        if held:  # told outside the lock: a listener never runs under the runner's lock
            self._emit(PhotoQueued(rel, seq))
        with self._cond:
            self._wait_unpaused()
            self._sending += 1
        if held:
            self._emit(PhotoStarted(rel))

    def _leave_send(self) -> None:
        with self._cond:
            self._sending -= 1
            self._cond.notify_all()

    def _job(self, photo: discovery.FoundPhoto, seq: int, sha: str, key: str) -> None:
        started = False
        try:
            self._gate()
            self.stats.started()
            started = True
            self._emit(PhotoStarted(photo.rel))
            record, retryable = self._process(photo, seq, sha)
            self._save_and_announce(key, record, retryable=retryable)
        except CancelledError:
            for rel, rel_seq in self._take_waiters(key):
                self._emit(PhotoQueued(rel, rel_seq))
        except FatalError as exc:
            with self._cond:
                self._fatal = self._fatal or exc
            self.cancel()
            for rel, rel_seq in self._take_waiters(key):
                self._emit(PhotoQueued(rel, rel_seq))
        except Exception as exc:  # never lose the batch to one photo
            record = self._error_record(sha, "internal", f"failed unexpectedly: {exc!r}", 0)
            self._save_and_announce(key, record, retryable=True)
        finally:
            if started:
                self.stats.stopped()
            self._job_ended(key)

    def _take_waiters(self, key: str) -> list[tuple[str, int]]:
        with self._cond:
            return self._waiters.pop(key, [])

    def _job_ended(self, key: str) -> None:
        with self._cond:
            self._waiters.pop(key, None)
            self._in_flight -= 1
            self._cond.notify_all()

    def _save_and_announce(
        self, key: str, record: dict[str, Any], *, retryable: bool, rels: list[tuple[str, int]] | None = None
    ) -> None:
        with self._turns.turn():
            self.journal.save_result(key, record, retryable=retryable)
            self.stats.image_finished(record["status"] == "ok")
            for rel, rel_seq in rels if rels is not None else self._take_waiters(key):
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

    def _hold_ahead(self) -> None:
        """Wait for one of the few places of a photo prepared but not yet sent. With a rate limit
        the photos then decode one by one as their turns come, not all at once at the start (a
        burst that would take both cores from the window), and few prepared bodies wait in memory."""
        with self._cond:
            while self._ahead >= self.settings.ahead and not self._cancel.is_set():
                self._cond.wait()
            if self._cancel.is_set():
                raise CancelledError()
            self._ahead += 1

    def _release_ahead(self) -> None:
        with self._cond:
            self._ahead -= 1
            self._cond.notify_all()

    def _process(self, photo: discovery.FoundPhoto, seq: int, sha: str) -> tuple[dict[str, Any], bool]:
        """Prepare and send one photo; returns its record and whether its failure is worth a rerun."""
        self._hold_ahead()
        holding = [True]

        def release_ahead() -> None:
            if holding[0]:
                holding[0] = False
                self._release_ahead()

        try:
            return self._prepare_and_send(photo, seq, sha, release_ahead)
        finally:
            release_ahead()

    def _prepare_and_send(
        self, photo: discovery.FoundPhoto, seq: int, sha: str, sending: Callable[[], None]
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
            with self._prep_slots:
                self._gate()
                prepared = prepare_image(data, self.settings.max_side)
        except ImageError as exc:
            return self._error_record(sha, exc.kind, exc.message, 0), False
        del data
        attempts = Attempts()
        latency = [0.0]

        def attempt() -> Detection:
            self._gate()
            with self._request_slots:
                if not self.limiter.acquire(self._cancel):
                    raise CancelledError()
                self._enter_send(photo.rel, seq)  # after the limiter's wait, which a pause may overtake
                sending()
                try:
                    begun = time.perf_counter()
                    detection = self._detector.detect(prepared, self.settings.classes)
                    latency[0] = time.perf_counter() - begun
                finally:
                    self._leave_send()
            self.stats.request_answered(latency[0])
            self._last_answer = time.monotonic()
            return detection

        def on_retry(exc: BaseException, delay: float) -> None:
            rate_limited = isinstance(exc, sdk.RateLimitError)
            self.stats.retried(rate_limited)
            self._emit(PhotoRetrying(photo.rel, attempts.total, describe(exc), delay, rate_limited))

        size = {"width": prepared.width, "height": prepared.height}
        try:
            detection = call_with_retries(
                attempt,
                policy=self.settings.policy,
                cancel=self._cancel,
                attempts=attempts,
                on_rate_limited=self.limiter.on_rate_limited,
                on_retry=on_retry,
                in_outage=self._in_outage,
            )
        except CancelledError:
            raise
        except sdk.SDKError as exc:
            fatal = fatal_from(exc, self.connection.model)
            if fatal is not None:
                raise fatal from exc
            if self._cancel.is_set():
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
            "latency_ms": round(latency[0] * 1000.0, 1),
            "attempts": attempts.total,
            "request_id": detection.request_id,
            "usage": detection.usage,
            "sent": {"width": prepared.sent_width, "height": prepared.sent_height},
        }
        if detection.warnings:
            record["warnings"] = list(detection.warnings)
        return record, False
