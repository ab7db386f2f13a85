"""Workers stand aside while the GUI thread is busy, never for longer than the bound."""

from __future__ import annotations

import threading

from isaac_gui.core.foreground import Foreground


def test_waiting_is_free_while_nobody_is_busy() -> None:
    fg = Foreground(max_wait_s=60)
    assert not fg.is_busy
    assert fg.wait() is True


def test_a_worker_parks_until_the_busy_stretch_ends() -> None:
    fg = Foreground(max_wait_s=60)
    parked, passed = threading.Event(), threading.Event()

    def worker() -> None:
        parked.set()
        if fg.wait():
            passed.set()

    with fg.busy():
        thread = threading.Thread(target=worker)
        thread.start()
        assert parked.wait(10)
        assert not passed.is_set()  # held while busy (it can only pass once `busy` ends: 60 s away)
    assert passed.wait(10)
    thread.join(10)


def test_nested_stretches_end_with_the_outermost() -> None:
    fg = Foreground()
    with fg.busy():
        with fg.busy():
            assert fg.is_busy
        assert fg.is_busy
    assert not fg.is_busy


def test_the_wait_is_bounded_so_a_busy_window_cannot_stop_the_engine() -> None:
    fg = Foreground(max_wait_s=0.01)
    with fg.busy():
        assert fg.wait() is False  # gave up waiting, and returned
