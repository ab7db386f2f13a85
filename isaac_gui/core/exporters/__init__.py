"""Exporting result records: annotated photos, COCO, YOLO, Pascal VOC, CSV and the records as JSON.

`export_records(records, source_root=..., dest=..., formats=..., classes=...)` writes the chosen
formats for the records it is given (pass a subset to export a subset) into `dest`:

    dest/
      annotated/<tree>/<name>.jpg   the photos upright, boxes and labels drawn (or .png)
      coco/annotations.json         COCO detection JSON; file_name = path relative to the source
      yolo/labels/<tree>/<stem>.txt YOLO labels, plus yolo/classes.txt and yolo/data.yaml
      voc/<tree>/<stem>.xml         Pascal VOC XML, one per photo
      detections.csv                one row per box, and one per photo without boxes
      records.jsonl                 the exported records, in the schema of results.jsonl

`<tree>` mirrors the source folder, so photos of the same name in two subfolders never collide and
a label sits where a trainer or a person looks for it. Folders rather than prefixes: each format
is one self-contained entry of dest that can be zipped, shared or replaced on its own.

Conventions every format shares (the modules give the details):
- coordinates are those of the photo as displayed: EXIF orientation applied, full resolution;
  a detection's corners are inclusive pixel indices, so a box is x2 - x1 + 1 pixels wide
  (COCO `w`, YOLO `w * width`); VOC uses its own 1-based indices (`xmin = x1 + 1`);
- classes: the run's classes in order (COCO ids from 1, YOLO indices from 0), then any class the
  model answered outside them, in first-seen order; mentions match classes case-insensitively,
  as the palette does, so a box keeps one class and one colour everywhere;
- failed records (status other than ok) appear in the CSV and JSON, are listed in the report,
  and are left out of the annotated photos, COCO, YOLO and VOC, where a photo without boxes
  means "inspected, nothing found";
- re-exporting replaces each chosen format all at once (see `staging`); on any failure or
  cancellation `ExportError` is raised and dest is left as it was.
"""

from isaac_gui.core.exporters.export import FORMATS, OUTPUTS, export_records
from isaac_gui.core.exporters.report import (
    ExportCancelled,
    ExportError,
    ExportReport,
    ExportWarning,
    FormatResult,
)

__all__ = [
    "FORMATS",
    "OUTPUTS",
    "ExportCancelled",
    "ExportError",
    "ExportReport",
    "ExportWarning",
    "FormatResult",
    "export_records",
]
