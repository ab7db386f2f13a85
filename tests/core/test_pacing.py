import itertools
import threading

from isaac_gui.core.pacing import DECREASE, RECOVER_AFTER_S, SAFETY, RateLimiter


class FakeTime:
    """A clock that only moves when someone waits on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sends: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        self.now += seconds
        return False


def limiter(rpm, t: FakeTime) -> RateLimiter:
    return RateLimiter(rpm, clock=t.clock, wait=t.wait)


def send(lim: RateLimiter, t: FakeTime, n: int) -> list[float]:
    cancel = threading.Event()
    for _ in range(n):
        assert lim.acquire(cancel)
        t.sends.append(t.now)
    return t.sends


def test_requests_are_spaced_just_under_the_limit():
    t = FakeTime()
    sends = send(limiter(300, t), t, 301)
    span = sends[-1] - sends[0]
    assert span >= 60.0  # 301 requests never fit in one minute
    assert abs(span - 300 * 60 / (300 * SAFETY)) < 1e-6
    window = [s for s in sends if s < sends[0] + 60]
    assert 285 <= len(window) <= 295  # 95–98% of the limit, never over it


def test_no_limit_means_no_waiting():
    t = FakeTime()
    sends = send(limiter(None, t), t, 100)
    assert sends[-1] == sends[0]


def test_a_429_holds_everyone_for_retry_after_and_slows_down_once_per_burst():
    t = FakeTime()
    lim = limiter(300, t)
    send(lim, t, 1)
    before = lim.current_rpm
    assert lim.on_rate_limited(7) == 7
    lim.on_rate_limited(7)  # the rest of the same burst does not cut again
    assert lim.current_rpm == before * DECREASE
    start = t.now
    send(lim, t, 1)
    assert t.sends[-1] >= start + 7
    assert lim.rate_limited == 2


def test_missing_retry_after_still_holds():
    t = FakeTime()
    lim = limiter(None, t)
    assert lim.on_rate_limited(None) > 0
    start = t.now
    send(lim, t, 1)
    assert t.sends[-1] > start


def test_rate_recovers_after_quiet_stretches():
    t = FakeTime()
    lim = limiter(300, t)
    lim.on_rate_limited(1)
    assert lim.current_rpm < 300 * SAFETY
    for _ in range(40):
        t.now += RECOVER_AFTER_S
        send(lim, t, 1)
    assert lim.current_rpm == 300 * SAFETY


def test_cancel_wakes_a_waiting_request():
    lim = RateLimiter(1)  # one request a minute, real time
    cancel = threading.Event()
    assert lim.acquire(cancel)
    result = []
    waiter = threading.Thread(target=lambda: result.append(lim.acquire(cancel)))
    waiter.start()
    cancel.set()
    waiter.join(5)
    assert not waiter.is_alive()
    assert result == [False]


def test_threads_share_one_schedule():
    t = FakeTime()
    lim = limiter(600, t)
    lock = threading.Lock()
    slots = []
    cancel = threading.Event()

    def take():
        slot, _gen = lim._reserve(t.clock())
        with lock:
            slots.append(slot)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    slots.sort()
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(slots)}
    assert gaps == {round(60 / (600 * SAFETY), 6)}
    assert not cancel.is_set()
