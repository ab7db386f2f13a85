"""The review's summary in the window: verdict counts and how far the model agrees with the inspector.

Computed from the reviews the window already holds (folded from the trail), so it opens at once:
per class the model's boxes, accepted, rejected, still pending, added, precision and recall, as in
`summary.json`. Only photos with a decided verdict count.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core.review.agreement import agreement
from isaac_gui.core.review.corrections import Review

COLUMNS = ("Class", "Model boxes", "Accepted", "Rejected", "Pending", "Added", "Precision", "Recall")


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def verdict_line(reviews: Iterable[Review], photos_with_results: int) -> str:
    counts = {"pass": 0, "fail": 0, "hold": 0}
    overridden = decided = 0
    for review in reviews:
        if review.verdict.verdict is not None:
            counts[review.verdict.verdict] += 1
            decided += 1
            overridden += review.verdict.overridden
    undecided = max(photos_with_results - decided, 0)
    return (
        f"{counts['pass']:,} pass · {counts['fail']:,} fail · {counts['hold']:,} hold · "
        f"{undecided:,} undecided · {overridden:,} overridden"
    )


class AgreementView(QDialog):
    def __init__(
        self, reviews: Iterable[Review], photos_with_results: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review summary")
        reviews = list(reviews)
        self.verdicts = QLabel(verdict_line(reviews, photos_with_results), self)
        self.verdicts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rows = agreement([r for r in reviews if r.reviewed])
        self.table = QTableWidget(len(rows), len(COLUMNS), self)
        self.table.setAccessibleName("Agreement between the model and the inspector, per class")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            values = (row.cls, row.model_boxes, row.accepted, row.rejected, row.pending, row.added)
            cells = [str(v) if isinstance(v, str) else f"{v:,}" for v in values]
            cells += [_ratio(row.precision), _ratio(row.recall)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        note = QLabel(
            "Over the photos with a verdict. Precision: of the model's boxes the inspector judged, the "
            "share they kept. Recall: of the defects the inspector kept or drew, the share the model found.",
            self,
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        empty = QLabel("No photo has a verdict yet: press P, F, H or Enter in the viewer.", self)
        empty.setVisible(not rows)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdicts)
        layout.addWidget(self.table)
        layout.addWidget(empty)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(720, 320)
