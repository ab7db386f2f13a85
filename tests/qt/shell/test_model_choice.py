"""$PERCEPTRON_MODEL reaches every front end alike: the window keys its results with the model the
engine really asks, and the command line asks the same one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, AppSettings
from isaac_gui.sim.config import SimulatorConfig
from isaac_gui.sim.server import Simulator
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import make_window, run_to_end, wait_loaded

MODEL = "isaac-0.2-1b"


def test_the_window_the_engine_and_the_command_line_agree_on_the_model_from_the_environment(
    qtbot: Any, sample_photos: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any
) -> None:
    folder, truth = sample_photos
    monkeypatch.setenv("PERCEPTRON_MODEL", MODEL)
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "test-key")
    # Any other model is a 404: a run that asked the default would stop instead of completing.
    with Simulator(SimulatorConfig(seed=5, allowed_models=frozenset({MODEL}))) as sim:
        window = make_window(qtbot, AppSettings(base_url=sim.base_url, rpm=0, concurrency=4))
        assert window.open_paths([folder])
        wait_loaded(qtbot, window, len(truth))
        window.run_bar.classes.set_classes(SAMPLE_CLASSES)
        assert run_to_end(qtbot, window) == "completed"
        assert window.results_key == (SAMPLE_CLASSES, MODEL)
        window_records = _records(window.out_dir)
        assert len(window_records) == len(truth)
        assert {r["model"] for r in window_records} == {MODEL}

        # Reopened, the journal's model is the one the next run would ask: the results stay.
        assert window.open_paths([folder])
        wait_loaded(qtbot, window, len(truth))
        qtbot.waitUntil(lambda: window.results_key is not None, timeout=10_000)
        assert window.results_key == (SAMPLE_CLASSES, MODEL)
        assert window.model.counts.done == len(truth)

        cli_out = tmp_path / "cli-out"
        command = ["run", str(folder), "--classes", ", ".join(SAMPLE_CLASSES), "--out", str(cli_out)]
        proc = subprocess.run(
            [sys.executable, "-m", "isaac_gui.cli", *command],
            env={
                **os.environ,
                "PERCEPTRON_BASE_URL": sim.base_url,
                "PERCEPTRON_API_KEY": "test-key",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    assert {r["model"] for r in _records(cli_out)} == {MODEL}
    assert len(_records(cli_out)) == len(truth)


def _records(out: Path | None) -> list[dict[str, Any]]:
    assert out is not None
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
