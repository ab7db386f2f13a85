"""The grid paints its cells itself (one call into Python per paint) exactly as Qt's own loop would,
and repaints for engine updates only when a changed row may be on screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage

from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.photos.grid import PhotoGrid
from isaac_gui.sim.samples import generate_samples
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import drop, make_window, run_to_end, wait_loaded


def _grab(grid: PhotoGrid) -> QImage:
    return grid.viewport().grab().toImage()


def test_own_painting_matches_qts_pixel_for_pixel(
    qtbot: Any, simulator: Any, sample_photos: Any, monkeypatch: Any
) -> None:
    window = make_window(qtbot, AppSettings(base_url=simulator.base_url, rpm=0), load_key=lambda: "k")
    folder, truth = sample_photos
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    assert run_to_end(qtbot, window) == "completed"
    grid = window.grid
    qtbot.waitUntil(grid.thumbnails_complete, timeout=10_000)
    selection = grid.selectionModel()
    for row in (1, 2, 4):  # two ranges of selected cells
        selection.select(window.filter_model.index(row), QItemSelectionModel.SelectionFlag.Select)
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum() // 3)  # a part-cut first line

    ours = _grab(grid)
    assert any(kind for _row, _key, kind in grid.photo_delegate.painted)  # thumbnails were drawn
    drawn_by_us = sorted(row for row, _key, _kind in grid.photo_delegate.painted)
    monkeypatch.setattr(grid, "_paint_cells", lambda _event: False)  # Qt's loop, through the delegate
    theirs = _grab(grid)
    drawn_by_qt = sorted(row for row, _key, _kind in grid.photo_delegate.painted)

    assert drawn_by_us == drawn_by_qt and drawn_by_us
    assert ours == theirs


def test_updates_repaint_only_when_the_row_may_be_on_screen(qtbot: Any, tmp_path: Any) -> None:
    generate_samples(tmp_path / "many", 120, SAMPLE_CLASSES, seed=4, size=(64, 48))
    window = make_window(qtbot, AppSettings(rpm=0), load_key=lambda: "k")
    drop(window, tmp_path / "many")
    wait_loaded(qtbot, window, 120)
    grid = window.grid
    grid.viewport().repaint()
    on_screen = sorted(row for row, _key, _kind in grid.photo_delegate.painted)
    assert on_screen and on_screen[-1] < 100
    assert grid.may_show(on_screen[0], on_screen[0]) and grid.may_show(on_screen[-1], 119)
    assert not grid.may_show(on_screen[-1] + 1, 119)

    # Scrolling exposes a strip: the range widens to what was newly painted, never narrower.
    bar = grid.verticalScrollBar()
    bar.setValue(bar.value() + 40)
    grid.viewport().repaint(grid.viewport().rect().adjusted(0, grid.viewport().height() - 40, 0, 0))
    lowest = max(row for row, _key, _kind in grid.photo_delegate.painted)
    assert grid.may_show(on_screen[0], on_screen[0]) and grid.may_show(lowest, lowest)

    # A change in the list itself (rows in or out) forgets the range until the next full paint.
    window.filter_model.set_filter(search="img")
    assert grid.may_show(119, 119)
