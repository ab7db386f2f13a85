"""Smoke test of a built app: the headless command, a demo run through the bundled SDK and
simulator, the window opening offscreen, and the window's engine process running a run.

    python packaging/smoke_test.py dist/isaac-gui/isaac-gui
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from isaac_gui.core.settings import isolated_environment


def check(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    began = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    print(
        f"  {' '.join(args[1:]) or '(no args)'}: exit {proc.returncode} in {time.perf_counter() - began:.1f} s"
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
        raise SystemExit(f"smoke test failed: {args}")
    return proc


def check_engine(app: str, work: Path, timeout: float = 120) -> None:
    """The frozen app's `_engine` process runs a 4-photo run against a simulator in this process."""
    from isaac_gui.core.events import PhotoFinished, RunFinished  # noqa: PLC0415
    from isaac_gui.core.run_config import Connection, RunSettings  # noqa: PLC0415
    from isaac_gui.core.settings import S3Settings  # noqa: PLC0415
    from isaac_gui.qt.run.engine_process import EngineProcess  # noqa: PLC0415
    from isaac_gui.qt.run.protocol import EventBatch, StartRun  # noqa: PLC0415
    from isaac_gui.sim.config import SimulatorConfig  # noqa: PLC0415
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415
    from isaac_gui.sim.server import Simulator  # noqa: PLC0415

    began = time.perf_counter()
    classes = ("scratch", "dent")
    generate_samples(work / "engine-photos", 4, classes, seed=3, size=(640, 480))
    out = work / "engine-out"
    with Simulator(SimulatorConfig(host="127.0.0.1", seed=5)) as sim:
        engine = EngineProcess(command=[app, "_engine"])
        deadline = threading.Timer(timeout, engine.kill)  # a hung engine ends the loop below
        deadline.start()
        try:
            assert engine.send(
                StartRun(
                    (work / "engine-photos",),
                    out,
                    RunSettings(classes=classes, concurrency=2, rpm=None),
                    Connection(base_url=sim.base_url, api_key="x"),
                    S3Settings(),
                )
            )
            events = []
            while isinstance(message := engine.receive(), EventBatch):
                events += message.reports
            code = engine.finish(timeout=30)
        finally:
            deadline.cancel()
    print(f"  _engine (run of 4 photos): exit {code} in {time.perf_counter() - began:.1f} s")
    outcomes = [e.outcome for e in events if isinstance(e, RunFinished)]
    photos = [e for e in events if isinstance(e, PhotoFinished)]
    assert outcomes == ["completed"] and len(photos) == 4 and code == 0, (outcomes, len(photos), code)
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(results) == 4 and all(r["status"] == "ok" for r in results), results


def main() -> int:
    app = str(Path(sys.argv[1]).resolve())
    work = Path(tempfile.mkdtemp(prefix="isaac-smoke-"))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        **isolated_environment(work),  # the window's QSettings too, never the user's
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PERCEPTRON_API_KEY": "smoke",
    }
    print(f"smoke test of {app}")
    help_text = check([app, "--help"], env).stdout
    assert "run" in help_text and "export" in help_text, help_text
    check([app, "demo", "--count", "4", "--out", str(work / "demo")], env)
    results = [
        json.loads(line) for line in (work / "demo" / "results" / "results.jsonl").read_text().splitlines()
    ]
    assert len(results) == 4 and all(r["status"] == "ok" for r in results), results
    check([app, "gui", "--quit-after", "2", str(work / "demo" / "photos")], env)
    os.environ.update(env)  # EngineProcess passes this process's environment on
    check_engine(app, work)
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
