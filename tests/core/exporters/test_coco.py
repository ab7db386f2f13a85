"""COCO: loaded by pycocotools itself, categories in run order, inclusive corners as [x, y, w, h]."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pycocotools.coco import COCO

from isaac_gui.core.exporters import export_records
from tests.core.exporters.conftest import Record, detection, ok_record

CLASSES = ["scratch", "dent"]


def test_pycocotools_loads_the_export_and_returns_the_boxes(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_records(sample(), source_root=source, dest=dest, formats={"coco"}, classes=CLASSES)
    coco = COCO(str(dest / "coco" / "annotations.json"))

    assert [(c["id"], c["name"]) for c in coco.loadCats(coco.getCatIds())] == [
        (1, "scratch"),
        (2, "dent"),
        (3, "rust"),  # answered by the model outside the run's classes: after them
    ]
    images = {img["file_name"]: img for img in coco.loadImgs(coco.getImgIds())}
    assert set(images) == {"a.jpg", "sub/b.jpg", "sub/empty.jpg"}  # the failed photo is not an image
    assert (images["a.jpg"]["width"], images["a.jpg"]["height"]) == (320, 240)

    anns = coco.loadAnns(coco.getAnnIds(imgIds=[images["a.jpg"]["id"]]))
    got = sorted((a["category_id"], a["bbox"], a["area"], a["iscrowd"]) for a in anns)
    assert got == [(1, [10, 20, 100, 40], 4000, 0), (2, [200, 100, 120, 140], 16800, 0)]
    assert coco.getAnnIds(imgIds=[images["sub/empty.jpg"]["id"]]) == []
    (rust,) = coco.loadAnns(coco.getAnnIds(catIds=[3]))
    assert rust["bbox"] == [0, 0, 50, 50] and rust["image_id"] == images["sub/b.jpg"]["id"]
    assert len({a["id"] for a in coco.loadAnns(coco.getAnnIds())}) == 3

    assert report.formats["coco"].images == 3 and report.formats["coco"].detections == 3
    assert report.failed_images == ("sub/broken.jpg",)


def test_unicode_names_are_readable_json(source: Path, dest: Path) -> None:
    record = ok_record("ファイル.jpg", 10, 10, detection("ひび", 0, 0, 9, 9))
    export_records([record], source_root=source, dest=dest, formats={"coco"}, classes=["ひび"])
    text = (dest / "coco" / "annotations.json").read_text("utf-8")
    doc = json.loads(text)
    assert "ファイル.jpg" in text and doc["categories"][0]["name"] == "ひび"
    assert doc["annotations"][0]["bbox"] == [0, 0, 10, 10]  # a box over the whole 10 px photo is 10 wide
