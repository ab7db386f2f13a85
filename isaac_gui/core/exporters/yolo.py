"""YOLO detection labels as Ultralytics reads them (`yolo/`).

- `labels/<tree>/<stem>.txt`: one line `class cx cy w h` per box, the class a 0-based index into
  the names and the box normalised by the displayed photo size, 6 decimals, all in [0, 1]. With
  inclusive corners a box spans the pixel grid from x1 to x2 + 1, so `w = (x2 - x1 + 1) / width`
  and `cx = (x1 + x2 + 1) / 2 / width`. A photo without detections gets an empty file (Ultralytics
  counts it as background); a failed record gets none (it was never inspected). Rows repeated after
  rounding are written once (Ultralytics drops duplicates with a warning).
- `classes.txt`: the names, one a line, in class-index order.
- `data.yaml`: `path` (this folder, absolute), `train`/`val` (`images`), `nc` and `names`.
  Ultralytics finds an image's labels by swapping `images` for `labels` in its path, so the photos
  go under `yolo/images/` with the same tree (copy or link the source folder there) to train.
  Strings are written double-quoted with JSON-compatible escapes, which YAML reads back exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from isaac_gui.core.exporters.records import Categories, ExportRecord, clean_text
from isaac_gui.core.exporters.report import FormatResult, ReportBuilder
from isaac_gui.core.exporters.staging import Output

LABELS = PurePosixPath("labels")
# Outside YAML's printable set, or line breaks YAML would fold (NEL, LS, PS), or a BOM.
_YAML_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def yaml_quote(text: str) -> str:
    """`text` as a YAML double-quoted scalar (also a valid JSON string)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", body) + '"'


def label_path(rel: PurePosixPath) -> PurePosixPath:
    return LABELS / rel.with_suffix(".txt")


def label_lines(record: ExportRecord, categories: Categories) -> tuple[list[str], int]:
    """The label rows of an ok record, and how many repeated rows were dropped."""
    assert record.width is not None and record.height is not None
    width, height = record.width, record.height
    rows: dict[str, None] = {}
    for box in record.boxes:
        cx = (box.x1 + box.x2 + 1) / 2 / width
        cy = (box.y1 + box.y2 + 1) / 2 / height
        w = (box.x2 - box.x1 + 1) / width
        h = (box.y2 - box.y1 + 1) / height
        rows.setdefault(f"{categories.index(box.mention)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return list(rows), len(record.boxes) - len(rows)


def data_yaml(root: str, names: Sequence[str]) -> str:
    lines = [
        "# YOLO dataset written by isaac-gui. Ultralytics pairs images/<tree>/<name>.<ext> with",
        "# labels/<tree>/<name>.txt: copy (or link) the photos under images/ before training.",
        f"path: {yaml_quote(root)}",
        "train: images",
        "val: images",
        f"nc: {len(names)}",
        "names:",
    ]
    lines += [f"  {i}: {yaml_quote(clean_text(name))}" for i, name in enumerate(names)]
    if not names:
        lines[-1] = "names: {}"
    return "\n".join(lines) + "\n"


class YoloWriter:
    """Writes `yolo/`; claims every label path up front."""

    def __init__(self, out: Output, records: Sequence[ExportRecord], categories: Categories) -> None:
        self._out = out
        self._records = [r for r in records if r.ok]
        self._categories = categories
        for record in self._records:
            out.claim(label_path(record.rel), record.image)

    def run(self, report: ReportBuilder, checkpoint: Callable[[], None]) -> FormatResult:
        detections = 0
        for record in self._records:
            checkpoint()
            lines, dropped = label_lines(record, self._categories)
            if dropped:
                report.warn(
                    "duplicate_label",
                    f"{record.image}: {dropped} repeated box(es) written once in its YOLO label",
                    image=record.image,
                    format="yolo",
                )
            detections += len(lines)
            self._out.write(label_path(record.rel), "".join(f"{line}\n" for line in lines).encode("ascii"))
        names = self._categories.names
        classes_txt = "".join(_CONTROL.sub(" ", clean_text(name)) + "\n" for name in names)
        self._out.write(PurePosixPath("classes.txt"), classes_txt.encode("utf-8"))
        root = os.path.abspath(self._out.target)
        self._out.write(PurePosixPath("data.yaml"), data_yaml(clean_text(root), names).encode("utf-8"))
        return FormatResult("yolo", self._out.target, self._out.files, len(self._records), detections)
