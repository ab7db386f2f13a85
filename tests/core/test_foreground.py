"""Workers stand aside while the GUI thread is busy, never for longer than the bound."""

from __future__ import annotations

import threading

from isaac_gui.core.foreground import Foreground, Turns


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


def test_no_more_than_n_threads_hold_a_turn() -> None:
    turns = Turns(2)
    inside = [threading.Event() for _ in range(3)]
    leave = threading.Event()

    def worker(i: int) -> None:
        with turns.turn():
            inside[i].set()
            leave.wait(60)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads[:2]:
        t.start()
    assert inside[0].wait(10) and inside[1].wait(10)
    threads[2].start()
    assert not inside[2].wait(0.2)  # the third waits for a turn (bounded look, not a sleep to sync)
    leave.set()
    assert inside[2].wait(10)
    for t in threads:
        t.join(10)


def test_a_turn_given_up_inside_a_block_is_taken_back_and_released_once() -> None:
    turns = Turns(1)
    with turns.turn():
        assert turns.held
        turns.give()  # before waiting on the network, say
        assert not turns.held
        turns.take()  # the answer is in
        with turns.turn():  # nested: nothing more to take
            assert turns.held
        assert turns.held
    assert not turns.held
    with turns.turn():  # the one slot is free again
        assert turns.held
