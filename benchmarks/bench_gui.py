"""The desktop window under load, offscreen, figures beside goals.

    ./dev bench gui            # or: ./dev run python -m benchmarks.bench_gui
    ./dev bench gui --quick    # 10,000 photos and a 300-photo run: a smoke run

(a) A 100,000-photo folder dropped on the window: time from the drop to the first painted
    thumbnails (goal 1 s) and to a screen full of them, cold (empty thumbnail cache) and warm
    (reopened), and the peak memory of the process (goal 600 MB).
(b) The longest event-loop stalls (p99 and max; goal: none over 50 ms) while a 1,000-photo run
    streams results as fast as the simulator answers (no latency, no rate limit). The baseline is
    the same heartbeat on the idle window, measured in the same process just before.
(c) The cost of one latency-plot redraw with ten minutes of one-second buckets.

Stalls are measured with a 1 ms precise QTimer heartbeat on the GUI thread: a stall is the gap
between two beats minus the 1 ms interval. The simulator runs in its own process at nice 10, as
the real API would run elsewhere: its CPU neither shares our GIL nor (mostly) our cores.
The 100,000 photos are hardlinks to a few small JPEGs (the thumbnail cache keys on the path, so
each is still decoded); the 1,000 photos of (b) are distinct, so the engine sends each one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.common import CLASSES, OUT, offscreen_window_app, rss_mb, sample_photos
from benchmarks.simulator import SimulatorProcess

SIZE = (1400, 900)


def big_folder(count: int) -> Path:
    """`count` photos: hardlinks to 8 small distinct JPEGs (made once into bench-out/)."""
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415

    folder = OUT / f"gui-{count}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    print(f"making {count:,} photos in {folder} (once) ...", flush=True)
    seeds = OUT / "gui-seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    generate_samples(seeds, 8, CLASSES, seed=3, size=(640, 480))
    sources = sorted(seeds.glob("*.jpg"))
    folder.mkdir(parents=True)
    for i in range(count):
        os.link(sources[i % len(sources)], folder / f"img_{i:06d}.jpg")
    (folder / ".complete").touch()
    return folder


def run_folder(count: int) -> Path:
    return sample_photos(f"gui-run-{count}", count, seed=9, size=(480, 360))


class Heartbeat:
    """A 1 ms precise timer on the GUI thread; `gaps_ms()` are the stalls it saw."""

    def __init__(self, on_beat: Callable[[], None] | None = None) -> None:
        from PySide6.QtCore import Qt, QTimer  # noqa: PLC0415

        self.beats: list[float] = []
        self.on_beat = on_beat
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())
        if self.on_beat is not None:
            self.on_beat()

    def start(self) -> None:
        self.beats = []
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def stalls_ms(self) -> np.ndarray:
        if len(self.beats) < 2:
            return np.zeros(1)
        return np.maximum(np.diff(np.asarray(self.beats)) * 1000.0 - 1.0, 0.0)


def run_until(
    condition: Callable[[], bool], timeout_s: float, what: str, beat: Heartbeat | None = None
) -> float:
    """Run the event loop until `condition()`; returns the seconds it took."""
    from PySide6.QtCore import QEventLoop  # noqa: PLC0415

    loop = QEventLoop()
    began = time.perf_counter()
    own = beat is None
    beat = beat or Heartbeat()
    previous = beat.on_beat

    def check() -> None:
        if previous is not None:
            previous()
        if condition() or time.perf_counter() - began > timeout_s:
            loop.quit()

    beat.on_beat = check
    if own:
        beat.start()
    loop.exec()
    beat.on_beat = previous
    if own:
        beat.stop()
    if not condition():
        raise TimeoutError(f"bench_gui: gave up waiting for {what}")
    return time.perf_counter() - began


def peak_rss_mb() -> float:
    """The most resident memory this process has had, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verdict(value: float, goal: float, unit: str, fmt: str = "{:.0f}") -> str:
    mark = "ok" if value <= goal else "OVER GOAL"
    return f"{fmt.format(value)} {unit}  (goal {fmt.format(goal)} {unit}: {mark})"


