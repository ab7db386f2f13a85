"""The window's "Upload results to S3": the run's engine process streams to a real SeaweedFS
on 127.0.0.1, credentials from the environment as a user sets them; the status bar's quiet
indicator follows the upload, and an unreachable S3 never interrupts the run."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from PySide6.QtCore import Qt

from isaac_gui.core.settings import AppSettings, S3Settings
from isaac_gui.qt.viewer import widget as viewer_module
from tests.core.s3_server import WeedServer, free_ports, new_bucket
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import make_window, run_to_end, wait_loaded

pytestmark = pytest.mark.slow


def test_a_window_run_streams_every_record_to_s3_and_the_indicator_says_so(
    qtbot: Any, s3: WeedServer, aws_env: pytest.MonkeyPatch, sample_photos: Any, simulator: Any
) -> None:
    folder, truth = sample_photos
    bucket = new_bucket(s3)
    target = S3Settings(enabled=True, bucket=bucket, prefix="line-4", endpoint_url=s3.endpoint_url)
    window = _window_on(qtbot, folder, len(truth), simulator, target)
    assert run_to_end(qtbot, window) == "completed"  # and idle: the upload has closed

    paginator = s3.client().get_paginator("list_objects_v2")
    keys = [o["Key"] for page in paginator.paginate(Bucket=bucket) for o in page.get("Contents", [])]
    records = [k for k in keys if "/records/" in k]
    assert len(records) == len(truth) and all(k.startswith("line-4/") for k in keys)
    manifest_key = next(k for k in keys if k.endswith("manifest.json"))
    manifest = json.loads(s3.client().get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    assert {e["key"] for e in manifest["objects"]} == set(records)
    indicator = window.status.s3
    assert indicator.isVisible() and indicator.toolTip().startswith("S3 up to date: ")


def test_an_unreachable_s3_is_a_warning_sign_with_its_reason_and_the_run_completes(
    qtbot: Any, aws_env: pytest.MonkeyPatch, sample_photos: Any, simulator: Any
) -> None:
    folder, truth = sample_photos
    nobody = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens there
    target = S3Settings(enabled=True, bucket="inspection-results", endpoint_url=nobody)
    window = _window_on(qtbot, folder, len(truth), simulator, target)
    tips: list[str] = []
    window.bridge.uploadState.connect(lambda state: tips.append(state.message))
    assert run_to_end(qtbot, window) == "completed"
    assert window.message_bar.isHidden()  # never a blocking word mid-run
    assert any(tip.startswith("S3 unreachable, ") for tip in tips), tips
    assert f"{len(truth)} uploads" in window.status.s3.toolTip()  # what waits, told at the end
    assert window.model.counts.done == len(truth)


def _window_on(qtbot: Any, folder: Any, count: int, simulator: Any, s3: S3Settings) -> Any:
    """A window with S3 upload set up, `folder` listed and the sample classes typed."""
    window = make_window(qtbot, AppSettings(base_url=simulator.base_url, rpm=0, s3=s3), load_key=lambda: "k")
    window.open_paths([folder])
    wait_loaded(qtbot, window, count)
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    return window


def test_a_verdict_after_the_run_reaches_s3_under_the_same_key_and_the_manifest_follows(
    qtbot: Any,
    s3: WeedServer,
    aws_env: pytest.MonkeyPatch,
    sample_photos: Any,
    simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, truth = sample_photos
    bucket = new_bucket(s3)
    target = S3Settings(enabled=True, bucket=bucket, prefix="line-5", endpoint_url=s3.endpoint_url)
    window = _window_on(qtbot, folder, len(truth), simulator, target)
    assert run_to_end(qtbot, window) == "completed"
    client = s3.client()
    rel = window.model.rows()[0].rel
    key = f"line-5/{window.out_dir.name}/records/{rel}.json"
    assert "review" not in json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    states: list[str] = []
    window.bridge.uploadState.connect(lambda state: states.append(state.message))

    window.pane.open(0)  # the first photo, held for a second look by its key in the viewer
    viewer = window.pane.viewer
    qtbot.waitUntil(lambda: viewer.review() is not None, timeout=10_000)
    monkeypatch.setattr(viewer_module, "ask_reason", lambda _v, reasons, _parent: reasons[0])  # the modal
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_H)

    def stored() -> dict[str, Any]:
        return dict(json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read()))

    # A moment after the last key: results.jsonl is rewritten, then S3 gets the record again.
    qtbot.waitUntil(lambda: not window.controller.uploading and "review" in stored(), timeout=30_000)
    assert stored()["review"]["verdict"] == "hold"
    manifest_key = f"line-5/{window.out_dir.name}/manifest.json"
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    listed = {e["key"]: e["sha256"] for e in manifest["objects"]}
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert listed[key] == hashlib.sha256(body).hexdigest() and len(listed) == len(truth)
    assert any(message.startswith("S3 up to date") for message in states), states
