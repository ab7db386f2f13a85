"""Streaming results to S3, against a real SeaweedFS server on 127.0.0.1 (see `s3_server`).

The records come from the real engine running over generated photos against the loopback
simulator; boto3 finds its credentials the way a user's would (environment variables), the
endpoint URL is a setting. Nothing is stubbed.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from isaac_gui.core.engine.runner import Runner
from isaac_gui.core.events import Event, PhotoFinished
from isaac_gui.core.review.session import ReviewSession
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.s3 import Backoff, S3Target, S3Uploader, UploadStatus
from isaac_gui.sim.samples import generate_samples
from isaac_gui.sim.server import Simulator, SimulatorConfig
from tests.core.s3_server import SECRET_KEY, WeedServer, free_ports, new_bucket

pytestmark = pytest.mark.slow

CLASSES = ("scratch", "dent")
PHOTOS = 8
FAST = Backoff(initial_s=0.2, max_s=1.0, setup_s=0.2)


# -- fixtures (the S3 servers and aws_env: tests/conftest.py) -----------------------------
@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    generate_samples(folder, PHOTOS, CLASSES, seed=3, size=(320, 240), subfolders=2)
    return folder


# -- helpers --------------------------------------------------------------------------------
class Observer:
    """Collects problems and statuses, and lets a test wait for a status (bounded)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.statuses: list[UploadStatus] = []
        self._cond = threading.Condition()

    def on_problem(self, message: str) -> None:
        with self._cond:
            self.problems.append(message)
            self._cond.notify_all()

    def on_status(self, status: UploadStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait_for(
        self, uploader: S3Uploader, check: Callable[[UploadStatus], bool], timeout: float
    ) -> UploadStatus:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(status := uploader.status()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; last status {status}")
                self._cond.wait(min(remaining, 0.25))  # statuses notify; the bound covers quiet changes
        return status


def uploader_for(target: S3Target, out: Path, observer: Observer, **kwargs: Any) -> S3Uploader:
    return S3Uploader(
        target,
        out,
        classes=CLASSES,
        on_problem=observer.on_problem,
        on_status=observer.on_status,
        **kwargs,
    )


def run_engine(
    photos: Path, out: Path, listener: Callable[[Event], None] | None = None
) -> list[dict[str, Any]]:
    """Detect over `photos` into `out` with the real engine against the simulator; the run's records."""
    with Simulator(SimulatorConfig(seed=5)) as sim, ThreadPoolExecutor(4) as pool:
        runner = Runner(
            photos,
            out,
            RunSettings(classes=CLASSES, concurrency=4, rpm=None),
            executor=pool,
            listener=listener or (lambda _event: None),
            connection=Connection(base_url=sim.base_url, api_key="test-key"),
        )
        runner.start()
        assert runner.wait(60), "the run did not finish"
    assert runner.outcome == "completed", runner.message
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def objects(server: WeedServer, bucket: str, prefix: str = "") -> dict[str, dict[str, Any]]:
    client = server.client()
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            found[entry["Key"]] = entry
    return found


def body(server: WeedServer, bucket: str, key: str) -> bytes:
    data: bytes = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def assert_records_uploaded(
    server: WeedServer, bucket: str, base: str, records: list[dict[str, Any]]
) -> None:
    for record in records:
        stored = json.loads(body(server, bucket, f"{base}/records/{record['image']}.json"))
        assert stored == record


def pending_rows(out: Path) -> int:
    with sqlite3.connect(out / "journal.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM s3_uploads WHERE state = 'pending'").fetchone()[0])


# -- streaming ------------------------------------------------------------------------------
def test_records_and_annotated_photos_stream_with_a_manifest(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3)
    out = tmp_path / "photos-results"
    target = S3Target.from_url(
        f"s3://{bucket}/inspections/2024", endpoint_url=s3.endpoint_url, upload_annotated=True
    )
    observer = Observer()
    uploader = uploader_for(target, out, observer)
    records = run_engine(photos, out, uploader.on_event)
    uploader.close(timeout=60)

    assert observer.problems == []
    final = observer.statuses[-1]
    ok = [r for r in records if r["status"] == "ok"]
    assert len(records) == PHOTOS and ok
    assert (final.state, final.pending, final.failed) == ("closed", 0, 0)
    assert final.uploaded == len(records) + len(ok)
    base = f"inspections/2024/{out.name}"
    stored = objects(s3, bucket)
    expected = {f"{base}/records/{r['image']}.json" for r in records}
    expected |= {f"{base}/annotated/{r['image']}.jpg" for r in ok}
    assert set(stored) == expected | {f"{base}/manifest.json"}
    assert_records_uploaded(s3, bucket, base, records)
    for record in ok:
        with Image.open(io.BytesIO(body(s3, bucket, f"{base}/annotated/{record['image']}.jpg"))) as img:
            assert img.format == "JPEG"
            assert img.size == (record["width"], record["height"])

    manifest = json.loads(body(s3, bucket, f"{base}/manifest.json"))
    assert (manifest["bucket"], manifest["prefix"], manifest["pending"]) == (bucket, base, 0)
    listed = {entry["key"]: entry for entry in manifest["objects"]}
    assert set(listed) == expected
    client = s3.client()
    for key, entry in listed.items():
        data = body(s3, bucket, key)
        head = client.head_object(Bucket=bucket, Key=key)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data) == head["ContentLength"]
        assert entry["etag"] == head["ETag"].strip('"')


