"""Synthetic inspection photos with known defects, for tests, benchmarks and the demo.

``generate_samples`` writes "part" photos: a neutral grey, brushed-metal gradient with a part outline,
holes and mild noise (no saturated colour anywhere), carrying 0–3 marker patches in the class colours
of ``markers.PALETTE``. It returns the ground truth of every file: its path, the size it is displayed at
(upright) and each marker's class and pixel box in that upright image.

With ``orientations``, files can carry an EXIF orientation tag: the pixels are stored transposed so that
the image *displayed* after applying the tag is the designed one, where the truth says the markers are.

Generation stays cheap for large images (300 distinct 12-megapixel JPEGs for a benchmark): one base
texture is drawn per call, and each image is a different crop of it with its own markers, so every file
has distinct pixels and bytes. Encoding runs on ``workers`` threads (Pillow releases the GIL).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .markers import paint_markers

Box = tuple[int, int, int, int]

_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
# The transpose that turns the displayed image into the stored one, per EXIF orientation (the inverse of
# what ImageOps.exif_transpose applies).
_STORE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
_PAD = 64  # the base texture is this much larger than an image: 64 x 64 distinct crops


@dataclass(frozen=True)
class SampleTruth:
    """Ground truth of one generated file."""

    path: str  # relative to the folder, with "/" separators
    width: int  # of the displayed (upright) image
    height: int
    boxes: tuple[tuple[str, Box], ...]  # (class, (x1, y1, x2, y2)) in displayed pixels, x2/y2 exclusive
    orientation: int = 1  # the EXIF orientation tag written; 1 = none


def _base_texture(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A grey brushed-metal gradient with a part outline and holes, ``_PAD`` pixels larger than ``size``."""
    width, height = size[0] + _PAD, size[1] + _PAD
    gx = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    gy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    brushed = rng.normal(0.0, 5.0, (height, 1)).astype(np.float32)
    base = 100.0 + 45.0 * gx + 20.0 * gy + brushed
    base += rng.normal(0.0, 3.0, (height, width)).astype(np.float32)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    unit = min(size)
    inset_x, inset_y = width * 0.12, height * 0.14
    outline = max(2, unit // 150)
    draw.rounded_rectangle(
        (inset_x, inset_y, width - inset_x, height - inset_y), radius=unit // 8, outline=60, width=outline
    )
    for cx, cy in ((0.25, 0.3), (0.75, 0.3), (0.25, 0.7), (0.75, 0.7)):
        r = unit * 0.04
        draw.ellipse((cx * width - r, cy * height - r, cx * width + r, cy * height + r), fill=45, outline=180)
    return img


def _place_markers(
    rng: random.Random, size: tuple[int, int], n_classes: int, max_markers: int
) -> list[tuple[int, Box]]:
    """0..max_markers non-overlapping boxes (separated by 2% of the short side), some touching an edge."""
    width, height = size
    unit = min(width, height)
    gap = max(4, unit // 50)
    placed: list[tuple[int, Box]] = []
    for _ in range(rng.randint(0, max_markers)):
        for _attempt in range(20):
            w = rng.randint(max(8, unit // 25), max(9, unit // 7))
            h = rng.randint(max(8, unit // 25), max(9, unit // 7))
            x1 = rng.randint(0, width - w)
            y1 = rng.randint(0, height - h)
            if rng.random() < 0.15:
                x1 = rng.choice((0, width - w))
            box = (x1, y1, x1 + w, y1 + h)
            if all(
                box[0] >= o[2] + gap or o[0] >= box[2] + gap or box[1] >= o[3] + gap or o[1] >= box[3] + gap
                for _, o in placed
            ):
                placed.append((rng.randrange(n_classes), box))
                break
    return placed


def _save(img: Image.Image, path: Path, fmt: str, orientation: int, quality: int) -> None:
    kwargs: dict[str, object] = {}
    if fmt == "JPEG":
        kwargs = {"quality": quality}
    elif fmt == "PNG":
        kwargs = {"compress_level": 1}
    elif fmt == "WEBP":
        kwargs = {"quality": quality, "method": 0}
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    img.save(path, fmt, **kwargs)


def generate_samples(
    folder: Path,
    count: int,
    classes: Sequence[str],
    *,
    seed: int = 0,
    size: tuple[int, int] = (1600, 1200),
    formats: Sequence[str] = ("jpg",),
    orientations: Sequence[int] = (1,),
    subfolders: int = 0,
    max_markers: int = 3,
    quality: int = 90,
    workers: int = 1,
) -> list[SampleTruth]:
    """Write ``count`` images into ``folder`` and return their ground truth, in file order.

    Image ``i`` is ``part_{i:05d}.{ext}`` with ``ext = formats[i % len(formats)]`` (jpg, png or webp) and
    EXIF orientation ``orientations[i % len(orientations)]`` (1 = none); with ``subfolders > 0`` it goes
    into ``batch_{i % subfolders:02d}/``. ``size`` is the displayed (upright) size.
    """
    if not classes:
        raise ValueError("at least one class is required")
    unknown = [f for f in formats if f.lower() not in _FORMATS]
    bad_orientations = [o for o in orientations if o not in (1, *_STORE)]
    if unknown or not formats or bad_orientations or not orientations:
        raise ValueError(f"bad formats {list(formats)} or orientations {list(orientations)}")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    base = _base_texture(size, np.random.default_rng(seed))
    offsets = rng.sample(range(_PAD * _PAD), min(count, _PAD * _PAD))
    width, height = size

    def make(i: int) -> SampleTruth:
        local = random.Random(f"{seed}:{i}")
        ext = formats[i % len(formats)].lower()
        orientation = orientations[i % len(orientations)]
        offset = offsets[i % len(offsets)]
        dx, dy = offset % _PAD, offset // _PAD
        img = base.crop((dx, dy, dx + width, dy + height))
        lift = i // len(offsets)
        if lift:  # more images than crops: shift the brightness too
            img = img.point(lambda v: min(255, v + lift))
        img = img.convert("RGB")
        markers = _place_markers(local, size, min(len(classes), 8), max_markers)
        paint_markers(img, markers)
        if orientation != 1:
            img = img.transpose(_STORE[orientation])
        rel = f"part_{i:05d}.{ext}"
        if subfolders > 0:
            rel = f"batch_{i % subfolders:02d}/{rel}"
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(img, path, _FORMATS[ext], orientation, quality)
        boxes = tuple((classes[c], box) for c, box in sorted(markers, key=lambda m: (m[0], m[1][1], m[1][0])))
        return SampleTruth(rel, width, height, boxes, orientation)

    if workers <= 1:
        return [make(i) for i in range(count)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="samples") as pool:
        return list(pool.map(make, range(count)))


def expected_grid_boxes(truth: SampleTruth) -> list[tuple[str, Box]]:
    """The boxes the simulator answers for an upright copy of ``truth``'s image, on the 0–1000 grid."""
    out: list[tuple[str, Box]] = []
    for name, (x1, y1, x2, y2) in truth.boxes:
        out.append(
            (
                name,
                (
                    round(x1 / truth.width * 1000),
                    round(y1 / truth.height * 1000),
                    round(x2 / truth.width * 1000),
                    round(y2 / truth.height * 1000),
                ),
            )
        )
    return out
