"""Review through the facade: each action is one entry, the corrected state folds them, undo/redo."""

from __future__ import annotations

import threading

import pytest

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.journal import Journal
from isaac_gui.core.review.agreement import agreement_table
from isaac_gui.core.review.audit import AuditTrail
from isaac_gui.core.review.corrections import corrected_record, verdict_counts
from isaac_gui.core.review.rules import DEFAULT_RULES
from isaac_gui.core.review.session import ReviewError, ReviewSession
from tests.core.review.conftest import det, save


@pytest.fixture
def session(run_dir):
    s = ReviewSession(run_dir, DEFAULT_RULES, inspector="Ana", os_user="ana")
    yield s
    s.close()


def test_an_untouched_photo_shows_the_model_answer_pending_with_a_proposal(session):
    review = session.state("a.jpg")
    assert [(b.id, b.status, b.box.mention) for b in review.boxes] == [
        ("m0", "pending", "scratch"),
        ("m1", "pending", "crack"),
    ]
    assert (review.verdict.verdict, review.verdict.proposed) == (None, "fail")
    assert review.verdict.proposed_reasons == ("1 × crack: any fails",)
    assert not review.reviewed and review.undo_seq is None


def test_confirm_decides_the_proposed_verdict_with_who_and_when(session):
    review = session.confirm("a.jpg")
    assert (review.verdict.verdict, review.verdict.overridden, review.verdict.by) == (
        "fail",
        False,
        "Ana (ana)",
    )
    [entry] = session.entries("a.jpg")
    assert (entry.action, entry.old, entry.new["verdict"], entry.answer) == ("confirm", None, "fail", "key-a")
    assert session.confirm("a.jpg") == review and len(session.entries("a.jpg")) == 1  # nothing to change


def test_an_override_needs_a_reason_and_stands(session):
    with pytest.raises(ReviewError, match="needs a reason"):
        session.set_verdict("a.jpg", "pass", "  ")
    with pytest.raises(ReviewError, match="verdict must be one of"):
        session.set_verdict("a.jpg", "maybe", "x")
    review = session.set_verdict("a.jpg", "hold", "crack or hair?")
    assert (review.verdict.verdict, review.verdict.overridden, review.verdict.reason) == (
        "hold",
        True,
        "crack or hair?",
    )
    assert session.entries("a.jpg")[-1].new == {"verdict": "hold", "proposed": "fail"}


def test_rejecting_the_crack_changes_the_proposal_and_makes_a_confirmation_stale(session):
    session.confirm("a.jpg")
    review = session.reject_box("a.jpg", "m1", reason="glare")
    assert review.box("m1").status == "rejected"
    assert review.verdict.proposed == "pass" and review.verdict.verdict is None and review.verdict.stale
    assert session.confirm("a.jpg").verdict.verdict == "pass"


def test_a_rejected_box_stays_listed_and_restores_to_what_it_was(session):
    session.accept_box("a.jpg", "m0")
    session.reject_box("a.jpg", "m0")
    with pytest.raises(ReviewError, match="restore it first"):
        session.move_box("a.jpg", "m0", PixelBox("scratch", 1, 1, 5, 5))
    assert session.restore_box("a.jpg", "m0").box("m0").status == "accepted"
    session.reject_box("a.jpg", "m1")
    assert session.restore_box("a.jpg", "m1").box("m1").status == "pending"


def test_drawing_moving_and_reclassing_boxes(session):
    review = session.add_box("a.jpg", PixelBox("dent", 50, 50, 59, 59))
    drawn = review.boxes[-1]
    assert (drawn.id, drawn.status, drawn.drawn) == (f"d{session.entries('a.jpg')[-1].seq}", "added", True)
    review = session.move_box("a.jpg", "m0", PixelBox("ignored", 2, 2, 12, 12))
    assert review.box("m0").status == "accepted" and review.box("m0").moved
    assert review.box("m0").box == PixelBox("scratch", 2, 2, 12, 12)
    review = session.set_class("a.jpg", "m1", "  Scratch ")
    assert review.box("m1").box.mention == "Scratch" and review.box("m1").class_changed
    assert review.verdict.proposed == "pass"
    with pytest.raises(ReviewError, match="not inside"):
        session.add_box("a.jpg", PixelBox("dent", 90, 90, 100, 99))
    with pytest.raises(ReviewError, match="no box 'm7'"):
        session.reject_box("a.jpg", "m7")
    with pytest.raises(ReviewError, match="no answer"):
        session.state("absent.jpg")