def test_a_rerun_duplicates_nothing_and_a_changed_photo_overwrites(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3)
    out = tmp_path / "results"
    target = S3Target.from_url(f"s3://{bucket}/p", endpoint_url=s3.endpoint_url, upload_annotated=True)

    first = Observer()
    uploader = uploader_for(target, out, first)
    records = run_engine(photos, out, uploader.on_event)
    uploader.close(timeout=60)
    uploaded_first = first.statuses[-1].uploaded
    before = objects(s3, bucket, "p/results/")
    assert uploaded_first == len(before) - 1  # all but the manifest

    again = Observer()
    uploader = uploader_for(target, out, again)
    assert run_engine(photos, out, uploader.on_event) == records
    uploader.close(timeout=60)
    status = again.statuses[-1]
    assert (status.uploaded, status.requests, status.failed) == (0, 0, 0)
    assert status.skipped >= uploaded_first  # found by the reconciliation and again by the events
    after = objects(s3, bucket, "p/results/")
    assert set(after) == set(before)
    for key, entry in before.items():
        if not key.endswith("manifest.json"):
            assert after[key]["ETag"] == entry["ETag"] and after[key]["LastModified"] == entry["LastModified"]

    # One photo replaced by another picture under the same name: its two objects are overwritten.
    changed = sorted(photos.rglob("*.jpg"))[0]
    shutil.copyfile(sorted(photos.rglob("*.jpg"))[1], changed)
    third = Observer()
    uploader = uploader_for(target, out, third)
    new_records = run_engine(photos, out, uploader.on_event)
    uploader.close(timeout=60)
    rel = changed.relative_to(photos).as_posix()
    new_record = next(r for r in new_records if r["image"] == rel)
    assert third.statuses[-1].uploaded == (2 if new_record["status"] == "ok" else 1)
    assert set(objects(s3, bucket, "p/results/")) == set(before)
    assert json.loads(body(s3, bucket, f"p/results/records/{rel}.json")) == new_record
    assert third.problems == []


