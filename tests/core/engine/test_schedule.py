"""The schedule's limits, pause and cancel, without photos or a network: threads and events only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from isaac_gui.core.engine.schedule import Schedule
from isaac_gui.core.retry import CancelledError, FatalError

STILL = 0.05  # how long a wait that must not end is watched
BOUND = 5.0  # how long a wait that must end may take


class Background:
    """Runs `fn` on a thread; `done` is set when it returned or raised (kept in `error`)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = fn()
            except BaseException as exc:
                self.error = exc
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finish(self) -> Any:
        assert self.done.wait(BOUND), "the wait did not end"
        self.thread.join(BOUND)
        return self.result


def schedule(**limits: Any) -> Schedule:
    values: dict[str, Any] = {"jobs": 2, "ahead": 1, "preparing": 1, "requests": 1, "cancel_grace_s": 0.0}
    return Schedule(**(values | limits))


# -- admission ------------------------------------------------------------------------------
def test_admission_waits_for_a_place_among_the_jobs() -> None:
    s = schedule(jobs=2)
    assert s.admit("a", ("a.jpg", 0)) and s.admit("b", ("b.jpg", 1))
    third = Background(lambda: s.admit("c", ("c.jpg", 2)))
    assert not third.done.wait(STILL)
    s.job_ended("a")
    assert third.finish() is True
    assert s.jobs.taken == 2


def test_an_identical_photo_joins_the_job_on_its_way_without_a_place() -> None:
    s = schedule(jobs=1)
    assert s.admit("k", ("first.jpg", 0))
    assert s.admit("k", ("copy.jpg", 3)) is False  # no wait although every place is taken
    assert s.twins.take("k") == [("first.jpg", 0), ("copy.jpg", 3)]
    assert s.twins.take("k") == []  # announced once
    s.job_ended("k")
    assert s.admit("k", ("later.jpg", 7))  # that job is over: the same content is a new job
    assert s.twins.take("k") == [("later.jpg", 7)]


def test_a_job_that_ends_drops_the_photos_nobody_took() -> None:
    s = schedule()
    assert s.admit("k", ("a.jpg", 0))
    s.job_ended("k")
    assert s.twins.take("k") == []
    assert s.jobs.taken == 0


def test_cancel_ends_a_wait_for_admission_with_nothing_admitted() -> None:
    s = schedule(jobs=1)
    assert s.admit("a", ("a.jpg", 0))
    waiting = Background(lambda: s.admit("b", ("b.jpg", 1)))
    assert not waiting.done.wait(STILL)
    s.cancel()
    assert waiting.finish() is False
    assert s.jobs.taken == 1
    assert s.twins.take("b") == []


# -- photos prepared ahead ------------------------------------------------------------------
def test_a_place_ahead_is_given_back_once_whether_released_or_left() -> None:
    s = schedule(ahead=1)
    with s.ahead_place() as place:
        assert s.ahead.taken == 1
        place.release()
        assert s.ahead.taken == 0
        place.release()
        assert s.ahead.taken == 0
    assert s.ahead.taken == 0
    with pytest.raises(RuntimeError), s.ahead_place():
        assert s.ahead.taken == 1
        raise RuntimeError("the photo failed")
    assert s.ahead.taken == 0


def test_the_next_photo_waits_for_a_place_ahead_and_cancel_ends_that_wait() -> None:
    s = schedule(ahead=1)

    def take_one() -> None:
        with s.ahead_place():
            pass

    with s.ahead_place() as place:
        second = Background(take_one)
        assert not second.done.wait(STILL)
        place.release()  # sent: the next photo may be prepared
        second.finish()
        assert second.error is None
    with s.ahead_place():
        third = Background(take_one)
        assert not third.done.wait(STILL)
        s.cancel()
        third.finish()
    assert isinstance(third.error, CancelledError)
    assert s.ahead.taken == 0
    with pytest.raises(CancelledError), s.ahead_place():
        pass


# -- pause and cancel -----------------------------------------------------------------------
def test_pause_holds_the_gate_until_resume() -> None:
    s = schedule()
    s.gate.wait()  # open: passes at once
    s.gate.pause()
    assert s.gate.paused and s.gate.holds()
    held = Background(s.gate.wait)
    assert not held.done.wait(STILL)
    s.gate.resume()
    held.finish()
    assert held.error is None and not s.gate.paused and not s.gate.holds()


def test_cancel_opens_a_paused_gate_with_cancelled_error() -> None:
    s = schedule()
    s.gate.pause()
    held = Background(s.gate.wait)
    assert not held.done.wait(STILL)
    s.cancel()
    held.finish()
    assert isinstance(held.error, CancelledError)
    assert not s.gate.holds()  # a cancelled run holds nothing back
    with pytest.raises(CancelledError):
        s.gate.wait()


def test_wait_idle_waits_for_the_requests_being_sent() -> None:
    s = schedule()
    assert s.gate.wait_idle(timeout=0)
    leave = threading.Event()
    inside = threading.Event()

    def send() -> None:
        with s.gate.sending_one():
            inside.set()
            leave.wait(BOUND)

    sender = Background(send)
    assert inside.wait(BOUND)
    s.gate.pause()
    assert s.gate.sending == 1
    assert s.gate.wait_idle(timeout=STILL) is False
    idle = Background(s.gate.wait_idle)
    assert not idle.done.wait(STILL)
    leave.set()
    assert idle.finish() is True
    sender.finish()
    assert s.gate.sending == 0


def test_a_request_about_to_leave_waits_for_resume_before_it_counts() -> None:
    s = schedule()
    s.gate.pause()
    counted = threading.Event()

    def send() -> None:
        with s.gate.sending_one():
            counted.set()

    sender = Background(send)
    assert not counted.wait(STILL)
    assert s.gate.sending == 0 and s.gate.wait_idle(timeout=0)
    s.gate.resume()
    sender.finish()
    assert counted.is_set() and sender.error is None


def test_the_first_reason_to_stop_is_the_one_that_stays() -> None:
    s = schedule()
    assert s.fatal is None and not s.cancelled.is_set()
    first = FatalError("quota", "The quota is used up.")
    s.stop(first)
    s.stop(FatalError("internal", "later"))
    assert s.fatal is first and s.cancelled.is_set()


# -- draining -------------------------------------------------------------------------------
def test_drain_waits_for_the_jobs_in_flight() -> None:
    s = schedule()
    assert s.admit("a", ("a.jpg", 0))
    overdue = threading.Event()
    draining = Background(lambda: s.drain(overdue.set))
    assert not draining.done.wait(STILL)
    s.job_ended("a")
    draining.finish()
    assert not overdue.is_set()


def test_after_a_cancel_and_its_grace_drain_makes_the_hanging_jobs_end() -> None:
    s = schedule(cancel_grace_s=0.0)
    assert s.admit("a", ("a.jpg", 0))
    s.cancel()
    calls: list[int] = []

    def end_hanging() -> None:  # as closing the detector makes a hanging request fail
        calls.append(s.jobs.taken)
        s.job_ended("a")

    s.drain(end_hanging)
    assert calls == [1] and s.jobs.taken == 0
