"""The objects waiting to be uploaded: each key once, in the order they came, a failed upload
first again; at most one upload at a time while S3 is being probed after a failure."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class UploadQueue:
    """Keys of the upload table (the content to send is read from the store when a key's turn
    comes, so a key queued twice is sent once, with its latest content)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[str] = deque()
        self._queued: set[str] = set()
        self._inflight: set[str] = set()
        self._again: set[str] = set()  # queued again while in flight: sent once the flight lands
        self._probing = False
        self._stopped = False

    def __len__(self) -> int:
        """Keys waiting or being uploaded."""
        with self._cond:
            return len(self._waiting) + len(self._inflight)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def push(self, key: str) -> None:
        with self._cond:
            if key in self._inflight:
                self._again.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._waiting.append(key)
                self._cond.notify()

    def take(self, opening: Callable[[], tuple[float, bool]]) -> tuple[str, bool] | None:
        """Wait for the next key to upload: the key and whether its upload probes S3; None once
        stopped. `opening()` says when uploads may go again (a monotonic time) and whether the
        next one probes; while a probe is out, nothing else goes. Call `wake()` when the opening
        changes."""
        with self._cond:
            while True:
                if self._stopped:
                    return None
                wait: float | None = None
                if self._waiting:
                    resume_at, probe = opening()
                    wait = resume_at - time.monotonic()
                    if wait <= 0 and not self._probing:
                        key = self._waiting.popleft()
                        self._queued.discard(key)
                        self._inflight.add(key)
                        self._probing = probe
                        return key, probe
                    if wait <= 0:
                        wait = None  # a probe is out: its answer wakes us
                self._cond.wait(wait)

    def landed(self, key: str, probe: bool, retry: bool) -> None:
        """The upload of `key` is over; with `retry` the key goes first again."""
        with self._cond:
            self._inflight.discard(key)
            if probe:
                self._probing = False
            if retry and key not in self._queued:
                self._again.discard(key)
                self._queued.add(key)
                self._waiting.appendleft(key)
            elif key in self._again:
                self._again.discard(key)
                if key not in self._queued:
                    self._queued.add(key)
                    self._waiting.append(key)
            self._cond.notify_all()

    def wait_empty(self, deadline: float, unless: Callable[[], bool]) -> None:
        """Wait until nothing waits or flies, until `deadline` (monotonic), or until `unless()`
        (checked whenever something here changed, or `wake()` was called)."""
        with self._cond:
            while (self._waiting or self._inflight) and not unless():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)

    def stop(self) -> None:
        """`take` returns None from now on; what waits stays in the store for the next time."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
