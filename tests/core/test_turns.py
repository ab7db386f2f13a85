"""Turns: no more than n threads hold one; a turn given up while waiting is taken back after."""

from __future__ import annotations

import threading

from isaac_gui.core.turns import Turns


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
