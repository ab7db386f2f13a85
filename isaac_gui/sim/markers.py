"""Colour markers: how the simulator "sees" defects.

The simulator has no model. Instead, test images carry solid rectangles painted in saturated colours, one
colour per class: the i-th class of a request's class list is marked with ``PALETTE[i % len(PALETTE)]``
(its position in the list, so two classes of one request never share a colour, up to eight classes).
``find_marker_boxes`` finds those patches again in the image the simulator received and reports them on
the API's 0–1000 grid, so a test knows exactly which boxes a correct client must show, and where.

The colours are the corners and edge midpoints of the RGB cube: far from each other (at least 127 apart
in one channel), from neutral grey, and robust to JPEG compression and downscaling. Blended edges
(JPEG chroma subsampling, resampling) can produce a thin line of another palette colour between two
touching patches (red next to yellow blends to orange); components thinner than ``min_side`` pixels or
smaller than ``min_area`` are therefore ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),  # red
    (0, 200, 0),  # green
    (0, 0, 255),  # blue
    (255, 0, 255),  # magenta
    (0, 255, 255),  # cyan
    (255, 255, 0),  # yellow
    (255, 128, 0),  # orange
    (128, 0, 255),  # violet
)

# Per-channel tolerance: JPEG keeps patch interiors within a few units; a 50/50 blend with grey or with a
# neighbouring palette colour lands at least ~60 away from every palette colour except the one exact
# midpoint case that the thickness filter handles.
TOLERANCE = 48
MIN_SIDE = 4
MIN_AREA = 24

Box = tuple[int, int, int, int]
_Array = npt.NDArray[np.int16]
_Mask = npt.NDArray[np.bool_]


def marker_colour(class_index: int) -> tuple[int, int, int]:
    """The marker colour of the ``class_index``-th class of a request's class list."""
    if class_index < 0:
        raise ValueError(f"class_index must be >= 0, got {class_index}")
    return PALETTE[class_index % len(PALETTE)]


def paint_markers(img: Image.Image, markers: Iterable[tuple[int, Box]]) -> None:
    """Fill ``(class_index, (x1, y1, x2, y2))`` rectangles (x2, y2 exclusive) in class colours, in place."""
    draw = ImageDraw.Draw(img)
    for class_index, (x1, y1, x2, y2) in markers:
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f"empty marker box {(x1, y1, x2, y2)}")
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=marker_colour(class_index))


def _colour_mask(pixels: _Array, colour: tuple[int, int, int], tolerance: int) -> _Mask:
    """True where every channel of ``pixels`` (H, W, 3) is within ``tolerance`` of ``colour``."""
    mask: _Mask = np.abs(pixels[..., 0] - colour[0]) <= tolerance
    mask &= np.abs(pixels[..., 1] - colour[1]) <= tolerance
    mask &= np.abs(pixels[..., 2] - colour[2]) <= tolerance
    return mask


def _components(mask: _Mask) -> list[Box]:
    """Bounding boxes (row0, col0, row1, col1 inclusive) of the 4-connected components of ``mask``.

    Run-length labelling: each row's runs of True are found with numpy, then joined to overlapping runs
    of the previous row with a small union-find. The loop is over runs, not pixels.
    """
    parent: list[int] = []
    bounds: list[list[int]] = []  # per run: row0, col0, row1, col1

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows_with_runs = np.flatnonzero(mask.any(axis=1))
    prev_runs: list[tuple[int, int, int]] = []  # (start, end exclusive, run id) in the previous row
    prev_row = -2
    for row in rows_with_runs.tolist():
        starts = np.flatnonzero(edges[row] == 1).tolist()
        ends = np.flatnonzero(edges[row] == -1).tolist()
        if row != prev_row + 1:
            prev_runs = []
        runs: list[tuple[int, int, int]] = []
        j = 0
        for start, end in zip(starts, ends, strict=True):
            run_id = len(parent)
            parent.append(run_id)
            bounds.append([row, start, row, end - 1])
            while j < len(prev_runs) and prev_runs[j][1] <= start:
                j += 1
            k = j
            while k < len(prev_runs) and prev_runs[k][0] < end:
                a, b = find(prev_runs[k][2]), find(run_id)
                if a != b:
                    parent[b] = a
                k += 1
            runs.append((start, end, run_id))
        prev_runs, prev_row = runs, row
    merged: dict[int, list[int]] = {}
    for run_id, (r0, c0, r1, c1) in enumerate(bounds):
        root = find(run_id)
        box = merged.get(root)
        if box is None:
            merged[root] = [r0, c0, r1, c1]
        else:
            box[0], box[1] = min(box[0], r0), min(box[1], c0)
            box[2], box[3] = max(box[2], r1), max(box[3], c1)
    return [(b[0], b[1], b[2], b[3]) for b in merged.values()]


