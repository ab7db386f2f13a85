"""Review by keys in the window, against the simulator: verdicts, boxes, undo, filters, the trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPointF, QRectF, Qt

from isaac_gui.core.review.audit import AuditTrail
from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, AppSettings
from isaac_gui.qt.viewer import widget as viewer_module
from isaac_gui.qt.viewer.items import ADDED, REJECTED
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import drop, make_window, run_to_end, wait_loaded


@pytest.fixture
def window(qtbot: Any, simulator: Any, memory_keyring: Any, sample_photos: Any) -> Any:
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "test-key")
    simulator.update(api_key="test-key")
    settings = AppSettings(base_url=simulator.base_url, rpm=0, concurrency=4, inspector="Ana")
    window = make_window(qtbot, settings)
    folder, truth = sample_photos
    assert drop(window, folder)
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    assert run_to_end(qtbot, window) == "completed"
    return window


def open_photo(qtbot: Any, window: Any, rel: str) -> Any:
    model = window.filter_model
    view_row = next(r for r in range(model.rowCount()) if model.row_at(r).rel == rel)
    window.pane.open(view_row)
    viewer = window.pane.viewer
    qtbot.waitUntil(
        lambda: viewer.review() is not None and viewer.path().name == Path(rel).name, timeout=10_000
    )
    return viewer


def settle(qtbot: Any, window: Any) -> None:
    assert window.review.wait_idle(10)
    qtbot.waitUntil(lambda: not window.review.busy, timeout=10_000)


def trail(window: Any) -> AuditTrail:
    return AuditTrail(window.out_dir, read_only=True)


def reject_one_box(qtbot: Any, window: Any) -> tuple[str, Any, int]:
    """Open the first photo with a box, Tab to a box and Delete it; (rel, viewer, boxes shown)."""
    rel = with_boxes(window)[0]
    viewer = open_photo(qtbot, window, rel)
    n = len(viewer.box_items())
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Tab)
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Delete)
    settle(qtbot, window)
    return rel, viewer, n


def with_boxes(window: Any, n: int = 1) -> list[str]:
    return [row.rel for row in window.model.rows() if len(row.boxes) >= n]


def test_keys_decide_and_move_on_and_the_trail_says_who(qtbot: Any, window: Any) -> None:
    rows = window.model.rows()
    first = rows[0].rel
    viewer = open_photo(qtbot, window, first)
    proposed = viewer.review().verdict.proposed

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Return)  # confirm the proposal
    qtbot.waitUntil(lambda: window.pane.current_rel() == rows[1].rel, timeout=5000)  # moved on at once
    settle(qtbot, window)
    assert window.model.row_at(0).verdict == proposed and not window.model.row_at(0).overridden

    t = trail(window)
    entries = list(t.entries())
    assert [(e.action, e.photo, e.inspector) for e in entries] == [("confirm", first, "Ana")]
    assert entries[0].os_user and entries[0].at.endswith("Z")
    assert t.verify().intact
    t.close()


def test_an_override_asks_a_reason_and_n_finds_the_next_undecided(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(viewer_module, "ask_reason", lambda v, reasons, parent: asked.append(v) or reasons[0])
    rel = window.model.rows()[2].rel
    viewer = open_photo(qtbot, window, rel)
    other = "hold" if viewer.review().verdict.proposed != "hold" else "fail"
    qtbot.keyClick(viewer.canvas, {"hold": Qt.Key.Key_H, "fail": Qt.Key.Key_F}[other])
    settle(qtbot, window)
    row = window.model.row_at(window.model.row_of(rel))
    assert asked == [other] and row.verdict == other and row.overridden
    entries = list(trail(window).entries())
    assert entries[-1].action == "verdict" and entries[-1].reason == viewer.reasons[0]

    window.pane.open(0)
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_N)  # row 0 is undecided: the next undecided after it is row 1
    assert window.pane.current_rel() == window.model.rows()[1].rel

    window.filter_bar.set_verdict_filter("overridden")
    assert [window.filter_model.row_at(i).rel for i in range(window.filter_model.rowCount())] == [rel]
    window.filter_bar.set_verdict_filter("undecided")
    assert window.filter_model.rowCount() == len(window.model.rows()) - 1


def test_reject_restore_and_undo_redo_through_the_trail(qtbot: Any, window: Any) -> None:
    rel = with_boxes(window)[0]
    viewer = open_photo(qtbot, window, rel)
    before = len(window.model.row_at(window.model.row_of(rel)).boxes)

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Tab)
    box_id = viewer.canvas.selected_box().box_id
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Delete)
    settle(qtbot, window)
    shown = {b.box_id: b for b in viewer.box_items()}
    assert shown[box_id].state == REJECTED and shown[box_id].isVisible()  # muted, still there
    assert len(window.model.row_at(window.model.row_of(rel)).boxes) == before - 1

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert {b.box_id: b.state for b in viewer.box_items()}[box_id] != REJECTED
    qtbot.keyClick(
        viewer.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    settle(qtbot, window)
    assert {b.box_id: b.state for b in viewer.box_items()}[box_id] == REJECTED

    actions = [e.action for e in trail(window).entries()]
    assert actions == ["box_reject", "undo", "redo"]  # nothing is erased: undo is an entry


def test_a_drawn_box_gets_its_class_from_one_digit(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viewer_module, "ask_class", lambda classes, parent, current=None: classes[1])
    rel = window.model.rows()[0].rel
    viewer = open_photo(qtbot, window, rel)
    canvas = viewer.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.is_drawing()
    start = canvas.mapFromScene(QPointF(40, 40))
    end = canvas.mapFromScene(QPointF(160, 120))
    qtbot.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas.viewport(), pos=end)
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=end)
    settle(qtbot, window)
    drawn = [b for b in viewer.box_items() if b.state == ADDED]
    assert len(drawn) == 1 and drawn[0].box.mention == SAMPLE_CLASSES[1]
    r = drawn[0].rect()
    assert QRectF(38, 38, 126, 86).contains(r) and r.width() > 100
    assert window.model.row_at(window.model.row_of(rel)).mentions >= {SAMPLE_CLASSES[1]}


def test_a_verdict_key_in_the_grid_applies_to_the_selection(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from isaac_gui.qt.shell import review_desk  # noqa: PLC0415

    monkeypatch.setattr(review_desk, "ask_reason", lambda v, reasons, parent: "Needs a second look")
    grid = window.grid
    grid.setFocus()
    selection = grid.selectionModel()
    for r in range(3):
        selection.select(window.filter_model.index(r), QItemSelectionModel.SelectionFlag.Select)
    qtbot.keyClick(grid, Qt.Key.Key_H)
    settle(qtbot, window)
    assert [window.model.row_at(r).verdict for r in range(3)] == ["hold"] * 3
    assert window.model.row_at(3).verdict == ""


def test_the_review_summary_counts_verdicts_and_agreement(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from isaac_gui.qt.review.agreement_view import AgreementView  # noqa: PLC0415

    _rel, viewer, n = reject_one_box(qtbot, window)  # one rejected, the rest left pending
    monkeypatch.setattr(viewer_module, "ask_reason", lambda v, reasons, parent: reasons[0])
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_P)  # pass, whatever the rules proposed
    settle(qtbot, window)

    view = AgreementView(window.review.reviews.values(), window.model.counts.done)
    qtbot.addWidget(view)
    assert view.verdicts.text().startswith("1 pass · 0 fail · 0 hold")
    cells = {
        view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in range(1, 8)]
        for r in range(view.table.rowCount())
    }
    assert sum(int(v[0]) for v in cells.values()) == n  # every model box of the reviewed photo
    assert sum(int(v[2]) for v in cells.values()) == 1  # one rejected
    assert any(v[5] == "0%" for v in cells.values())  # that class: nothing the model found was kept


def test_decisions_reach_results_and_summary_after_the_last_key(qtbot: Any, window: Any) -> None:
    import json  # noqa: PLC0415

    rel = window.model.rows()[0].rel
    viewer = open_photo(qtbot, window, rel)
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Return)
    settle(qtbot, window)

    def reviewed() -> dict[str, Any] | None:
        lines = (window.out_dir / "results.jsonl").read_text().splitlines()
        record = next(json.loads(line) for line in lines if json.loads(line)["image"] == rel)
        return record.get("review")

    def summary_now() -> dict[str, Any]:
        return json.loads((window.out_dir / "summary.json").read_text())

    # results.jsonl is replaced before summary.json: wait for both
    qtbot.waitUntil(
        lambda: (
            (reviewed() or {}).get("verdict") is not None
            and summary_now()["verdicts"]["undecided"] < len(window.model.rows())
        ),
        timeout=15_000,
    )
    summary = summary_now()
    assert sum(summary["verdicts"][v] for v in ("pass", "fail", "hold")) == len(window.model.rows())
    assert summary["verdicts"]["undecided"] == len(window.model.rows()) - 1


def test_the_window_exports_the_corrected_boxes(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from isaac_gui.qt.shell import launchers  # noqa: PLC0415

    rel, _viewer, n = reject_one_box(qtbot, window)
    handed: list[list[dict[str, Any]]] = []
    monkeypatch.setattr(
        launchers, "open_export", lambda records, root, classes, parent, scope: handed.append(records)
    )
    window.commands.export.trigger()
    qtbot.waitUntil(lambda: len(handed) == 1, timeout=10_000)
    record = next(r for r in handed[0] if r["image"] == rel)
    assert len(record["detections"]) == n - 1 and len(record["rejected"]) == 1
    assert len(record["model_detections"]) == n  # the model's own answer, unchanged


def test_after_a_run_n_in_the_grid_starts_the_review_without_a_click(qtbot: Any, window: Any) -> None:
    assert window.grid.hasFocus() or window.focusWidget() is window.grid  # the run's end left the keys there
    qtbot.keyClick(window.grid, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.pane.showing, timeout=5000)
    assert window.pane.current_rel() == window.model.rows()[0].rel
