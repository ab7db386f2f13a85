"""results.jsonl and summary.json with the review: corrected lines for reviewed photos, the others as
the model answered, pass / fail / hold counts and the agreement table, against numbers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.journal import Journal
from isaac_gui.core.outputs import rebuild_outputs
from isaac_gui.core.review.outputs import ReviewedOutputs
from isaac_gui.core.review.rules import DEFAULT_RULES, AnyRule, RuleSet, rules_identity
from isaac_gui.core.review.session import ReviewSession
from tests.core.review.conftest import det, save

SCRATCHES = [det("scratch", 0, 0, 9, 9), det("scratch", 10, 10, 19, 19), det("scratch", 30, 30, 39, 39)]


@pytest.fixture
def reviewed(tmp_path: Path) -> Path:
    """Four photos (100 x 100) under the default rules; a.jpg and c.jpg reviewed, b.jpg and d.jpg not.

    a.jpg: a scratch (left pending) and a crack (rejected), a dent drawn, the proposal (pass) confirmed.
    b.jpg: nothing found; proposed pass.
    c.jpg: three scratches (proposed fail); one accepted, one moved, one rejected, so two are left
           (proposed pass), and the inspector overrides to hold.
    d.jpg: a crack; proposed fail.
    """
    journal = Journal(tmp_path)
    journal.begin_run({"classes": ["scratch", "crack"]})
    save(journal, "a.jpg", "key-a", [det("scratch", 0, 0, 9, 9), det("crack", 20, 20, 29, 29)])
    save(journal, "b.jpg", "key-b", [], seq=1)
    save(journal, "c.jpg", "key-c", SCRATCHES, seq=2)
    save(journal, "d.jpg", "key-d", [det("crack", 5, 5, 14, 14)], seq=3)
    journal.end_run("completed")
    journal.close()
    session = ReviewSession(tmp_path, DEFAULT_RULES, inspector="Ana", os_user="ana")
    session.reject_box("a.jpg", "m1", reason="dust")
    session.add_box("a.jpg", PixelBox("dent", 50, 50, 59, 59))
    session.confirm("a.jpg")
    session.accept_box("c.jpg", "m0")
    session.move_box("c.jpg", "m1", PixelBox("scratch", 12, 12, 21, 21))
    session.reject_box("c.jpg", "m2")
    session.set_verdict("c.jpg", "hold", "Needs a second look")
    session.close()
    return tmp_path


def journal_records(out: Path) -> list[dict]:
    journal = Journal(out)
    try:
        return list(journal.records())
    finally:
        journal.close()


def test_reviewed_photos_get_corrected_records_and_the_others_stay_as_answered(reviewed: Path) -> None:
    original = journal_records(reviewed)
    outputs = ReviewedOutputs(reviewed, DEFAULT_RULES)
    a, b, c, d = outputs.records(original)
    assert (b, d) == (original[1], original[3])
    assert a["model_detections"] == original[0]["detections"]
    assert [(x["box"], x["mention"], x["review"]) for x in a["detections"]] == [
        ("m0", "scratch", "pending"),
        ("d2", "dent", "added"),
    ]
    assert [(x["box"], x["mention"]) for x in a["rejected"]] == [("m1", "crack")]
    assert a["review"]["verdict"] == "pass" and a["review"]["by"] == "Ana (ana)"
    assert [x["box"] for x in c["detections"]] == ["m0", "m1"]
    assert c["detections"][1]["top_left"] == {"x": 12, "y": 12}
    assert c["review"]["verdict"] == "hold" and c["review"]["proposed"] == "pass"
    assert c["review"]["overridden"] is True and c["review"]["reason"] == "Needs a second look"


def test_the_summary_counts_verdicts_and_agreement_worked_out_by_hand(reviewed: Path) -> None:
    outputs = ReviewedOutputs(reviewed, DEFAULT_RULES)
    for _ in outputs.records(journal_records(reviewed)):
        pass
    summary = outputs.summary()
    # a decided pass, b proposed pass; c decided hold; d proposed fail; b and d undecided.
    assert summary["verdicts"] == {"pass": 2, "fail": 1, "hold": 1, "undecided": 2}
    assert summary["agreement"] == {
        # a: 1 pending; c: accepted m0 and (moved) m1, rejected m2. precision 2/3, recall 2/2.
        "scratch": {
            "model_boxes": 4,
            "accepted": 2,
            "rejected": 1,
            "pending": 1,
            "added": 0,
            "precision": 0.6667,
            "recall": 1.0,
        },
        # a's crack rejected: precision 0/1; nothing accepted or added: no recall. d is not reviewed.
        "crack": {
            "model_boxes": 1,
            "accepted": 0,
            "rejected": 1,
            "pending": 0,
            "added": 0,
            "precision": 0.0,
            "recall": None,
        },
        # a's drawn dent: the model missed it, recall 0/1.
        "dent": {
            "model_boxes": 0,
            "accepted": 0,
            "rejected": 0,
            "pending": 0,
            "added": 1,
            "precision": None,
            "recall": 0.0,
        },
    }
    assert summary["rules"] == rules_identity(DEFAULT_RULES)


def test_a_run_without_a_trail_counts_proposals_only(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.begin_run({"classes": ["dent"]})
    save(journal, "a.jpg", "key-a", [det("dent", 0, 0, 9, 9)])
    save(journal, "b.jpg", "key-b", [], seq=1)
    journal.end_run("completed")
    records = list(journal.records())
    journal.close()
    outputs = ReviewedOutputs(tmp_path, RuleSet(rules=(AnyRule("dent", "hold"),)))
    assert list(outputs.records(records)) == records
    summary = outputs.summary()
    assert summary["verdicts"] == {"pass": 1, "fail": 0, "hold": 1, "undecided": 2}
    assert summary["agreement"] == {}


def test_rebuild_rewrites_results_and_summary_with_decisions_made_after_the_run(reviewed: Path) -> None:
    run_summary = {"outcome": "completed", "wall_time_s": 12.5, "images": 4, "this_session": None}
    (reviewed / "summary.json").write_text(json.dumps(run_summary), encoding="utf-8")
    summary = rebuild_outputs(reviewed, DEFAULT_RULES)
    lines = [json.loads(x) for x in (reviewed / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["image"] for x in lines] == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert [x["box"] for x in lines[0]["rejected"]] == ["m1"] and "review" not in lines[1]
    written = json.loads((reviewed / "summary.json").read_text(encoding="utf-8"))
    assert written == summary
    assert written["verdicts"] == {"pass": 2, "fail": 1, "hold": 1, "undecided": 2}
    assert written["outcome"] == "completed" and written["images"] == 4 and written["ok"] == 4
    assert written["wall_time_s"] == 12.5  # the run's own figures are kept

    session = ReviewSession(reviewed, DEFAULT_RULES, os_user="ana")
    session.confirm("d.jpg")
    session.close()
    again = rebuild_outputs(reviewed, DEFAULT_RULES)
    assert again["verdicts"] == {"pass": 2, "fail": 1, "hold": 1, "undecided": 1}
    assert again["agreement"]["crack"]["model_boxes"] == 2 and again["wall_time_s"] == 12.5


def test_rebuild_without_an_earlier_summary_takes_the_outcome_from_the_journal(reviewed: Path) -> None:
    summary = rebuild_outputs(reviewed, DEFAULT_RULES)
    assert summary["outcome"] == "completed" and summary["images"] == 4
