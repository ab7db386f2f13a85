"""Simulator lifecycle and bookkeeping: outages by stop()/start() on one port, concurrency, counters,
the rate limiter's window, latency, runtime updates."""

from __future__ import annotations

import contextlib
import random
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import perceptron
import pytest
from perceptron import errors

from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.server import Simulator, sample_latency
from isaac_gui.sim.stats import RateLimiter
from tests.sim.helpers import KEY, MODEL, ClientFactory, box_task, marked_image

pytestmark = pytest.mark.timeout(60)

TASK = box_task(marked_image([(1, (100, 100, 200, 200))]))


def test_stop_then_start_on_the_same_port(make_client: ClientFactory) -> None:
    sim = Simulator().start()
    try:
        port, url = sim.port, sim.base_url
        client = make_client(sim)
        assert client.generate(TASK, expects="box")["boxes"]  # leaves a keep-alive connection open
        start = time.monotonic()
        sim.stop()
        assert time.monotonic() - start < 2  # the idle keep-alive connection does not hold stop() up
        assert not sim.running
        with pytest.raises(errors.TransportError):
            client.generate(TASK, expects="box")
        sim.start()
        assert (sim.port, sim.base_url) == (port, url)
        assert client.generate(TASK, expects="box")["boxes"]
    finally:
        sim.stop()
    sim.stop()  # idempotent


def test_start_twice_is_an_error() -> None:
    with Simulator() as sim, pytest.raises(RuntimeError):
        sim.start()


def test_a_given_port_is_used() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with Simulator(port=free) as sim:
        assert sim.base_url == f"http://127.0.0.1:{free}/v1"


def test_64_concurrent_requests_are_served_concurrently() -> None:
    with Simulator(latency_median_s=0.2) as sim:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        http = httpx.Client(limits=limits, timeout=30)
        with (
            perceptron.Client(
                base_url=sim.base_url, api_key=KEY, model=MODEL, timeout=30, http_client=http
            ) as client,
            http,
        ):
            barrier = threading.Barrier(64)

            def call(_: int) -> int:
                barrier.wait(timeout=10)
                return len(client.generate(TASK, expects="box")["boxes"])

            start = time.monotonic()
            with ThreadPoolExecutor(max_workers=64) as pool:
                results = list(pool.map(call, range(64)))
            elapsed = time.monotonic() - start
        assert results == [1] * 64
        assert sim.stats.max_in_flight > 32
        assert elapsed < 64 * 0.2 / 4  # far from serial
        assert sim.stats.by_status == {200: 64}


def test_counters_and_records(client: perceptron.Client, sim: Simulator) -> None:
    sim.update(script=["503", "ok", "500"])
    before = time.monotonic()
    for _ in range(4):
        with contextlib.suppress(errors.ServerError):
            client.generate(TASK, expects="box")
    stats = sim.stats
    assert stats.total_requests == stats.finished_requests == 4
    assert stats.by_status == {503: 1, 200: 2, 500: 1}
    assert [status for _, status in stats.records] == [503, 200, 500, 200]
    arrivals = [arrived for arrived, _ in stats.records]
    assert arrivals == sorted(arrivals) and arrivals[0] >= before
    assert stats.in_flight == 0 and stats.max_in_flight == 1
    assert sim.script_remaining == []
    stats.reset()
    assert (stats.total_requests, stats.by_status, stats.records) == (0, {}, [])


def test_wait_for_requests_times_out_without_traffic(sim: Simulator) -> None:
    assert sim.stats.wait_for_requests(1, timeout=0.05) is False
    assert sim.stats.wait_for_requests(0, timeout=0.05) is True


def test_update_validates_and_applies_at_runtime(client: perceptron.Client, sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.update(p_500=0.7, p_503=0.7)
    with pytest.raises(TypeError):
        sim.update(no_such_setting=1)
    assert sim.config.p_500 == 0.0
    sim.update(quota_exhausted=True)
    with pytest.raises(errors.QuotaExceededError):
        client.generate(TASK, expects="box")
    sim.update(quota_exhausted=False, script=["out-of-range"])
    assert sim.config.script == ["out_of_range"]
    assert client.generate(TASK, expects="box")["boxes"][0].top_left.x > 1000


def test_latency_is_applied(make_client: ClientFactory) -> None:
    with Simulator(latency_median_s=0.15) as sim:
        client = make_client(sim)
        client.generate(TASK, expects="box")  # warm the connection
        start = time.monotonic()
        client.generate(TASK, expects="box")
        assert 0.15 <= time.monotonic() - start < 2


def test_latency_samples_are_never_negative_and_centred() -> None:
    rng = random.Random(0)
    around = [sample_latency(rng, 0.5, 0.2) for _ in range(4000)]
    assert min(around) > 0 and abs(statistics.median(around) - 0.5) < 0.03
    spread = [sample_latency(rng, 0.0, 0.1) for _ in range(4000)]
    assert min(spread) >= 0 and 0.03 < statistics.mean(spread) < 0.13
    assert sample_latency(rng, 0.3, 0.0) == 0.3


def test_rate_limiter_sliding_window() -> None:
    limiter = RateLimiter()
    assert [limiter.admit("k", 3, 60.0, now=t) for t in (0.0, 10.0, 20.0)] == [None, None, None]
    assert limiter.admit("k", 3, 60.0, now=30.0) == pytest.approx(30.0)  # the slot of t=0 frees at 60
    assert limiter.admit("other", 3, 60.0, now=30.0) is None
    assert limiter.admit("k", 3, 60.0, now=60.5) is None  # refused requests took no slot
    assert limiter.admit("k", 3, 60.0, now=61.0) == pytest.approx(9.0)
    assert limiter.admit("k", None, 60.0, now=61.0) is None


def test_retry_after_counts_down_to_the_free_slot(make_client: ClientFactory) -> None:
    with Simulator(rpm_limit=1, rate_window_s=30) as sim:
        client = make_client(sim)
        client.generate(TASK, expects="box")
        with pytest.raises(errors.RateLimitError) as info:
            client.generate(TASK, expects="box")
        assert info.value.retry_after in (29.0, 30.0)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(script=["explode"])
    with pytest.raises(ValueError):
        SimulatorConfig(p_drop=1.5)
    with pytest.raises(ValueError):
        SimulatorConfig(rpm_limit=0)
    assert SimulatorConfig(fail_each_image_fault="out-of-range").fail_each_image_fault == "out_of_range"
