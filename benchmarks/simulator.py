"""The simulator in a child process, as the benchmarks use it: the real API runs elsewhere, so its
CPU must not share our GIL (and, niced, should yield the cores to the process measured)."""

from __future__ import annotations

import os
import subprocess
import sys


class SimulatorProcess:
    """`python -m isaac_gui.sim` on a free loopback port; `base_url` once it listens."""

    def __init__(self, *args: str, nice: int = 0) -> None:
        command = [sys.executable, "-m", "isaac_gui.sim", "--port", "0", "--seed", "1", *args]
        if nice:
            command = ["nice", "-n", str(nice), *command]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        self.base_url = line.strip().rsplit(" ", 1)[-1]
        if not self.base_url.startswith("http"):
            self.close()
            raise RuntimeError(f"the simulator did not start: {line!r}")

    def cpu_s(self) -> float:
        """CPU seconds the simulator has used so far (user + system)."""
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
