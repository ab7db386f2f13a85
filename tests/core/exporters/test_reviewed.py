"""Every format exports a reviewed photo as the inspector left it: the kept boxes (pending, accepted,
drawn), never the rejected ones (annotated photos draw them muted when asked), and the verdict."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from pycocotools.coco import COCO

from isaac_gui.core.exporters import export_records
from isaac_gui.core.exporters.drawing import MUTED
from isaac_gui.core.exporters.table import COLUMNS
from isaac_gui.core.palette import class_colour
from tests.core.exporters.conftest import REVIEWED_AT, Record, detection, ok_record, reviewed, write_photo

CLASSES = ["scratch", "dent"]
WHITE = (255, 255, 255)
DRAWN = {"mention": "scratch", "top_left": {"x": 150, "y": 150}, "bottom_right": {"x": 199, "y": 199}}


@pytest.fixture
def records(source: Path) -> list[Record]:
    """a.jpg (320 x 240, white): the model's scratch kept (pending), its dent rejected, a scratch drawn,
    and the proposal (fail: the scratch covers 5.2%) overridden to pass. b.jpg: not reviewed."""
    write_photo(source / "a.jpg", 320, 240, WHITE)
    write_photo(source / "b.jpg", 64, 48, WHITE)
    a = ok_record(
        "a.jpg", 320, 240, detection("scratch", 10, 20, 109, 59), detection("Dent", 200, 100, 319, 239)
    )
    a = reviewed(
        a,
        ("box_reject", "m1", {"status": "rejected"}, "reflection"),
        ("box_add", None, DRAWN, None),
        ("verdict", None, {"verdict": "pass", "proposed": "fail"}, "Defect below the limit"),
    )
    return [a, ok_record("b.jpg", 64, 48, detection("dent", 1, 2, 11, 12))]


def export(records: list[Record], source: Path, dest: Path, fmt: str, **options: object) -> None:
    export_records(records, source_root=source, dest=dest, formats={fmt}, classes=CLASSES, **options)  # type: ignore[arg-type]


def test_the_record_is_what_the_tests_think(records: list[Record]) -> None:
    a = records[0]
    assert [d["box"] for d in a["detections"]] == ["m0", "d2"] and [d["box"] for d in a["rejected"]] == ["m1"]
    assert a["review"]["verdict"] == "pass" and a["review"]["proposed"] == "fail"


def test_csv_has_the_kept_boxes_and_the_verdict_columns(
    records: list[Record], source: Path, dest: Path
) -> None:
    export(records, source, dest, "csv")
    with open(dest / "detections.csv", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames is not None and tuple(reader.fieldnames) == COLUMNS
        rows = list(reader)
    assert COLUMNS[-7:] == (
        "verdict",
        "proposed",
        "overridden",
        "reason",
        "reviewed_by",
        "reviewed_at",
        "box_review",
    )
    a_rows = [r for r in rows if r["image"] == "a.jpg"]
    assert [(r["mention"], r["x1"], r["box_review"]) for r in a_rows] == [
        ("scratch", "10", "pending"),
        ("scratch", "150", "added"),
    ]
    for row in a_rows:
        assert (row["verdict"], row["proposed"], row["overridden"]) == ("pass", "fail", "true")
        assert (row["reason"], row["reviewed_by"], row["reviewed_at"]) == (
            "Defect below the limit",
            "Ana (ana)",
            REVIEWED_AT,
        )
    (b,) = [r for r in rows if r["image"] == "b.jpg"]
    assert [b[c] for c in COLUMNS[-7:]] == [""] * 7  # not reviewed: nothing to say


def test_json_carries_the_review_the_rejected_boxes_and_the_model_answer(
    records: list[Record], source: Path, dest: Path
) -> None:
    export(records, source, dest, "json")
    a = json.loads((dest / "records.jsonl").read_text("utf-8").splitlines()[0])
    assert a["review"]["overridden"] is True and a["review"]["by"] == "Ana (ana)"
    assert [d["mention"] for d in a["rejected"]] == ["Dent"]
    assert [d["mention"] for d in a["model_detections"]] == ["scratch", "Dent"]


def test_coco_has_the_kept_boxes_only_and_pycocotools_reads_the_verdict_along(
    records: list[Record], source: Path, dest: Path
) -> None:
    export(records, source, dest, "coco")
    coco = COCO(str(dest / "coco" / "annotations.json"))
    images = {img["file_name"]: img for img in coco.loadImgs(coco.getImgIds())}
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[images["a.jpg"]["id"]]))
    assert sorted((a["category_id"], a["bbox"]) for a in anns) == [
        (1, [10, 20, 100, 40]),
        (1, [150, 150, 50, 50]),
    ]
    assert sorted(a["attributes"]["review"] for a in anns) == ["added", "pending"]
    assert (
        images["a.jpg"]["review"]["verdict"] == "pass"
        and images["a.jpg"]["review"]["reason"] == "Defect below the limit"
    )
    assert "review" not in images["b.jpg"]
    (b_ann,) = coco.loadAnns(coco.getAnnIds(imgIds=[images["b.jpg"]["id"]]))
    assert "attributes" not in b_ann


def test_yolo_has_the_kept_boxes_only(records: list[Record], source: Path, dest: Path) -> None:
    export(records, source, dest, "yolo")
    lines = (dest / "yolo" / "labels" / "a.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "0"]  # two scratches, no dent
    assert lines[1] == f"0 {175 / 320:.6f} {175 / 240:.6f} {50 / 320:.6f} {50 / 240:.6f}"


def test_voc_has_the_kept_boxes_only(records: list[Record], source: Path, dest: Path) -> None:
    export(records, source, dest, "voc")
    root = ET.parse(dest / "voc" / "a.xml").getroot()
    boxes = [(o.findtext("name"), o.findtext("bndbox/xmin")) for o in root.iter("object")]
    assert boxes == [("scratch", "11"), ("scratch", "151")]


def near(a: object, b: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(a, tuple)
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_annotated_photos_leave_rejected_boxes_out_unless_asked_then_draw_them_muted_and_dashed(
    records: list[Record], source: Path, dest: Path
) -> None:
    export(records, source, dest, "annotated", annotated_format="png")
    plain = Image.open(dest / "annotated" / "a.png").convert("RGB")
    scratch = class_colour(CLASSES, "scratch")
    assert plain.getpixel((150, 175)) == scratch and plain.getpixel((10, 40)) == scratch
    left_edge = [plain.getpixel((200, y)) for y in range(160, 239)]  # the rejected dent's left side
    assert all(near(p, WHITE, 12) for p in left_edge)

    export(records, source, dest, "annotated", annotated_format="png", draw_rejected=True)
    muted = Image.open(dest / "annotated" / "a.png").convert("RGB")
    left_edge = [muted.getpixel((200, y)) for y in range(160, 239)]
    assert sum(p == MUTED for p in left_edge) > len(left_edge) // 3  # drawn, in the muted colour
    assert sum(near(p, WHITE, 12) for p in left_edge) > len(left_edge) // 5  # with gaps: dashed
    assert muted.getpixel((150, 175)) == scratch  # the kept boxes as before