def test_undo_and_redo_are_new_entries_and_a_new_action_forgets_the_redo(session):
    session.reject_box("a.jpg", "m1")
    session.confirm("a.jpg")
    review = session.undo("a.jpg")
    assert review.verdict.verdict is None and review.box("m1").status == "rejected"
    review = session.undo("a.jpg")
    assert review.box("m1").status == "pending" and review.undo_seq is None
    assert session.undo("a.jpg") == review  # nothing left to undo: no entry
    review = session.redo("a.jpg")
    assert review.box("m1").status == "rejected"
    entries = session.entries("a.jpg")
    assert [(e.action, e.ref) for e in entries] == [
        ("box_reject", None),
        ("confirm", None),
        ("undo", 2),
        ("undo", 1),
        ("redo", 1),
    ]
    assert (entries[3].old, entries[3].new) == ({"status": "rejected"}, {"status": "pending"})
    session.accept_box("a.jpg", "m0")
    assert session.state("a.jpg").redo_seq is None
    assert session.trail.verify().intact


def test_corrections_stay_with_the_answer_they_were_made_on(session, run_dir):
    session.reject_box("a.jpg", "m0")
    journal = Journal(run_dir)
    journal.begin_run({"classes": ["dent"]})  # a rerun with other classes: a new answer for a.jpg
    save(journal, "a.jpg", "key-a-dent", [det("dent", 0, 0, 9, 9)])
    journal.close()
    assert session.state("a.jpg").box("m0").status == "pending"
    assert session.state("a.jpg").box("m0").box.mention == "dent"
    assert session.state("a.jpg", answer="key-a").box("m0").status == "rejected"


def test_the_corrected_record_is_what_downstream_sees_and_the_model_answer_is_kept(session):
    session.reject_box("a.jpg", "m1", reason="dust")
    session.add_box("a.jpg", PixelBox("dent", 50, 50, 59, 59))
    session.confirm("a.jpg")
    trail = session.trail
    record = {**trail.record_of("key-a"), "image": "a.jpg"}
    original = {**record, "detections": list(record["detections"])}
    out = corrected_record(record, list(trail.entries("a.jpg", "key-a")), DEFAULT_RULES)
    assert record == original
    assert out["model_detections"] == original["detections"]
    assert [(d["box"], d["mention"], d["review"]) for d in out["detections"]] == [
        ("m0", "scratch", "pending"),
        ("d2", "dent", "added"),
    ]
    assert [(d["box"], d["review"]) for d in out["rejected"]] == [("m1", "rejected")]
    assert out["review"]["verdict"] == "pass" and out["review"]["by"] == "Ana (ana)"
    assert out["review"]["proposed_reasons"] == ["2 detections, no rule broken"]


def test_verdict_counts_and_the_agreement_table_over_the_run(session, run_dir):
    journal = Journal(run_dir)
    records = list(journal.records())
    journal.close()
    trail = AuditTrail(run_dir, read_only=True)
    assert verdict_counts(records, trail.current_entries(), DEFAULT_RULES) == {
        "pass": 1,
        "fail": 1,
        "hold": 0,
        "undecided": 2,
    }
    session.set_verdict("b.jpg", "hold", "blurred")
    session.accept_box("a.jpg", "m0")
    session.reject_box("a.jpg", "m1")
    assert agreement_table(records, trail.current_entries(), DEFAULT_RULES) == {}  # a.jpg not decided yet
    session.add_box("a.jpg", PixelBox("crack", 60, 60, 69, 69))
    session.confirm("a.jpg")
    entries = trail.current_entries()
    assert verdict_counts(records, entries, DEFAULT_RULES) == {
        "pass": 0,
        "fail": 1,
        "hold": 1,
        "undecided": 0,
    }
    assert agreement_table(records, entries, DEFAULT_RULES) == {
        "scratch": {
            "model_boxes": 1,
            "accepted": 1,
            "rejected": 0,
            "pending": 0,
            "added": 0,
            "precision": 1.0,
            "recall": 1.0,
        },
        "crack": {
            "model_boxes": 1,
            "accepted": 0,
            "rejected": 1,
            "pending": 0,
            "added": 1,
            "precision": 0.0,
            "recall": 0.0,
        },
    }
    trail.close()


def test_two_threads_reviewing_at_once_keep_one_intact_chain(session):
    go = threading.Event()

    def work(box: str) -> None:
        go.wait()
        for _ in range(20):
            session.reject_box("a.jpg", box)
            session.restore_box("a.jpg", box)

    threads = [threading.Thread(target=work, args=(b,)) for b in ("m0", "m1")]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=60)
    assert len(session.entries("a.jpg")) == 80 and session.trail.verify().intact
    assert {b.status for b in session.state("a.jpg").boxes} == {"pending"}
