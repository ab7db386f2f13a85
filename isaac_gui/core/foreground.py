"""Letting one thread (the window's) go first: worker threads stand aside while it works.

Every thread of a Python process takes turns holding one lock, the GIL. A worker that asks for
it waits up to the switch interval (5 ms) before the holder is made to let go, and then any of
the waiting threads may get it. While a run streams answers as fast as the service gives them,
about twenty worker threads wait at any moment, and the GUI thread waits in the same line every
time it goes from Qt's C++ into Python: once per painted thumbnail cell, once per plot item. A
paint of 18 cells took 2 ms alone and 85 ms beside four busy threads (measured with niced
threads spinning in Python).

`Foreground.busy()` marks a stretch of work on the GUI thread (a paint, a delivery of engine
events); workers call `Foreground.wait()` at points between their own stretches of Python work
and park there, without the GIL, until the GUI thread is done. The wait is bounded
(`max_wait_s`), so a busy window slows the engine down but can never stop it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Foreground:
    def __init__(self, max_wait_s: float = 0.05) -> None:
        self.max_wait_s = max_wait_s
        self._free = threading.Event()
        self._free.set()
        self._depth = 0
        self._lock = threading.Lock()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """While inside, workers that reach `wait()` park (nesting and several threads are fine)."""
        with self._lock:
            self._depth += 1
            self._free.clear()
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._free.set()

    @property
    def is_busy(self) -> bool:
        return not self._free.is_set()

    def wait(self) -> bool:
        """Workers: return at once when nobody is busy, else when they are done or `max_wait_s`
        has passed. True when it did not have to wait (or the wait ended by the work finishing)."""
        if self._free.is_set():
            return True
        return self._free.wait(self.max_wait_s)


class Turns:
    """At most `n` worker threads run a stretch of Python work at a time; the others wait their
    turn on a semaphore, which takes no GIL.

    Python runs one thread at a time anyway, so this costs the engine little, but it keeps the
    line for the GIL short: a thread that has to give the GIL up (the GUI thread, every time the
    switch interval ends) waits behind at most `n` threads instead of twenty. A thread gives its
    turn up before anything that waits (the network, a lock, a sleep) and takes it back after.
    """

    def __init__(self, n: int = 2) -> None:
        self._slots = threading.Semaphore(max(n, 1))
        self._mine = threading.local()

    def take(self) -> None:
        if not getattr(self._mine, "held", False):
            self._slots.acquire()
            self._mine.held = True

    def give(self) -> None:
        if getattr(self._mine, "held", False):
            self._mine.held = False
            self._slots.release()

    @property
    def held(self) -> bool:
        return bool(getattr(self._mine, "held", False))

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block (given back at its end even if given up and taken inside)."""
        if self.held:  # already inside a turn: nothing to do
            yield
            return
        self.take()
        try:
            yield
        finally:
            self.give()


# The process's one GUI thread marks its work here; the engine's workers wait on it.
FOREGROUND = Foreground()
# The engine's workers take turns for their Python work (two: one runs while the next is ready).
WORKER_TURNS = Turns(2)
