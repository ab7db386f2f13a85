"""The inspector's path through the window, against the simulator: drop, run, look, export, close."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from isaac_gui.core.exporters import export_records
from isaac_gui.core.journal import JOURNAL_NAME
from isaac_gui.core.palette import class_colour
from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, AppSettings
from isaac_gui.qt.photos.filter_model import Show
from isaac_gui.qt.photos.folder_loader import read_journal
from isaac_gui.qt.photos.model import PhotoState
from isaac_gui.qt.run.controller import RunState
from isaac_gui.qt.shell import launchers
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import boxes_agree, drop, make_window, run_to_end, wait_loaded


@pytest.fixture
def key(memory_keyring: Any) -> str:
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "test-key")
    return "test-key"


@pytest.fixture
def window(qtbot: Any, simulator: Any, key: str) -> Any:
    simulator.update(api_key=key)  # the run must send the key stored in the keychain
    return make_window(qtbot, AppSettings(base_url=simulator.base_url, rpm=0, concurrency=4))


def test_drop_run_and_the_grid_agrees_with_the_markers(qtbot: Any, window: Any, sample_photos: Any) -> None:
    folder, truth = sample_photos
    assert drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    assert window.windowTitle().startswith("photos")
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)

    assert run_to_end(qtbot, window) == "completed"

    for t in truth:
        row = window.model.row_at(window.model.row_of(t.path))
        assert row.state is PhotoState.OK, (t.path, row.error)
        assert (row.width, row.height) == (t.width, t.height)
        found = [(b.mention, (b.x1, b.y1, b.x2, b.y2)) for b in row.boxes]
        assert boxes_agree(found, t), (t.path, found, t.boxes)
    counts = window.model.counts
    assert counts.done == len(truth)
    assert counts.defects == sum(1 for t in truth if t.boxes)
    assert (Path(str(folder) + "-results") / "results.jsonl").exists()


def test_the_grid_paints_each_box_in_its_class_colour(qtbot: Any, window: Any, sample_photos: Any) -> None:
    folder, truth = sample_photos
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    run_to_end(qtbot, window)
    t = next(t for t in truth if t.boxes)
    view_row = window.filter_model.view_row(window.model.row_of(t.path))
    index = window.filter_model.index(view_row)
    window.grid.scrollTo(index)
    qtbot.waitUntil(lambda: len(window.cache) >= 1, timeout=10_000)
    image = window.grid.viewport().grab(window.grid.visualRect(index)).toImage()
    for name in {name for name, _box in t.boxes}:
        colour = QColor(*class_colour(SAMPLE_CLASSES, name)).rgb()
        hits = sum(
            1 for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) == colour
        )
        assert hits >= 8, f"no {name} box painted on {t.path}"


def test_enter_opens_the_viewer_with_the_boxes_and_arrows_step(
    qtbot: Any, window: Any, sample_photos: Any
) -> None:
    folder, truth = sample_photos
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    run_to_end(qtbot, window)
    t = next(t for t in truth if len(t.boxes) >= 2)
    window.grid.setFocus()
    window.grid.setCurrentIndex(
        window.filter_model.index(window.filter_model.view_row(window.model.row_of(t.path)))
    )
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    viewer = window.pane.viewer
    assert viewer is not None and window.stack.currentWidget() is viewer
    qtbot.waitUntil(lambda: not viewer.is_loading(), timeout=10_000)
    found = [(i.box.mention, (i.box.x1, i.box.y1, i.box.x2, i.box.y2)) for i in viewer.box_items()]
    assert boxes_agree(found, t)
    start = window.grid.currentIndex().row()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert window.grid.currentIndex().row() == start + 1
    assert viewer.path() == window.model.path_of(window.filter_model.row_at(start + 1))
    qtbot.waitUntil(lambda: not viewer.is_loading(), timeout=10_000)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.grid


def test_filters_and_search(qtbot: Any, window: Any, sample_photos: Any) -> None:
    folder, truth = sample_photos
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    run_to_end(qtbot, window)
    window.filter_bar.set_show(Show.DEFECTS)
    assert window.filter_model.rowCount() == sum(1 for t in truth if t.boxes)
    window.filter_bar.set_show(Show.CLEAN)
    assert window.filter_model.rowCount() == sum(1 for t in truth if not t.boxes)
    window.filter_bar.set_show(Show.ERRORS)
    assert window.filter_model.rowCount() == 0
    window.filter_bar.set_show(Show.ALL)
    with qtbot.waitSignal(window.filter_bar.filterChanged):
        window.filter_bar.search.setText("missing")
    assert window.filter_model.rowCount() == sum(
        1 for t in truth if any(n == "missing screw" for n, _ in t.boxes)
    )
    with qtbot.waitSignal(window.filter_bar.filterChanged):
        window.filter_bar.search.setText("part_0000")
    assert window.filter_model.rowCount() == 10


def test_export_of_the_run_and_of_a_selection(
    qtbot: Any, window: Any, sample_photos: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    folder, truth = sample_photos
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    run_to_end(qtbot, window)
    handed: list[tuple[list[dict[str, Any]], Path, tuple[str, ...]]] = []
    monkeypatch.setattr(
        launchers,
        "open_export",
        lambda records, root, classes, parent, scope: handed.append((records, root, tuple(classes))),
    )

    window.commands.export.trigger()
    qtbot.waitUntil(lambda: len(handed) == 1, timeout=10_000)
    records, root, classes = handed[0]
    assert root == folder and classes == SAMPLE_CLASSES and len(records) == len(truth)
    export_records(records, source_root=root, dest=tmp_path / "export", formats=["csv"], classes=classes)
    lines = (tmp_path / "export" / "detections.csv").read_text().splitlines()
    assert len(lines) - 1 == sum(max(len(t.boxes), 1) for t in truth)

    window.grid.selectionModel().clear()
    for row in (1, 2):
        window.grid.selectionModel().select(
            window.filter_model.index(row), window.grid.selectionModel().SelectionFlag.Select
        )
    assert window.commands.export_selection.isEnabled()
    window.commands.export_selection.trigger()
    qtbot.waitUntil(lambda: len(handed) == 2, timeout=10_000)
    assert [r["image"] for r in handed[1][0]] == [truth[1].path, truth[2].path]


def test_pause_resume_and_cancel(qtbot: Any, window: Any, simulator: Any, sample_photos: Any) -> None:
    folder, truth = sample_photos
    simulator.update(latency_median_s=0.15)
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    window.commands.run.trigger()
    assert window.controller.state is RunState.RUNNING
    assert not window.commands.run.isEnabled() and window.commands.cancel.isEnabled()
    qtbot.waitUntil(lambda: window.model.counts.done >= 2, timeout=20_000)
    window.commands.pause.trigger()
    assert window.controller.state is RunState.PAUSED and window.commands.pause.text() == "Resume"
    # photos already on their way finish; after that nothing is sent and nothing changes
    qtbot.waitUntil(
        lambda: (
            simulator.stats.in_flight == 0
            and window.model.counts.done == simulator.stats.by_status.get(200, 0)
        ),
        timeout=10_000,
    )
    sent, done_while_paused = simulator.stats.total_requests, window.model.counts.done
    qtbot.wait(600)  # the event loop runs on: nothing is sent, nothing finishes
    assert simulator.stats.total_requests == sent
    assert window.model.counts.done == done_while_paused
    window.commands.pause.trigger()
    assert window.controller.state is RunState.RUNNING
    qtbot.waitUntil(lambda: window.model.counts.done > done_while_paused, timeout=20_000)
    with qtbot.waitSignal(window.controller.runFinished, timeout=30_000) as finished:
        window.commands.cancel.trigger()
    assert finished.args[0] == "cancelled"
    qtbot.waitUntil(lambda: window.controller.state is RunState.IDLE, timeout=30_000)
    assert window.message_bar.isVisible() and "Run again" in window.message_bar.action_button.text()
    assert window.model.counts.done < len(truth)
    # nothing is left "running" in the grid
    assert not [r for r in window.model.rows() if r.state in (PhotoState.RUNNING, PhotoState.RETRYING)]


def test_closing_during_a_run_asks_then_stops_and_reopening_resumes(
    qtbot: Any, window: Any, simulator: Any, sample_photos: Any
) -> None:
    folder, truth = sample_photos
    simulator.update(latency_median_s=0.2)
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    window.commands.run.trigger()
    qtbot.waitUntil(lambda: window.model.counts.done >= 3, timeout=20_000)

    asked: list[bool] = []
    window.confirm_close = lambda _w: asked.append(False) or False
    window.close()
    assert asked and window.isVisible() and window.controller.busy  # said no: the run goes on

    window.confirm_close = lambda _w: asked.append(True) or True
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert window.controller.state is RunState.IDLE
    runs, results = read_journal(Path(str(folder) + "-results"), threading.Event())
    done_first = len(results)
    assert runs is not None and 0 < done_first < len(truth)

    second = make_window(qtbot, window.settings)
    second.open_paths([folder])
    qtbot.waitUntil(
        lambda: second.model.counts.done >= done_first and not second.loader.loading, timeout=10_000
    )
    assert second.run_bar.classes.classes() == SAMPLE_CLASSES  # the last run's classes come back
    assert second.message_bar.isVisible() and second.message_bar.action_button.text() == "Resume"
    simulator.update(latency_median_s=0.0)
    with qtbot.waitSignal(second.controller.runFinished, timeout=60_000) as finished:
        second.message_bar.action_button.click()  # "Resume"
    assert finished.args[0] == "completed"
    qtbot.waitUntil(lambda: second.controller.state is RunState.IDLE, timeout=30_000)
    assert second.model.counts.done == len(truth)
    assert (Path(str(folder) + "-results") / JOURNAL_NAME).exists()


def test_a_bad_key_stops_the_run_once_with_the_fix(
    qtbot: Any, window: Any, simulator: Any, sample_photos: Any, memory_keyring: Any
) -> None:
    folder, truth = sample_photos
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "wrong-key")
    drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    shown: list[str] = []
    window.controller.serviceStopped.connect(lambda message, action, label: shown.append(action))
    assert run_to_end(qtbot, window) == "stopped"
    assert shown == ["settings"]
    assert window.message_bar.isVisible() and window.message_bar.kind == "error"
    assert "401" in window.message_bar.text.text()
    assert window.message_bar.action_button.text() == "Open Settings"


def test_dropping_photos_and_refusing_other_files(
    qtbot: Any, window: Any, sample_photos: Any, tmp_path: Path
) -> None:
    folder, truth = sample_photos
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    assert not drop(window, notes)
    assert drop(window, folder / truth[0].path, folder / truth[1].path)
    wait_loaded(qtbot, window, 2)
    assert window.out_dir == Path(str(folder) + "-results")
