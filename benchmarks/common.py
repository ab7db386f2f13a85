"""What the benchmarks share: where generated photos live, and this process's memory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from isaac_gui.sim.samples import generate_samples

OUT = Path(__file__).resolve().parent.parent / "bench-out"
CLASSES = ("scratch", "dent", "missing screw")
_STATUS = Path("/proc/self/status")


def sample_photos(name: str, count: int, *, seed: int, size: tuple[int, int]) -> Path:
    """`count` distinct generated photos in bench-out/`name`, made on the first call only."""
    folder = OUT / name
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {count:,} distinct {size[0]}x{size[1]} photos in {folder} (once) ...", flush=True)
        generate_samples(folder, count, CLASSES, seed=seed, size=size, workers=2)
        (folder / ".complete").touch()
    return folder


def proc_status(field: str) -> int:
    """A `VmXXX:` field of /proc/self/status in bytes; 0 on systems without /proc."""
    if not _STATUS.exists():
        return 0
    with _STATUS.open() as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def rss_mb() -> float:
    """This process's resident memory now, MB."""
    return proc_status("VmRSS") / 2**20


def reset_peak_memory() -> bool:
    """Reset VmHWM to the current RSS (Linux); False, with a note, when the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError as exc:
        print(
            f"note: the peak-memory mark cannot be reset ({exc}); peaks include earlier phases",
            file=sys.stderr,
        )
        return False
    return True
