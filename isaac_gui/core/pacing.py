"""Client-side pacing: stay under the key's requests-per-minute, back off when the API pushes back.

Every request reserves a send time spaced `60 / rpm` seconds after the previous one (a reservation
schedule, so a burst of idle threads cannot exceed the rate). A 429 blocks everyone until its
Retry-After has passed and cuts the rate (multiplicative decrease); each quiet stretch then wins
back a step of the configured rate (additive increase), the classic AIMD that settles just under
what the service accepts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
Waiter = Callable[[threading.Event, float], bool]


def _event_wait(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


# Pace a hair under the documented limit: a strict 60 s sliding window on the server then never
# sees the 301st request, and timing noise has room.
SAFETY = 0.98
DECREASE = 0.75
MIN_SHARE = 0.1
RECOVER_AFTER_S = 10.0
RECOVER_STEP = 0.05
DEFAULT_RETRY_AFTER_S = 1.0


class RateLimiter:
    """Thread-safe request pacing; `rpm=None` (or 0) paces nothing (a self-hosted endpoint)."""

    def __init__(
        self, rpm: float | None, *, clock: Clock = time.monotonic, wait: Waiter = _event_wait
    ) -> None:
        self._clock = clock
        self._wait = wait
        self._lock = threading.Lock()
        self._limit = float(rpm) if rpm else 0.0
        self._rate = self._limit * SAFETY
        self._next_slot = 0.0
        self._blocked_until = 0.0
        self._generation = 0
        self._last_change = clock()
        self.rate_limited = 0

    @property
    def current_rpm(self) -> float | None:
        """The rate being paced to now (below the limit after a 429, until it recovers)."""
        return self._rate or None

    def _recover(self, now: float) -> None:
        target = self._limit * SAFETY
        if self._rate < target and now - self._last_change >= RECOVER_AFTER_S and now >= self._blocked_until:
            self._rate = min(target, self._rate + self._limit * RECOVER_STEP)
            self._last_change = now

    def _reserve(self, now: float) -> tuple[float, int]:
        with self._lock:
            if not self._limit:
                return max(now, self._blocked_until), self._generation
            self._recover(now)
            slot = max(now, self._next_slot, self._blocked_until)
            self._next_slot = slot + 60.0 / self._rate
            return slot, self._generation

    def acquire(self, cancel: threading.Event) -> bool:
        """Wait for this request's turn. False when `cancel` was set while waiting."""
        while True:
            now = self._clock()
            slot, generation = self._reserve(now)
            if slot > now and self._wait(cancel, slot - now):
                return False
            if cancel.is_set():
                return False
            with self._lock:
                # A 429 that arrived while we slept moved everyone's turn: take a new one.
                if generation == self._generation:
                    return True

    def on_rate_limited(self, retry_after: float | None) -> float:
        """A 429: hold every request until Retry-After has passed, and slow down. Returns the hold."""
        hold = retry_after if retry_after and retry_after > 0 else DEFAULT_RETRY_AFTER_S
        with self._lock:
            now = self._clock()
            self.rate_limited += 1
            # Answers to requests sent before this hold began belong to the same burst: slow down once.
            first_of_burst = now >= self._blocked_until
            self._blocked_until = max(self._blocked_until, now + hold)
            self._next_slot = self._blocked_until
            self._generation += 1
            if self._limit and first_of_burst:
                self._rate = max(self._limit * MIN_SHARE, self._rate * DECREASE)
            self._last_change = now
        return hold
