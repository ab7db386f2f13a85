"""One annotated photo for S3, drawn exactly as `isaac-gui export --format annotated` draws it.

The exporters package does the work (record validation, class names, colours, boxes, labels, JPEG
encoding); this only applies it to one record at a time. A record's class colours depend on the
run's classes alone, so a photo drawn alone looks the same as in a whole export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from isaac_gui.core.exporters.annotated import encode
from isaac_gui.core.exporters.drawing import draw_detections
from isaac_gui.core.exporters.records import Categories, parse_records
from isaac_gui.core.exporters.report import ReportBuilder
from isaac_gui.core.images import ImageError, decode_upright

# Bump when the drawing changes so every annotated photo is uploaded again.
DRAWING_VERSION = 1


class AnnotationError(Exception):
    """This photo cannot be annotated (missing, unreadable, changed since it was inspected)."""


def annotated_identity(record_sha256: str, classes: Sequence[str], max_side: int | None) -> str:
    """What an annotated photo is made from: its record (which holds the photo's hash) and the drawing."""
    ident = json.dumps([record_sha256, list(classes), max_side, DRAWING_VERSION], separators=(",", ":"))
    return hashlib.sha256(ident.encode()).hexdigest()


def wants_annotation(record: Mapping[str, object]) -> bool:
    """Only successful records are drawn, as in exports."""
    return record.get("status") == "ok"


def render_annotated(
    source_root: Path, record: Mapping[str, object], classes: Sequence[str], max_side: int | None = None
) -> bytes:
    """The photo of `record` (found under `source_root`), upright, boxes and labels drawn, as JPEG."""
    parsed = parse_records([record], ReportBuilder())
    if not parsed or not parsed[0].ok:
        raise AnnotationError(f"{record.get('image')!r} has no usable result to draw")
    rec = parsed[0]
    source = Path(source_root).joinpath(*rec.rel.parts)
    try:
        data = source.read_bytes()
    except OSError as exc:
        reason = "is missing" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror})"
        raise AnnotationError(f"{source} {reason}; not annotated") from None
    try:
        img, width, height, _orientation, _fmt = decode_upright(data, max_side)
    except ImageError as exc:
        raise AnnotationError(f"{source} {exc.message}; not annotated") from None
    del data
    if (width, height) != (rec.width, rec.height):
        raise AnnotationError(
            f"{source} is now {width}x{height} but was {rec.width}x{rec.height} when it was inspected; not annotated"
        )
    categories = Categories(classes, parsed)
    draw_detections(
        img,
        rec.boxes,
        labels=[categories.name(box.mention) for box in rec.boxes],
        classes=categories.palette_classes,
        full_width=width,
        full_height=height,
    )
    return encode(img, "jpg")
