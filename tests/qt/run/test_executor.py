"""The QThreadPool executor behaves like a concurrent.futures executor, and leaves no thread behind."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, wait
from typing import Any

import pytest

from isaac_gui.qt.run.executor import QThreadPoolExecutor, live_executors


def test_results_and_exceptions_land_in_futures(qapp: Any) -> None:
    pool = QThreadPoolExecutor(3)
    try:
        futures = [pool.submit(pow, 2, n) for n in range(10)]
        assert [f.result(timeout=10) for f in futures] == [2**n for n in range(10)]
        failing = pool.submit(int, "not a number")
        with pytest.raises(ValueError):
            failing.result(timeout=10)
        assert isinstance(failing.exception(), ValueError)
    finally:
        pool.shutdown(wait=True)
    assert pool not in live_executors()


def test_at_most_max_workers_run_at_once(qapp: Any) -> None:
    pool = QThreadPoolExecutor(2)
    lock = threading.Lock()
    running = [0, 0]  # now, peak
    release = threading.Event()

    def job() -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1

    futures = [pool.submit(job) for _ in range(6)]
    release.set()
    wait(futures, timeout=10)
    pool.shutdown(wait=True)
    assert running[1] <= 2


def test_shutdown_cancels_queued_jobs_and_refuses_new_ones(qapp: Any) -> None:
    pool = QThreadPoolExecutor(1)
    gate, started = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait(10)

    first = pool.submit(hold)
    assert started.wait(10)
    queued = [pool.submit(lambda: "ran") for _ in range(5)]
    pool.shutdown(wait=False, cancel_futures=True)
    with pytest.raises(RuntimeError):
        pool.submit(print)
    gate.set()
    pool.shutdown(wait=True)
    assert first.result(timeout=1) is True
    assert all(f.cancelled() for f in queued)
    with pytest.raises(CancelledError):
        queued[0].result()


def test_thousands_of_jobs(qapp: Any) -> None:
    """5,000 pool jobs: the count at which PySide6 6.12 on Python 3.11 aborted (see measured.md)."""
    pool = QThreadPoolExecutor(4)
    futures = [pool.submit(abs, -i) for i in range(5000)]
    assert sum(f.result(timeout=30) for f in futures) == sum(range(5000))
    pool.shutdown(wait=True)