def test_a_decision_uploads_the_record_again_under_its_key_and_the_manifest_follows(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3)
    out = tmp_path / "results"
    target = S3Target.from_url(f"s3://{bucket}/p", endpoint_url=s3.endpoint_url)
    uploader = uploader_for(target, out, Observer())
    records = run_engine(photos, out, uploader.on_event)
    uploader.close(timeout=60)
    before = objects(s3, bucket, "p/results/")

    decided = next(r for r in records if r["status"] == "ok" and r["detections"])
    untouched = [r for r in records if r["image"] != decided["image"]]
    session = ReviewSession(out, inspector="Ana", os_user="ana")
    session.reject_box(decided["image"], "m0")
    session.set_verdict(decided["image"], "fail", "seen by eye")
    session.close()

    # An uploader that runs no detection (as `isaac-gui upload` and the window start one): the
    # decided photo's record goes up again as results.jsonl now carries it, nothing else moves.
    observer = Observer()
    uploader = uploader_for(target, out, observer)
    uploader.close(timeout=60)
    assert observer.problems == []
    assert (observer.statuses[-1].uploaded, observer.statuses[-1].failed) == (1, 0)
    key = f"p/results/records/{decided['image']}.json"
    stored = json.loads(body(s3, bucket, key))
    assert stored["review"]["verdict"] == "fail" and stored["review"]["reason"] == "seen by eye"
    assert stored["model_detections"] == decided["detections"]
    assert [b["review"] for b in stored["rejected"]] == ["rejected"]
    assert len(stored["detections"]) == len(decided["detections"]) - 1
    after = objects(s3, bucket, "p/results/")
    assert set(after) == set(before)
    for record in untouched:
        other = f"p/results/records/{record['image']}.json"
        assert after[other]["ETag"] == before[other]["ETag"]
    manifest = {e["key"]: e for e in json.loads(body(s3, bucket, "p/results/manifest.json"))["objects"]}
    assert manifest[key]["sha256"] == hashlib.sha256(body(s3, bucket, key)).hexdigest()

    # A run over the same folder again answers from the journal: the events carry the model's
    # answer, and what goes up is still the reviewed record (nothing flips back).
    again = Observer()
    uploader = uploader_for(target, out, again)
    run_engine(photos, out, uploader.on_event)
    uploader.close(timeout=60)
    assert (again.statuses[-1].uploaded, again.problems) == (0, [])
    assert json.loads(body(s3, bucket, key)) == stored


