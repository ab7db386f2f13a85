"""One annotated photo for S3, drawn exactly as `isaac-gui export --format annotated` draws it.

The exporters package does the work (`exporters.annotated.render_annotated`: record
validation, class names, colours, boxes, labels, JPEG encoding); this applies it to one record.
A record's class colours depend on the run's classes alone, so a photo drawn alone looks the same
as in a whole export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from isaac_gui.core.exporters.annotated import AnnotationProblemError
from isaac_gui.core.exporters.annotated import render_annotated as render_one
from isaac_gui.core.exporters.records import Categories, parse_records
from isaac_gui.core.exporters.report import ReportBuilder

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
    try:
        return render_one(Path(source_root), parsed[0], Categories(classes, parsed), max_side, "jpg")
    except AnnotationProblemError as problem:
        raise AnnotationError(problem.message) from None
