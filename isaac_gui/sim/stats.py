"""Thread-safe bookkeeping of the simulator: request counters and the per-key rate limiter.

``SimulatorStats`` counts what tests and benchmarks assert on (requests, answers by status, 429s, the
arrival time and status of every request, requests in flight and the most seen at once) and lets a test
wait for a number of requests on a condition instead of sleeping. A request that got no answer (a drop
or a hang) is recorded with status ``NO_ANSWER``.

``RateLimiter`` is a sliding window per API key: at most ``limit`` admitted requests in any
``window_s`` seconds; a refused request does not use a slot.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import NamedTuple

NO_ANSWER = 0


class RequestRecord(NamedTuple):
    """One finished request: when it arrived (``time.monotonic()``) and the status answered."""

    arrived: float
    status: int


class SimulatorStats:
    """Counters shared by the request threads; every read takes the lock, so values are consistent."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._arrived = 0
        self._finished = 0
        self._by_status: dict[int, int] = {}
        self._records: list[RequestRecord] = []
        self._in_flight = 0
        self._max_in_flight = 0

    def request_started(self) -> float:
        """Count an arriving request; returns its arrival time."""
        now = time.monotonic()
        with self._cond:
            self._arrived += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            self._cond.notify_all()
        return now

    def request_finished(self, arrived: float, status: int) -> None:
        """Record the answer (``NO_ANSWER`` for none) of a request that arrived at ``arrived``."""
        with self._cond:
            self._finished += 1
            self._in_flight -= 1
            self._by_status[status] = self._by_status.get(status, 0) + 1
            self._records.append(RequestRecord(arrived, status))
            self._cond.notify_all()

    def reset(self) -> None:
        """Zero every counter (requests still in flight stay counted as in flight)."""
        with self._cond:
            self._arrived = self._finished = 0
            self._by_status = {}
            self._records = []
            self._max_in_flight = self._in_flight

    @property
    def total_requests(self) -> int:
        """Requests that arrived (read and counted, whether answered yet or not)."""
        with self._cond:
            return self._arrived

    @property
    def finished_requests(self) -> int:
        with self._cond:
            return self._finished

    @property
    def by_status(self) -> dict[int, int]:
        """A copy of the answer counts by HTTP status (``NO_ANSWER`` for drops and hangs)."""
        with self._cond:
            return dict(self._by_status)

    @property
    def rate_limited(self) -> int:
        """Answers with status 429 (rate limits and exhausted quota)."""
        with self._cond:
            return self._by_status.get(429, 0)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of ``(arrived, status)`` per finished request, in the order they finished."""
        with self._cond:
            return list(self._records)

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        with self._cond:
            return self._max_in_flight

    def wait_for_requests(self, n: int, timeout: float) -> bool:
        """Wait until at least ``n`` requests have arrived; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._arrived >= n, timeout)

    def wait_for_answers(self, n: int, timeout: float) -> bool:
        """Wait until at least ``n`` requests have finished (answered, dropped, hung up); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._finished >= n, timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)


class RateLimiter:
    """Sliding-window request limit per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def admit(self, key: str, limit: int | None, window_s: float, now: float | None = None) -> float | None:
        """Take a slot for ``key`` and return None, or return the seconds until a slot frees (> 0)."""
        if limit is None:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - window_s:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return None
            # The (len - limit + 1)-th oldest must expire (later than the first after the limit was lowered).
            return max(window[len(window) - limit] + window_s - now, 1e-3)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
