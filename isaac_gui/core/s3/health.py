"""How S3 is doing for this uploader: working, unreachable (an outage: backing off) or blocked (a
setup problem: probed now and then), the latest problem, the session's counts, and the
`UploadStatus` they make."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable

from isaac_gui.core.s3.problems import SETUP, Problem
from isaac_gui.core.s3.status import BLOCKED, CLOSED, IDLE, UNREACHABLE, WORKING, Backoff, UploadStatus

STATUS_INTERVAL_S = 0.25  # at most this often between two statuses of the same state


class Health:
    """Thread-safe; never calls out (the caller says what a change means to people)."""

    def __init__(self, backoff: Backoff) -> None:
        self._backoff = backoff
        self._lock = threading.Lock()
        self._state = WORKING  # WORKING, UNREACHABLE or BLOCKED
        self._delay = 0.0
        self._resume_at = 0.0
        self._announced: set[str] = set()  # problem codes already told, this session
        self._last_problem: str | None = None
        self._counts = {"uploaded": 0, "skipped": 0, "failed": 0, "requests": 0}

    @property
    def state(self) -> str:
        return self._state

    @property
    def delay(self) -> float:
        """The current backoff, before jitter (0 while working)."""
        return self._delay

    @property
    def last_problem(self) -> str | None:
        return self._last_problem

    def opening(self) -> tuple[float, bool]:
        """When uploads may go again (monotonic), and whether the next one probes S3."""
        with self._lock:
            return self._resume_at, self._state != WORKING

    def count(self, name: str, n: int = 1) -> None:
        """Add to one of `UploadStatus`'s counts: uploaded, skipped, failed, requests."""
        with self._lock:
            self._counts[name] += n

    def note(self, problem: str) -> None:
        with self._lock:
            self._last_problem = problem

    def setback(self, problem: Problem, probe: bool) -> bool:
        """An upload failed for S3 as a whole (an outage or a setup problem). The backoff starts, or
        grows after a failed probe; True when the problem is to be told (a setup problem, once)."""
        state = BLOCKED if problem.kind == SETUP else UNREACHABLE
        with self._lock:
            if probe or self._state != state:
                if state == BLOCKED:
                    self._delay = self._backoff.setup_s
                elif self._state == UNREACHABLE:
                    self._delay = min(max(self._delay * 2, self._backoff.initial_s), self._backoff.max_s)
                else:
                    self._delay = self._backoff.initial_s
                self._resume_at = time.monotonic() + self._delay * random.uniform(0.8, 1.0)
            self._state = state
            self._last_problem = problem.message
            if state != BLOCKED or problem.code in self._announced:
                return False
            self._announced.add(problem.code)
            return True

    def recovered(self) -> bool:
        """An upload went through; True when S3 was unreachable or blocked until now. The setup
        problems may be told again should they come back."""
        with self._lock:
            if self._state == WORKING:
                return False
            self._state = WORKING
            self._delay = self._resume_at = 0.0
            self._announced = {code for code in self._announced if code.startswith("object:")}
            return True

    def gave_up(self, problem: Problem) -> bool:
        """One object was refused for this session; True for the first refusal of its kind."""
        code = f"object:{problem.code}"
        with self._lock:
            self._counts["failed"] += 1
            self._last_problem = problem.message
            if code in self._announced:
                return False
            self._announced.add(code)
            return True

    def status(self, pending: int, *, settled: bool, closed: bool) -> UploadStatus:
        """With `pending` objects waiting; `settled` once the uploader knows what it has to do
        (working, not idle, until then)."""
        with self._lock:
            if closed:
                state = CLOSED
            elif self._state != WORKING:
                state = self._state
            else:
                state = WORKING if pending or not settled else IDLE
            return UploadStatus(state, pending, last_problem=self._last_problem, **self._counts)


class StatusFeed:
    """Passes statuses on to `on_status`: every change of state, otherwise at most one per
    `STATUS_INTERVAL_S` (a status held back marks the feed `dirty`, for a later `tell`)."""

    def __init__(
        self, on_status: Callable[[UploadStatus], object] | None, current: Callable[[], UploadStatus]
    ):
        self._on_status = on_status
        self._current = current
        self._lock = threading.RLock()
        self._last_emit = 0.0
        self._last_state: str | None = None
        self.dirty = False

    def tell(self, *, force: bool = False) -> None:
        if self._on_status is None:
            return
        with self._lock:
            status = self._current()
            now = time.monotonic()
            if not force and status.state == self._last_state and now - self._last_emit < STATUS_INTERVAL_S:
                self.dirty = True
                return
            self.dirty = False
            self._last_emit = now
            self._last_state = status.state
            with contextlib.suppress(Exception):  # a broken callback must not stop the uploads
                self._on_status(status)
