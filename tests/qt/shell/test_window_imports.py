"""The window's process loads no engine: the SDK, httpx, tenacity and boto3 load only in the
engine's own process (about a second of the window's start-up, and memory it would never use)."""

import os
import subprocess
import sys

ENGINE_ONLY = ("perceptron", "httpx", "tenacity", "boto3", "botocore")
CHECK = f"""
import sys
from isaac_gui.qt.shell.app import create_app
from isaac_gui.qt.shell.main_window import MainWindow
from isaac_gui.core.settings import AppSettings
app = create_app()
window = MainWindow(AppSettings())
window.show()
app.processEvents()
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({ENGINE_ONLY!r}))))
window.shutdown()
"""


def test_the_window_process_imports_no_engine_package(isolated_dirs: object) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True, env=env
    )
    assert out.stdout.strip() == "", f"the window imported {out.stdout.strip()}"
