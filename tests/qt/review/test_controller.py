"""The review writer: keys return at once, entries are written in the order of the keys, and what
cannot be saved is said in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isaac_gui.core.journal import Journal
from isaac_gui.core.review.audit import AuditTrail
from isaac_gui.core.review.rules import DEFAULT_RULES
from isaac_gui.qt.review.controller import ReviewController


def answered(folder: Path, rels: list[str]) -> Path:
    journal = Journal(folder)
    journal.begin_run({"classes": ["scratch"]})
    for seq, rel in enumerate(rels):
        journal.see_photo(rel, seq, 1, 1, "sha-" + rel, "key-" + rel)
        box = {"mention": "scratch", "top_left": {"x": 1, "y": 1}, "bottom_right": {"x": 9, "y": 9}}
        journal.save_result("key-" + rel, {"status": "ok", "width": 100, "height": 100, "detections": [box]})
    journal.end_run("completed")
    journal.close()
    return folder


def test_actions_are_written_in_the_order_they_were_asked(qtbot: Any, tmp_path: Path) -> None:
    rels = [f"p{i}.jpg" for i in range(30)]
    out = answered(tmp_path, rels)
    controller = ReviewController()
    controller.open(out, DEFAULT_RULES, "Ana")
    batches: list[list[tuple[str, Any]]] = []
    controller.reviewsChanged.connect(batches.append)
    for rel in rels:
        controller.reject_box(rel, "m0")
        controller.confirm(rel)
    assert controller.busy  # queued, not written: the keys did not wait
    with qtbot.waitSignal(controller.idle, timeout=20_000):
        pass
    delivered = [rel for batch in batches for rel, _review in batch]
    assert delivered == [rel for rel in rels for _ in range(2)]
    trail = AuditTrail(out, read_only=True)
    entries = list(trail.entries())
    assert [(e.photo, e.action) for e in entries] == [
        (rel, action) for rel in rels for action in ("box_reject", "confirm")
    ]
    assert trail.verify().intact and all(e.inspector == "Ana" for e in entries)
    trail.close()
    assert controller.reviews["p0.jpg"].verdict.verdict == "pass"  # the rejected scratch left nothing
    controller.shutdown()


def test_a_photo_without_an_answer_is_refused_in_words(qtbot: Any, tmp_path: Path) -> None:
    out = answered(tmp_path, ["a.jpg"])
    controller = ReviewController()
    controller.open(out, DEFAULT_RULES, None)
    with qtbot.waitSignal(controller.failed, timeout=10_000) as said:
        controller.confirm("missing.jpg")
    assert "missing.jpg" in said.args[0]
    controller.confirm("a.jpg")  # the writer goes on after a refusal
    assert controller.wait_idle(10)
    assert controller.reviews["a.jpg"].reviewed
    controller.shutdown()


def test_nothing_can_be_reviewed_before_a_folder_is_open(qtbot: Any) -> None:
    controller = ReviewController()
    with qtbot.waitSignal(controller.failed, timeout=1000) as said:
        controller.confirm("a.jpg")
    assert "Open a folder" in said.args[0]
    controller.shutdown()


def test_reading_a_state_is_not_a_decision_and_an_unchanged_state_repaints_nothing(
    qtbot: Any, tmp_path: Path
) -> None:
    out = answered(tmp_path, ["a.jpg"])
    controller = ReviewController()
    controller.open(out, DEFAULT_RULES, None)
    decided: list[bool] = []
    changed: list[Any] = []
    controller.decided.connect(lambda: decided.append(True))
    controller.reviewsChanged.connect(changed.append)
    controller.load("a.jpg")
    assert controller.wait_idle(10)
    assert not decided and len(changed) == 1  # the first read is news for the window
    controller.load("a.jpg")
    assert controller.wait_idle(10)
    assert not decided and len(changed) == 1  # the same state again: nothing to repaint
    controller.confirm("a.jpg")
    assert controller.wait_idle(10)
    assert decided == [True] and len(changed) == 2
    controller.shutdown()
