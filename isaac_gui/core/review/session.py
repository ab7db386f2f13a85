"""What the window (and any other front end) calls to review a run: one method per inspector action,
each appending one audit entry and returning the photo's new corrected state. Plain Python,
thread-safe, no Qt.

A photo is reviewed on the answer it shows now (its current `job_key`) unless `answer` names an
earlier one. An action that would change nothing appends nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.review.audit import AuditTrail, Entry
from isaac_gui.core.review.corrections import BoxState, Review, fold, in_force
from isaac_gui.core.review.rules import DEFAULT_RULES, VERDICTS, RuleSet


class ReviewError(ValueError):
    """An action that cannot be taken: unknown photo or box, a missing reason, a box off the photo."""


def _geometry(box: PixelBox) -> dict[str, Any]:
    return {"top_left": {"x": box.x1, "y": box.y1}, "bottom_right": {"x": box.x2, "y": box.y2}}


def _status_before_reject(entries: list[Entry], box_id: str) -> str:
    """What a rejected box was before the rejection in force (pending, accepted, or added if drawn)."""
    actions, _undo, _redo = in_force(entries)
    reject = next(e for e in reversed(actions) if e.action == "box_reject" and e.box == box_id)
    return str(reject.old["status"])


class ReviewSession:
    def __init__(
        self,
        out_dir: Path,
        rules: RuleSet = DEFAULT_RULES,
        inspector: str | None = None,
        *,
        os_user: str | None = None,
    ) -> None:
        self.trail = AuditTrail(out_dir)
        self.inspector = inspector or None
        self._os_user = os_user
        self._rules = rules
        self._lock = threading.RLock()

    @property
    def rules(self) -> RuleSet:
        return self._rules

    @rules.setter
    def rules(self, rules: RuleSet) -> None:
        with self._lock:
            self._rules = rules

    # -- reading ------------------------------------------------------------------------------
    def _load(self, photo: str, answer: str | None) -> tuple[str, dict[str, Any], list[Entry]]:
        key = answer or self.trail.answer_of(photo)
        record = None if key is None else self.trail.record_of(key)
        if key is None or record is None:
            raise ReviewError(f"{photo}: no answer to review")
        return key, {**record, "image": photo}, list(self.trail.entries(photo, key))

    def state(self, photo: str, answer: str | None = None) -> Review:
        with self._lock:
            _key, record, entries = self._load(photo, answer)
            return fold(record, entries, self._rules)

    def entries(self, photo: str, answer: str | None = None) -> list[Entry]:
        with self._lock:
            return self._load(photo, answer)[2]

    # -- writing ------------------------------------------------------------------------------
    def _act(
        self,
        photo: str,
        answer: str | None,
        decide: Callable[[dict[str, Any], Review, list[Entry]], dict[str, Any] | None],
    ) -> Review:
        """Load the photo, let `decide(record, review, entries)` return the entry's fields (or None for no
        change), append it and return the new state; all under one lock so two threads never
        compute an old value from the same state."""
        with self._lock:
            key, record, entries = self._load(photo, answer)
            review = fold(record, entries, self._rules)
            fields = decide(record, review, entries)
            if fields is None:
                return review
            entry = self.trail.append(
                photo=photo, answer=key, os_user=self._os_user, inspector=self.inspector, **fields
            )
            return fold(record, [*entries, entry], self._rules)

    def confirm(self, photo: str, *, answer: str | None = None) -> Review:
        """The inspector agrees with the proposed verdict (one key)."""

        def decide(_record: dict[str, Any], review: Review, _entries: list[Entry]) -> dict[str, Any] | None:
            v = review.verdict
            if v.verdict == v.proposed and not v.overridden:
                return None
            new = {"verdict": v.proposed, "reasons": list(v.proposed_reasons)}
            return {"action": "confirm", "old": self._verdict_value(review), "new": new}

        return self._act(photo, answer, decide)

    def set_verdict(self, photo: str, verdict: str, reason: str, *, answer: str | None = None) -> Review:
        """The inspector overrides the proposal; `reason` is required (a listed one or free text)."""
        if verdict not in VERDICTS:
            raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        if not reason.strip():
            raise ReviewError("an override needs a reason")

        def decide(_record: dict[str, Any], review: Review, _entries: list[Entry]) -> dict[str, Any] | None:
            if (
                review.verdict.overridden
                and review.verdict.verdict == verdict
                and review.verdict.reason == reason
            ):
                return None
            new = {"verdict": verdict, "proposed": review.verdict.proposed}
            return {
                "action": "verdict",
                "old": self._verdict_value(review),
                "new": new,
                "reason": reason.strip(),
            }

        return self._act(photo, answer, decide)

    @staticmethod
    def _verdict_value(review: Review) -> dict[str, Any] | None:
        v = review.verdict
        return None if v.verdict is None else {"verdict": v.verdict, "overridden": v.overridden}

    def _status(self, photo: str, box_id: str, action: str, reason: str | None, answer: str | None) -> Review:
        def decide(_record: dict[str, Any], review: Review, entries: list[Entry]) -> dict[str, Any] | None:
            state = self._box(review, box_id)
            if action == "box_restore":
                if state.status != "rejected":
                    return None
                target = _status_before_reject(entries, box_id)
            elif action == "box_reject":
                if state.status == "rejected":
                    return None
                target = "rejected"
            else:
                if state.status == "rejected":
                    raise ReviewError(f"{photo}: box {box_id} is rejected; restore it first")
                if state.status != "pending":
                    return None
                target = "accepted"
            return {
                "action": action,
                "box": box_id,
                "old": {"status": state.status},
                "new": {"status": target},
                "reason": reason,
            }

        return self._act(photo, answer, decide)

    def accept_box(
        self, photo: str, box_id: str, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        return self._status(photo, box_id, "box_accept", reason, answer)

    def reject_box(
        self, photo: str, box_id: str, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        """A false detection: it stays listed (muted, restorable) but no longer counts downstream."""
        return self._status(photo, box_id, "box_reject", reason, answer)

    def restore_box(
        self, photo: str, box_id: str, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        return self._status(photo, box_id, "box_restore", reason, answer)

    def add_box(
        self, photo: str, box: PixelBox, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        """A box the model missed; its id is `d<seq>` of the entry that adds it."""

        def decide(record: dict[str, Any], _review: Review, _entries: list[Entry]) -> dict[str, Any]:
            self._check_box(record, box)
            return {"action": "box_add", "old": None, "new": box.to_record(), "reason": reason}

        return self._act(photo, answer, decide)

    def move_box(
        self, photo: str, box_id: str, box: PixelBox, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        """The box's corners set to `box`'s (its class is kept); a move or a drag of its edges."""
        return self._reshape(photo, box_id, box, "box_move", reason, answer)

    def resize_box(
        self, photo: str, box_id: str, box: PixelBox, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        return self._reshape(photo, box_id, box, "box_resize", reason, answer)

    def _reshape(
        self, photo: str, box_id: str, box: PixelBox, action: str, reason: str | None, answer: str | None
    ) -> Review:
        def decide(record: dict[str, Any], review: Review, _entries: list[Entry]) -> dict[str, Any] | None:
            state = self._editable(review, photo, box_id)
            self._check_box(record, box)
            old, new = _geometry(state.box), _geometry(box)
            if old == new:
                return None
            return {"action": action, "box": box_id, "old": old, "new": new, "reason": reason}

        return self._act(photo, answer, decide)

    def set_class(
        self, photo: str, box_id: str, mention: str, *, reason: str | None = None, answer: str | None = None
    ) -> Review:
        name = " ".join(mention.split())
        if not name:
            raise ReviewError("a box needs a class")

        def decide(_record: dict[str, Any], review: Review, _entries: list[Entry]) -> dict[str, Any] | None:
            state = self._editable(review, photo, box_id)
            if state.box.mention == name:
                return None
            return {
                "action": "box_class",
                "box": box_id,
                "old": {"mention": state.box.mention},
                "new": {"mention": name},
                "reason": reason,
            }

        return self._act(photo, answer, decide)

    def undo(self, photo: str, *, answer: str | None = None) -> Review:
        """Take back the photo's latest action still in force, as a new entry (nothing to undo: no entry)."""
        return self._unredo(photo, "undo", answer)

    def redo(self, photo: str, *, answer: str | None = None) -> Review:
        return self._unredo(photo, "redo", answer)

    def _unredo(self, photo: str, action: str, answer: str | None) -> Review:
        def decide(_record: dict[str, Any], review: Review, entries: list[Entry]) -> dict[str, Any] | None:
            seq = review.undo_seq if action == "undo" else review.redo_seq
            if seq is None:
                return None
            target = next(e for e in entries if e.seq == seq)
            old, new = (target.new, target.old) if action == "undo" else (target.old, target.new)
            return {"action": action, "box": target.box, "ref": seq, "old": old, "new": new}

        return self._act(photo, answer, decide)

    # -- checks -------------------------------------------------------------------------------
    @staticmethod
    def _box(review: Review, box_id: str) -> BoxState:
        try:
            return review.box(box_id)
        except KeyError:
            raise ReviewError(f"no box {box_id!r} on this photo") from None

    def _editable(self, review: Review, photo: str, box_id: str) -> BoxState:
        state = self._box(review, box_id)
        if state.status == "rejected":
            raise ReviewError(f"{photo}: box {box_id} is rejected; restore it first")
        return state

    @staticmethod
    def _check_box(record: dict[str, Any], box: PixelBox) -> None:
        if not " ".join(box.mention.split()):
            raise ReviewError("a box needs a class")
        width, height = record.get("width"), record.get("height")
        if not isinstance(width, int) or not isinstance(height, int):
            raise ReviewError(f"{record['image']}: the photo's size is unknown; boxes cannot be drawn on it")
        if not (0 <= box.x1 <= box.x2 < width and 0 <= box.y1 <= box.y2 < height):
            raise ReviewError(f"box {_geometry(box)} is not inside the {width} x {height} photo")

    def close(self) -> None:
        self.trail.close()
