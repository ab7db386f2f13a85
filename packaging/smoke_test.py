"""Smoke test of a built app: the headless command, a demo run through the bundled SDK and
simulator, and the window opening offscreen.

    python packaging/smoke_test.py dist/isaac-gui/isaac-gui
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


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


def main() -> int:
    app = str(Path(sys.argv[1]).resolve())
    work = Path(tempfile.mkdtemp(prefix="isaac-smoke-"))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "ISAAC_GUI_CONFIG_DIR": str(work / "config"),
        "ISAAC_GUI_CACHE_DIR": str(work / "cache"),
        "ISAAC_GUI_DATA_DIR": str(work / "data"),
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
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
