"""The agreement table on hand-made states, with numbers worked out by hand."""

from __future__ import annotations

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.review.agreement import agreement
from isaac_gui.core.review.corrections import BoxState, Review, VerdictState


def model(i: int, mention: str, status: str, now: str | None = None) -> BoxState:
    box = PixelBox(mention, i, i, i + 5, i + 5)
    return BoxState(f"m{i}", status, PixelBox(now or mention, i, i, i + 5, i + 5), box)  # type: ignore[arg-type]


def drawn(seq: int, mention: str, status: str = "added") -> BoxState:
    return BoxState(f"d{seq}", status, PixelBox(mention, 0, 0, 5, 5), None)  # type: ignore[arg-type]


def review(*boxes: BoxState, decided: bool = True) -> Review:
    verdict = VerdictState("fail" if decided else None, "fail", ("r",))
    return Review(tuple(boxes), verdict, None, None, True)


def test_per_class_counts_precision_and_recall():
    photos = [
        # photo 1: scratch: 2 accepted, 1 rejected, 1 pending; a dent drawn
        review(
            model(0, "scratch", "accepted"),
            model(1, "Scratch", "accepted"),
            model(2, "scratch", "rejected"),
            model(3, "scratch", "pending"),
            drawn(9, "dent"),
        ),
        # photo 2: a dent accepted; a scratch re-classed as dent; a drawn scratch rejected again (not counted)
        review(
            model(0, "dent", "accepted"),
            model(1, "scratch", "accepted", now="dent"),
            drawn(7, "scratch", "rejected"),
        ),
        # photo 3: not decided: nothing counts
        review(model(0, "scratch", "rejected"), drawn(4, "dent"), decided=False),
    ]
    table = {row.cls: row for row in agreement(photos)}
    assert list(table) == ["scratch", "dent"]
    scratch, dent = table["scratch"], table["dent"]
    # scratch: model 5 (4 + 1), accepted 2, rejected 1 + 1 re-classed = 2, pending 1, added 0
    assert (scratch.model_boxes, scratch.accepted, scratch.rejected, scratch.pending, scratch.added) == (
        5,
        2,
        2,
        1,
        0,
    )
    assert scratch.precision == 2 / 4 and scratch.recall == 2 / 2
    # dent: model 1 accepted; added: 1 drawn + 1 re-classed = 2
    assert (dent.model_boxes, dent.accepted, dent.rejected, dent.pending, dent.added) == (1, 1, 0, 0, 2)
    assert dent.precision == 1.0 and dent.recall == 1 / 3
    assert dent.to_json()["recall"] == 0.3333


def test_no_judged_box_means_no_precision_and_nothing_found_no_recall():
    [row] = agreement([review(model(0, "scratch", "pending"))])
    assert (row.precision, row.recall) == (None, None)
    assert agreement([]) == []
