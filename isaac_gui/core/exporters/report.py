"""What an export tells its caller: the errors it raises and the report it returns.

`ExportError` is the one failure type of the package (its message names the file and the problem
and is meant for people); `ExportCancelled` is the cancellation flavour of it. `ReportBuilder`
collects warnings from several threads and freezes into an `ExportReport`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ExportError(Exception):
    """An export that could not be completed; nothing was changed under the destination."""


class ExportCancelled(ExportError):  # noqa: N818 - reads as what happened, like CancelledError
    """The caller's cancel event was set; nothing was changed under the destination."""


@dataclass(frozen=True, slots=True)
class ExportWarning:
    """Something worth telling the user that did not stop the export.

    `kind` is stable (for filters and tests): missing_photo, unreadable_photo, size_mismatch,
    malformed_record, duplicate_record, box_adjusted, duplicate_label, cleanup.
    """

    kind: str
    message: str
    image: str | None = None  # the record's relative path, when the warning is about one photo
    format: str | None = None  # the format concerned, when only one is


@dataclass(frozen=True, slots=True)
class FormatResult:
    """What one format wrote."""

    format: str
    path: Path  # the file or folder under dest, after the swap
    files: int  # files written (labels, XMLs, images; 1 for single-file formats)
    images: int  # photos covered by the output
    detections: int  # boxes written


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The outcome of `export_records`."""

    dest: Path
    formats: Mapping[str, FormatResult]
    records: int  # records exported (after dropping malformed and duplicate ones)
    failed_images: tuple[str, ...]  # records without a usable result: never annotated, no COCO/YOLO/VOC
    warnings: tuple[ExportWarning, ...]
    seconds: float


@dataclass
class ReportBuilder:
    """Thread-safe accumulation of warnings and per-format results while an export runs."""

    _warnings: list[ExportWarning] = field(default_factory=list)
    _results: dict[str, FormatResult] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warn(self, kind: str, message: str, *, image: str | None = None, format: str | None = None) -> None:
        with self._lock:
            self._warnings.append(ExportWarning(kind, message, image, format))

    def add_result(self, result: FormatResult) -> None:
        with self._lock:
            self._results[result.format] = result

    def build(
        self, dest: Path, records: int, failed_images: tuple[str, ...], order: tuple[str, ...], seconds: float
    ) -> ExportReport:
        with self._lock:
            formats = {name: self._results[name] for name in order if name in self._results}
            return ExportReport(dest, formats, records, failed_images, tuple(self._warnings), seconds)
