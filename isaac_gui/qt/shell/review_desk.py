"""Review wired into the window: the viewer's and the grid's requests go to the review writer with
the photo they are about; its answers update the rows and the viewer.

A verdict in the viewer (P, F, H, Enter) moves on to the next photo at once: the trail is written
behind, in order, and the badge follows a few milliseconds later. In the grid, P, F or H apply to
every selected photo: those whose proposal differs get one reason, asked once.

Undo and redo follow the inspector, not the photo on screen: Ctrl+Z takes back the last decision
wherever it was made (and shows that photo again), as in any editor. Each is a new trail entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet, evaluate
from isaac_gui.qt.photos.grid import PhotoGrid
from isaac_gui.qt.photos.model import PhotoListModel, PhotoRow, PhotoState, PhotoUpdate
from isaac_gui.qt.review.controller import ReviewController
from isaac_gui.qt.shell.photo_stack import ViewerPane
from isaac_gui.qt.viewer.pickers import ask_reason

DONE = (PhotoState.OK, PhotoState.ERROR)


class ReviewDesk(QObject):
    problem = Signal(str)

    def __init__(
        self,
        pane: ViewerPane,
        grid: PhotoGrid,
        model: PhotoListModel,
        review: ReviewController,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.pane, self.grid, self.model, self.review = pane, grid, model, review
        self._window = parent
        self.rules: RuleSet = DEFAULT_RULES
        self.reasons: Sequence[str] = ()
        self._done: list[str] = []  # the photos acted on, latest last (what Ctrl+Z takes back)
        self._undone: list[str] = []  # what Ctrl+Shift+Z puts back
        pane.viewerMade.connect(self._wire_viewer)
        pane.photoShown.connect(self._on_photo_shown)
        grid.verdictRequested.connect(self.verdict_for_selection)
        grid.nextUndecidedRequested.connect(self.next_undecided)
        review.reviewsChanged.connect(self._on_reviews)
        review.failed.connect(self.problem)

    def configure(self, rules: RuleSet, reasons: Sequence[str]) -> None:
        self.rules, self.reasons = rules, tuple(reasons)
        if self.pane.viewer is not None and self.reasons:
            self.pane.viewer.reasons = self.reasons

    # --- the viewer -------------------------------------------------------------------------------

    def _wire_viewer(self, viewer: Any) -> None:
        if self.reasons:
            viewer.reasons = self.reasons
        viewer.verdictRequested.connect(self._verdict)
        viewer.boxRequested.connect(self._box)
        viewer.undoRequested.connect(self.undo)
        viewer.redoRequested.connect(self.redo)
        viewer.nextUndecidedRequested.connect(self.next_undecided)

    def _acted(self, *rels: str) -> None:
        self._done.extend(rels)
        self._undone.clear()

    def undo(self) -> None:
        if not self._done:
            self.problem.emit("Nothing to undo.")
            return
        rel = self._done.pop()
        self._undone.append(rel)
        self._go_to(rel)
        self.review.undo(rel)

    def redo(self) -> None:
        if not self._undone:
            self.problem.emit("Nothing to redo.")
            return
        rel = self._undone.pop()
        self._done.append(rel)
        self._go_to(rel)
        self.review.redo(rel)

    def _go_to(self, rel: str) -> None:
        if self.pane.showing and self.pane.current_rel() != rel:
            self.pane.next_where(lambda row: row.rel == rel)

    def reset(self) -> None:
        """Another folder: its undo history starts empty."""
        self._done.clear()
        self._undone.clear()

    def _on_photo_shown(self, rel: str) -> None:
        viewer = self.pane.viewer
        viewer.show_review(self.review.reviews.get(rel))
        row = self._row(rel)
        if row is not None and row.state in DONE:
            self.review.load(rel)

    def _verdict(self, verdict: str, reason: str) -> None:
        rel = self.pane.current_rel()
        if rel is None:
            return
        if verdict:
            self.review.set_verdict(rel, verdict, reason)
        else:
            self.review.confirm(rel)
        self._acted(rel)
        self.pane.next()

    def _box(self, action: str, box_id: str, payload: object) -> None:
        rel = self.pane.current_rel()
        if rel is None:
            return
        if action == "accept":
            self.review.accept_box(rel, box_id)
        elif action == "reject":
            self.review.reject_box(rel, box_id)
        elif action == "restore":
            self.review.restore_box(rel, box_id)
        elif action == "move" and isinstance(payload, PixelBox):
            self.review.move_box(rel, box_id, payload)
        elif action == "add" and isinstance(payload, PixelBox):
            self.review.add_box(rel, payload)
        elif action == "class" and isinstance(payload, str):
            self.review.set_class(rel, box_id, payload)
        else:
            return
        self._acted(rel)

    def next_undecided(self) -> None:
        """N: the next photo with a result and no verdict (wrapping round); says so when none is left."""
        undecided = self.pane.next_where(  # from the grid, the photo it is on counts too
            lambda row: row.state in DONE and not row.verdict, from_current=not self.pane.showing
        )
        if not undecided:
            self.problem.emit("Every photo shown has a verdict.")

    # --- the grid --------------------------------------------------------------------------------

    def verdict_for_selection(self, verdict: str) -> None:
        rows = [row for row in self.grid.selected_rows() if row.state in DONE]
        if not rows:
            return
        overrides = [row for row in rows if self._proposed(row) != verdict]
        reason = ""
        if overrides:
            n = len(overrides)
            picked = ask_reason(
                f"{verdict} ({n:,} photo{'s' if n != 1 else ''})", self._reasons(), self._window
            )
            if not picked:
                return
            reason = picked
        for row in rows:
            if row in overrides:
                self.review.set_verdict(row.rel, verdict, reason)
            elif row.verdict != verdict:
                self.review.confirm(row.rel)
            else:
                continue
            self._acted(row.rel)

    def _reasons(self) -> Sequence[str]:
        viewer = self.pane.viewer
        return self.reasons or (viewer.reasons if viewer is not None else ())

    def _proposed(self, row: PhotoRow) -> str:
        known = self.review.reviews.get(row.rel)
        if known is not None:
            return known.verdict.proposed
        record = row.record()
        return evaluate(self.rules, record).verdict if record is not None else ""

    # --- answers -----------------------------------------------------------------------------------

    def _on_reviews(self, changed: list[tuple[str, Any]]) -> None:
        self.model.apply_reviews(changed)
        current = self.pane.current_rel()
        latest = next((review for rel, review in reversed(changed) if rel == current), None)
        if latest is not None:
            self.pane.viewer.show_review(latest)

    def on_engine_updates(self, updates: list[PhotoUpdate]) -> None:
        """A new answer for a photo drops its old review from view; the photo on screen reloads it."""
        current = self.pane.current_rel()
        for update in updates:
            if update.record is not None:
                self.review.reviews.pop(update.rel, None)
                if update.rel == current:
                    self.pane.viewer.show_review(None)
                    self.review.load(update.rel)

    def _row(self, rel: str) -> PhotoRow | None:
        i = self.model.row_of(rel)
        return None if i is None else self.model.row_at(i)
