"""How fast the annotated export runs on 12-megapixel photos, against bare decode + encode.

    ./dev run python -m benchmarks.bench_export            # 200 photos of 4000 x 3000
    ./dev run python -m benchmarks.bench_export --count 8  # a quick smoke run

Generates distinct JPEGs (one smooth noisy base, shifted and tinted per photo, encoded in child
processes so the measuring process stays lean), then, timed: the annotated export at full
resolution (`export_records`, JPEG) and, as the baseline, the same photos read, decoded upright,
encoded and written by the same number of threads without drawing or staging. The ratio is export
rate / baseline rate: 1.0 means drawing, staging and the swap cost nothing. Peak memory is the
process's resident set: its high-water mark (VmHWM, reset before each phase through
/proc/self/clear_refs where Linux allows it) and a 20 ms sampler, against the RSS before the phase.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

from benchmarks.common import proc_status, reset_peak_memory
from isaac_gui.core.exporters import export_records
from isaac_gui.core.exporters.annotated import WORKERS
from isaac_gui.core.images import decode_upright, encode_jpeg

WIDTH, HEIGHT = 4000, 3000
CLASSES = ["scratch", "dent", "crack"]


@functools.cache
def _make_base() -> np.ndarray:
    """A photo-like frame: smooth colour fields plus sensor-like noise (encodes to ~2.7 MB at q90)."""
    rng = np.random.default_rng(7)
    low = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    smooth = np.asarray(low.resize((WIDTH + 256, HEIGHT), Image.Resampling.BICUBIC), dtype=np.int16)
    noisy = smooth + rng.normal(0, 6, smooth.shape).astype(np.int16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _generate(path: str, index: int) -> None:
    """One distinct photo: the base shifted and tinted by `index` (runs in a child process)."""
    base = _make_base()  # once per child process
    shift = (index * 37) % 256
    frame = base[:, shift : shift + WIDTH].copy()
    frame[..., index % 3] = np.clip(frame[..., index % 3].astype(np.int16) + (index % 23) - 11, 0, 255)
    Image.fromarray(frame).save(path, "JPEG", quality=90)


def _records(count: int) -> list[dict[str, object]]:
    rng = random.Random(11)
    records: list[dict[str, object]] = []
    for i in range(count):
        detections = []
        for _ in range(rng.randint(2, 5)):
            x1, y1 = rng.randrange(0, WIDTH - 600), rng.randrange(0, HEIGHT - 600)
            x2, y2 = x1 + rng.randrange(40, 600), y1 + rng.randrange(40, 600)
            mention = rng.choice(CLASSES)
            detections.append(
                {"mention": mention, "top_left": {"x": x1, "y": y1}, "bottom_right": {"x": x2, "y": y2}}
            )
        image = f"batch_{i // 50:02}/part_{i:04}.jpg"
        records.append(
            {"image": image, "width": WIDTH, "height": HEIGHT, "status": "ok", "detections": detections}
        )
    return records


@contextmanager
def _peak_memory(result: dict[str, int]) -> Iterator[None]:
    """Fill `result` with the RSS before, and the peak RSS during, the block."""
    reset_peak_memory()
    before = proc_status("VmRSS")
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], proc_status("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        stop.set()
        sampler.join()
        result["before"] = before
        result["peak"] = max(peak[0], proc_status("VmHWM"))


def _bare_one(source: Path, out: Path) -> None:
    img, *_ = decode_upright(source.read_bytes(), None)
    data = encode_jpeg(img)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


def _bare(records: list[dict[str, object]], source: Path, out: Path) -> None:
    """Read, decode upright, encode and write every photo with the exporter's number of threads."""
    todo = iter(records)
    pending: set[Future[None]] = set()
    with ThreadPoolExecutor(WORKERS) as pool:
        while True:
            while len(pending) < 2 * WORKERS and (record := next(todo, None)) is not None:
                rel = str(record["image"])
                pending.add(pool.submit(_bare_one, source / rel, out / rel))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()


def _timed(label: str, count: int, run: Callable[[], object]) -> tuple[float, float, dict[str, int]]:
    """Run once; print and return the wall seconds, the process's CPU seconds and the memory figures."""
    memory: dict[str, int] = {}
    with _peak_memory(memory):
        started, cpu_started = time.perf_counter(), time.process_time()
        run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    grown = (memory["peak"] - memory["before"]) / 1e6
    print(
        f"  {label:<26} {seconds:6.1f} s  {count / seconds:5.2f} images/s  {cpu / count * 1000:5.0f} ms CPU/image  "
        f"peak RSS {memory['peak'] / 1e6:4.0f} MB (+{grown:.0f} MB over {memory['before'] / 1e6:.0f} MB)",
        flush=True,
    )
    return seconds, cpu, memory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200, help="photos to generate and export (default 200)")
    args = parser.parse_args(argv)
    count: int = args.count
    records = _records(count)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        root = Path(tmp)
        source = root / "photos"
        for record in records:
            (source / str(record["image"])).parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {count} photos of {WIDTH} x {HEIGHT} ...", flush=True)
        started = time.perf_counter()
        with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
            list(
                pool.map(
                    _generate, [str(source / str(r["image"])) for r in records], range(count), chunksize=4
                )
            )
        size = sum(p.stat().st_size for p in source.rglob("*.jpg"))
        print(f"  {time.perf_counter() - started:.1f} s, {size / count / 1e6:.2f} MB per photo (not timed)")
        print(f"cpus: {os.cpu_count()}, worker threads: {WORKERS}, Pillow {PIL.__version__}")

        def bare() -> None:
            shutil.rmtree(root / "bare", ignore_errors=True)
            _bare(records, source, root / "bare")

        def export() -> None:
            export_records(
                records, source_root=source, dest=root / "export", formats={"annotated"}, classes=CLASSES
            )
            written = sum(1 for _ in (root / "export" / "annotated").rglob("*.jpg"))
            assert written == count, f"the export wrote {written} photos, not {count}"

        # ABBA order, so a neighbour's load or the page cache favours neither side.
        totals = {"bare": [0.0, 0.0], "export": [0.0, 0.0]}
        peaks = {"bare": 0, "export": 0}
        for name in ("bare", "export", "export", "bare"):
            label = "bare decode+encode+write" if name == "bare" else "annotated export"
            seconds, cpu, memory = _timed(label, count, bare if name == "bare" else export)
            totals[name][0] += seconds
            totals[name][1] += cpu
            peaks[name] = max(peaks[name], memory["peak"] - memory["before"])
        rate = {name: 2 * count / wall for name, (wall, _cpu) in totals.items()}
        cpu_each = {name: cpu / (2 * count) for name, (_wall, cpu) in totals.items()}
        print(
            f"bare:   {rate['bare']:.2f} images/s, {cpu_each['bare'] * 1000:.0f} ms CPU/image, "
            f"peak +{peaks['bare'] / 1e6:.0f} MB"
        )
        print(
            f"export: {rate['export']:.2f} images/s, {cpu_each['export'] * 1000:.0f} ms CPU/image, "
            f"peak +{peaks['export'] / 1e6:.0f} MB"
        )
        print(
            f"ratio export / bare: {rate['export'] / rate['bare']:.2f} by wall time, "
            f"{cpu_each['bare'] / cpu_each['export']:.2f} by CPU time"
        )


if __name__ == "__main__":
    main()
