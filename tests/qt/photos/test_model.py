"""The photo list model and its filter: compact rows, batched updates, fast at 100,000 rows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from isaac_gui.core.journal import Journal
from isaac_gui.qt.photos.filter_model import PhotoFilterModel, Show
from isaac_gui.qt.photos.folder_loader import FolderLoader
from isaac_gui.qt.photos.model import PhotoListModel, PhotoRow, PhotoState, PhotoUpdate


def _record(
    boxes: list[tuple[str, int, int, int, int]] | None = None, error: str | None = None
) -> dict[str, Any]:
    if error:
        return {
            "status": "error",
            "width": None,
            "height": None,
            "error": {"kind": "decode_error", "message": error},
            "detections": [],
        }
    dets = [
        {"mention": m, "top_left": {"x": a, "y": b}, "bottom_right": {"x": c, "y": d}}
        for m, a, b, c, d in boxes or []
    ]
    return {
        "status": "ok",
        "width": 640,
        "height": 480,
        "detections": dets,
        "latency_ms": 12.5,
        "attempts": 1,
    }


def _model(n: int) -> PhotoListModel:
    model = PhotoListModel()
    model.clear(Path("/photos"))
    model.append_rows([PhotoRow(f"part_{i:06d}.jpg", 100, 1) for i in range(n)])
    return model


def test_updates_change_rows_counts_and_one_range(qtbot: Any) -> None:
    model = _model(10)
    ranges = []
    model.dataChanged.connect(lambda top, bottom, roles: ranges.append((top.row(), bottom.row())))
    model.apply_updates(
        [
            PhotoUpdate("part_000002.jpg", PhotoState.OK, _record([("dent", 1, 2, 30, 40)])),
            PhotoUpdate("part_000005.jpg", PhotoState.ERROR, _record(error="cannot be decoded")),
            PhotoUpdate("part_000007.jpg", PhotoState.RUNNING),
            PhotoUpdate("part_000008.jpg", PhotoState.OK, _record([])),
        ]
    )
    assert ranges == [(2, 8)]
    c = model.counts
    assert (c.total, c.done, c.defects, c.clean, c.errors) == (10, 3, 1, 1, 1)
    row = model.row_at(2)
    assert row.describe() == "1 defect" and row.boxes[0].mention == "dent"
    assert model.row_at(5).describe() == "Error" and "decoded" in model.row_at(5).error
    assert model.row_at(8).describe() == "No defects"
    assert model.row_at(7).describe() == "Running"
    assert model.row_at(2).record()["detections"][0]["bottom_right"] == {"x": 30, "y": 40}


def test_news_of_a_photo_not_listed_yet_waits_for_it(qtbot: Any) -> None:
    model = _model(2)
    model.apply_updates([PhotoUpdate("later.jpg", PhotoState.OK, _record([]))])
    model.append_rows([PhotoRow("later.jpg")])
    assert model.row_at(2).state is PhotoState.OK and model.counts.clean == 1


def test_a_new_run_with_other_classes_forgets_old_results(qtbot: Any) -> None:
    model = _model(3)
    model.apply_updates(
        [
            PhotoUpdate("part_000000.jpg", PhotoState.OK, _record([("dent", 1, 2, 3, 4)])),
            PhotoUpdate("part_000001.jpg", PhotoState.RUNNING),
        ]
    )
    model.reset_states(keep_results=True)
    assert model.row_at(0).state is PhotoState.OK and model.row_at(1).state is PhotoState.PENDING
    model.reset_states(keep_results=False)
    assert model.row_at(0).state is PhotoState.PENDING and model.counts.done == 0


def test_filter_follows_updates_incrementally(qtbot: Any) -> None:
    model = _model(20)
    view = PhotoFilterModel(model)
    view.set_filter(Show.DEFECTS)
    assert view.rowCount() == 0
    inserted = []
    view.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.apply_updates([PhotoUpdate("part_000012.jpg", PhotoState.OK, _record([("scratch", 1, 1, 5, 5)]))])
    model.apply_updates([PhotoUpdate("part_000003.jpg", PhotoState.OK, _record([("dent", 1, 1, 5, 5)]))])
    assert [view.row_at(i).rel for i in range(view.rowCount())] == ["part_000003.jpg", "part_000012.jpg"]
    assert inserted == [(0, 0), (0, 0)]
    model.apply_updates([PhotoUpdate("part_000003.jpg", PhotoState.QUEUED)])
    assert view.rowCount() == 1
    view.set_filter(Show.ALL, "scratch")
    assert [view.row_at(i).rel for i in range(view.rowCount())] == ["part_000012.jpg"]
    view.set_filter(Show.ALL, "000019")
    assert view.rowCount() == 1 and view.source_row(0) == 19
    view.set_filter(Show.ALL, "")
    assert view.rowCount() == 20 and view.source_row(5) == 5
    model.append_rows([PhotoRow("extra.jpg")])
    assert view.rowCount() == 21


def test_one_hundred_thousand_rows_stay_fast(qtbot: Any) -> None:
    started = time.perf_counter()
    model = _model(100_000)
    view = PhotoFilterModel(model)
    build = time.perf_counter() - started
    model.apply_updates(
        PhotoUpdate(f"part_{i:06d}.jpg", PhotoState.OK, _record([("dent", 1, 1, 9, 9)] if i % 3 == 0 else []))
        for i in range(0, 100_000, 7)
    )
    started = time.perf_counter()
    view.set_filter(Show.DEFECTS)
    filtering = time.perf_counter() - started
    assert view.rowCount() == len(range(0, 100_000, 21))
    started = time.perf_counter()
    view.set_filter(Show.ALL, "part_0999")
    search = time.perf_counter() - started
    assert view.rowCount() == 100
    assert build < 2.0 and filtering < 0.5 and search < 0.5, (build, filtering, search)


def test_the_loader_lists_a_folder_then_its_earlier_results(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for name in ("a_2.jpg", "a_10.jpg", "sub/b.png"):
        (folder / name).write_bytes(b"x")
    (folder / "notes.txt").write_text("no")
    out = tmp_path / "photos-results"
    journal = Journal(out)
    journal.begin_run({"classes": ["dent"], "model": "isaac-0.1"})
    journal.see_photo("a_10.jpg", 1, 1, 1, "sha", "key1")
    journal.save_result("key1", _record([("dent", 1, 2, 3, 4)]))
    journal.close()

    model = PhotoListModel()
    loader = FolderLoader(model)
    with qtbot.waitSignal(loader.journalRead, timeout=10_000) as read:
        loader.load([folder], out)
    assert [model.row_at(i).rel for i in range(model.rowCount())] == ["a_2.jpg", "a_10.jpg", "sub/b.png"]
    settings, n = read.args
    assert settings["classes"] == ["dent"] and n == 1
    assert model.row_at(1).state is PhotoState.OK and model.row_at(1).boxes[0].mention == "dent"
    loader.close()


def test_opening_another_folder_mid_scan_shows_only_the_second(qtbot: Any, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for i in range(3000):
        (first / f"a_{i}.jpg").write_bytes(b"x")
    for i in range(5):
        (second / f"b_{i}.jpg").write_bytes(b"x")
    model = PhotoListModel()
    loader = FolderLoader(model)
    loader.load([first], None)
    with qtbot.waitSignal(loader.journalRead, timeout=10_000):
        loader.load([second], None)
    assert [model.row_at(i).rel for i in range(model.rowCount())] == [f"b_{i}.jpg" for i in range(5)]
    loader.close()
