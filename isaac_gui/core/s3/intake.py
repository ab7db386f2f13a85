"""The intake thread: what has to be uploaded, into the upload table and the queue.

It first reconciles (uploads left pending by an earlier session, then every record of the
journal's latest run whose current content is not in S3 yet), then turns the engine's events,
dropped into an in-memory inbox, into rows of the upload table and keys in the queue.

A record goes up as results.jsonl carries it: corrected by the inspector's review when there is
one (`core.review.outputs`). A decision changes the record's content, so the next reconciliation
(an uploader started after it: the next run, or `isaac-gui upload`, or the window once decisions
settle) uploads it again under the same key, and the manifest follows.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from isaac_gui.core.events import PhotoFinished
from isaac_gui.core.journal import Journal
from isaac_gui.core.review.outputs import ReviewedOutputs, reviewed_records
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.s3.annotate import annotated_identity, wants_annotation
from isaac_gui.core.s3.bodies import record_body
from isaac_gui.core.s3.health import STATUS_INTERVAL_S, Health, StatusFeed
from isaac_gui.core.s3.store import Item, UploadStore
from isaac_gui.core.s3.target import KeyLayout, S3Target
from isaac_gui.core.s3.upload_queue import UploadQueue

ADMIT_BATCH = 500  # rows per transaction when admitting records
_STOP = object()


class Intake:
    def __init__(
        self,
        target: S3Target,
        layout: KeyLayout,
        out_dir: Path,
        *,
        classes: Sequence[str],
        annotated_max_side: int | None,
        store: UploadStore,
        uploads: UploadQueue,
        health: Health,
        feed: StatusFeed,
        note: Callable[[str], None],
        rules: RuleSet = DEFAULT_RULES,
    ) -> None:
        self._target = target
        self._rules = rules
        self._layout = layout
        self._out_dir = out_dir
        self._classes = tuple(classes)
        self._max_side = annotated_max_side
        self._store = store
        self._uploads = uploads
        self._health = health
        self._feed = feed
        self._note = note
        self._journal_run = store.latest_run()  # now, before a run that starts after us begins
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._holding = 0  # events taken from the inbox, not queued yet
        self._reconciled = False
        self._thread = threading.Thread(target=self._loop, name="s3-intake", daemon=True)

    @property
    def waiting(self) -> int:
        """Events not turned into queued uploads yet."""
        with self._lock:
            return self._inbox.qsize() + self._holding

    @property
    def reconciled(self) -> bool:
        return self._reconciled

    def start(self) -> None:
        self._thread.start()

    def put(self, event: PhotoFinished) -> None:
        self._inbox.put(event)

    def stop(self, timeout: float) -> None:
        """The events put so far are admitted, then the thread ends; waits up to `timeout` s."""
        self._inbox.put(_STOP)
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        try:
            self._reconcile()
        except Exception as exc:  # the journal unreadable: events still come
            self._note(f"could not read the journal for pending S3 uploads: {exc!r}")
        with self._lock:
            self._reconciled = True
        self._feed.tell()
        while True:
            try:
                first = self._inbox.get(timeout=STATUS_INTERVAL_S)
            except queue.Empty:
                if self._feed.dirty:
                    self._feed.tell()
                continue
            batch: list[PhotoFinished] = []
            stop = first is _STOP
            if isinstance(first, PhotoFinished):
                batch.append(first)
            while not stop and len(batch) < ADMIT_BATCH:
                try:
                    more = self._inbox.get_nowait()
                except queue.Empty:
                    break
                stop = more is _STOP
                if isinstance(more, PhotoFinished):
                    batch.append(more)
            with self._lock:
                self._holding = len(batch)
            try:
                self._admit(reviewed_records(self._out_dir, ((e.rel, e.record) for e in batch), self._rules))
            except Exception as exc:
                if self._uploads.stopped:
                    return
                self._note(f"could not queue S3 uploads: {exc!r}")
            finally:
                with self._lock:
                    self._holding = 0
            self._feed.tell()
            if stop:
                return

    def _reconcile(self) -> None:
        for key in self._store.unfinished():
            self._uploads.push(key)
        if self._journal_run is None:
            return
        journal = Journal(self._out_dir)
        try:
            batch: list[tuple[str, Mapping[str, Any]]] = []
            reviewed = ReviewedOutputs(self._out_dir, self._rules)
            for record in reviewed.records(journal.records(self._journal_run)):
                if self._uploads.stopped:
                    return
                batch.append((str(record["image"]), record))
                if len(batch) >= ADMIT_BATCH:
                    self._admit(batch)
                    batch = []
            self._admit(batch)
        finally:
            journal.close()

    def _admit(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        items: list[Item] = []
        for rel, record in records:
            body = record_body(rel, record)
            sha = hashlib.sha256(body).hexdigest()
            items.append(Item("record", rel, self._layout.record(rel), sha, body))
            if self._target.upload_annotated and wants_annotation(record):
                identity = annotated_identity(sha, self._classes, self._max_side)
                items.append(Item("annotated", rel, self._layout.annotated(rel), identity, body))
        if not items:
            return
        outcomes = self._store.admit(items)
        skipped = 0
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome == "queued":
                self._uploads.push(item.key)
            elif outcome == "uploaded":
                skipped += 1
        self._health.count("skipped", skipped)