def open_big_folder(folder: Path, count: int, *, scroll: bool) -> dict[str, float]:
    """Drop `folder` on a new window; time the first thumbnails, a full screen, the full listing."""
    from isaac_gui.core.settings import AppSettings  # noqa: PLC0415
    from isaac_gui.qt.shell.main_window import MainWindow  # noqa: PLC0415
    from tests.qt.helpers import drop  # noqa: PLC0415

    window = MainWindow(AppSettings())
    window.resize(*SIZE)
    window.show()
    run_until(window.isVisible, 5, "the window")
    delegate = window.grid.photo_delegate
    marks: dict[str, float] = {}
    began = time.perf_counter()

    def on_beat() -> None:
        if "first" not in marks and any(drawn for _row, _key, drawn in delegate.painted):
            marks["first"] = time.perf_counter() - began

    beat = Heartbeat(on_beat)
    beat.start()
    assert drop(window, folder)
    run_until(lambda: "first" in marks, 30, "the first thumbnails", beat)
    run_until(window.grid.thumbnails_complete, 30, "a screen of thumbnails", beat)
    marks["screen"] = time.perf_counter() - began
    run_until(
        lambda: window.model.rowCount() == count and not window.loader.loading, 120, "the listing", beat
    )
    marks["listed"] = time.perf_counter() - began
    beat.stop()
    marks["stall_max_ms"] = float(beat.stalls_ms().max())
    if scroll:  # the last screen decodes too
        window.grid.scrollToBottom()
        marks["scroll_end"] = run_until(window.grid.thumbnails_complete, 30, "the last screen")
    marks["rss_mb"] = rss_mb()
    window.close()
    window.deleteLater()
    run_until(lambda: True, 1, "cleanup")
    return marks


def bench_big_folder(count: int) -> dict[str, float]:
    folder = big_folder(count)
    cold = open_big_folder(folder, count, scroll=True)
    warm = open_big_folder(folder, count, scroll=False)  # the thumbnail disk cache is filled now
    results = {f"cold_{k}": v for k, v in cold.items()} | {f"warm_{k}": v for k, v in warm.items()}
    results["peak_rss_mb"] = peak_rss_mb()
    return results


def bench_stalls(
    count: int, sim_args: tuple[str, ...] = ("--latency", "0"), rpm: float = 0
) -> dict[str, float]:
    from isaac_gui.core.settings import AppSettings  # noqa: PLC0415
    from isaac_gui.qt.run.controller import RunState  # noqa: PLC0415
    from isaac_gui.qt.shell.main_window import MainWindow  # noqa: PLC0415

    folder = run_folder(count)
    shutil.rmtree(folder.parent / f"{folder.name}-results", ignore_errors=True)  # a fresh run, not a resume
    sim = SimulatorProcess(*sim_args, nice=10)
    try:
        window = MainWindow(
            AppSettings(base_url=sim.base_url, rpm=rpm, concurrency=16), load_key=lambda: "bench"
        )
        window.resize(*SIZE)
        window.show()
        window.controller.keep_engine_ready()  # as the app does once its window shows
        window.open_paths([folder])
        run_until(lambda: window.model.rowCount() == count and not window.loader.loading, 60, "the listing")
        run_until(window.grid.thumbnails_complete, 30, "thumbnails")
        beat = Heartbeat()
        beat.start()
        run_until(lambda: False or len(beat.beats) > 3000, 10, "the idle baseline", beat)
        idle = beat.stalls_ms()
        window.run_bar.classes.set_classes(CLASSES)
        beat.start()
        began = time.perf_counter()
        window.run()
        run_until(lambda: window.controller.state is RunState.IDLE, 600, "the run", beat)
        wall = time.perf_counter() - began
        beat.stop()
        busy = beat.stalls_ms()
        done = window.model.counts.done
        window.close()
        window.deleteLater()
        run_until(lambda: True, 1, "cleanup")
    finally:
        sim.close()
    return {
        "idle_p99_ms": float(np.percentile(idle, 99)),
        "idle_max_ms": float(idle.max()),
        "run_p99_ms": float(np.percentile(busy, 99)),
        "run_max_ms": float(busy.max()),
        "run_over_50": float((busy > 50).sum()),
        "photos": float(done),
        "photos_per_s": done / wall,
    }


