"""The spreadsheet view (`detections.csv`): one row per box, and one per photo without boxes.

Every photo exported appears at least once: a row per detection, or a single row with empty box
columns for a photo where nothing was found or whose inspection failed (`status`, `error_kind` and
`error_message` say which). Coordinates are the detection's inclusive pixel corners in the
displayed photo (the same numbers as `results.jsonl`), and `class` is the name the other formats
use for the mention. A reviewed photo's rows are its kept boxes (`box_review`: pending, accepted or
added; rejected boxes are left out), each carrying the photo's verdict: the inspector's (`verdict`,
empty while undecided), the rules' proposal, whether it was `overridden` and why, who and when
(UTC); these columns are empty for a photo nobody reviewed.

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
    "verdict",
    "proposed",
    "overridden",
    "reason",
    "reviewed_by",
    "reviewed_at",
    "box_review",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """`text` safe in a spreadsheet cell: never evaluated as a formula."""
    text = clean_text(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _verdict(record: ExportRecord) -> list[object]:
    review = record.review
    if not review:
        return [""] * 6
    overridden = review.get("overridden")
    return [
        cell(_text(review.get("verdict"))),
        cell(_text(review.get("proposed"))),
        "" if not isinstance(overridden, bool) else str(overridden).lower(),
        cell(_text(review.get("reason"))),
        cell(_text(review.get("by"))),
        cell(_text(review.get("at"))),
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _rows(record: ExportRecord, categories: Categories) -> list[list[object]]:
    head: list[object] = [cell(record.image), cell(record.status), record.width or "", record.height or ""]
    tail: list[object] = [
        cell(record.error_kind),
        cell(record.error_message),
        cell(record.model),
        cell(record.request_id),
    ]
    tail += _verdict(record)
    if not record.ok or not record.boxes:
        return [[*head, "", "", "", "", "", "", *tail, ""]]
    statuses = record.box_reviews or ("",) * len(record.boxes)
    return [
        [
            *head,
            cell(box.mention),
            cell(categories.name(box.mention)),
            box.x1,
            box.y1,
            box.x2,
            box.y2,
            *tail,
            status,
        ]
        for box, status in zip(record.boxes, statuses, strict=True)
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
