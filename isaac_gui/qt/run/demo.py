"""The demo's sample photos: generated once into the cache folder, then reused."""

from __future__ import annotations

from pathlib import Path

from isaac_gui.core.settings import cache_dir

DEMO_CLASSES = ("scratch", "dent", "missing screw")
DEMO_COUNT = 48


def make_demo_photos(folder: Path | None = None, count: int = DEMO_COUNT) -> Path:
    """The demo's sample photos (generated once, then reused). Runs on a worker thread."""
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415

    folder = folder or cache_dir() / "demo" / "sample-photos"
    done = folder / ".complete"
    if not done.exists():
        generate_samples(folder, count, DEMO_CLASSES, seed=7, size=(1600, 1200), workers=2)
        done.write_text("ok\n", encoding="utf-8")
    return folder