def find_pixel_boxes(
    pixels: npt.NDArray[np.uint8],
    colours: Sequence[tuple[int, int, int]],
    *,
    tolerance: int = TOLERANCE,
    min_side: int = MIN_SIDE,
    min_area: int = MIN_AREA,
) -> list[list[Box]]:
    """For each of ``colours``, the pixel boxes ``(xmin, ymin, xmax, ymax)`` (inclusive) of its solid
    patches in ``pixels`` (H, W, 3), unsorted.

    Components are labelled on a grid sampled every ``min_side`` pixels (any patch at least that wide and
    tall hits the grid), then each one's bounds are refined at full resolution inside its neighbourhood.
    """
    height, width = pixels.shape[:2]
    step = max(1, min_side)
    coarse = pixels[::step, ::step].astype(np.int16)
    found: list[list[Box]] = []
    for colour in colours:
        boxes: list[Box] = []
        for r0, c0, r1, c1 in _components(_colour_mask(coarse, colour, tolerance)):
            y0, y1 = max(0, (r0 - 1) * step + 1), min(height, (r1 + 1) * step)
            x0, x1 = max(0, (c0 - 1) * step + 1), min(width, (c1 + 1) * step)
            fine = _colour_mask(pixels[y0:y1, x0:x1].astype(np.int16), colour, tolerance)
            rows = np.flatnonzero(fine.any(axis=1))
            cols = np.flatnonzero(fine.any(axis=0))
            if rows.size < min_side or cols.size < min_side:
                continue
            ymin, ymax = y0 + int(rows[0]), y0 + int(rows[-1])
            xmin, xmax = x0 + int(cols[0]), x0 + int(cols[-1])
            if ymax - ymin + 1 < min_side or xmax - xmin + 1 < min_side or int(fine.sum()) < min_area:
                continue
            boxes.append((xmin, ymin, xmax, ymax))
        found.append(boxes)
    return found


def to_grid(box: Box, width: int, height: int) -> Box:
    """An inclusive pixel box ``(xmin, ymin, xmax, ymax)`` on the 0–1000 grid of a ``width`` x ``height``
    image."""
    xmin, ymin, xmax, ymax = box
    return (
        round(xmin / width * 1000),
        round(ymin / height * 1000),
        round((xmax + 1) / width * 1000),
        round((ymax + 1) / height * 1000),
    )


def find_marker_boxes(img: Image.Image, classes: Sequence[str]) -> list[tuple[str, Box]]:
    """Every marker patch of each class of ``classes``, as ``(class name, box on the 0–1000 grid)``.

    Sorted by class order, then top, then left. A colour shared by several classes (more than eight
    classes) is reported for the first of them only.
    """
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    pixels: npt.NDArray[np.uint8] = np.asarray(rgb)
    width, height = rgb.size
    names: list[str] = []
    colours: list[tuple[int, int, int]] = []
    for index, name in enumerate(classes):
        colour = marker_colour(index)
        if colour not in colours:
            names.append(name)
            colours.append(colour)
    result: list[tuple[str, Box]] = []
    for name, boxes in zip(names, find_pixel_boxes(pixels, colours), strict=True):
        boxes.sort(key=lambda b: (b[1], b[0]))
        result.extend((name, to_grid(b, width, height)) for b in boxes)
    return result
