"""The bytes uploaded: a record as a results.jsonl line, and the run's manifest.

The manifest (`{prefix}/{run}/manifest.json`) lists every object of the run as last stored, by
key, with the sha256 of its body, its size and the ETag S3 answered (without its quotes):

    {"format": "isaac-gui.s3-manifest/1", "bucket": ..., "endpoint_url": ..., "prefix": ...,
     "written_at": "2024-05-01T12:00:00+00:00",
     "objects": [{"key": ..., "kind": "record" | "annotated", "image": ..., "size": ...,
                  "sha256": ..., "etag": ...}, ...],
     "pending": 0, "failed": 0}
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from isaac_gui.core.s3.store import StoredObject
from isaac_gui.core.s3.target import KeyLayout, S3Target

MANIFEST_FORMAT = "isaac-gui.s3-manifest/1"


def _json_bytes(obj: object, **options: Any) -> bytes:
    """UTF-8 JSON; escaped (and still exact) when the text holds lone surrogates of odd file names."""
    try:
        return json.dumps(obj, ensure_ascii=False, default=str, **options).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, default=str, **options).encode("ascii")


def record_body(rel: str, record: Mapping[str, Any]) -> bytes:
    """The record as a line of results.jsonl (without the newline), `image` first."""
    obj = {"image": rel, **{k: v for k, v in record.items() if k != "image"}}
    return _json_bytes(obj, separators=(",", ":"))


def sha256_b64(body: bytes) -> tuple[str, str]:
    """The body's sha256 as hex (for people and the manifest) and base64 (for S3 to check it)."""
    digest = hashlib.sha256(body).digest()
    return digest.hex(), base64.b64encode(digest).decode("ascii")


def manifest_body(
    target: S3Target, layout: KeyLayout, objects: Sequence[StoredObject], *, pending: int, failed: int
) -> bytes:
    doc = {
        "format": MANIFEST_FORMAT,
        "bucket": target.bucket,
        "endpoint_url": target.endpoint_url,
        "prefix": layout.base,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "objects": [
            {"key": o.key, "kind": o.kind, "image": o.rel, "size": o.size, "sha256": o.sha256, "etag": o.etag}
            for o in objects
        ],
        "pending": pending,
        "failed": failed,
    }
    return _json_bytes(doc, indent=1)
