"""S3's health as the uploader sees it: the backoff, what is told once, and the statuses."""

from __future__ import annotations

import time

import pytest

from isaac_gui.core.s3.health import Health, StatusFeed
from isaac_gui.core.s3.problems import OBJECT, OUTAGE, SETUP, Problem
from isaac_gui.core.s3.status import Backoff, UploadStatus

BACKOFF = Backoff(initial_s=1.0, max_s=5.0, setup_s=60.0)
DOWN = Problem(OUTAGE, "EndpointConnectionError", "S3 cannot be reached.")
NO_BUCKET = Problem(SETUP, "NoSuchBucket", "The bucket does not exist.")
BAD_KEY = Problem(SETUP, "SignatureDoesNotMatch", "The secret key is wrong.")
TOO_BIG = Problem(OBJECT, "EntityTooLarge", "The object is too large.")


def setback(health: Health, problem: Problem, probe: bool) -> tuple[bool, float, float]:
    """`setback`, with the bounds the resume time must fall in: (announce, earliest, latest)."""
    before = time.monotonic()
    announce = health.setback(problem, probe)
    after = time.monotonic()
    return announce, before + 0.8 * health.delay, after + health.delay


def test_working_at_first_and_uploads_go_at_once() -> None:
    health = Health(BACKOFF)
    assert health.state == "working" and health.delay == 0.0
    assert health.opening() == (0.0, False)
    assert not health.recovered()  # nothing to recover from


def test_an_outage_backs_off_doubling_up_to_the_maximum_with_jitter() -> None:
    health = Health(BACKOFF)
    delays = []
    for probe in (False, True, True, True, True):
        announce, earliest, latest = setback(health, DOWN, probe)
        resume_at, probing = health.opening()
        assert not announce  # an outage is a quiet status
        assert probing and health.state == "unreachable"
        assert earliest <= resume_at <= latest
        delays.append(health.delay)
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert health.last_problem == DOWN.message


def test_failures_of_uploads_already_out_do_not_push_the_backoff_further() -> None:
    health = Health(BACKOFF)
    health.setback(DOWN, probe=False)
    resume_at = health.opening()[0]
    health.setback(DOWN, probe=False)  # another upload that left before the outage was known
    assert health.delay == 1.0 and health.opening()[0] == resume_at


def test_a_setup_problem_is_told_once_and_probed_at_its_own_pace() -> None:
    health = Health(BACKOFF)
    announce, earliest, latest = setback(health, NO_BUCKET, probe=False)
    assert announce and health.state == "blocked" and health.delay == 60.0
    assert earliest <= health.opening()[0] <= latest
    assert not health.setback(NO_BUCKET, probe=True)
    assert health.setback(BAD_KEY, probe=True)  # another problem: told too
    assert not health.setback(BAD_KEY, probe=True)
    assert health.status(3, settled=True, closed=False).state == "blocked"


def test_recovery_resets_the_backoff_and_lets_setup_problems_be_told_again() -> None:
    health = Health(BACKOFF)
    assert health.setback(NO_BUCKET, probe=False)
    assert health.recovered()
    assert health.state == "working" and health.delay == 0.0 and health.opening() == (0.0, False)
    assert health.last_problem == NO_BUCKET.message  # the latest problem, even after it went away
    assert health.setback(NO_BUCKET, probe=False)
    health.setback(DOWN, probe=True)
    assert health.state == "unreachable" and health.delay == 1.0  # an outage starts at the start


def test_a_refused_object_is_counted_and_told_once_per_kind_even_across_recoveries() -> None:
    health = Health(BACKOFF)
    assert health.gave_up(TOO_BIG)
    assert not health.gave_up(TOO_BIG)
    health.setback(DOWN, probe=False)
    health.recovered()
    assert not health.gave_up(TOO_BIG)
    assert health.state == "working"  # one object's problem is not S3's
    status = health.status(0, settled=True, closed=False)
    assert (status.failed, status.last_problem) == (3, TOO_BIG.message)


@pytest.mark.parametrize(
    ("pending", "settled", "closed", "state"),
    [
        (0, False, False, "working"),
        (0, True, False, "idle"),
        (2, True, False, "working"),
        (2, True, True, "closed"),
    ],
)
def test_the_state_a_status_shows(pending: int, settled: bool, closed: bool, state: str) -> None:
    health = Health(BACKOFF)
    health.count("uploaded", 4)
    health.count("skipped", 2)
    health.count("requests")
    assert health.status(pending, settled=settled, closed=closed) == UploadStatus(
        state, pending, uploaded=4, skipped=2, failed=0, requests=1, last_problem=None
    )


def test_closed_shows_over_a_standing_problem() -> None:
    health = Health(BACKOFF)
    health.setback(DOWN, probe=False)
    assert health.status(1, settled=True, closed=False).state == "unreachable"
    assert health.status(1, settled=True, closed=True).state == "closed"


def test_the_feed_passes_changes_of_state_at_once_and_holds_back_repeats() -> None:
    health = Health(BACKOFF)
    told: list[UploadStatus] = []
    feed = StatusFeed(told.append, lambda: health.status(0, settled=True, closed=False))
    feed.tell()
    health.count("uploaded")
    feed.tell()  # the same state, a moment later: held back
    assert [(s.state, s.uploaded) for s in told] == [("idle", 0)] and feed.dirty
    health.setback(DOWN, probe=False)
    feed.tell()
    assert [(s.state, s.uploaded) for s in told] == [("idle", 0), ("unreachable", 1)] and not feed.dirty
    feed.tell()
    assert feed.dirty and len(told) == 2
    feed.tell(force=True)
    assert len(told) == 3 and not feed.dirty


def test_a_broken_status_callback_does_not_raise() -> None:
    def broken(_status: UploadStatus) -> None:
        raise RuntimeError("the window is gone")

    StatusFeed(broken, lambda: Health(BACKOFF).status(0, settled=True, closed=False)).tell()
