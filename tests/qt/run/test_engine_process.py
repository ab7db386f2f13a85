"""The engine's own process: a standby that is not needed, a run that loses its process half way,
the window's process going away under a run, and a command the engine does not know."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from isaac_gui.core.events import PhotoFinished, RunFinished
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.settings import AppSettings, S3Settings
from isaac_gui.qt.photos.model import PhotoState
from isaac_gui.qt.run import engine_process
from isaac_gui.qt.run.controller import RunState
from isaac_gui.qt.run.engine_process import EngineProcess, live_engines
from isaac_gui.qt.run.protocol import EventBatch, StartRun
from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.server import Simulator
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import close_controller, make_controller, run_controller


def test_a_standby_that_is_not_needed_exits_cleanly() -> None:
    engine = EngineProcess()
    assert engine in live_engines()
    assert engine.finish(timeout=60) == 0
    assert engine not in live_engines()


def test_the_window_going_away_cancels_the_run_and_keeps_what_is_done(
    sample_photos: Any, tmp_path: Path
) -> None:
    """The end of the process's input (the window's process is gone) cancels the run: it still
    reports its end, and every photo it reported done is in the output."""
    folder, _truth = sample_photos
    with Simulator(SimulatorConfig(seed=5, latency_median_s=0.2)) as sim:
        engine = EngineProcess()
        start = StartRun(
            (folder,),
            tmp_path / "out",
            RunSettings(classes=SAMPLE_CLASSES, concurrency=2, rpm=None),
            Connection(base_url=str(sim.base_url), api_key="test"),
            S3Settings(),
        )
        assert engine.send(start)
        done: list[str] = []
        events: list[Any] = []
        while isinstance(message := engine.receive(), EventBatch):
            events += message.reports
            done += [e.rel for e in message.reports if isinstance(e, PhotoFinished)]
            if len(done) >= 3:
                engine.close_input()
        assert engine.finish(timeout=30) == 0
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert [e.outcome for e in finished] == ["cancelled"]
    assert 3 <= len(done) < 24
    saved = _results(tmp_path / "out")
    assert set(done) <= set(saved)


def test_a_run_whose_process_dies_says_so_and_the_next_run_finishes_without_duplicates(
    qtbot: Any, sample_photos: Any, tmp_path: Path
) -> None:
    folder, truth = sample_photos
    out = tmp_path / "out"
    with Simulator(SimulatorConfig(seed=5, latency_median_s=0.2)) as sim:
        bridge, controller = make_controller(AppSettings(base_url=str(sim.base_url), rpm=0, concurrency=2))
        ok: set[str] = set()
        bridge.photosUpdated.connect(
            lambda updates: ok.update(u.rel for u in updates if u.state is PhotoState.OK)
        )
        with qtbot.waitSignal(controller.runFinished, timeout=60_000) as finished:
            controller.start([folder], out, SAMPLE_CLASSES)
            qtbot.waitUntil(lambda: len(ok) >= 3, timeout=30_000)
            (engine,) = live_engines()
            os.kill(engine.pid, signal.SIGKILL)
        outcome, message = finished.args
        assert outcome == "stopped" and "engine stopped unexpectedly" in message
        qtbot.waitUntil(lambda: controller.state is RunState.IDLE, timeout=30_000)
        assert len(ok) < len(truth)

        assert run_controller(qtbot, controller, folder, out)[0] == "completed"
        close_controller(bridge, controller)
    saved = _results(out)
    assert len(saved) == len(set(saved)) == len(truth)


def test_a_standby_is_kept_ready_for_the_next_run_and_ended_at_shutdown(
    qtbot: Any, sample_photos: Any, simulator: Any, tmp_path: Path
) -> None:
    folder, _truth = sample_photos
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0))
    controller.keep_engine_ready()
    (standby,) = live_engines()
    assert run_controller(qtbot, controller, folder, tmp_path / "out")[0] == "completed"
    (next_one,) = live_engines()  # the run used the standby; a new one waits for the next run
    assert next_one is not standby and standby.reaped
    close_controller(bridge, controller)
    assert not live_engines()


def test_a_standby_that_died_while_waiting_is_replaced_when_run_is_pressed(
    qtbot: Any, sample_photos: Any, simulator: Any, tmp_path: Path
) -> None:
    folder, _truth = sample_photos
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0))
    controller.keep_engine_ready()
    (standby,) = live_engines()
    os.kill(standby.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not standby.alive, timeout=10_000)
    assert run_controller(qtbot, controller, folder, tmp_path / "out")[0] == "completed"
    close_controller(bridge, controller)


def test_an_engine_that_cannot_be_started_stops_the_run_in_words(
    qtbot: Any, sample_photos: Any, simulator: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    folder, _truth = sample_photos
    monkeypatch.setattr(engine_process, "engine_command", lambda: [str(tmp_path / "no-such-program")])
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0))
    controller.keep_engine_ready()  # cannot: says so in the log, and the run tries again
    assert live_engines() == []
    outcome, message = run_controller(qtbot, controller, folder, tmp_path / "out")
    assert outcome == "stopped" and message.startswith("The engine could not be started")
    close_controller(bridge, controller)


def _results(out: Path) -> list[str]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line)["image"] for line in lines]
