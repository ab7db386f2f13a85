"""`export_records`: the one entry point, running the chosen formats into a staged, swapped-in export."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from isaac_gui.core.exporters.annotated import AnnotatedWriter, normalise_format
from isaac_gui.core.exporters.coco import write_coco
from isaac_gui.core.exporters.jsonl import JSONL_NAME, write_jsonl
from isaac_gui.core.exporters.records import Categories, ExportRecord, parse_records
from isaac_gui.core.exporters.report import (
    ExportCancelled,
    ExportError,
    ExportReport,
    ReportBuilder,
)
from isaac_gui.core.exporters.staging import Staging
from isaac_gui.core.exporters.table import CSV_NAME, write_csv
from isaac_gui.core.exporters.voc import VocWriter
from isaac_gui.core.exporters.yolo import YoloWriter

FORMATS = ("annotated", "coco", "yolo", "voc", "csv", "json")
# Where each format goes under dest, and whether it is a folder.
OUTPUTS: Mapping[str, tuple[str, bool]] = {
    "annotated": ("annotated", True),
    "coco": ("coco", True),
    "yolo": ("yolo", True),
    "voc": ("voc", True),
    "csv": (CSV_NAME, False),
    "json": (JSONL_NAME, False),
}
_CHEAP_FIRST = ("json", "csv", "coco", "yolo", "voc")  # fast formats first: their failures surface early

ProgressCallback = Callable[[int, int], None]


def _check_arguments(formats: Collection[str], max_side: int | None) -> list[str]:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}; choose from {FORMATS}")
    if not formats:
        raise ValueError("choose at least one export format")
    if max_side is not None and max_side <= 0:
        raise ValueError(f"annotated_max_side must be positive or None, not {max_side}")
    return [name for name in FORMATS if name in formats]


def _protect_source(source_root: Path, dest: Path, chosen: Sequence[str]) -> None:
    """Refuse an export whose swap would delete the photos being exported."""
    source = os.path.realpath(source_root)
    for name in chosen:
        target = os.path.realpath(dest / OUTPUTS[name][0])
        if source == target or source.startswith(target.rstrip(os.sep) + os.sep):
            raise ExportError(f"Cannot export into {target}: the photos being exported are inside it")


def export_records(
    records: Sequence[Mapping[str, object]],
    *,
    source_root: Path,
    dest: Path,
    formats: Collection[str],
    classes: Sequence[str],
    annotated_max_side: int | None = None,
    annotated_format: str = "jpg",
    draw_rejected: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ExportReport:
    """Export `records` (result records of photos under `source_root`) in `formats` into `dest`.

    Replaces the previous export of each chosen format in `dest` all at once; on any failure raises
    `ExportError` (`ExportCancelled` when `cancel` is set) and leaves `dest` as it was. `progress`
    receives (done, total), where each annotated photo is one step and every other format one step.
    `annotated_max_side` shrinks annotated photos to that long side (None: full resolution);
    `annotated_format` is "jpg" or "png"; `draw_rejected` draws the boxes the inspector rejected on
    annotated photos, muted (every other format leaves them out). Raises ValueError for arguments no
    export could satisfy.
    """
    started = time.perf_counter()
    chosen = _check_arguments(formats, annotated_max_side)
    fmt = normalise_format(annotated_format)
    source_root, dest = Path(source_root), Path(dest)
    cancel = threading.Event() if cancel is None else cancel
    report = ReportBuilder()
    parsed = parse_records(records, report)
    categories = Categories(classes, parsed)
    _protect_source(source_root, dest, chosen)
    if cancel.is_set():
        raise ExportCancelled("The export was cancelled")
    staging = Staging(dest, report)
    try:
        _run(
            records=parsed,
            categories=categories,
            staging=staging,
            chosen=chosen,
            source_root=source_root,
            fmt=fmt,
            max_side=annotated_max_side,
            draw_rejected=draw_rejected,
            report=report,
            progress=progress,
            cancel=cancel,
        )
        staging.commit()
    except OSError as exc:
        staging.discard()
        where = f"{exc.filename}: " if exc.filename else ""
        raise ExportError(f"Cannot export to {dest}: {where}{exc.strerror or exc}") from exc
    except BaseException:
        staging.discard()
        raise
    failed = tuple(r.image for r in parsed if not r.ok)
    return report.build(dest, len(parsed), failed, tuple(chosen), time.perf_counter() - started)


def _run(
    *,
    records: list[ExportRecord],
    categories: Categories,
    staging: Staging,
    chosen: list[str],
    source_root: Path,
    fmt: str,
    max_side: int | None,
    draw_rejected: bool,
    report: ReportBuilder,
    progress: ProgressCallback | None,
    cancel: threading.Event,
) -> None:
    def checkpoint() -> None:
        if cancel.is_set():
            raise ExportCancelled("The export was cancelled")

    outputs = {name: staging.output(OUTPUTS[name][0], is_dir=OUTPUTS[name][1]) for name in chosen}
    # Claim every output path before writing anything, so name collisions fail at once.
    yolo = YoloWriter(outputs["yolo"], records, categories) if "yolo" in outputs else None
    voc = VocWriter(outputs["voc"], records, categories, source_root) if "voc" in outputs else None
    annotated = (
        AnnotatedWriter(
            outputs["annotated"],
            records,
            categories,
            source_root=source_root,
            fmt=fmt,
            max_side=max_side,
            report=report,
            draw_rejected=draw_rejected,
        )
        if "annotated" in outputs
        else None
    )
    cheap = [name for name in _CHEAP_FIRST if name in outputs]
    total = len(cheap) + (annotated.total if annotated else 0)
    done = 0
    if progress:
        progress(0, total)
    for name in cheap:
        checkpoint()
        out = outputs[name]
        if name == "json":
            result = write_jsonl(out, records)
        elif name == "csv":
            result = write_csv(out, records, categories)
        elif name == "coco":
            result = write_coco(out, records, categories)
        elif name == "yolo" and yolo:
            result = yolo.run(report, checkpoint)
        else:
            assert voc is not None
            result = voc.run(checkpoint)
        report.add_result(result)
        done += 1
        if progress:
            progress(done, total)
    if annotated:
        checkpoint()
        base = done

        def step(count: int) -> None:
            if progress:
                progress(base + count, total)

        report.add_result(annotated.run(cancel, step))
    checkpoint()
