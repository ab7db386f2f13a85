"""What the benchmarks share: where generated photos live, and this process's memory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

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


def offscreen_window_app(prefix: str) -> tuple[Path, Any]:
    """The app offscreen in the light theme, with the user's settings, key and caches out of the way
    (everything under a new temporary folder, also for child processes): (that folder, the app)."""
    import tempfile  # noqa: PLC0415

    from isaac_gui.qt.shell.screenshots import isolate  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix=prefix))
    isolate(work)
    from isaac_gui.qt.shell.app import create_app  # noqa: PLC0415
    from isaac_gui.qt.style.theme import use_theme  # noqa: PLC0415

    app = create_app()
    app.setOrganizationName("isaac-gui-bench")
    use_theme("light")
    return work, app