def bench_plot() -> dict[str, float]:
    from isaac_gui.core.stats import Bucket, RunStats  # noqa: PLC0415
    from isaac_gui.qt.run.latency_panel import LatencyPanel  # noqa: PLC0415

    panel = LatencyPanel()
    panel.resize(SIZE[0], 300)
    panel.show()
    rng = np.random.default_rng(1)
    rows = [Bucket(s, 5, *sorted(rng.uniform(200, 900, 3).tolist())) for s in range(600)]
    panel.add_buckets(rows)
    panel.set_snapshot(RunStats().snapshot())
    times = []
    for i in range(60):
        panel.add_buckets([Bucket(600 + i, 5, 300.0, 500.0, 800.0)])
        began = time.perf_counter()
        panel.redraw_now()
        panel.repaint()
        times.append((time.perf_counter() - began) * 1000)
    panel.close()
    panel.deleteLater()
    return {"redraw_mean_ms": float(np.mean(times[5:])), "redraw_max_ms": float(np.max(times[5:]))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_gui", description="The window under load."
    )
    parser.add_argument("--quick", action="store_true", help="10,000 photos and a 300-photo run")
    args = parser.parse_args(argv)
    work, _app = offscreen_window_app("bench-gui-")
    big, run = (10_000, 300) if args.quick else (100_000, 1_000)

    say = print
    say(f"(a) a {big:,}-photo folder dropped on the window", flush=True)
    a = bench_big_folder(big)
    say(f"  first thumbnails painted, cold cache:  {verdict(a['cold_first'], 1.0, 's', '{:.2f}')}")
    say(f"  first thumbnails painted, reopened:    {verdict(a['warm_first'], 1.0, 's', '{:.2f}')}")
    say(
        f"  a screen full of thumbnails:           {a['cold_screen']:.2f} s cold, {a['warm_screen']:.2f} s warm"
    )
    say(
        f"  every row listed:                      {a['cold_listed']:.2f} s cold, {a['warm_listed']:.2f} s warm"
    )
    say(f"  last screen after scrolling to the end: {a['cold_scroll_end']:.2f} s")
    cold_stall, warm_stall = a["cold_stall_max_ms"], a["warm_stall_max_ms"]
    say(f"  longest stall while listing:           {cold_stall:.0f} ms cold, {warm_stall:.0f} ms warm")
    say(f"  memory with {big:,} rows: {a['cold_rss_mb']:.0f} MB; peak {verdict(a['peak_rss_mb'], 600, 'MB')}")

    say(f"(b) event-loop stalls while a {run:,}-photo run streams (no latency, no limit)", flush=True)
    b = bench_stalls(run)
    say(
        f"  idle window (baseline, same process): p99 {b['idle_p99_ms']:.1f} ms, max {b['idle_max_ms']:.1f} ms"
    )
    say(f"  during the run: p99 {b['run_p99_ms']:.1f} ms, max {verdict(b['run_max_ms'], 50, 'ms', '{:.1f}')}")
    say(
        f"  stalls over 50 ms: {b['run_over_50']:.0f}; {b['photos']:.0f} photos at {b['photos_per_s']:.0f} photos/s"
    )

    paced = 60 if args.quick else 150
    say(f"(b2) the same at the API's documented limit: {paced} photos, 300 requests/min, 1 s median latency")
    b2 = bench_stalls(paced, ("--latency", "1.0", "--jitter", "0.3", "--rpm", "300"), rpm=300)
    say(
        f"  during the run: p99 {b2['run_p99_ms']:.1f} ms, max {verdict(b2['run_max_ms'], 50, 'ms', '{:.1f}')}"
    )
    say(
        f"  stalls over 50 ms: {b2['run_over_50']:.0f}; {b2['photos']:.0f} photos at {b2['photos_per_s']:.1f}/s"
    )

    c = bench_plot()
    say("(c) one latency-plot redraw, 600 one-second buckets (setData + repaint)")
    say(f"  mean {c['redraw_mean_ms']:.1f} ms, max {c['redraw_max_ms']:.1f} ms")
    peak = peak_rss_mb()
    say(f"peak memory of the whole benchmark: {peak:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
