"""The inspector's corrections folded over the model's answer: pure functions, no I/O.

The model's answer is never changed. A photo's trail entries (for one answer) are replayed over
its detections: model boxes are `m<index>` (their index in the answer's detection list), boxes the
inspector drew are `d<seq>` (the seq of the entry that drew them). Undo and redo are entries too;
they are resolved first, as a stack: an undo takes back the latest action still in force, a redo
puts back the latest undone one, and a new action forgets what could have been redone.

Moving, resizing or re-classing a box the inspector had not judged yet accepts it: they looked at
it and kept it. The verdict is proposed by the rules from the corrected boxes. A confirmation
holds only while the proposal is the one confirmed (correcting a box afterwards can change it:
the photo is then undecided again, `stale`); an override stands until it is undone or replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.review.audit import Entry
from isaac_gui.core.review.rules import VERDICTS, RuleSet, Verdict, class_key, evaluate

BoxStatus = Literal["pending", "accepted", "rejected", "added"]
_BOX_EDITS = ("box_move", "box_resize", "box_class")


@dataclass(frozen=True, slots=True)
class BoxState:
    """One box as the inspector left it. `model_box` is the model's own (None for a drawn box)."""

    id: str
    status: BoxStatus
    box: PixelBox
    model_box: PixelBox | None

    @property
    def drawn(self) -> bool:
        return self.model_box is None

    @property
    def class_changed(self) -> bool:
        return self.model_box is not None and class_key(self.box.mention) != class_key(self.model_box.mention)

    @property
    def moved(self) -> bool:
        m = self.model_box
        return m is not None and (m.x1, m.y1, m.x2, m.y2) != (
            self.box.x1,
            self.box.y1,
            self.box.x2,
            self.box.y2,
        )

    def to_record(self) -> dict[str, object]:
        return {**self.box.to_record(), "box": self.id, "review": self.status}


@dataclass(frozen=True, slots=True)
class VerdictState:
    """The photo's verdict: the inspector's (`verdict`, None while undecided) and the rules' proposal."""

    verdict: Verdict | None
    proposed: Verdict
    proposed_reasons: tuple[str, ...]
    overridden: bool = False
    reason: str | None = None
    by: str | None = None
    at: str | None = None
    stale: bool = False  # a confirmation of a proposal the corrections have since changed

    def to_record(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "proposed": self.proposed,
            "proposed_reasons": list(self.proposed_reasons),
            "overridden": self.overridden,
            "reason": self.reason,
            "by": self.by,
            "at": self.at,
            "stale": self.stale,
        }


@dataclass(frozen=True, slots=True)
class Review:
    """A photo's answer as corrected: its boxes, its verdict, and what undo / redo would take."""

    boxes: tuple[BoxState, ...]
    verdict: VerdictState
    undo_seq: int | None  # the entry an undo would take back
    redo_seq: int | None  # the entry a redo would put back
    touched: bool  # any correction or verdict in force

    @property
    def reviewed(self) -> bool:
        """The inspector decided the photo's verdict."""
        return self.verdict.verdict is not None

    def box(self, box_id: str) -> BoxState:
        for each in self.boxes:
            if each.id == box_id:
                return each
        raise KeyError(box_id)

    @property
    def kept(self) -> list[BoxState]:
        """The boxes downstream uses: accepted, pending and drawn (not rejected)."""
        return [b for b in self.boxes if b.status != "rejected"]


def in_force(entries: Iterable[Entry]) -> tuple[list[Entry], int | None, int | None]:
    """The actions in force, in order, after undo and redo; and the seq an undo / a redo would use."""
    done: list[Entry] = []
    undone: list[Entry] = []
    for entry in entries:
        if entry.action == "undo":
            if done and done[-1].seq == entry.ref:
                undone.append(done.pop())
        elif entry.action == "redo":
            if undone and undone[-1].seq == entry.ref:
                done.append(undone.pop())
        else:
            done.append(entry)
            undone.clear()
    return done, done[-1].seq if done else None, undone[-1].seq if undone else None


def _model_boxes(record: Mapping[str, Any]) -> list[BoxState]:
    boxes = []
    detections = record.get("detections") if record.get("status") == "ok" else None
    for index, raw in enumerate(detections if isinstance(detections, list) else []):
        try:
            box = PixelBox.from_record(raw)
        except ValueError:
            continue  # a malformed detection keeps its index so the others keep their ids
        boxes.append(BoxState(f"m{index}", "pending", box, box))
    return boxes