def test_records_finished_before_a_crash_are_uploaded_by_the_next_uploader(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    """The app died between "image finished" and "upload queued": the journal alone is enough."""
    bucket = new_bucket(s3)
    out = tmp_path / "results"
    records = run_engine(photos, out)  # no uploader listening at all
    observer = Observer()
    uploader = uploader_for(S3Target.from_url(f"s3://{bucket}", endpoint_url=s3.endpoint_url), out, observer)
    observer.wait_for(uploader, lambda s: s.state == "idle", timeout=60)
    uploader.close(timeout=60)
    assert observer.statuses[-1].uploaded == len(records)
    assert_records_uploaded(s3, bucket, "results", records)
    assert observer.problems == []


# -- problems told once ---------------------------------------------------------------------
def _blocked_run(
    server: WeedServer, bucket: str, photos: Path, out: Path, observer: Observer
) -> tuple[list[dict[str, Any]], UploadStatus]:
    """A run whose uploads are refused: detection goes on, one message, uploads kept."""
    target = S3Target.from_url(f"s3://{bucket}/p", endpoint_url=server.endpoint_url)
    uploader = uploader_for(target, out, observer, backoff=FAST)
    calls: list[float] = []

    def listener(event: Event) -> None:
        begun = time.perf_counter()
        uploader.on_event(event)
        calls.append(time.perf_counter() - begun)

    records = run_engine(photos, out, listener)
    assert len(records) == PHOTOS  # the engine finished every photo regardless
    assert max(calls) < 0.05  # on_event only enqueues
    # Several probes later, still one message.
    status = observer.wait_for(uploader, lambda s: s.state == "blocked" and s.requests >= 8, timeout=60)
    uploader.close(timeout=5)
    assert status.pending == PHOTOS and status.uploaded == 0
    assert pending_rows(out) == PHOTOS
    return records, status


def test_a_missing_bucket_is_told_once(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3, create=False)
    observer = Observer()
    _blocked_run(s3, bucket, photos, tmp_path / "results", observer)
    assert len(observer.problems) == 1, observer.problems
    assert f"S3 bucket '{bucket}' does not exist (NoSuchBucket): create it" in observer.problems[0]


def test_wrong_credentials_are_told_once_and_a_new_uploader_sends_what_waited(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3)
    out = tmp_path / "results"
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    observer = Observer()
    records, _status = _blocked_run(s3, bucket, photos, out, observer)
    assert len(observer.problems) == 1, observer.problems
    assert f"bucket '{bucket}' (SignatureDoesNotMatch)" in observer.problems[0]
    assert "AWS_SECRET_ACCESS_KEY" in observer.problems[0]
    assert objects(s3, bucket) == {}

    # The user fixes the key and starts the app again: the pending uploads go, nothing else is needed.
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    fixed = Observer()
    uploader = uploader_for(S3Target.from_url(f"s3://{bucket}/p", endpoint_url=s3.endpoint_url), out, fixed)
    uploader.close(timeout=60)
    assert fixed.problems == []
    assert fixed.statuses[-1].uploaded == PHOTOS
    assert pending_rows(out) == 0
    assert_records_uploaded(s3, bucket, "p/results", records)


def test_no_credentials_at_all_are_told_once(
    s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    observer = Observer()
    _blocked_run(s3, new_bucket(s3), photos, tmp_path / "results", observer)
    assert len(observer.problems) == 1, observer.problems
    assert observer.problems[0].startswith("No AWS credentials were found for S3 bucket 'isaac-test-")


# -- an outage ------------------------------------------------------------------------------
def test_a_server_crash_mid_run_loses_nothing(
    own_s3: WeedServer, aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(own_s3)
    out = tmp_path / "results"
    target = S3Target.from_url(f"s3://{bucket}/p", endpoint_url=own_s3.endpoint_url, upload_annotated=True)
    observer = Observer()
    uploader = uploader_for(target, out, observer, backoff=FAST, connect_timeout_s=1.0)
    finished = 0
    lock = threading.Lock()

    def listener(event: Event) -> None:
        nonlocal finished
        uploader.on_event(event)
        if isinstance(event, PhotoFinished):
            with lock:
                finished += 1
                if finished == PHOTOS // 2:
                    own_s3.kill()  # mid-run, while uploads are going

    records = run_engine(photos, out, listener)
    down = observer.wait_for(uploader, lambda s: s.state == "unreachable", timeout=60)
    assert down.pending > 0
    assert down.message == f"S3 unreachable, {down.pending} uploads waiting; retrying"

    own_s3.start()  # same ports, same data folder
    uploader.close(timeout=90)
    final = observer.statuses[-1]
    assert (final.pending, final.failed) == (0, 0)
    assert observer.problems == []  # an outage is a quiet status, not a message
    ok = [r for r in records if r["status"] == "ok"]
    expected = {f"p/results/records/{r['image']}.json" for r in records}
    expected |= {f"p/results/annotated/{r['image']}.jpg" for r in ok}
    assert set(objects(own_s3, bucket)) == expected | {"p/results/manifest.json"}
    assert_records_uploaded(own_s3, bucket, "p/results", records)
    manifest = json.loads(body(own_s3, bucket, "p/results/manifest.json"))
    assert {entry["key"] for entry in manifest["objects"]} == expected


def test_an_endpoint_that_never_answers_is_a_quiet_status_and_close_is_bounded(
    aws_env: pytest.MonkeyPatch, photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    nobody = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens there
    observer = Observer()
    uploader = uploader_for(
        S3Target.from_url("s3://bucket/p", endpoint_url=nobody), out, observer, backoff=FAST
    )
    run_engine(photos, out, uploader.on_event)
    down = observer.wait_for(uploader, lambda s: s.state == "unreachable", timeout=60)
    assert observer.problems == []  # no message while it goes
    assert down.message.startswith("S3 unreachable, ") and down.message.endswith(" uploads waiting; retrying")
    begun = time.monotonic()
    uploader.close(timeout=1.0)
    assert time.monotonic() - begun < 10  # the wait, one grace second, botocore's last tries
    assert pending_rows(out) == PHOTOS
    assert len(observer.problems) == 1, observer.problems  # one word at the end about what waits
    assert observer.problems[0].startswith(f"{PHOTOS} uploads to s3://bucket/p are still waiting")
