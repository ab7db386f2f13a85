"""The records themselves (`records.jsonl`): the exported photos' lines of `results.jsonl`.

One file in the same schema as `results.jsonl` (unknown keys such as `review` kept), so whatever
reads a run's results reads an export of a subset of it. A single file rather than one JSON per
photo: scripts load it in one line, it cannot collide on names, and it stays fast on network
shares where thousands of tiny files are slow. Records the exporter had to skip (malformed, or a
photo listed twice) are left out, as in every other format.
"""

from __future__ import annotations

from collections.abc import Sequence

from isaac_gui.core.exporters.records import ExportRecord, json_bytes
from isaac_gui.core.exporters.report import FormatResult
from isaac_gui.core.exporters.staging import Output

JSONL_NAME = "records.jsonl"


def write_jsonl(out: Output, records: Sequence[ExportRecord]) -> FormatResult:
    out.write(None, b"".join(json_bytes(dict(r.raw)) + b"\n" for r in records))
    detections = sum(len(r.boxes) for r in records if r.ok)
    return FormatResult("json", out.target, out.files, len(records), detections)
