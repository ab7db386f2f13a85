"""The window's side of review: one writer thread per open folder, in the order the keys came.

A key press only enqueues: `ReviewController` hands each action to one worker thread that owns the
folder's `ReviewSession` (SQLite, an fsync per entry), and the new state comes back through a
`Mailbox` as `reviewsChanged([(rel, Review), ...])`, one list per delivery (a verdict on 1,000
selected photos repaints the grid a few times, not 1,000). So a verdict key returns to the event loop at once, the
trail is written in exactly the order of the keys, and a slow disk only delays the badge, never the
inspector. `reviews` keeps the latest state of every photo seen, for the viewer and the grid.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.review.corrections import Review
from isaac_gui.core.review.rules import RuleSet
from isaac_gui.core.review.session import ReviewError, ReviewSession
from isaac_gui.qt.workers.mailbox import Mailbox
from isaac_gui.qt.workers.responsive import lower_this_thread

log = logging.getLogger(__name__)

Action = Callable[[ReviewSession], Review | None]  # None: nothing to deliver (configuring, a marker)


class ReviewController(QObject):
    reviewsChanged = Signal(object)  # list of (rel, Review) that differ from what was known, in order
    decided = Signal()  # a delivery held at least one new trail entry (not only states read)
    failed = Signal(str)  # a sentence: what could not be saved and why
    idle = Signal()  # every queued action is written (tests, shutdown)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reviews: dict[str, Review] = {}
        self.out_dir: Path | None = None
        self._rules: RuleSet | None = None
        self._inspector: str | None = None
        self._jobs: queue.Queue[tuple[str, Action, bool] | None] = queue.Queue()  # rel, action, writes
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._mailbox = Mailbox(
            self._deliver, interval_ms=16, parent=self
        )  # at most a frame late; batched in bulk

    # --- the folder ---------------------------------------------------------------------------

    def open(self, out_dir: Path, rules: RuleSet, inspector: str | None) -> None:
        """Review `out_dir`'s run from now on (the previous folder's queue is written first)."""
        self.close()
        self.out_dir, self._rules, self._inspector = out_dir, rules, inspector or None
        self.reviews = {}
        self._thread = threading.Thread(target=self._work, name="isaac-review", daemon=True)
        self._thread.start()

    def set_rules(self, rules: RuleSet, inspector: str | None) -> None:
        self._rules, self._inspector = rules, inspector or None
        self._submit("", lambda s: _configure(s, rules, inspector), writes=False)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then let the worker go (bounded)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._jobs.put(None)
        thread.join(timeout)
        self._mailbox.flush()

    def shutdown(self, timeout: float = 10.0) -> None:
        """The window is closing: write what is queued, deliver it, then take no more."""
        self.close(timeout)
        self._mailbox.close()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued action is written and delivered (tests and shutdown only)."""
        done = threading.Event()

        def mark(_session: ReviewSession) -> None:
            done.set()

        self._submit("", mark, writes=False)
        ok = done.wait(timeout)
        self._mailbox.flush()
        return ok

    # --- actions: each returns at once ----------------------------------------------------------

    def load(self, rel: str) -> None:
        self._submit(rel, lambda s: s.state(rel), writes=False)

    def confirm(self, rel: str) -> None:
        self._submit(rel, lambda s: s.confirm(rel))

    def set_verdict(self, rel: str, verdict: str, reason: str) -> None:
        self._submit(rel, lambda s: s.set_verdict(rel, verdict, reason))

    def accept_box(self, rel: str, box_id: str) -> None:
        self._submit(rel, lambda s: s.accept_box(rel, box_id))

    def reject_box(self, rel: str, box_id: str) -> None:
        self._submit(rel, lambda s: s.reject_box(rel, box_id))

    def restore_box(self, rel: str, box_id: str) -> None:
        self._submit(rel, lambda s: s.restore_box(rel, box_id))

    def add_box(self, rel: str, box: PixelBox) -> None:
        self._submit(rel, lambda s: s.add_box(rel, box))

    def move_box(self, rel: str, box_id: str, box: PixelBox) -> None:
        self._submit(rel, lambda s: s.move_box(rel, box_id, box))

    def set_class(self, rel: str, box_id: str, mention: str) -> None:
        self._submit(rel, lambda s: s.set_class(rel, box_id, mention))

    def undo(self, rel: str) -> None:
        self._submit(rel, lambda s: s.undo(rel))

    def redo(self, rel: str) -> None:
        self._submit(rel, lambda s: s.redo(rel))

    # --- the worker -----------------------------------------------------------------------------

    def _submit(self, rel: str, action: Action, *, writes: bool = True) -> None:
        if self._thread is None:
            self.failed.emit("Open a folder with results before reviewing.")
            return
        with self._lock:
            self._pending += 1
        self._jobs.put((rel, action, writes))

    def _work(self) -> None:
        lower_this_thread()
        session: ReviewSession | None = None
        try:
            while (job := self._jobs.get()) is not None:
                rel, action, writes = job
                try:
                    if session is None:
                        assert self.out_dir is not None and self._rules is not None
                        session = ReviewSession(self.out_dir, self._rules, self._inspector)
                    self._mailbox.post((rel, action(session), None, writes))
                except ReviewError as exc:
                    self._mailbox.post((rel, None, str(exc), False))
                except Exception as exc:  # a full disk or a locked journal: say so, keep the thread
                    log.warning("review of %s not saved: %r", rel or "the folder", exc)
                    self._mailbox.post((rel, None, f"Not saved: {rel or 'the review'} ({exc}).", False))
        finally:
            if session is not None:
                session.close()

    def _deliver(self, items: list[tuple[str, Review | None, str | None, bool]]) -> None:
        changed: list[tuple[str, Review]] = []
        problems: list[str] = []
        wrote = False
        for rel, review, problem, writes in items:
            wrote |= writes and review is not None
            # A state read back unchanged (the photo shown again) repaints nothing.
            if review is not None and rel and self.reviews.get(rel) != review:
                self.reviews[rel] = review
                changed.append((rel, review))
            if problem:
                problems.append(problem)
        with self._lock:
            self._pending -= len(items)
            idle = self._pending == 0
        if changed:
            self.reviewsChanged.emit(changed)
        if wrote:
            self.decided.emit()
        for problem in problems:
            self.failed.emit(problem)
        if idle:
            self.idle.emit()


def _configure(session: ReviewSession, rules: RuleSet, inspector: str | None) -> None:
    session.rules = rules
    session.inspector = inspector or None
