"""Which failures deserve another try, how long to wait, and when to give up.

| failure | what we do |
| --- | --- |
| 429 | hold every request for Retry-After (the limiter), retry; does not use up the image's tries |
| 429 insufficient_quota, 401, 403, 404, missing key | stop the run with one sentence (`FatalError`) |
| 5xx, non-JSON answers, broken box markup, timeouts, resets | retry with exponential backoff and full jitter |
| other 4xx | this image's error (413 is avoided up front by `images.MAX_ENCODED_BYTES`) |

Every sleep is `cancel.wait`, so cancelling ends a backoff at once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import tenacity
from perceptron import errors as sdk

from isaac_gui.core.run_config import RetryPolicy


class FatalError(Exception):
    """The service refused the whole run (key, quota, model): stop, say why, say what fixes it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class CancelledError(Exception):
    """The user cancelled while this image waited or backed off."""


def fatal_from(exc: BaseException, model: str) -> FatalError | None:
    """The run-stopping meaning of an SDK error, or None when it only concerns one request."""
    if isinstance(exc, sdk.QuotaExceededError):
        return FatalError(
            "quota",
            "The API key's quota is used up (429 insufficient_quota): add credits, then run again to continue.",
        )
    if isinstance(exc, sdk.PermissionDeniedError):
        return FatalError(
            "forbidden", f"This API key may not use the model {model!r} (403): choose another model or key."
        )
    if isinstance(exc, sdk.AuthError):
        if getattr(exc, "code", None) == sdk.CREDENTIALS_MISSING:
            return FatalError("no_key", "No API key: set PERCEPTRON_API_KEY or save one in Settings.")
        return FatalError(
            "auth", "The API refused the key (401): check PERCEPTRON_API_KEY or the key saved in Settings."
        )
    if isinstance(exc, sdk.NotFoundError):
        return FatalError(
            "not_found", f"The API has no model {model!r} or endpoint at this address (404): check both."
        )
    return None


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, sdk.RateLimitError | sdk.ServerError | sdk.TimeoutError | sdk.TransportError) and (
        not isinstance(exc, sdk.QuotaExceededError)
    )


def describe(exc: BaseException) -> str:
    """A short, human account of a request failure."""
    status = getattr(exc, "status_code", None)
    text = str(exc) or type(exc).__name__
    if isinstance(exc, sdk.TimeoutError):
        return f"timed out ({text})"
    if isinstance(exc, sdk.TransportError):
        return f"connection failed ({text})"
    return f"{status} {text}" if status else text


class Attempts:
    """Counts of one image's tries, shared between the stop and wait rules."""

    def __init__(self) -> None:
        self.total = 0
        self.rate_limited = 0
        self.failures = 0  # transient failures other than 429
        self.outage = 0  # failures while the service was unreachable (see `in_outage`)


def call_with_retries[T](
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    cancel: threading.Event,
    attempts: Attempts,
    on_rate_limited: Callable[[float | None], float],
    on_retry: Callable[[BaseException, float], None] | None = None,
    rng: random.Random | None = None,
    in_outage: Callable[[BaseException], bool] | None = None,
) -> T:
    """Run `attempt` until it succeeds, fails for good, or the user cancels.

    Raises the last error when the tries are used up or the error is not transient, and
    `CancelledError` when `cancel` is set. A failure for which `in_outage` says the whole service
    is unreachable (not this image's fault) does not use up the image's tries; it only lengthens
    the backoff, so a network outage holds the run instead of failing every photo.
    """
    jitter = rng or random.Random()

    def stop(state: tenacity.RetryCallState) -> bool:
        return (
            cancel.is_set()
            or attempts.failures >= policy.max_attempts
            or attempts.rate_limited > policy.max_rate_limited
        )

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, sdk.RateLimitError):
            # The limiter already holds every request until Retry-After; jitter spreads the restart.
            return jitter.uniform(0, policy.rate_limit_jitter_s)
        retry_after = getattr(exc, "retry_after", None)
        tries = attempts.failures + attempts.outage
        ceiling = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** max(tries - 1, 0))
        backoff = jitter.uniform(0, ceiling)
        return max(backoff, retry_after) if retry_after else backoff

    def one_attempt() -> T:
        if cancel.is_set():
            raise CancelledError()
        attempts.total += 1
        try:
            return attempt()
        except sdk.RateLimitError as exc:
            if isinstance(exc, sdk.QuotaExceededError):
                raise
            attempts.rate_limited += 1
            on_rate_limited(exc.retry_after)
            raise
        except BaseException as exc:
            if is_transient(exc):
                if in_outage is not None and in_outage(exc):
                    attempts.outage += 1
                else:
                    attempts.failures += 1
            raise

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is not None and exc is not None and state.next_action is not None:
            on_retry(exc, state.next_action.sleep)

    def sleep(seconds: float) -> None:
        cancel.wait(seconds)  # returns at once when the user cancels

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=stop,
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(one_attempt)
    except BaseException as exc:
        if cancel.is_set() and is_transient(exc):
            raise CancelledError() from exc
        raise
