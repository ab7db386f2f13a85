"""Review by keys alone in the window, offscreen, figures beside goals.

    ./dev bench review            # or: ./dev run python -m benchmarks.bench_review
    ./dev bench review --quick    # fewer photos and presses: a smoke run (under ~90 s)

(1) Next photo: a folder of 20 distinct 12 MP JPEGs (4000 x 3000) with results, the viewer open,
    Right pressed to the end and Left back to the start. Before each press the inspector looks at
    the photo until the loader holds the next one decoded (the neighbours are prefetched once a
    photo is sharp). Measured: key event -> `viewer.loaded` (full resolution on the canvas; goal
    50 ms) and key event -> the canvas's first paint after it. Baseline, same run and files (in the
    page cache for both): the same with the viewer's prefetch a no-op, each photo decoded on
    demand. A third pass moves on after a fixed 300 ms instead, as an impatient inspector would.
(2) Verdict key: about 200 presses of Enter and P in the viewer on 640 x 480 photos with results.
    Measured: the QTest.keyClick call itself (the key handled, the next photo shown; goal 16 ms)
    and the worst gap of a 1 ms heartbeat from the beat that pressed the key until 16 ms after
    it returned; secondary, the key -> the `ReviewController` idle again (the trail entry
    fsynced and its state delivered back). The next press waits for that and the next photo.
(3) Triage: 1,000 photos of 640 x 480 decided by keys alone, as fast as the window lets: Enter,
    P, F and H mixed, Tab+Delete (reject a box) on some, Right to skip a few, then N (the next
    undecided) + Enter until none is left. The longest event-loop stall (goal: none over 50 ms)
    and p99 across the whole triage, against the idle viewer measured just before. At the end the
    trail holds exactly the entries the keys made, and `verify()` says it is intact.

Overrides need a reason: the reason picker (`isaac_gui.qt.viewer.widget.ask_reason`) is replaced
by one that answers the first reason at once, so the figures are the window's, not a dialog's.
Results come from one headless `isaac-gui run` against the simulator (in a child process), made
once into bench-out/; every phase reviews a fresh copy of them, so the trail starts empty.
Settings, cache and data live in a temp folder (ISAAC_GUI_*_DIR), the window is offscreen.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_gui import SIZE, Heartbeat, run_until, verdict
from benchmarks.common import CLASSES, offscreen_window_app, sample_photos
from benchmarks.simulator import SimulatorProcess

BIG = (4000, 3000)
SMALL = (640, 480)

# A script yields conditions; the heartbeat resumes it on the first beat a condition holds, so
# every key is pressed from inside the event loop, as a real key event would be delivered.
Script = Generator[Callable[[], bool], None, None]


def with_results(name: str, count: int, *, seed: int, size: tuple[int, int]) -> Path:
    """`count` photos in bench-out/`name` and, beside them, the results of one headless run."""
    folder = sample_photos(name, count, seed=seed, size=size)
    results = folder.parent / f"{folder.name}-results"
    marker = folder.parent / f".{folder.name}-results-complete"
    if marker.exists() and results.is_dir():
        return folder
    shutil.rmtree(results, ignore_errors=True)
    print(f"inspecting {count:,} photos of {folder.name} with the simulator (once) ...", flush=True)
    sim = SimulatorProcess("--latency", "0", nice=10)
    try:
        command = [sys.executable, "-m", "isaac_gui.cli", "run", str(folder), "--classes", ", ".join(CLASSES)]
        command += ["--base-url", sim.base_url, "--rpm", "0", "--quiet"]
        subprocess.run(command, check=True, env=os.environ | {"PERCEPTRON_API_KEY": "bench"}, timeout=600)
    finally:
        sim.close()
    marker.touch()
    return folder


def fresh_copy(folder: Path, work: Path, phase: str) -> Path:
    """`folder` seen through a symlink in `work`, with a copy of its results beside it (no review yet)."""
    place = work / phase
    place.mkdir()
    link = place / folder.name
    link.symlink_to(folder, target_is_directory=True)
    shutil.copytree(folder.parent / f"{folder.name}-results", place / f"{folder.name}-results")
    return link


def open_window(folder: Path, count: int) -> Any:
    from isaac_gui.core.settings import AppSettings  # noqa: PLC0415
    from isaac_gui.qt.shell.main_window import MainWindow  # noqa: PLC0415

    window = MainWindow(AppSettings(rpm=0, inspector="bench"), load_key=lambda: None)
    window.confirm_close = lambda _w: True
    window.resize(*SIZE)
    window.show()
    run_until(window.isVisible, 5, "the window")
    assert window.open_paths([folder])
    run_until(
        lambda: (
            window.model.rowCount() == count
            and not window.loader.loading
            and window.model.counts.done == count
        ),
        60,
        "the folder and its results",
    )
    return window


def close_window(window: Any) -> None:
    window.shutdown()
    window.close()
    window.deleteLater()
    run_until(lambda: True, 1, "cleanup")


def open_viewer(window: Any) -> Any:
    window.pane.open(0)
    viewer = window.pane.viewer
    run_until(lambda: viewer.review() is not None and not viewer.is_loading(), 30, "the first photo")
    return viewer


def run_script(script: Script, beat: Heartbeat, timeout_s: float, what: str) -> None:
    """Drive `script` from the heartbeat until it ends (the heartbeat keeps beating)."""
    state: dict[str, Any] = {"waiting": next(script), "done": False}

    def step() -> None:
        while not state["done"] and state["waiting"]():
            try:
                state["waiting"] = next(script)
            except StopIteration:
                state["done"] = True

    beat.on_beat = step
    try:
        run_until(lambda: state["done"], timeout_s, what, beat)
    finally:
        beat.on_beat = None


def key(widget: Any, name: str) -> float:
    """Press and release `name` on `widget`; the seconds the call took (the key fully handled)."""
    from PySide6.QtCore import Qt  # noqa: PLC0415
    from PySide6.QtTest import QTest  # noqa: PLC0415

    began = time.perf_counter()
    QTest.keyClick(widget, getattr(Qt.Key, f"Key_{name}"))
    return time.perf_counter() - began


def quiet_reasons() -> None:
    """Overrides answer the first reason at once (the picker is a modal dialog otherwise)."""
    from isaac_gui.qt.viewer import widget  # noqa: PLC0415

    widget.ask_reason = lambda _verdict, reasons, _parent: reasons[0]


class Marks:
    """Times of the viewer's `loaded` and of the canvas's paints."""

    def __init__(self, viewer: Any) -> None:
        from PySide6.QtCore import QEvent, QObject  # noqa: PLC0415

        self.loaded: list[tuple[float, Path]] = []
        self.paints: list[float] = []
        viewer.loaded.connect(lambda path: self.loaded.append((time.perf_counter(), Path(path))))
        paints = self.paints

        class PaintSpy(QObject):
            def eventFilter(self, _obj: Any, event: Any) -> bool:  # noqa: N802 - Qt names it
                if event.type() == QEvent.Type.Paint:
                    paints.append(time.perf_counter())
                return False

        self.spy = PaintSpy(viewer)
        viewer.canvas.viewport().installEventFilter(self.spy)

    def loaded_at(self, path: Path, after: float) -> float | None:
        return next((t for t, p in self.loaded if p == path and t >= after), None)

    def painted_after(self, moment: float) -> float | None:
        return next((t for t in self.paints if t >= moment), None)


# --- (1) the next photo -----------------------------------------------------------------------------


def bench_next_photo(folder: Path, count: int, work: Path, mode: str) -> dict[str, Any]:
    """Right to the end, Left back; `mode` is "prefetch", "none" (baseline) or "300ms" (dwell)."""
    from isaac_gui.qt.viewer.loader import active_jobs  # noqa: PLC0415

    window = open_window(fresh_copy(folder, work, f"next-{mode}"), count)
    viewer = open_viewer(window)
    if mode == "none":
        viewer.prefetch = lambda _paths: None
    loader = viewer._loader  # the bench looks inside: does it hold the next photo decoded yet?
    marks = Marks(viewer)
    paths = [window.model.path_of(window.filter_model.row_at(r)) for r in range(count)]
    order = [*range(1, count), *range(count - 2, -1, -1)]
    latencies: list[float] = []
    on_screen: list[float] = []
    ready_after: list[float] = []  # how long the prefetch took after the photo went sharp
    beat = Heartbeat()

    def script() -> Script:
        at = 0
        for target in order:
            shown = marks.loaded[-1][0] if marks.loaded else time.perf_counter()
            if mode == "prefetch":
                yield lambda t=target: paths[t] in loader._kept
                ready_after.append(time.perf_counter() - shown)
            elif mode == "300ms":
                yield lambda s=shown: time.perf_counter() - s >= 0.3
            else:
                yield lambda: active_jobs() == 0
            began = time.perf_counter()
            key(viewer.canvas, "Right" if target > at else "Left")
            yield lambda t=target, b=began: marks.loaded_at(paths[t], b) is not None
            sharp = marks.loaded_at(paths[target], began)
            assert sharp is not None
            yield lambda s=sharp: marks.painted_after(s) is not None
            painted = marks.painted_after(sharp)
            assert painted is not None
            latencies.append(sharp - began)
            on_screen.append(painted - began)
            at = target

    beat.start()
    run_script(script(), beat, 600, f"the next photo ({mode})")
    beat.stop()
    close_window(window)
    return {
        "loaded_ms": np.asarray(latencies) * 1000,
        "painted_ms": np.asarray(on_screen) * 1000,
        "ready_ms": np.asarray(ready_after) * 1000,
        "stalls_ms": beat.stalls_ms(),
    }


# --- (2) one verdict key ------------------------------------------------------------------------------


def bench_verdict_key(folder: Path, count: int, work: Path, presses: int) -> dict[str, Any]:
    window = open_window(fresh_copy(folder, work, "verdict"), count)
    viewer = open_viewer(window)
    idle_at: list[float] = []
    window.review.idle.connect(lambda: idle_at.append(time.perf_counter()))
    calls: list[float] = []
    pressed: list[tuple[float, float]] = []
    durable: list[float] = []
    beat = Heartbeat()

    def script() -> Script:
        for i in range(presses):
            rel = window.filter_model.row_at(i).rel
            yield (
                lambda r=rel: (
                    window.pane.current_rel() == r
                    and viewer.review() is not None
                    and not viewer.is_loading()
                    and not window.review.busy
                )
            )
            began = time.perf_counter()
            calls.append(key(viewer.canvas, "Return" if i % 2 == 0 else "P"))
            pressed.append((began, time.perf_counter()))
            yield lambda b=began: any(t > b for t in idle_at)
            durable.append(next(t for t in idle_at if t > began) - began)

    beat.start()
    run_script(script(), beat, 600, "the verdict keys")
    beat.stop()
    beats = np.asarray(beat.beats)
    around = []
    for began, ended in pressed:
        first = max(int(np.searchsorted(beats, began, side="right")) - 1, 0)  # the beat that pressed
        last = int(np.searchsorted(beats, ended + 0.016, side="right"))
        gaps = np.diff(beats[first : last + 1]) * 1000 - 1
        around.append(float(gaps.max()) if gaps.size else 0.0)
    entries, intact = trail_check(window)
    close_window(window)
    return {
        "call_ms": np.asarray(calls) * 1000,
        "gap_ms": np.maximum(np.asarray(around), 0),
        "durable_ms": np.asarray(durable) * 1000,
        "entries": entries,
        "intact": intact,
    }


def trail_check(window: Any) -> tuple[int, bool]:
    from isaac_gui.core.review.audit import AuditTrail  # noqa: PLC0415

    assert window.review.wait_idle(30)
    run_until(lambda: not window.review.busy, 30, "the trail written")
    trail = AuditTrail(window.out_dir, read_only=True)
    try:
        return sum(1 for _ in trail.entries()), trail.verify().intact
    finally:
        trail.close()


# --- (3) the triage -------------------------------------------------------------------------------------


def bench_triage(folder: Path, count: int, work: Path) -> dict[str, Any]:
    from isaac_gui.qt.viewer.items import REJECTED  # noqa: PLC0415

    window = open_window(fresh_copy(folder, work, "triage"), count)
    viewer = open_viewer(window)
    problems: list[str] = []
    window.desk.problem.connect(problems.append)
    rng = random.Random(5)
    tally = {"keys": 0, "entries": 0, "rejects": 0, "overrides": 0, "skipped": 0}
    beat = Heartbeat()
    beat.start()
    run_until(lambda: len(beat.beats) > 2000, 10, "the idle baseline", beat)
    idle = beat.stalls_ms()

    def ready(rel: str) -> Callable[[], bool]:
        return lambda: (
            window.pane.current_rel() == rel and viewer.review() is not None and not viewer.is_loading()
        )

    def press(name: str) -> None:
        key(viewer.canvas, name)
        tally["keys"] += 1

    def decide() -> None:
        review = viewer.review()
        name = rng.choices(["Return", "P", "F", "H"], weights=[50, 20, 15, 15])[0]
        wanted = {"P": "pass", "F": "fail", "H": "hold"}.get(name)
        if wanted is not None and wanted != review.verdict.proposed:
            tally["overrides"] += 1
        press(name)
        tally["entries"] += 1

    def script() -> Script:
        for i in range(count):
            yield ready(window.filter_model.row_at(i).rel)
            if i < count - 1 and rng.random() < 0.05:
                press("Right")
                tally["skipped"] += 1
                continue
            if viewer.box_items() and rng.random() < 0.25:
                press("Tab")
                press("Delete")
                tally["rejects"] += 1
                tally["entries"] += 1
                yield lambda: any(b.state == REJECTED for b in viewer.box_items())
            decide()
        for _ in range(tally["skipped"]):
            at = window.pane.current_rel()
            press("N")
            yield lambda a=at: window.pane.current_rel() != a
            row = window.model.row_at(window.model.row_of(window.pane.current_rel()))
            assert not row.verdict, f"N showed {row.rel}, decided already"
            yield ready(row.rel)
            decide()
        yield lambda: not window.review.busy
        press("N")  # none left: it says so

    began = time.perf_counter()
    beat.start()
    run_script(script(), beat, 1200, "the triage")
    wall = time.perf_counter() - began
    beat.stop()
    busy = beat.stalls_ms()
    entries, intact = trail_check(window)
    undecided = sum(1 for row in window.model.rows() if not row.verdict)
    close_window(window)
    return tally | {
        "idle_ms": idle,
        "busy_ms": busy,
        "wall_s": wall,
        "trail_entries": entries,
        "intact": intact,
        "undecided": undecided,
        "none_left_said": any("Every photo" in p for p in problems),
    }


def pct(values: Sequence[float] | np.ndarray, q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else float("nan")


def spread(values: np.ndarray) -> str:
    return f"p50 {pct(values, 50):.1f}, p95 {pct(values, 95):.1f}, max {values.max():.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_review", description="Review by keys in the window."
    )
    parser.add_argument("--quick", action="store_true", help="8 large photos, 60 presses, a 200-photo triage")
    args = parser.parse_args(argv)
    work, _app = offscreen_window_app("bench-review-")
    quiet_reasons()
    n_big, presses, n_triage = (8, 60, 200) if args.quick else (20, 200, 1000)
    big = with_results(f"review-12mp-{n_big}", n_big, seed=21, size=BIG)
    small = with_results(f"review-small-{n_triage}", n_triage, seed=22, size=SMALL)
    for photo in big.glob("*.jpg"):
        photo.read_bytes()  # in the page cache for every pass alike
    say = print
    status = 0

    say(f"(1) the next 12 MP photo: Right through {n_big} photos and Left back", flush=True)
    fast = bench_next_photo(big, n_big, work, "prefetch")
    slow = bench_next_photo(big, n_big, work, "none")
    hurried = bench_next_photo(big, n_big, work, "300ms")
    p50 = pct(fast["loaded_ms"], 50)
    say(f"  prefetched, key -> sharp:       {spread(fast['loaded_ms'])}")
    say(f"    max {verdict(float(fast['loaded_ms'].max()), 50, 'ms', '{:.1f}')}")
    say(f"  prefetched, key -> painted:     {spread(fast['painted_ms'])}")
    say(f"  the prefetch ready after sharp: {spread(fast['ready_ms'])}")
    say(f"  no prefetch (baseline), sharp:  {spread(slow['loaded_ms'])}")
    say(f"  no prefetch, painted:           {spread(slow['painted_ms'])}")
    ratio = pct(slow["loaded_ms"], 50) / max(p50, 1e-3)
    say(f"  baseline / prefetched, p50:     {ratio:.0f}x")
    say(f"  moving on after 300 ms, sharp:  {spread(hurried['loaded_ms'])}")
    say(
        f"  longest stall: {fast['stalls_ms'].max():.1f} ms prefetched, {slow['stalls_ms'].max():.1f} ms "
        f"baseline, {hurried['stalls_ms'].max():.1f} ms moving on after 300 ms"
    )
    status |= fast["loaded_ms"].max() > 50

    say(f"(2) a verdict key (Enter / P, {presses} presses, 640x480 photos)", flush=True)
    v = bench_verdict_key(small, n_triage, work, presses)
    say(f"  keyClick call:   p50 {pct(v['call_ms'], 50):.1f}, p99 {pct(v['call_ms'], 99):.1f} ms,")
    say(f"    max {verdict(float(v['call_ms'].max()), 16, 'ms', '{:.1f}')}")
    say(
        f"  heartbeat gap around the press: p50 {pct(v['gap_ms'], 50):.1f}, p99 {pct(v['gap_ms'], 99):.1f} ms,"
    )
    say(f"    max {verdict(float(v['gap_ms'].max()), 16, 'ms', '{:.1f}')}")
    say(f"  key -> trail entry durable (writer idle): {spread(v['durable_ms'])}")
    say(f"  trail: {v['entries']} entries for {presses} presses, intact: {v['intact']}")
    status |= v["call_ms"].max() > 16 or v["entries"] != presses or not v["intact"]

    say(f"(3) triage {n_triage:,} photos by keys alone", flush=True)
    t = bench_triage(small, n_triage, work)
    say(f"  {t['keys']:,} keys in {t['wall_s']:.1f} s ({t['keys'] / t['wall_s']:.0f} keys/s):")
    say(f"    {t['entries'] - t['rejects']:,} verdicts ({t['overrides']} overrides with a reason),")
    say(f"    {t['rejects']} boxes rejected, {t['skipped']} skipped then found again with N")
    idle, busy = t["idle_ms"], t["busy_ms"]
    say(f"  idle viewer (baseline, same process): p99 {pct(idle, 99):.1f} ms, max {idle.max():.1f} ms")
    say(
        f"  during the triage: p99 {pct(busy, 99):.1f} ms, max {verdict(float(busy.max()), 50, 'ms', '{:.1f}')}"
    )
    say(f"  stalls over 16 ms: {(busy > 16).sum()}, over 50 ms: {(busy > 50).sum()}")
    say(
        f"  trail: {t['trail_entries']:,} entries (expected {t['entries']:,}), intact: {t['intact']}; "
        f"undecided left: {t['undecided']}; N said none left: {t['none_left_said']}"
    )
    status |= busy.max() > 50 or t["trail_entries"] != t["entries"] or not t["intact"] or t["undecided"] > 0
    shutil.rmtree(work, ignore_errors=True)
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
