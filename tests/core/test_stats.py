import pytest

from isaac_gui.core.stats import RunStats, format_duration, format_ms


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_percentiles_over_the_whole_run_are_exact():
    clock = Clock()
    stats = RunStats(clock=clock)
    for ms in range(1, 101):
        stats.request_answered(ms / 1000)
    snap = stats.snapshot()
    assert snap.p50_ms == pytest.approx(50.5)
    assert snap.p90_ms == pytest.approx(90.1)
    assert snap.p99_ms == pytest.approx(99.01)


def test_one_bucket_per_second_within_the_window():
    clock = Clock()
    stats = RunStats(clock=clock, window_s=10)
    for second in range(15):
        clock.t = second + 0.5
        stats.request_answered(0.1 * (second + 1))
        stats.request_answered(0.1 * (second + 1))
    rows = stats.buckets()
    assert [r.second for r in rows] == list(range(4, 15))
    assert rows[-1].count == 2 and rows[-1].p50 == pytest.approx(1500)
    assert [r.second for r in stats.buckets(since_second=12)] == [13, 14]


def test_throughput_eta_and_counters():
    clock = Clock()
    stats = RunStats(clock=clock, rate_window_s=60)
    stats.set_total(100)
    stats.image_skipped()
    for i in range(30):
        clock.t = (i + 1) * 1.0
        stats.image_finished(ok=i % 10 != 0)
    stats.retried(rate_limited=True)
    stats.retried(rate_limited=False)
    snap = stats.snapshot()
    assert (snap.done, snap.ok, snap.errors, snap.skipped, snap.finished) == (30, 27, 3, 1, 31)
    assert snap.images_per_hour == pytest.approx(3600)  # one a second
    assert snap.eta_s == pytest.approx(69)
    assert (snap.retries, snap.rate_limited) == (2, 1)


def test_empty_run_has_no_percentiles_or_eta():
    snap = RunStats(clock=Clock()).snapshot()
    assert snap.p50_ms is None and snap.eta_s is None and snap.images_per_hour == 0


def test_formatting():
    assert format_duration(None) == "--:--"
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_ms(412.3) == "412 ms"
    assert format_ms(1234) == "1.23 s"
    assert format_ms(None) == "–"
