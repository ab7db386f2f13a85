"""`S3Uploader`: each finished photo's record (and annotated photo) to S3 while the run goes.

The parts: the engine's workers only drop events into the intake's inbox (`on_event` never
blocks); the intake thread (`intake`) turns them into rows of the upload table (`store`) and
keys of the queue (`upload_queue`); a few upload threads here share one boto3 client and
`put_object` from the queue; `health` keeps how S3 is doing and makes the statuses; `close`
drains the queue and writes the manifest.

Failures past botocore's own retries are sorted by `problems.classify`: an outage backs the whole
queue off (1 s, 2 s, 4 s ... up to `Backoff.max_s`) with one upload at a time probing the endpoint,
and says so only through `on_status`; a setup problem (bucket, credentials, region) is told once
through `on_problem` and probed every `Backoff.setup_s` with freshly read credentials; a problem
with one object gives that object up for this session. Nothing pending is ever dropped: rows stay
`pending` in the journal file until stored, and the next uploader on the folder sends them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from isaac_gui.core.events import Event, PhotoFinished
from isaac_gui.core.journal import JOURNAL_NAME
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.s3.annotate import AnnotationError, render_annotated
from isaac_gui.core.s3.bodies import manifest_body, sha256_b64
from isaac_gui.core.s3.health import Health, StatusFeed
from isaac_gui.core.s3.intake import Intake
from isaac_gui.core.s3.problems import OBJECT, SETUP, Problem, classify
from isaac_gui.core.s3.status import BLOCKED, WORKING, Backoff, UploadStatus
from isaac_gui.core.s3.store import FAILED, PENDING, Item, UploadStore
from isaac_gui.core.s3.target import S3Target
from isaac_gui.core.s3.upload_queue import UploadQueue

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
        rules: RuleSet = DEFAULT_RULES,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.target = target
        self.out_dir = Path(out_dir)
        self.layout = target.layout(self.out_dir)
        self._classes = tuple(classes)
        self._source_root = Path(source_root) if source_root is not None else None
        self._on_problem = on_problem
        self._max_side = annotated_max_side
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
        self._uploads = UploadQueue()
        self._health = Health(backoff)
        self._feed = StatusFeed(on_status, self.status)
        self._intake = Intake(
            target,
            self.layout,
            self.out_dir,
            classes=self._classes,
            annotated_max_side=annotated_max_side,
            store=self._store,
            uploads=self._uploads,
            health=self._health,
            feed=self._feed,
            note=self._note,
            rules=rules,
        )
        self._close_lock = threading.Lock()
        self._closing = False
        self._closed = False

        self._client_lock = threading.Lock()
        self._client: Any = None
        self._render_slot = threading.Semaphore(1)  # annotated photos are decoded one at a time

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
            self._intake.put(event)

    def status(self) -> UploadStatus:
        pending = self._intake.waiting + len(self._uploads)
        return self._health.status(pending, settled=self._intake.reconciled, closed=self._closed)

    def close(self, timeout: float = 30.0) -> None:
        """Wait up to `timeout` s for the queue to drain (not while a setup problem stands), write
        the manifest, and stop. What is still pending stays in the journal file for next time."""
        with self._close_lock:
            if self._closing:
                return
            self._closing = True
        deadline = time.monotonic() + max(timeout, 0.0)
        self._intake.stop(max(deadline - time.monotonic(), 0.0))
        self._uploads.wait_empty(deadline, unless=lambda: self._health.state == BLOCKED)
        self._uploads.stop()
        for thread in self._workers:
            thread.join(max(deadline - time.monotonic(), 0.0) + 1.0)
        try:
            self._finish()
        finally:
            self._closed = True
            self._feed.tell(force=True)
            self._store.close()

    def __enter__(self) -> S3Uploader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- uploading --------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            taken = self._uploads.take(self._health.opening)
            if taken is None:
                return
            key, probe = taken
            retry = False
            try:
                retry = self._upload(key, probe)
            except Exception as exc:  # the store closed under a late upload, or a bug: never die
                if not self._uploads.stopped:
                    self._note(f"S3 upload of {key} failed unexpectedly: {exc!r}")
            finally:
                self._uploads.landed(key, probe, retry)
            self._feed.tell()

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
            self._health.count("requests")
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
        self._health.count("uploaded")
        if self._health.recovered():
            self._uploads.wake()
            self._feed.tell(force=True)
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

    def _setback(self, problem: Problem, probe: bool) -> None:
        announce = self._health.setback(problem, probe)
        self._uploads.wake()  # the opening moved
        if problem.kind == SETUP:
            with self._client_lock:
                self._client = None
        if announce:
            self._say(f"{problem.message} Detection goes on; the uploads are kept until then.")
        self._feed.tell(force=True)

    def _give_up(self, item: Item, problem: Problem) -> None:
        self._store.mark_attempt(item, problem.message, failed=True)
        if self._health.gave_up(problem):  # once per kind of refusal, not per object
            self._say(f"{problem.message} ({item.key}; others like it are counted, not reported)")

    # -- finishing --------------------------------------------------------------------------
    def _finish(self) -> None:
        """The manifest (unless S3 is known to be unreachable or refusing), and one word about what
        is left, unless a setup problem was already told."""
        health = self._health.state
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
            last = self._health.last_problem
            reason = f"; last problem: {last}" if last else ""
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
        self._health.note(problem)
        self._feed.tell(force=True)

    def _say(self, message: str) -> None:
        with contextlib.suppress(Exception):  # a broken callback must not stop the uploads
            self._on_problem(message)
