"""Opening a folder: every photo listed at once, earlier results filled in, all off the GUI thread.

A background thread streams `discovery.scan_paths` (the engine's own scan, so rows and engine
events name photos the same way) into the model in batches: a small first batch so the grid shows
something within a frame or two, then larger ones. After the scan it reads the output folder's
journal, read-only, and hands back each photo's latest result and the last run's settings, so
reopening a folder shows what was done and a run resumes from there.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from isaac_gui.core import discovery
from isaac_gui.core.journal import JOURNAL_NAME
from isaac_gui.core.review.audit import current_entries
from isaac_gui.core.review.corrections import Review, fold
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.qt.photos.model import PhotoListModel, PhotoRow
from isaac_gui.qt.workers.mailbox import Mailbox
from isaac_gui.qt.workers.responsive import lower_this_thread

FIRST_BATCH = 200  # on screen within a frame or two
BATCH_S = 1.0  # then batches that double in size (or a second's worth): every insert makes the view
# lay all its rows out afresh, so 100,000 rows arrive in ~10 inserts rather than hundreds
RESULT_BATCH = 2000


def common_root(paths: Sequence[Path]) -> Path:
    """The folder the rows of `paths` are relative to (as `discovery.scan_paths` computes it)."""
    items = [Path(p).absolute() for p in paths]
    if len(items) == 1 and items[0].is_dir():
        return items[0]
    return Path(os.path.commonpath([p if p.is_dir() else p.parent for p in items]))


def read_journal(
    out_dir: Path, stop: threading.Event
) -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
    """The last run's settings (with its "outcome": None when it never ended, e.g. the app was killed)
    and every photo's latest result, from `out_dir`'s journal, opened read-only."""
    path = out_dir / JOURNAL_NAME
    if not path.exists():
        return None, []
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT settings, outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        settings = {**json.loads(row[0]), "outcome": row[1]} if row else None
        results = []
        cursor = db.execute("SELECT p.rel, r.record FROM photos p JOIN results r ON r.job_key = p.job_key")
        for rel, record in cursor:
            if stop.is_set():
                break
            results.append((rel, {"image": rel, **json.loads(record)}))
        return settings, results
    finally:
        db.close()


def read_reviews(
    out_dir: Path, results: Sequence[tuple[str, dict[str, Any]]], rules: RuleSet
) -> dict[str, Review]:
    """The reviewed photos' corrected state, folded from the trail (only photos with entries)."""
    entries = current_entries(out_dir)
    if not entries:
        return {}
    records = dict(results)
    return {rel: fold(records[rel], found, rules) for rel, found in entries.items() if rel in records}


class FolderLoader(QObject):
    """Fills a `PhotoListModel` from a folder (or dropped photos) and its output folder's journal."""

    scanned = Signal(int)  # photos found
    journalRead = Signal(object, int)  # last run's settings (dict or None), results applied
    problem = Signal(str)
    reviewsRead = Signal(object)  # dict rel -> Review: the photos the inspector already reviewed

    def __init__(self, model: PhotoListModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._generation = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._old: list[threading.Thread] = []  # earlier scans told to stop, not waited for
        self._mailbox = Mailbox(self._deliver, interval_ms=20, budget_ms=10, chunk=1, parent=self)
        self.loading = False
        self.rules: RuleSet = DEFAULT_RULES  # what the inspector's verdicts are read against

    def load(self, sources: Sequence[Path], out_dir: Path | None) -> Path:
        """Start listing `sources`; returns the common root folder the rows are relative to."""
        self._stop.set()  # an earlier scan ends on its own; what it still posts is ignored (older generation)
        if self._thread is not None:
            self._old = [t for t in self._old if t.is_alive()] + [self._thread]
        root, photos = discovery.scan_paths(list(sources))
        self._generation += 1
        self._stop = threading.Event()
        self.model.clear(root)
        gc.collect(1)
        gc.freeze()  # what lives now is long-lived: the scan's collections need not walk it again
        self.loading = True
        thread = threading.Thread(
            target=self._run,
            args=(self._generation, self._stop, photos, out_dir),
            name="isaac-scan",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        return root

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listing and wait (bounded) for every scan thread to end."""
        self._stop.set()
        for thread in [*self._old, *([self._thread] if self._thread is not None else [])]:
            thread.join(timeout)
        self._old, self._thread = [], None
        self.loading = False

    def close(self) -> None:
        self.stop()
        self._mailbox.close()

    def _run(self, generation: int, stop: threading.Event, photos: Any, out_dir: Path | None) -> None:
        lower_this_thread()
        post = self._mailbox.post
        batch: list[PhotoRow] = []
        index: dict[str, int] = {}  # rel -> row number, so the GUI thread does not build it
        seen: set[str] = set()  # a photo dropped both alone and inside a dropped folder is listed once
        limit, since, count = FIRST_BATCH, time.monotonic(), 0
        try:
            for found in photos:
                if stop.is_set():
                    return
                if found.rel in seen:
                    continue
                seen.add(found.rel)
                batch.append(PhotoRow(found.rel, found.size, found.mtime_ns))
                index[found.rel] = count
                count += 1
                if len(batch) >= limit or time.monotonic() - since > BATCH_S:
                    post((generation, "rows", (batch, index)))
                    batch, index, limit, since = [], {}, max(count, FIRST_BATCH), time.monotonic()
            if batch:
                post((generation, "rows", (batch, index)))
            post((generation, "scanned", count))
            if out_dir is None or stop.is_set():
                post((generation, "journal", (None, 0)))
                return
            try:
                settings, results = read_journal(out_dir, stop)
            except (sqlite3.Error, OSError, ValueError) as exc:
                post((generation, "problem", f"Could not read earlier results in {out_dir}: {exc}"))
                settings, results = None, []
            try:
                reviews = read_reviews(out_dir, results, self.rules) if results else {}
            except (sqlite3.Error, OSError) as exc:
                post((generation, "problem", f"Could not read the review trail in {out_dir}: {exc}"))
                reviews = {}
            for i in range(0, len(results), RESULT_BATCH):
                parsed = []
                for rel, record in results[i : i + RESULT_BATCH]:
                    row = PhotoRow(rel)
                    row.apply_record(record)  # parsed here, so the GUI thread only copies fields
                    review = reviews.get(rel)
                    if review is not None:
                        row.apply_review(review)
                    parsed.append(row)
                post((generation, "results", parsed))
            if reviews:
                post((generation, "reviews", reviews))
            post((generation, "journal", (settings, len(results))))
        except Exception as exc:  # never leave the window waiting on a dead scan
            post((generation, "problem", f"Could not list the folder: {exc}"))
            post((generation, "scanned", count))

    def _deliver(self, items: list[tuple[int, str, Any]]) -> None:
        for generation, kind, payload in items:
            if generation != self._generation:
                continue
            if kind == "rows":
                self.model.append_rows(*payload)
                gc.freeze()  # rows live until the next folder: keep them out of every later collection
            elif kind == "results":
                self.model.apply_results(payload)
            elif kind == "reviews":
                self.reviewsRead.emit(payload)
            elif kind == "scanned":
                self.scanned.emit(payload)
            elif kind == "journal":
                self.loading = False
                settings, n = payload
                self.journalRead.emit(settings, n)
            elif kind == "problem":
                self.problem.emit(payload)
