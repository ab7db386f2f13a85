"""Annotated copies of the photos: upright, boxes and labels drawn, in a tree mirroring the source.

Each photo is decoded once with `images.decode_upright` (EXIF orientation applied as everywhere
else; with a long side chosen, libjpeg decodes at a reduced scale), drawn on with ImageDraw and
encoded once. Two worker threads overlap the decoding and encoding (both release the GIL); at most
two photos per worker are in flight, so memory stays bounded however many photos are exported.

A photo keeps its file name when it already has the output's suffix (`a.jpg` stays `a.jpg`,
`a.JPEG` stays `a.JPEG`); otherwise the suffix is replaced (`b.png` becomes `b.jpg`). Failed
records are not annotated (the report lists them); photos without detections are written plain,
so the folder holds every photo that could be decoded. Boxes the inspector rejected are left out,
or drawn muted (dashed grey, labelled "(rejected)") with `draw_rejected`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path, PurePosixPath

from PIL import Image

from isaac_gui.core.exporters.drawing import draw_detections, draw_rejected
from isaac_gui.core.exporters.records import Categories, ExportRecord
from isaac_gui.core.exporters.report import ExportCancelled, FormatResult, ReportBuilder
from isaac_gui.core.exporters.staging import Output
from isaac_gui.core.images import JPEG_QUALITY, ImageError, decode_upright

WORKERS = 2
# zlib level for PNG: on a 12 MP photo level 1 takes 1.2 s, 3 takes 2.2 s, 6 (the default) 6.5 s,
# for files only 2-7% smaller.
PNG_COMPRESS_LEVEL = 1
_SUFFIXES = {"jpg": (".jpg", ".jpeg", ".jpe"), "png": (".png",)}


def normalise_format(value: str) -> str:
    """`jpg` or `png` from what a caller may pass (`JPEG`, `.png`, ...)."""
    name = value.lower().lstrip(".")
    name = "jpg" if name == "jpeg" else name
    if name not in _SUFFIXES:
        raise ValueError(f"annotated_format must be 'jpg' or 'png', not {value!r}")
    return name


def output_path(rel: PurePosixPath, fmt: str) -> PurePosixPath:
    """The annotated file's path inside `annotated/` for the photo at `rel`."""
    if rel.suffix.lower() in _SUFFIXES[fmt]:
        return rel
    return rel.with_name(f"{rel.stem or rel.name}.{fmt}")


def encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    icc = img.info.get("icc_profile")
    extra = {"icc_profile": icc} if isinstance(icc, bytes) else {}
    if fmt == "png":
        img.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL, **extra)
    else:
        img.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
    return out.getvalue()


class AnnotationProblemError(Exception):
    """A photo that cannot be annotated: `kind` is the export warning's kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def render_annotated(
    source_root: Path,
    record: ExportRecord,
    categories: Categories,
    max_side: int | None,
    fmt: str = "jpg",
    *,
    rejected: bool = False,
) -> bytes:
    """One annotated photo, encoded: the source photo of `record` upright, its boxes and labels drawn.

    Used by the annotated export and by S3 streaming, so a photo looks the same wherever it goes.
    Raises `AnnotationProblemError` when the photo is missing, unreadable, or changed since inspection.
    """
    source = source_root.joinpath(*record.rel.parts)
    try:
        data = source.read_bytes()
    except OSError as exc:
        reason = "is missing" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror})"
        raise AnnotationProblemError("missing_photo", f"{record.image} {reason}; not annotated") from None
    try:
        img, width, height, _orientation, _fmt = decode_upright(data, max_side)
    except ImageError as exc:
        raise AnnotationProblemError(
            "unreadable_photo", f"{record.image} {exc.message}; not annotated"
        ) from None
    del data
    if (width, height) != (record.width, record.height):
        raise AnnotationProblemError(
            "size_mismatch",
            f"{record.image} is now {width}x{height} but was {record.width}x{record.height} when it was "
            "inspected (the photo changed); not annotated",
        )
    if rejected and record.rejected:
        draw_rejected(
            img,
            record.rejected,
            labels=[f"{box.mention} (rejected)" for box in record.rejected],
            full_width=width,
            full_height=height,
        )
    draw_detections(
        img,
        record.boxes,
        labels=[categories.name(box.mention) for box in record.boxes],
        classes=categories.palette_classes,
        full_width=width,
        full_height=height,
    )
    return encode(img, fmt)


class AnnotatedWriter:
    """Writes `annotated/` for the ok records; claims all output paths up front."""

    def __init__(
        self,
        out: Output,
        records: Sequence[ExportRecord],
        categories: Categories,
        *,
        source_root: Path,
        fmt: str,
        max_side: int | None,
        report: ReportBuilder,
        draw_rejected: bool = False,
    ) -> None:
        self._out = out
        self._draw_rejected = draw_rejected
        self._records = [r for r in records if r.ok]
        self._categories = categories
        self._source_root = source_root
        self._fmt = fmt
        self._max_side = max_side
        self._report = report
        self._images = 0
        self._detections = 0
        self._lock = threading.Lock()
        for record in self._records:
            out.claim(output_path(record.rel, fmt), record.image)

    @property
    def total(self) -> int:
        return len(self._records)

    def _one(self, record: ExportRecord, stop: threading.Event) -> None:
        if stop.is_set():
            return
        try:
            body = render_annotated(
                self._source_root,
                record,
                self._categories,
                self._max_side,
                self._fmt,
                rejected=self._draw_rejected,
            )
        except AnnotationProblemError as problem:
            self._report.warn(problem.kind, problem.message, image=record.image, format="annotated")
            return
        if stop.is_set():
            return
        self._out.write(output_path(record.rel, self._fmt), body)
        with self._lock:
            self._images += 1
            self._detections += len(record.boxes)

    def run(self, cancel: threading.Event, progress: Callable[[int], None]) -> FormatResult:
        """Write every annotated photo; `progress` gets the number done so far. Raises on cancel."""
        stop = threading.Event()  # set on cancel or on a worker's failure, checked by the workers
        pending: set[Future[None]] = set()
        todo = iter(self._records)
        done = 0
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="export-annotated") as pool:
            try:
                while True:
                    while len(pending) < 2 * WORKERS and not cancel.is_set():
                        record = next(todo, None)
                        if record is None:
                            break
                        pending.add(pool.submit(self._one, record, stop))
                    if cancel.is_set():
                        raise ExportCancelled("The export was cancelled")
                    if not pending:
                        break
                    finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                    for future in finished:
                        future.result()  # a write failure surfaces here as ExportError
                        done += 1
                        progress(done)
            finally:
                stop.set()
                for future in pending:
                    future.cancel()
        return FormatResult("annotated", self._out.target, self._images, self._images, self._detections)