def _geometry(box: PixelBox, value: Mapping[str, Any]) -> PixelBox:
    moved = PixelBox.from_record({"mention": box.mention, **value})
    return replace(box, x1=moved.x1, y1=moved.y1, x2=moved.x2, y2=moved.y2)


def _apply(boxes: dict[str, BoxState], entry: Entry) -> None:
    if entry.action == "box_add":
        boxes[f"d{entry.seq}"] = BoxState(f"d{entry.seq}", "added", PixelBox.from_record(entry.new), None)
        return
    state = boxes.get(entry.box or "")
    if state is None or not isinstance(entry.new, Mapping):
        return  # names no box of this answer: nothing to fold
    if entry.action in ("box_accept", "box_reject", "box_restore"):
        boxes[state.id] = replace(state, status=entry.new["status"])
        return
    if entry.action == "box_class":
        box = replace(state.box, mention=str(entry.new["mention"]))
    else:
        box = _geometry(state.box, entry.new)
    status: BoxStatus = "accepted" if state.status == "pending" else state.status
    boxes[state.id] = replace(state, box=box, status=status)


def fold(record: Mapping[str, Any], entries: Sequence[Entry], rules: RuleSet) -> Review:
    """The corrected state of one photo's answer: `entries` are the trail's for that photo and answer."""
    actions, undo_seq, redo_seq = in_force(entries)
    boxes = {b.id: b for b in _model_boxes(record)}
    decision: Entry | None = None
    for entry in actions:
        if entry.action in ("confirm", "verdict"):
            decision = entry
        else:
            _apply(boxes, entry)
    kept = [b for b in boxes.values() if b.status != "rejected"]
    proposal = evaluate(rules, {**record, "detections": [b.box.to_record() for b in kept]})
    verdict = VerdictState(None, proposal.verdict, proposal.reasons)
    if decision is not None:
        chosen = decision.new.get("verdict") if isinstance(decision.new, Mapping) else None
        decided = replace(verdict, by=decision.who, at=decision.at, reason=decision.reason)
        if chosen not in VERDICTS:
            pass  # an unreadable decision decides nothing
        elif decision.action == "verdict":
            verdict = replace(decided, verdict=chosen, overridden=True)
        elif chosen == proposal.verdict:
            verdict = replace(decided, verdict=chosen)
        else:
            verdict = replace(decided, stale=True)
    return Review(tuple(boxes.values()), verdict, undo_seq, redo_seq, bool(actions))


def corrected_record(record: Mapping[str, Any], entries: Sequence[Entry], rules: RuleSet) -> dict[str, Any]:
    """The record as exporters and summaries should see it: `detections` are the kept boxes (each
    with its `box` id and `review` status), `rejected` the rejected ones, `model_detections` the
    model's own answer unchanged, and `review` the verdict."""
    review = fold(record, entries, rules)
    out = dict(record)
    out["model_detections"] = list(record.get("detections") or [])
    out["detections"] = [b.to_record() for b in review.kept]
    out["rejected"] = [b.to_record() for b in review.boxes if b.status == "rejected"]
    out["review"] = review.verdict.to_record()
    return out


def reviews(
    records: Iterable[Mapping[str, Any]], entries_by_photo: Mapping[str, Sequence[Entry]], rules: RuleSet
) -> Iterator[tuple[Mapping[str, Any], Review]]:
    """Each record with its corrected state; `entries_by_photo` holds each photo's entries for the
    answer it shows (`AuditTrail.current_entries()`)."""
    for record in records:
        yield record, fold(record, entries_by_photo.get(str(record.get("image")), ()), rules)


def verdict_counts(
    records: Iterable[Mapping[str, Any]], entries_by_photo: Mapping[str, Sequence[Entry]], rules: RuleSet
) -> dict[str, int]:
    """For summary.json. pass / fail / hold count every photo once: the inspector's verdict when
    decided, else the rules' proposal from the corrected boxes; `undecided` counts the photos whose
    verdict is only proposed (all of them for a headless `run --rules`)."""
    counts = {"pass": 0, "fail": 0, "hold": 0, "undecided": 0}
    for _record, review in reviews(records, entries_by_photo, rules):
        counts[review.verdict.verdict or review.verdict.proposed] += 1
        counts["undecided"] += not review.reviewed
    return counts
