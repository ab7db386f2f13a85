"""Fixtures for end-to-end engine tests: the loopback simulator and a runner driven to completion."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from isaac_gui.core.engine.runner import Runner
from isaac_gui.core.events import Event, PhotoFinished, PhotoRetrying, RunFinished
from isaac_gui.core.run_config import Connection, RetryPolicy, RunSettings
from isaac_gui.sim.server import Simulator

FAST_RETRIES = RetryPolicy(max_attempts=6, backoff_base_s=0.02, backoff_max_s=0.1, rate_limit_jitter_s=0.01)


@pytest.fixture
def sim():
    with Simulator(seed=1) as simulator:
        yield simulator


@dataclass
class Outcome:
    runner: Runner
    events: list[Event] = field(default_factory=list)

    @property
    def finished(self) -> list[PhotoFinished]:
        return [e for e in self.events if isinstance(e, PhotoFinished)]

    @property
    def retries(self) -> list[PhotoRetrying]:
        return [e for e in self.events if isinstance(e, PhotoRetrying)]

    @property
    def end(self) -> RunFinished:
        (end,) = [e for e in self.events if isinstance(e, RunFinished)]
        return end

    def records(self) -> dict[str, dict[str, Any]]:
        lines = (self.runner.out_dir / "results.jsonl").read_text().splitlines()
        return {r["image"]: r for r in map(json.loads, lines)}


def start_run(
    folder: Path,
    out: Path,
    classes: tuple[str, ...],
    sim: Simulator,
    *,
    key: str = "test-key",
    on_event: Any = None,
    turns: Any = None,
    **settings: Any,
) -> tuple[Outcome, ThreadPoolExecutor]:
    settings.setdefault("policy", FAST_RETRIES)
    settings.setdefault("rpm", None)
    run_settings = RunSettings(classes=classes, **settings)
    connection = Connection(base_url=sim.base_url, api_key=key, model="isaac-0.1", timeout_s=5.0)
    pool = ThreadPoolExecutor(max_workers=run_settings.jobs)
    lock = threading.Lock()
    events: list[Event] = []

    def listener(event: Event) -> None:
        with lock:
            events.append(event)
        if on_event is not None:
            on_event(event)

    extra = {"turns": turns} if turns is not None else {}
    runner = Runner(
        folder, out, run_settings, executor=pool, listener=listener, connection=connection, **extra
    )
    outcome = Outcome(runner, events)
    runner.start()
    return outcome, pool


def run_to_end(folder: Path, out: Path, classes: tuple[str, ...], sim: Simulator, **settings: Any) -> Outcome:
    outcome, pool = start_run(folder, out, classes, sim, **settings)
    try:
        assert outcome.runner.wait(90), "the run did not finish"
    finally:
        pool.shutdown(wait=True)
    return outcome
