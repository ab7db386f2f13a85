"""Result records as the exporters see them: validated, typed, with one category list per export.

A record is a line of `results.jsonl` (a dict). Everything the writers need is checked here once:
the relative path is safe to mirror under the destination (no `..`, no absolute path), boxes are
integer pixel corners ordered and clamped into the photo, and a mention is matched to the run's
classes the way `palette.class_colour` does it (case-insensitively), so a box keeps one class and
one colour in every export. Mentions outside the run's classes become extra categories after the
run's own, in first-seen order, so the ids of the run's classes stay stable.

A reviewed photo's record (`core.review.corrections.corrected_record`) is exported as the inspector
left it: `detections` are the kept boxes, each with its `review` status (pending, accepted, added),
`rejected` the boxes the inspector rejected (only annotated photos may draw them, muted) and `review`
the verdict. A record without them exports as the model answered it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from isaac_gui.core.exporters.report import ReportBuilder
from isaac_gui.core.geometry import PixelBox

_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` encodable as UTF-8: lone surrogates (undecodable file-name bytes) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def json_bytes(obj: object, *, indent: int | None = None) -> bytes:
    """UTF-8 JSON, readable when possible, escaped (and exact) when the text holds lone surrogates."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, indent=indent, default=str).encode("ascii")


def safe_relative_path(value: object) -> PurePosixPath | None:
    """The record's `image` as a relative path that stays inside any folder it is joined to, or None."""
    if not isinstance(value, str) or not value or "\\" in value or "\x00" in value:
        return None
    path = PurePosixPath(value)
    if path.is_absolute() or any(part in ("", ".", "..") for part in value.split("/")):
        return None
    if ":" in path.parts[0]:  # a drive letter would escape the folder on Windows
        return None
    return path


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One photo's result, checked and typed."""

    rel: PurePosixPath  # relative to the source folder
    status: str
    width: int | None  # displayed (upright, full-resolution) size; None when the photo was not decoded
    height: int | None
    boxes: tuple[PixelBox, ...]
    error_kind: str
    error_message: str
    model: str
    request_id: str
    raw: Mapping[str, object]
    box_reviews: tuple[str, ...] = ()  # beside `boxes`: pending, accepted, added; "" when not reviewed
    rejected: tuple[PixelBox, ...] = ()
    review: Mapping[str, object] = field(default_factory=dict)  # the verdict; empty when not reviewed

    @property
    def image(self) -> str:
        return str(self.rel)

    @property
    def ok(self) -> bool:
        """A usable result: detection ran and the photo's size is known."""
        return self.status == "ok" and self.width is not None and self.height is not None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if value > 0 else None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _box(raw: object, width: int, height: int) -> tuple[PixelBox, bool] | None:
    """The detection as a pixel box inside the photo and whether it had to be adjusted; None if unusable."""
    if not isinstance(raw, dict):
        return None
    try:
        box = PixelBox.from_record(raw)
    except ValueError:
        return None
    x1, x2 = sorted((min(max(box.x1, 0), width - 1), min(max(box.x2, 0), width - 1)))
    y1, y2 = sorted((min(max(box.y1, 0), height - 1), min(max(box.y2, 0), height - 1)))
    fixed = PixelBox(box.mention, x1, y1, x2, y2)
    return fixed, fixed != box


_BOX_REVIEWS = ("pending", "accepted", "added")


def _boxes(
    raw: object, width: int, height: int, image: str, report: ReportBuilder
) -> tuple[list[PixelBox], list[str]]:
    """The usable boxes of a detection list, clamped into the photo, and each one's review status."""
    boxes: list[PixelBox] = []
    statuses: list[str] = []
    for entry in raw if isinstance(raw, list) else [None]:
        parsed = _box(entry, width, height)
        if parsed is None:
            report.warn("malformed_record", f"{image}: an unreadable detection was skipped", image=image)
            continue
        boxes.append(parsed[0])
        status = entry.get("review") if isinstance(entry, dict) else None
        statuses.append(status if isinstance(status, str) and status in _BOX_REVIEWS else "")
        if parsed[1]:
            report.warn("box_adjusted", f"{image}: a box outside the photo was clamped into it", image=image)
    return boxes, statuses


def _parse(raw: Mapping[str, object], report: ReportBuilder) -> ExportRecord | None:
    rel = safe_relative_path(raw.get("image"))
    if rel is None:
        report.warn(
            "malformed_record", f"a record with image {raw.get('image')!r} was skipped: not a relative path"
        )
        return None
    image = str(rel)
    status = _text(raw.get("status")) or "error"
    width, height = _int_or_none(raw.get("width")), _int_or_none(raw.get("height"))
    boxes: list[PixelBox] = []
    statuses: list[str] = []
    rejected: list[PixelBox] = []
    if status == "ok" and (width is None or height is None):
        report.warn(
            "malformed_record",
            f"{image}: the record has no valid width/height; exported as failed",
            image=image,
        )
    elif status == "ok" and width is not None and height is not None:
        boxes, statuses = _boxes(raw.get("detections") or [], width, height, image, report)
        rejected = _boxes(raw.get("rejected") or [], width, height, image, report)[0]
    review = raw.get("review")
    error = raw.get("error")
    error_map = error if isinstance(error, dict) else {}
    return ExportRecord(
        rel=rel,
        status=status,
        width=width,
        height=height,
        boxes=tuple(boxes),
        error_kind=_text(error_map.get("kind")),
        error_message=_text(error_map.get("message")),
        model=_text(raw.get("model")),
        request_id=_text(raw.get("request_id")),
        raw=raw,
        box_reviews=tuple(statuses),
        rejected=tuple(rejected),
        review=review if isinstance(review, Mapping) else {},
    )


def parse_records(records: Iterable[Mapping[str, object]], report: ReportBuilder) -> list[ExportRecord]:
    """The usable records, in order; a photo listed twice keeps its last record (a later re-run)."""
    by_image: dict[str, ExportRecord] = {}
    for raw in records:
        if not isinstance(raw, Mapping):
            report.warn("malformed_record", "a record that is not a JSON object was skipped")
            continue
        record = _parse(raw, report)
        if record is None:
            continue
        if record.image in by_image:
            report.warn(
                "duplicate_record",
                f"{record.image} appears more than once; its last record is exported",
                image=record.image,
            )
            del by_image[record.image]  # keep the position of the last occurrence
        by_image[record.image] = record
    return list(by_image.values())


class Categories:
    """The export's class list: the run's classes (deduplicated case-insensitively), then extra mentions."""

    def __init__(self, classes: Sequence[str], records: Iterable[ExportRecord]) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.palette_classes: tuple[str, ...] = tuple(classes)  # as given: colours match the app's
        for name in classes:
            self._add(name)
        for record in records:
            if record.ok:
                for box in record.boxes:
                    self._add(box.mention)

    def _add(self, name: str) -> None:
        key = name.casefold()
        if key not in self._index:
            self._index[key] = len(self.names)
            self.names.append(name)

    def index(self, mention: str) -> int:
        """The 0-based category of `mention` (COCO ids are this + 1)."""
        return self._index[mention.casefold()]

    def name(self, mention: str) -> str:
        """The category's name as spelled in the run's classes (or first seen)."""
        return self.names[self.index(mention)]
