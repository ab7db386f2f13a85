"""A `concurrent.futures.Executor` that runs its jobs on a private `QThreadPool`.

Why this shape. The design card says detection runs on Qt's `QThreadPool`; the engine
(`isaac_gui.core.engine`) must stay free of Qt so the command line and the core tests run without
it. The engine therefore takes any `concurrent.futures.Executor`: the command line passes a
`ThreadPoolExecutor`, the desktop app passes this adapter. Everything Qt-specific stays on this
side of the boundary, and the engine's code path is the same in both front ends.

Why a private pool rather than `QThreadPool.globalInstance()`: its size is the run's concurrency
(requests in flight), it is not shared with anything else in the app (Qt's own background work,
thumbnail decoding), and `shutdown(wait=True)` can wait for exactly this run's jobs and then end
its threads, so a closed run leaves no thread behind.

Jobs carry no QObject and emit no signal: results travel through the returned `Future`, and the
engine reports progress through the GUI's `bridge`, never from a pool thread to a widget.

The pool's threads run at a lower priority (`background=True`, the default; Linux: per-thread
nice 10, elsewhere `QThread.LowPriority`), so on two cores the window's thread gets a CPU first.
The app runs this pool in the engine's own process (`engine_process`), which has its own GIL; when
the pool still shared the window's process, niced workers took its p99 stall from 40 ms to 16-23 ms
(a 1 ms heartbeat while a run streamed answers with no latency), at the same throughput.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from PySide6.QtCore import QThreadPool

from isaac_gui.qt.workers.responsive import lower_this_thread

P = ParamSpec("P")
T = TypeVar("T")

_live: weakref.WeakSet[QThreadPoolExecutor] = weakref.WeakSet()


def live_executors() -> list[QThreadPoolExecutor]:
    """Executors not shut down yet (tests use this to find leaked thread pools)."""
    return [ex for ex in list(_live) if not ex.is_shutdown]


class QThreadPoolExecutor(Executor):
    """`submit` returns a real `Future`; an exception raised by the job lands in the future."""

    def __init__(self, max_workers: int, *, name: str = "isaac-pool", background: bool = True) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._pool: QThreadPool | None = QThreadPool()
        self._pool.setObjectName(name)
        self._pool.setMaxThreadCount(max_workers)
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()  # submitted, not finished
        self._shutdown = False
        self._background = background
        _live.add(self)

    @property
    def max_workers(self) -> int:
        return self._pool.maxThreadCount() if self._pool is not None else 0

    @property
    def is_shutdown(self) -> bool:
        return self._shutdown

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._shutdown or self._pool is None:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._pending.add(future)
            pool = self._pool

        background = self._background

        def job() -> None:
            try:
                if background:
                    lower_this_thread()
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            finally:
                with self._lock:
                    self._pending.discard(future)

        pool.start(job)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new jobs; with `cancel_futures` the queued ones are cancelled; with `wait` block until the
        running ones are done and the pool's threads have ended."""
        with self._lock:
            self._shutdown = True
            pool = self._pool
            pending = list(self._pending)
        if cancel_futures:
            for future in pending:
                future.cancel()  # only succeeds for jobs that have not started: they then return at once
        if pool is None or not wait:
            return
        pool.waitForDone()
        with self._lock:
            self._pool = None
        # Destroying the pool ends its (now idle) threads before we return.
        del pool
