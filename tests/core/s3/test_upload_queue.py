"""The upload queue: each key once, in order, a retried key first, one probe at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from isaac_gui.core.s3.upload_queue import UploadQueue

STILL = 0.05  # how long a wait that must not end is watched
BOUND = 5.0  # how long a wait that must end may take
OPEN: Callable[[], tuple[float, bool]] = lambda: (0.0, False)  # noqa: E731 - S3 working
PROBING: Callable[[], tuple[float, bool]] = lambda: (0.0, True)  # noqa: E731 - after a failure, due now


def take_now(
    uploads: UploadQueue, opening: Callable[[], tuple[float, bool]] = OPEN
) -> tuple[str, bool] | None:
    return uploads.take(opening)


def take_later(
    uploads: UploadQueue, opening: Callable[[], tuple[float, bool]] = OPEN
) -> tuple[threading.Event, list[tuple[str, bool] | None]]:
    done = threading.Event()
    got: list[tuple[str, bool] | None] = []

    def run() -> None:
        got.append(uploads.take(opening))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, got


def test_keys_come_out_in_order_each_once() -> None:
    uploads = UploadQueue()
    for key in ("a", "b", "a", "c", "b"):
        uploads.push(key)
    assert len(uploads) == 3
    assert [take_now(uploads) for _ in range(3)] == [("a", False), ("b", False), ("c", False)]
    assert len(uploads) == 3  # in flight still counts
    for key in ("a", "b", "c"):
        uploads.landed(key, probe=False, retry=False)
    assert len(uploads) == 0


def test_a_key_queued_again_while_in_flight_goes_once_more_after_it_lands() -> None:
    uploads = UploadQueue()
    uploads.push("a")
    uploads.push("b")
    assert take_now(uploads) == ("a", False)
    uploads.push("a")  # new content while the old is on its way
    uploads.push("a")
    assert len(uploads) == 2
    uploads.landed("a", probe=False, retry=False)
    assert [take_now(uploads), take_now(uploads)] == [("b", False), ("a", False)]
    uploads.landed("b", probe=False, retry=False)
    uploads.landed("a", probe=False, retry=False)
    assert len(uploads) == 0


def test_a_retried_key_goes_first_and_only_once() -> None:
    uploads = UploadQueue()
    for key in ("a", "b"):
        uploads.push(key)
    assert take_now(uploads) == ("a", False)
    uploads.push("a")  # queued again while in flight, and then the flight fails
    uploads.landed("a", probe=False, retry=True)
    assert len(uploads) == 2
    assert [take_now(uploads), take_now(uploads)] == [("a", False), ("b", False)]


def test_a_take_waits_for_a_push() -> None:
    uploads = UploadQueue()
    done, got = take_later(uploads)
    assert not done.wait(STILL)
    uploads.push("a")
    assert done.wait(BOUND) and got == [("a", False)]


def test_while_a_probe_is_out_nothing_else_goes_and_its_landing_lets_the_next_go() -> None:
    uploads = UploadQueue()
    for key in ("a", "b"):
        uploads.push(key)
    assert take_now(uploads, PROBING) == ("a", True)
    done, got = take_later(uploads, PROBING)
    assert not done.wait(STILL)
    uploads.landed("a", probe=True, retry=True)  # the probe failed: a goes first again
    assert done.wait(BOUND) and got == [("a", True)]


def test_nothing_goes_before_the_backoff_ends_and_wake_rereads_it() -> None:
    uploads = UploadQueue()
    uploads.push("a")
    resume_at = [time.monotonic() + 60.0]
    done, got = take_later(uploads, lambda: (resume_at[0], True))
    assert not done.wait(STILL)
    resume_at[0] = 0.0  # S3 came back (another upload went through)
    uploads.wake()
    assert done.wait(BOUND) and got == [("a", True)]


def test_stop_ends_every_take_and_keeps_what_waits_counted() -> None:
    uploads = UploadQueue()
    done, got = take_later(uploads)
    uploads.stop()
    assert done.wait(BOUND) and got == [None]
    uploads.push("a")
    assert uploads.stopped and take_now(uploads) is None and len(uploads) == 1


def test_wait_empty_ends_when_the_queue_drains_or_when_told() -> None:
    uploads = UploadQueue()
    uploads.push("a")
    assert take_now(uploads) == ("a", False)
    drained = threading.Event()

    def wait() -> None:
        uploads.wait_empty(time.monotonic() + 60.0, unless=lambda: False)
        drained.set()

    threading.Thread(target=wait, daemon=True).start()
    assert not drained.wait(STILL)
    uploads.landed("a", probe=False, retry=False)
    assert drained.wait(BOUND)

    uploads.push("b")
    blocked = threading.Event()
    given_up = threading.Event()

    def wait_unless_blocked() -> None:
        uploads.wait_empty(time.monotonic() + 60.0, unless=blocked.is_set)
        given_up.set()

    threading.Thread(target=wait_unless_blocked, daemon=True).start()
    assert not given_up.wait(STILL)
    blocked.set()
    uploads.wake()
    assert given_up.wait(BOUND) and len(uploads) == 1
