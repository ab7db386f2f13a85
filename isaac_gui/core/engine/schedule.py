"""What the engine may do next: how many photos are admitted, prepared ahead, prepared and sent at
once; pause and cancel; and which photos wait for the answer of an identical one.

Every wait here ends at once when the run is cancelled. A listener is never called from here, so
no lock of the schedule is ever held while a front end runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from isaac_gui.core.retry import CancelledError, FatalError

Rel = tuple[str, int]  # a photo's relative path and its place in the scan


class Places:
    """At most `limit` holders at a time; waiting for a place gives up when the run is cancelled."""

    def __init__(self, limit: int, cancelled: threading.Event) -> None:
        self.limit = limit
        self._cancelled = cancelled
        self._cond = threading.Condition()
        self._taken = 0

    @property
    def taken(self) -> int:
        return self._taken

    def take(self) -> bool:
        """Wait for a place and take it; False (and nothing taken) once the run is cancelled."""
        with self._cond:
            while self._taken >= self.limit and not self._cancelled.is_set():
                self._cond.wait()
            if self._cancelled.is_set():
                return False
            self._taken += 1
            return True

    def give(self) -> None:
        with self._cond:
            self._taken -= 1
            self._cond.notify_all()

    def wait_empty(self, deadline: float | None = None, *, or_cancel: bool = False) -> bool:
        """Wait until every place is given back, until `deadline` (monotonic) or, with `or_cancel`,
        until the run is cancelled. True when every place is free."""
        with self._cond:
            while self._taken and not (or_cancel and self._cancelled.is_set()):
                if deadline is None:
                    self._cond.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return not self._taken

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class Place:
    """One place among those `Places` counts, given back once, by `release()` or at the end of
    its `with` block, whichever comes first."""

    def __init__(self, places: Places) -> None:
        self._places = places
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._places.give()


class PauseGate:
    """Photos pass while the run is not paused; counts the requests being sent, so a pause can
    tell when the last one sent before it has been answered."""

    def __init__(self, cancelled: threading.Event) -> None:
        self._cancelled = cancelled
        self._cond = threading.Condition()
        self._paused = False
        self._sending = 0

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def sending(self) -> int:
        return self._sending

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def holds(self) -> bool:
        """True when a photo arriving now would wait for the run to resume."""
        with self._cond:
            return self._paused and not self._cancelled.is_set()

    def _wait_open(self) -> None:
        while self._paused and not self._cancelled.is_set():
            self._cond.wait()
        if self._cancelled.is_set():
            raise CancelledError()

    def wait(self) -> None:
        """Wait while paused; CancelledError once the run is cancelled."""
        with self._cond:
            self._wait_open()

    @contextmanager
    def sending_one(self) -> Iterator[None]:
        """Pass the gate and count one request as being sent, in one step, so that `wait_idle`
        never misses a request about to leave."""
        with self._cond:
            self._wait_open()
            self._sending += 1
        try:
            yield
        finally:
            with self._cond:
                self._sending -= 1
                self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no request is being sent; False when `timeout` s passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._sending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class Twins:
    """The photos waiting for the answer of a photo with the same content (the same job key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[Rel]] = {}

    def join(self, key: str, rel: Rel) -> bool:
        """Wait for the job of `key` when one is on its way; False when there is none."""
        with self._lock:
            if key not in self._waiting:
                return False
            self._waiting[key].append(rel)
            return True

    def open(self, key: str, rel: Rel) -> None:
        with self._lock:
            self._waiting[key] = [rel]

    def take(self, key: str) -> list[Rel]:
        """The photos to announce for `key` (each is announced by whoever takes it)."""
        with self._lock:
            return self._waiting.pop(key, [])


class Schedule:
    """One run's limits and controls.

    `jobs` photos are admitted at once (each one goes to a worker); of those, `ahead` may hold a
    prepared photo not yet sent, `preparing` may decode at a time, and `requests` may be sent.
    """

    def __init__(
        self, *, jobs: int, ahead: int, preparing: int, requests: int, cancel_grace_s: float
    ) -> None:
        self.cancelled = threading.Event()
        self.jobs = Places(jobs, self.cancelled)
        self.ahead = Places(ahead, self.cancelled)
        self.gate = PauseGate(self.cancelled)
        self.twins = Twins()
        self.preparing = threading.BoundedSemaphore(max(preparing, 1))
        self.requests = threading.BoundedSemaphore(requests)
        self._cancel_grace_s = cancel_grace_s
        self._fatal_lock = threading.Lock()
        self._fatal: FatalError | None = None

    # -- control ----------------------------------------------------------------------------
    def cancel(self) -> None:
        self.cancelled.set()
        for waits in (self.jobs, self.ahead, self.gate):
            waits.wake()

    def stop(self, reason: FatalError) -> None:
        """Cancel the run for `reason`; the first reason given is the one that stays."""
        with self._fatal_lock:
            self._fatal = self._fatal or reason
        self.cancel()

    @property
    def fatal(self) -> FatalError | None:
        return self._fatal

    # -- admission --------------------------------------------------------------------------
    def admit(self, key: str, rel: Rel) -> bool:
        """True when the photo becomes a job of its own (the caller hands it to a worker and calls
        `job_ended` when it is done); False when it joined the job of an identical photo, or the
        run was cancelled while it waited for a place."""
        if self.twins.join(key, rel):
            return False
        if not self.jobs.take():
            return False
        self.twins.open(key, rel)
        return True

    def job_ended(self, key: str) -> None:
        self.twins.take(key)
        self.jobs.give()

    def drain(self, on_overdue: Callable[[], None]) -> None:
        """Wait for the jobs admitted; after a cancel, give them the grace period, then call
        `on_overdue` (which makes what still hangs end) and wait for the rest."""
        if not self.cancelled.is_set():
            self.jobs.wait_empty(or_cancel=True)
        if self.cancelled.is_set():
            self.jobs.wait_empty(time.monotonic() + self._cancel_grace_s)
        if self.jobs.taken:
            on_overdue()
            self.jobs.wait_empty()

    # -- within a job -----------------------------------------------------------------------
    @contextmanager
    def ahead_place(self) -> Iterator[Place]:
        """A place among the photos prepared but not sent yet, for one photo; CancelledError when
        the run is cancelled while waiting for it."""
        if not self.ahead.take():
            raise CancelledError()
        place = Place(self.ahead)
        try:
            yield place
        finally:
            place.release()
