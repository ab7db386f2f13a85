"""Regenerate the README's screenshots: `python -m isaac_gui.qt.shell.screenshots [--out docs/screenshots]`
(or `./dev shots`).

Offscreen, at a fixed window size, in isolated settings and cache folders, against the built-in
simulator over generated sample photos:

- main-window.png  the window mid-run: thumbnails with boxes and badges, the latency panel filling
- viewer.png       a photo open in the viewer with its boxes
- review.png       triage: a rejected box (muted), a drawn box, a selected box, the verdict bar
- review-grid.png  the grid with verdict badges, after a few dozen keys
- settings.png     the settings dialog
- empty.png        the first start, before any folder: the drop hint

Takes about a minute: the run is paced so the latency plot has half a minute of data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SIZE = (1400, 900)
CLASSES = ("scratch", "dent", "missing screw")


def _pump(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer  # noqa: PLC0415

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: gave up waiting for {what}")
        _pump(25)


def isolate(work: Path) -> None:
    """Nothing of the user's own settings, key or caches shows up in (or is changed by) what runs next
    in this process and its children (the shots, the window's benchmarks): all of it goes under `work`."""
    from isaac_gui.core.settings import isolated_environment  # noqa: PLC0415

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.update(isolated_environment(work))
    for name in ("PERCEPTRON_API_KEY", "PERCEPTRON_BASE_URL", "PERCEPTRON_MODEL"):
        os.environ.pop(name, None)


def _save(widget: object, path: Path) -> None:
    from PySide6.QtWidgets import QWidget  # noqa: PLC0415

    assert isinstance(widget, QWidget)
    _pump(150)  # a last frame of the plot and thumbnails
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


def take(out: Path, *, theme: str = "light", count: int = 160) -> list[Path]:
    from isaac_gui.core.settings import AppSettings  # noqa: PLC0415
    from isaac_gui.qt.photos.model import PhotoState  # noqa: PLC0415
    from isaac_gui.qt.shell.app import create_app  # noqa: PLC0415
    from isaac_gui.qt.shell.main_window import MainWindow  # noqa: PLC0415
    from isaac_gui.qt.style.theme import use_theme  # noqa: PLC0415
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="isaac-shots-"))
    isolate(work)
    app = create_app()
    app.setOrganizationName("isaac-gui-screenshots")
    use_theme(theme)
    written: list[Path] = []

    folder = work / "line-3-inspection"
    print(f"generating {count} sample photos in {folder} ...")
    generate_samples(folder, count, CLASSES, seed=21, size=(1200, 900), workers=2)

    settings = AppSettings(concurrency=3, rpm=0, theme=theme)
    window = MainWindow(settings)
    window.resize(*SIZE)
    window.show()
    _save(window, out / "empty.png")
    written.append(out / "empty.png")

    window.controller.start_demo(latency_median_s=0.8, latency_jitter_s=0.45, p_503=0.02, seed=21)
    window.open_paths([folder])
    wait_until(
        lambda: window.model.rowCount() == count and not window.loader.loading, 30, "the folder listing"
    )
    window.run_bar.classes.set_classes(CLASSES)
    window.run()
    wait_until(lambda: window.model.counts.done >= count * 0.72, 240, "the run to get going")
    rows = window.model.rows()
    first_open = next((i for i, r in enumerate(rows) if r.state is not PhotoState.OK), len(rows) - 1)
    window.grid.scrollTo(
        window.filter_model.index(max(first_open - 6, 0)), window.grid.ScrollHint.PositionAtTop
    )
    wait_until(window.grid.thumbnails_complete, 30, "thumbnails")
    _save(window, out / "main-window.png")
    written.append(out / "main-window.png")

    window.controller.pause()
    with_boxes = [i for i, r in enumerate(rows) if r.state is PhotoState.OK and len(r.boxes) >= 2]
    if with_boxes:
        window.pane.open(window.filter_model.view_row(with_boxes[0]) or 0)
        viewer = window.pane.viewer
        wait_until(lambda: not viewer.is_loading(), 30, "the viewer")
        _save(window, out / "viewer.png")
        written.append(out / "viewer.png")
        written += _review_shots(window, viewer, out)
        window.pane.close()

    from isaac_gui.qt.dialogs.settings import SettingsDialog  # noqa: PLC0415

    dialog = SettingsDialog(settings, window)
    dialog.show()
    _save(dialog, out / "settings.png")
    written.append(out / "settings.png")
    dialog.reject()
    dialog.deleteLater()

    window.controller.cancel()
    wait_until(lambda: not window.controller.busy, 60, "the run to stop")
    window.close()
    window.shutdown()
    return written


def _review_shots(window: Any, viewer: Any, out: Path) -> list[Path]:
    """Correct the photo open in the viewer as an inspector would, then decide a screen of photos."""
    from isaac_gui.core.geometry import PixelBox  # noqa: PLC0415
    from isaac_gui.qt.photos.model import PhotoState  # noqa: PLC0415

    wait_until(lambda: viewer.review() is not None, 30, "the photo's review")
    boxes = viewer.box_items()
    viewer.boxRequested.emit("reject", boxes[0].box_id, None)
    frame = viewer.canvas.photo_item().boundingRect()
    w, h = int(frame.width()), int(frame.height())
    viewer.boxRequested.emit(
        "add", "", PixelBox(CLASSES[2], w * 3 // 5, h * 3 // 5, w * 3 // 5 + w // 8, h * 3 // 5 + h // 9)
    )
    window.review.wait_idle(10)
    viewer.canvas.select_box(boxes[1].box_id)
    _save(window, out / "review.png")

    done = [r for r in window.model.rows() if r.state is PhotoState.OK][:24]
    for i, row in enumerate(done):
        if i % 7 == 3:
            window.review.set_verdict(row.rel, "hold", "Needs a second look")
        elif i % 5 == 4:
            window.review.set_verdict(row.rel, "pass", "Defect below the limit")
        else:
            window.review.confirm(row.rel)
    window.review.wait_idle(20)
    window.pane.close()
    window.grid.scrollToTop()
    wait_until(window.grid.thumbnails_complete, 30, "thumbnails")
    _save(window, out / "review-grid.png")
    return [out / "review.png", out / "review-grid.png"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m isaac_gui.qt.shell.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="where the PNGs go")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--count", type=int, default=160, help="sample photos in the run")
    args = parser.parse_args(argv)
    take(args.out, theme=args.theme, count=args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
