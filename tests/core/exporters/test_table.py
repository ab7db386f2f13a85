"""The CSV (every photo at least once, safe in a spreadsheet) and the records as JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from isaac_gui.core.exporters import export_records
from isaac_gui.core.exporters.table import COLUMNS, cell
from tests.core.exporters.conftest import Record, detection, error_record, ok_record

CLASSES = ["scratch", "dent"]


def read_csv(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def test_one_row_per_detection_and_one_per_empty_or_failed_photo(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_records(sample(), source_root=source, dest=dest, formats={"csv"}, classes=CLASSES)
    rows = read_csv(dest / "detections.csv")
    summary = [
        (r["image"], r["status"], r["mention"], r["class"], r["x1"], r["y2"], r["error_kind"]) for r in rows
    ]
    assert summary == [
        ("a.jpg", "ok", "scratch", "scratch", "10", "59", ""),
        ("a.jpg", "ok", "Dent", "dent", "200", "239", ""),
        ("sub/b.jpg", "ok", "rust", "rust", "0", "49", ""),
        ("sub/empty.jpg", "ok", "", "", "", "", ""),
        ("sub/broken.jpg", "error", "", "", "", "", "decode_error"),
    ]
    assert (
        rows[0]["width"] == "320" and rows[0]["model"] == "isaac-0.1" and rows[0]["request_id"] == "req-a.jpg"
    )
    assert rows[4]["width"] == "" and rows[4]["error_message"] == "cannot be decoded"
    assert report.formats["csv"].images == 4 and report.formats["csv"].detections == 3


def test_formula_like_text_is_neutralised(source: Path, dest: Path) -> None:
    records = [
        ok_record("=HYPERLINK(evil).jpg", 10, 10, detection("+cmd", 0, 0, 1, 1)),
        ok_record("-1.jpg", 10, 10),
        error_record("@sum.jpg", "http", "=1+1"),
        ok_record("fine=ok.jpg", 10, 10),
    ]
    export_records(records, source_root=source, dest=dest, formats={"csv"}, classes=CLASSES)
    rows = read_csv(dest / "detections.csv")
    assert [r["image"] for r in rows] == ["'=HYPERLINK(evil).jpg", "'-1.jpg", "'@sum.jpg", "fine=ok.jpg"]
    assert rows[0]["mention"] == "'+cmd" and rows[2]["error_message"] == "'=1+1"
    assert cell("\tx") == "'\tx" and cell("plain") == "plain"


def test_records_jsonl_keeps_the_records_as_they_were(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    records = sample()
    records[0]["review"] = {"accepted": True}
    export_records(records, source_root=source, dest=dest, formats={"json"}, classes=CLASSES)
    lines = (dest / "records.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
