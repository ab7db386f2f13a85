import random
import threading

import pytest
from perceptron import errors as sdk

from isaac_gui.core.retry import (
    Attempts,
    CancelledError,
    call_with_retries,
    fatal_from,
    is_transient,
)
from isaac_gui.core.run_config import RetryPolicy

FAST = RetryPolicy(
    max_attempts=4, max_rate_limited=5, backoff_base_s=0.0, backoff_max_s=0.0, rate_limit_jitter_s=0.0
)


def scripted(*outcomes):
    """An attempt that raises or returns the given outcomes in order."""
    queue = list(outcomes)

    def attempt():
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    return attempt


def run(attempt, policy=FAST, cancel=None, holds=None, retries=None):
    attempts = Attempts()
    result = call_with_retries(
        attempt,
        policy=policy,
        cancel=cancel or threading.Event(),
        attempts=attempts,
        on_rate_limited=lambda ra: (holds.append(ra) if holds is not None else None) or 0.0,
        on_retry=(lambda exc, delay: retries.append((type(exc).__name__, delay)))
        if retries is not None
        else None,
        rng=random.Random(1),
    )
    return result, attempts


@pytest.mark.parametrize(
    "exc",
    [
        sdk.ServerError("boom", status_code=500),
        sdk.ServerError("busy", status_code=503, retry_after=0.0),
        sdk.TimeoutError("slow"),
        sdk.TransportError("reset"),
        sdk.RateLimitError("slow down", retry_after=0.0),
    ],
)
def test_transient_errors_are_retried_until_success(exc):
    retries = []
    result, attempts = run(scripted(exc, exc, "ok"), retries=retries)
    assert result == "ok"
    assert attempts.total == 3
    assert len(retries) == 2


def test_429_does_not_use_up_the_images_tries_and_tells_the_limiter():
    holds = []
    limited = sdk.RateLimitError("slow down", retry_after=3.0)
    result, attempts = run(scripted(*[limited] * 5, "ok"), holds=holds)
    assert result == "ok"
    assert attempts.rate_limited == 5 and attempts.failures == 0
    assert holds == [3.0] * 5


def test_tries_are_capped_and_the_last_error_is_raised():
    boom = sdk.ServerError("boom", status_code=500)
    with pytest.raises(sdk.ServerError):
        run(scripted(*[boom] * 10))


def test_a_429_storm_is_capped_too():
    limited = sdk.RateLimitError("slow down", retry_after=0.0)
    with pytest.raises(sdk.RateLimitError):
        run(scripted(*[limited] * 10))


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (sdk.QuotaExceededError("no credits"), "quota"),
        (sdk.AuthError("bad key", status_code=401), "auth"),
        (sdk.AuthError("no key", code=sdk.CREDENTIALS_MISSING), "no_key"),
        (sdk.PermissionDeniedError("forbidden", status_code=403), "forbidden"),
        (sdk.NotFoundError("no such model", status_code=404), "not_found"),
    ],
)
def test_run_stopping_errors_are_not_retried_and_say_what_to_do(exc, kind):
    calls = []

    def attempt():
        calls.append(1)
        raise exc

    with pytest.raises(type(exc)):
        run(attempt)
    assert len(calls) == 1
    fatal = fatal_from(exc, "isaac-0.1")
    assert fatal is not None and fatal.kind == kind
    assert fatal.message.endswith(".") and len(fatal.message) < 160
    # Shown by the command line and the window alike: no flag, since keys never come on the command line.
    assert "--" not in fatal.message


def test_bad_request_is_the_images_own_error():
    exc = sdk.BadRequestError("too large", status_code=413)
    assert not is_transient(exc)
    assert fatal_from(exc, "m") is None
    with pytest.raises(sdk.BadRequestError):
        run(scripted(exc))


def test_503_waits_at_least_its_retry_after():
    retries = []
    policy = RetryPolicy(max_attempts=3, backoff_base_s=0.0, backoff_max_s=0.0)
    waits = []

    class RecordingEvent(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return False

    busy = sdk.ServerError("busy", status_code=503, retry_after=2.5)
    run(scripted(busy, "ok"), policy=policy, cancel=RecordingEvent(), retries=retries)
    assert waits == [2.5]


def test_backoff_grows_exponentially_with_full_jitter():
    policy = RetryPolicy(max_attempts=6, backoff_base_s=1.0, backoff_max_s=8.0)
    waits = []

    class RecordingEvent(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return False

    boom = sdk.ServerError("boom", status_code=500)
    run(scripted(boom, boom, boom, boom, boom, "ok"), policy=policy, cancel=RecordingEvent())
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(waits) == 5
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == 5  # jittered, not a fixed schedule


def test_cancel_wakes_a_sleeping_retry_at_once():
    cancel = threading.Event()
    policy = RetryPolicy(max_attempts=5, backoff_base_s=3600.0, backoff_max_s=3600.0)
    boom = sdk.ServerError("boom", status_code=500)
    started = threading.Event()
    outcome = []

    def attempt():
        started.set()
        raise boom

    def target():
        try:
            run(attempt, policy=policy, cancel=cancel)
        except CancelledError:
            outcome.append("cancelled")

    worker = threading.Thread(target=target)
    worker.start()
    assert started.wait(5)
    cancel.set()
    worker.join(5)
    assert not worker.is_alive()
    assert outcome == ["cancelled"]


def test_failures_during_an_outage_do_not_use_up_the_tries():
    down = sdk.TransportError("connection refused")
    attempts = Attempts()
    result = call_with_retries(
        scripted(*[down] * 10, "ok"),
        policy=FAST,
        cancel=threading.Event(),
        attempts=attempts,
        on_rate_limited=lambda ra: 0.0,
        rng=random.Random(1),
        in_outage=lambda exc: isinstance(exc, sdk.TransportError),
    )
    assert result == "ok"
    assert (attempts.failures, attempts.outage) == (0, 10)
