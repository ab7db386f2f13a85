"""How far the inspector agrees with the model, per class, over the photos they reviewed.

Only photos with a decided verdict count. On those, per class (matched case-insensitively, named
as first seen): the model's boxes, those the inspector accepted (explicitly, or by moving them),
rejected, left pending, and the boxes they added. A model box whose class the inspector changed
counts as rejected for the model's class and added for the new one: the model did not find that
defect. Precision = accepted / (accepted + rejected), over the boxes judged; recall = accepted /
(accepted + added). Either is None when its denominator is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from isaac_gui.core.review.audit import Entry
from isaac_gui.core.review.corrections import Review, reviews
from isaac_gui.core.review.rules import RuleSet, class_key


@dataclass(slots=True)
class ClassAgreement:
    cls: str
    model_boxes: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    added: int = 0

    @property
    def precision(self) -> float | None:
        judged = self.accepted + self.rejected
        return self.accepted / judged if judged else None

    @property
    def recall(self) -> float | None:
        found = self.accepted + self.added
        return self.accepted / found if found else None

    def to_json(self) -> dict[str, Any]:
        return {
            "model_boxes": self.model_boxes,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "pending": self.pending,
            "added": self.added,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
        }


def agreement(corrected: Iterable[Review]) -> list[ClassAgreement]:
    """The table over these photos' corrected states, classes in first-seen order."""
    table: dict[str, ClassAgreement] = {}

    def row(name: str) -> ClassAgreement:
        return table.setdefault(class_key(name), ClassAgreement(" ".join(name.split())))

    for review in corrected:
        if not review.reviewed:
            continue
        for box in review.boxes:
            if box.model_box is None:
                if box.status != "rejected":
                    row(box.box.mention).added += 1
                continue
            model = row(box.model_box.mention)
            model.model_boxes += 1
            if box.status == "pending":
                model.pending += 1
            elif box.status == "rejected":
                model.rejected += 1
            elif box.class_changed:
                model.rejected += 1
                row(box.box.mention).added += 1
            else:
                model.accepted += 1
    return list(table.values())


def agreement_table(
    records: Iterable[Mapping[str, Any]], entries_by_photo: Mapping[str, Sequence[Entry]], rules: RuleSet
) -> dict[str, dict[str, Any]]:
    """For summary.json: {class: {model_boxes, accepted, rejected, pending, added, precision, recall}}."""
    return {
        r.cls: r.to_json()
        for r in agreement(review for _, review in reviews(records, entries_by_photo, rules))
    }
