"""Pascal VOC XML, one file per photo (`voc/<tree>/<stem>.xml`).

The layout of the VOC devkit's Annotations: `annotation` with `folder` (the photo's folder
relative to the source, or the source folder's name at its top), `filename`, `path` (the photo's
absolute path, which LabelImg and CVAT use to open it), `source`, `size` (displayed width, height,
depth 3), `segmented` 0, and one `object` per box with `name`, `pose` Unspecified, `truncated` 0,
`difficult` 0 and `bndbox`.

Coordinates are VOC's 1-based pixel indices, inclusive: `xmin = x1 + 1`, `xmax = x2 + 1` (the devkit
and most converters subtract 1 when reading), so a box at the photo's right edge has
`xmax == width`. Photos without detections get a file without objects (inspected, nothing found);
failed records get none. Characters XML 1.0 cannot carry become U+FFFD.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from isaac_gui.core.exporters.records import Categories, ExportRecord, clean_text
from isaac_gui.core.exporters.report import FormatResult
from isaac_gui.core.exporters.staging import Output

_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", clean_text(text))


def _sub(parent: ET.Element, tag: str, text: str | int) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _xml_text(str(text))
    return element


def xml_path(rel: PurePosixPath) -> PurePosixPath:
    return rel.with_suffix(".xml")


def voc_xml(record: ExportRecord, categories: Categories, source_root: Path) -> bytes:
    assert record.width is not None and record.height is not None
    root = ET.Element("annotation")
    folder = str(record.rel.parent)
    _sub(root, "folder", os.path.basename(os.path.abspath(source_root)) if folder == "." else folder)
    _sub(root, "filename", record.rel.name)
    _sub(root, "path", os.path.abspath(source_root.joinpath(*record.rel.parts)))
    source = ET.SubElement(root, "source")
    _sub(source, "database", "isaac-gui")
    size = ET.SubElement(root, "size")
    _sub(size, "width", record.width)
    _sub(size, "height", record.height)
    _sub(size, "depth", 3)
    _sub(root, "segmented", 0)
    for box in record.boxes:
        obj = ET.SubElement(root, "object")
        _sub(obj, "name", categories.name(box.mention))
        _sub(obj, "pose", "Unspecified")
        _sub(obj, "truncated", 0)
        _sub(obj, "difficult", 0)
        bndbox = ET.SubElement(obj, "bndbox")
        _sub(bndbox, "xmin", box.x1 + 1)
        _sub(bndbox, "ymin", box.y1 + 1)
        _sub(bndbox, "xmax", box.x2 + 1)
        _sub(bndbox, "ymax", box.y2 + 1)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


class VocWriter:
    """Writes `voc/`; claims every XML path up front."""

    def __init__(
        self, out: Output, records: Sequence[ExportRecord], categories: Categories, source_root: Path
    ) -> None:
        self._out = out
        self._records = [r for r in records if r.ok]
        self._categories = categories
        self._source_root = source_root
        for record in self._records:
            out.claim(xml_path(record.rel), record.image)

    def run(self, checkpoint: Callable[[], None]) -> FormatResult:
        for record in self._records:
            checkpoint()
            self._out.write(xml_path(record.rel), voc_xml(record, self._categories, self._source_root))
        detections = sum(len(r.boxes) for r in self._records)
        return FormatResult("voc", self._out.target, self._out.files, len(self._records), detections)
