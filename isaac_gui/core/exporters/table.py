"""The spreadsheet view (`detections.csv`): one row per box, and one per photo without boxes.

Every photo exported appears at least once: a row per detection, or a single row with empty box
columns for a photo where nothing was found or whose inspection failed (`status`, `error_kind` and
`error_message` say which). Coordinates are the detection's inclusive pixel corners in the
displayed photo (the same numbers as `results.jsonl`), and `class` is the name the other formats
use for the mention.

UTF-8 with a byte-order mark, so Excel shows non-English file names correctly (Python reads it with
`encoding="utf-8-sig"`), and CRLF line ends as RFC 4180 says. Text a spreadsheet would run as a
formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from isaac_gui.core.exporters.records import Categories, ExportRecord, clean_text
from isaac_gui.core.exporters.report import FormatResult
from isaac_gui.core.exporters.staging import Output

CSV_NAME = "detections.csv"
COLUMNS = (
    "image",
    "status",
    "width",
    "height",
    "mention",
    "class",
    "x1",
    "y1",
    "x2",
    "y2",
    "error_kind",
    "error_message",
    "model",
    "request_id",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """`text` safe in a spreadsheet cell: never evaluated as a formula."""
    text = clean_text(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(record: ExportRecord, categories: Categories) -> list[list[object]]:
    head: list[object] = [cell(record.image), cell(record.status), record.width or "", record.height or ""]
    tail: list[object] = [
        cell(record.error_kind),
        cell(record.error_message),
        cell(record.model),
        cell(record.request_id),
    ]
    if not record.ok or not record.boxes:
        return [[*head, "", "", "", "", "", "", *tail]]
    return [
        [*head, cell(box.mention), cell(categories.name(box.mention)), box.x1, box.y1, box.x2, box.y2, *tail]
        for box in record.boxes
    ]


def csv_bytes(records: Sequence[ExportRecord], categories: Categories) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerows(_rows(record, categories))
    return text.getvalue().encode("utf-8-sig")


def write_csv(out: Output, records: Sequence[ExportRecord], categories: Categories) -> FormatResult:
    out.write(None, csv_bytes(records, categories))
    detections = sum(len(r.boxes) for r in records if r.ok)
    return FormatResult("csv", out.target, out.files, len(records), detections)
