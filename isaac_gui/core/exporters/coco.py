"""COCO object-detection JSON (`coco/annotations.json`), as `pycocotools.coco.COCO` loads it.

- categories: the run's classes in order with ids from 1, then mentions outside them (first seen);
- images: ids from 1 in record order; `file_name` is the photo's path relative to the source
  folder (`/` separators); `width`/`height` are the displayed size (EXIF orientation applied);
- annotations: `bbox` is `[x, y, w, h]` in pixels with `w = x2 - x1 + 1`, `h = y2 - y1 + 1`: the
  detection's corners are inclusive pixel indices, so a box covers pixels x..x+w-1, the COCO
  convention of a box from the pixel grid's edges (x, y) to (x + w, y + h). `area = w * h`,
  `iscrowd = 0`, no `segmentation` (a detection export).

A reviewed photo has its kept boxes only (the rejected ones are left out); its image carries a
`review` object (verdict, proposed, overridden, reason, by, at) and each annotation `attributes:
{"review": pending | accepted | added}`, the place CVAT's COCO keeps attributes; pycocotools ignores
both. Failed records are left out of `images` (the report lists them): an image without annotations means
"inspected, nothing found" to a trainer, which a photo that was never inspected is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath

from isaac_gui.core.exporters.records import Categories, ExportRecord, json_bytes
from isaac_gui.core.exporters.report import FormatResult
from isaac_gui.core.exporters.staging import Output

ANNOTATIONS = PurePosixPath("annotations.json")
_REVIEW_KEYS = ("verdict", "proposed", "overridden", "reason", "by", "at")


def coco_document(records: Sequence[ExportRecord], categories: Categories, created: str) -> dict[str, object]:
    images: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    for record in records:
        if not record.ok:
            continue
        image_id = len(images) + 1
        image: dict[str, object] = {
            "id": image_id,
            "file_name": record.image,
            "width": record.width,
            "height": record.height,
        }
        if record.review:
            image["review"] = {key: record.review.get(key) for key in _REVIEW_KEYS}
        images.append(image)
        statuses = record.box_reviews or ("",) * len(record.boxes)
        for box, status in zip(record.boxes, statuses, strict=True):
            w, h = box.x2 - box.x1 + 1, box.y2 - box.y1 + 1
            annotation: dict[str, object] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": categories.index(box.mention) + 1,
                "bbox": [box.x1, box.y1, w, h],
                "area": w * h,
                "iscrowd": 0,
            }
            if status:
                annotation["attributes"] = {"review": status}
            annotations.append(annotation)
    return {
        "info": {"description": "isaac-gui detections", "version": "1.0", "date_created": created},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": i + 1, "name": name, "supercategory": "object"} for i, name in enumerate(categories.names)
        ],
    }


def write_coco(out: Output, records: Sequence[ExportRecord], categories: Categories) -> FormatResult:
    created = datetime.now(UTC).isoformat(timespec="seconds")
    doc = coco_document(records, categories, created)
    out.write(ANNOTATIONS, json_bytes(doc))
    images, annotations = doc["images"], doc["annotations"]
    assert isinstance(images, list) and isinstance(annotations, list)
    return FormatResult("coco", out.target, out.files, len(images), len(annotations))
