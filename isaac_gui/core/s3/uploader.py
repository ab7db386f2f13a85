"""`S3Uploader`: each finished photo's record (and annotated photo) to S3 while the run goes.

Threads: the engine's workers only drop events into an in-memory inbox (`on_event` never blocks).
One intake thread first reconciles (uploads left pending by an earlier session, then every record
of the journal's latest run whose current content is not in S3 yet), then turns events into rows
of the upload table and keys in the work queue. A few upload threads share one boto3 client and
`put_object` from the queue.

Failures past botocore's own retries are sorted by `problems.classify`: an outage backs the whole
queue off (1 s, 2 s, 4 s ... up to `Backoff.max_s`) with one upload at a time probing the endpoint,
and says so only through `on_status`; a setup problem (bucket, credentials, region) is told once
through `on_problem` and probed every `Backoff.setup_s` with freshly read credentials; a problem
with one object gives that object up for this session. Nothing pending is ever dropped: rows stay
`pending` in the journal file until stored, and the next uploader on the folder sends them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from isaac_gui.core.events import Event, PhotoFinished
from isaac_gui.core.journal import JOURNAL_NAME, Journal
from isaac_gui.core.s3.annotate import AnnotationError, annotated_identity, render_annotated, wants_annotation
from isaac_gui.core.s3.bodies import manifest_body, record_body, sha256_b64
from isaac_gui.core.s3.problems import OBJECT, SETUP, Problem, classify
from isaac_gui.core.s3.status import BLOCKED, CLOSED, IDLE, UNREACHABLE, WORKING, Backoff, UploadStatus
from isaac_gui.core.s3.store import FAILED, PENDING, Item, UploadStore
from isaac_gui.core.s3.target import S3Target

STATUS_INTERVAL_S = 0.25  # at most this often between two statuses of the same state
ADMIT_BATCH = 500  # rows per transaction when admitting records
_STOP = object()
DEFAULT_BACKOFF = Backoff()


class S3Uploader:
    """Streams one output folder's results to `target`. Call `on_event` for every engine event (from
    any thread), `close()` once at the end. Construction never touches the network.

    `on_problem` (a message for people, rare) and `on_status` (an `UploadStatus`, at most a few
    per second) are called from the uploader's own threads; a GUI hops them to its thread.
    """

    def __init__(
        self,
        target: S3Target,
        out_dir: Path,
        *,
        classes: Sequence[str],
        source_root: Path | None = None,
        on_problem: Callable[[str], object],
        on_status: Callable[[UploadStatus], object] | None = None,
        workers: int = 4,
        annotated_max_side: int | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.target = target
        self.out_dir = Path(out_dir)
        self.layout = target.layout(self.out_dir)
        self._classes = tuple(classes)
        self._source_root = Path(source_root) if source_root is not None else None
        self._on_problem = on_problem
        self._on_status = on_status
        self._max_side = annotated_max_side
        self._backoff = backoff
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            max_pool_connections=workers + 1,
            tcp_keepalive=True,
            user_agent_extra="isaac-gui",
            s3={"addressing_style": "path"} if target.endpoint_url else None,
        )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._store = UploadStore(self.out_dir / JOURNAL_NAME, target.destination, self.layout.base)
        self._journal_run = self._store.latest_run()  # now, before a run that starts after us begins

        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._inflight: set[str] = set()
        self._again: set[str] = set()  # queued again while in flight: sent once the flight lands
        self._holding = 0  # events taken from the inbox, not queued yet
        self._health = WORKING  # WORKING, UNREACHABLE or BLOCKED
        self._delay = 0.0
        self._resume_at = 0.0
        self._probing = False
        self._announced: set[str] = set()
        self._last_problem: str | None = None
        self._counts = {"uploaded": 0, "skipped": 0, "failed": 0, "requests": 0}
        self._reconciled = False
        self._closing = False
        self._stopping = False
        self._closed = False

        self._client_lock = threading.Lock()
        self._client: Any = None
        self._render_slot = threading.Semaphore(1)  # annotated photos are decoded one at a time
        self._status_lock = threading.RLock()
        self._last_emit = 0.0
        self._last_state: str | None = None
        self._dirty = False

        self._intake = threading.Thread(target=self._intake_loop, name="s3-intake", daemon=True)
        self._workers = [
            threading.Thread(target=self._work, name=f"s3-upload-{i}", daemon=True) for i in range(workers)
        ]
        self._intake.start()
        for thread in self._workers:
            thread.start()

    # -- the public side --------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """Called from the engine's threads: never blocks, never raises."""
        if isinstance(event, PhotoFinished) and not self._closing:
            self._inbox.put(event)

    def status(self) -> UploadStatus:
        with self._cond:
            pending = self._inbox.qsize() + self._holding + len(self._queue) + len(self._inflight)
            if self._closed:
                state = CLOSED
            elif self._health != WORKING:
                state = self._health
            else:
                state = WORKING if pending or not self._reconciled else IDLE
            return UploadStatus(state, pending, last_problem=self._last_problem, **self._counts)

    def close(self, timeout: float = 30.0) -> None:
        """Wait up to `timeout` s for the queue to drain (not while a setup problem stands), write
        the manifest, and stop. What is still pending stays in the journal file for next time."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
        deadline = time.monotonic() + max(timeout, 0.0)
        self._inbox.put(_STOP)
        self._intake.join(max(deadline - time.monotonic(), 0.0))
        with self._cond:
            while (self._queue or self._inflight) and self._health != BLOCKED:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._stopping = True
            self._cond.notify_all()
        for thread in self._workers:
            thread.join(max(deadline - time.monotonic(), 0.0) + 1.0)
        try:
            self._finish()
        finally:
            with self._cond:
                self._closed = True
            self._emit_status(force=True)
            self._store.close()

    def __enter__(self) -> S3Uploader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- intake -----------------------------------------------------------------------------
    def _intake_loop(self) -> None:
        try:
            self._reconcile()
        except Exception as exc:  # the journal unreadable: events still come
            self._note(f"could not read the journal for pending S3 uploads: {exc!r}")
        with self._cond:
            self._reconciled = True
        self._emit_status()
        while True:
            try:
                first = self._inbox.get(timeout=STATUS_INTERVAL_S)
            except queue.Empty:
                if self._dirty:
                    self._emit_status()
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
            with self._cond:
                self._holding = len(batch)
            try:
                self._admit((event.rel, event.record) for event in batch)
            except Exception as exc:
                if self._stopping:
                    return
                self._note(f"could not queue S3 uploads: {exc!r}")
            finally:
                with self._cond:
                    self._holding = 0
            self._emit_status()
            if stop:
                return

    def _reconcile(self) -> None:
        for key in self._store.unfinished():
            self._push(key)
        if self._journal_run is None:
            return
        journal = Journal(self.out_dir)
        try:
            batch: list[tuple[str, Mapping[str, Any]]] = []
            for record in journal.records(self._journal_run):
                if self._stopping:
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
            items.append(Item("record", rel, self.layout.record(rel), sha, body))
            if self.target.upload_annotated and wants_annotation(record):
                identity = annotated_identity(sha, self._classes, self._max_side)
                items.append(Item("annotated", rel, self.layout.annotated(rel), identity, body))
        if not items:
            return
        outcomes = self._store.admit(items)
        skipped = 0
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome == "queued":
                self._push(item.key)
            elif outcome == "uploaded":
                skipped += 1
        with self._cond:
            self._counts["skipped"] += skipped

    def _push(self, key: str) -> None:
        with self._cond:
            if key in self._inflight:
                self._again.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._queue.append(key)
                self._cond.notify()

    # -- uploading --------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            key, probe = taken
            retry = False
            try:
                retry = self._upload(key, probe)
            except Exception as exc:  # the store closed under a late upload, or a bug: never die
                if not self._stopping:
                    self._note(f"S3 upload of {key} failed unexpectedly: {exc!r}")
            finally:
                self._landed(key, probe, retry)
            self._emit_status()

    def _next(self) -> tuple[str, bool] | None:
        """The next key to upload and whether it probes an outage; None when stopping."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                wait: float | None = None
                if self._queue:
                    wait = self._resume_at - time.monotonic()
                    if wait <= 0 and not self._probing:
                        key = self._queue.popleft()
                        self._queued.discard(key)
                        self._inflight.add(key)
                        probe = self._health != WORKING
                        self._probing = probe
                        return key, probe
                    if wait <= 0:
                        wait = None  # a probe is out: its answer wakes us
                self._cond.wait(wait)

    def _landed(self, key: str, probe: bool, retry: bool) -> None:
        with self._cond:
            self._inflight.discard(key)
            if probe:
                self._probing = False
            if retry and key not in self._queued:
                self._again.discard(key)
                self._queued.add(key)
                self._queue.appendleft(key)
            elif key in self._again:
                self._again.discard(key)
                if key not in self._queued:
                    self._queued.add(key)
                    self._queue.append(key)
            self._cond.notify_all()

    def _upload(self, key: str, probe: bool) -> bool:
        """Upload the pending content of `key`; True when it must be tried again later."""
        item = self._store.pending(key)
        if item is None:
            return False
        if item.kind == "annotated":
            try:
                body = self._render(item)
            except AnnotationError as exc:
                self._give_up(item, Problem(OBJECT, "annotation", f"Could not annotate for S3: {exc}"))
                return False
            content_type = "image/jpeg"
        else:
            body, content_type = item.record, "application/json"
        sha_hex, sha_b64 = sha256_b64(body)
        try:
            client = self._get_client()
            with self._cond:
                self._counts["requests"] += 1
            response = client.put_object(
                Bucket=self.target.bucket,
                Key=item.key,
                Body=body,
                ContentType=content_type,
                ChecksumSHA256=sha_b64,
            )
        except Exception as exc:
            problem = classify(exc, self.target)
            if problem.kind == OBJECT:
                self._give_up(item, problem)
                return False
            self._store.mark_attempt(item, problem.message)
            self._setback(problem, probe)
            return True
        etag = str(response.get("ETag") or "").strip('"')
        self._store.mark_uploaded(item, sha_hex, len(body), etag)
        with self._cond:
            self._counts["uploaded"] += 1
        self._recovered()
        return False

    def _render(self, item: Item) -> bytes:
        root = self._source_root
        if root is None:
            known = self._store.meta("source_root")
            if known is None:
                raise AnnotationError("the run's source folder is not known")
            root = Path(known)
        record = json.loads(item.record)
        with self._render_slot:
            return render_annotated(root, record, self._classes, self._max_side)

    def _get_client(self) -> Any:
        """The shared client, built on first use (and again after a setup problem, so fixed
        credentials or config files are read afresh)."""
        with self._client_lock:
            if self._client is None:
                session = boto3.session.Session(
                    profile_name=self.target.profile, region_name=self.target.region
                )
                self._client = session.client(
                    "s3", endpoint_url=self.target.endpoint_url, config=self._config
                )
            return self._client

    # -- health -----------------------------------------------------------------------------
    def _setback(self, problem: Problem, probe: bool) -> None:
        health = BLOCKED if problem.kind == SETUP else UNREACHABLE
        with self._cond:
            if probe or self._health != health:
                if health == BLOCKED:
                    self._delay = self._backoff.setup_s
                elif self._health == UNREACHABLE:
                    self._delay = min(max(self._delay * 2, self._backoff.initial_s), self._backoff.max_s)
                else:
                    self._delay = self._backoff.initial_s
                self._resume_at = time.monotonic() + self._delay * random.uniform(0.8, 1.0)
            self._health = health
            self._last_problem = problem.message
            announce = health == BLOCKED and problem.code not in self._announced
            if health == BLOCKED:
                self._announced.add(problem.code)
            self._cond.notify_all()
        if health == BLOCKED:
            with self._client_lock:
                self._client = None
        if announce:
            self._say(f"{problem.message} Detection goes on; the uploads are kept until then.")
        self._emit_status(force=True)

    def _recovered(self) -> None:
        with self._cond:
            if self._health == WORKING:
                return
            self._health = WORKING
            self._delay = self._resume_at = 0.0
            self._announced = {code for code in self._announced if code.startswith("object:")}
            self._cond.notify_all()
        self._emit_status(force=True)

    def _give_up(self, item: Item, problem: Problem) -> None:
        self._store.mark_attempt(item, problem.message, failed=True)
        code = f"object:{problem.code}"
        with self._cond:
            self._counts["failed"] += 1
            self._last_problem = problem.message
            announce = code not in self._announced
            self._announced.add(code)
        if announce:  # once per kind of refusal, not per object
            self._say(f"{problem.message} ({item.key}; others like it are counted, not reported)")

    # -- reporting --------------------------------------------------------------------------
    def _finish(self) -> None:
        """The manifest (unless S3 is known to be unreachable or refusing), and one word about what
        is left, unless a setup problem was already told."""
        with self._cond:
            health = self._health
        if health == BLOCKED:
            return
        written = False
        if health == WORKING and not self._intake.is_alive():
            try:
                self._write_manifest()
                written = True
            except Exception as exc:
                problem = classify(exc, self.target)
                self._note(problem.message)
                if problem.kind == SETUP:
                    self._say(f"{problem.message} The uploads are kept until then.")
                    return
        pending = self._store.count(PENDING) + self._store.count(FAILED)
        if pending or not written:
            reason = f"; last problem: {self._last_problem}" if self._last_problem else ""
            self._say(
                f"{pending} uploads to {self.target.url} are still waiting"
                f"{'' if written else ' and the manifest was not written'}{reason}. They are kept and sent "
                "the next time this output folder is used with S3."
            )

    def _write_manifest(self) -> None:
        doc = manifest_body(
            self.target,
            self.layout,
            self._store.stored_objects(),
            pending=self._store.count(PENDING),
            failed=self._store.count(FAILED),
        )
        self._get_client().put_object(
            Bucket=self.target.bucket,
            Key=self.layout.manifest,
            Body=doc,
            ContentType="application/json",
            ChecksumSHA256=sha256_b64(doc)[1],
        )

    def _note(self, problem: str) -> None:
        with self._cond:
            self._last_problem = problem
        self._emit_status(force=True)

    def _say(self, message: str) -> None:
        with contextlib.suppress(Exception):  # a broken callback must not stop the uploads
            self._on_problem(message)

    def _emit_status(self, *, force: bool = False) -> None:
        if self._on_status is None:
            return
        with self._status_lock:
            status = self.status()
            now = time.monotonic()
            if not force and status.state == self._last_state and now - self._last_emit < STATUS_INTERVAL_S:
                self._dirty = True
                return
            self._dirty = False
            self._last_emit = now
            self._last_state = status.state
            with contextlib.suppress(Exception):
                self._on_status(status)
