"""The engine, the simulator and the command line must work where Qt is not installed."""

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import isaac_gui.core, isaac_gui.sim
for pkg in (isaac_gui.core, isaac_gui.sim):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
import isaac_gui.cli
isaac_gui.cli.build_parser()
qt = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "pyqtgraph", "superqt", "qtpy", "shiboken6"})
print(",".join(qt))
"""


def test_core_sim_and_cli_import_no_qt():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""
