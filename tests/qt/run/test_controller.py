"""The run controller on its own: a run over the bridge, demo mode, a clean shutdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.run.controller import RunState, fixing_action
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import make_controller


def test_demo_mode_runs_against_the_in_process_simulator(
    qtbot: Any, sample_photos: Any, tmp_path: Path
) -> None:
    folder, truth = sample_photos
    bridge, controller = make_controller(AppSettings(rpm=0), key=None)
    simulated: list[bool] = []
    controller.simulatedChanged.connect(simulated.append)
    url = controller.start_demo(latency_median_s=0.0, latency_jitter_s=0.0, p_503=0.0)
    assert url.startswith("http://127.0.0.1:") and controller.simulated
    buckets: list[Any] = []
    controller.bucketsReady.connect(buckets.extend)
    states: list[str] = []
    controller.stateChanged.connect(states.append)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000) as finished:
        controller.start([folder], tmp_path / "out", SAMPLE_CLASSES)
    qtbot.waitUntil(lambda: controller.state is RunState.IDLE, timeout=30_000)
    assert finished.args[0] == "completed"
    assert states == ["running", "idle"]
    assert sum(b.count for b in buckets) == len(truth)
    assert controller.shutdown(timeout=10)
    assert simulated == [True, False] and not controller.simulated
    bridge.close()


def test_cancel_before_the_runner_exists_still_ends_cleanly(
    qtbot: Any, sample_photos: Any, simulator: Any, tmp_path: Path
) -> None:
    folder, _truth = sample_photos
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0), key=None)
    with qtbot.waitSignal(controller.runFinished, timeout=30_000) as finished:
        controller.start([folder], tmp_path / "out", SAMPLE_CLASSES)
        controller.cancel()
    assert controller.state is RunState.STOPPING or finished.args[0] == "cancelled"
    qtbot.waitUntil(lambda: controller.state is RunState.IDLE, timeout=30_000)
    assert finished.args[0] == "cancelled"
    assert controller.shutdown(timeout=10)
    bridge.close()


def test_an_output_folder_that_cannot_be_created_stops_in_words(
    qtbot: Any, sample_photos: Any, simulator: Any, tmp_path: Path
) -> None:
    folder, _truth = sample_photos
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0), key=None)
    with qtbot.waitSignal(controller.runFinished, timeout=30_000) as finished:
        controller.start([folder], blocker / "out", SAMPLE_CLASSES)
    assert finished.args[0] == "stopped" and "could not start" in finished.args[1]
    qtbot.waitUntil(lambda: controller.state is RunState.IDLE, timeout=30_000)
    controller.shutdown()
    bridge.close()


def test_fixing_actions() -> None:
    assert fixing_action("auth")[0] == "settings"
    assert fixing_action("quota")[0] == "retry"
    assert fixing_action("forbidden")[1] == "Open Settings"
