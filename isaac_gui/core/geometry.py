"""Boxes: from Isaac's 0–1000 grid to integer pixels of the photo as the inspector sees it.

Isaac answers on a 0–1000 grid of the image that was sent. We always send the upright photo
(EXIF orientation applied), only shrunk, so the sent image and the displayed photo share one
frame: a grid value maps straight to the displayed photo's pixels, at full resolution, without
passing through the smaller sent image (and without its rounding).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GRID = 1000


@dataclass(frozen=True, slots=True)
class PixelBox:
    """A box in integer pixels of the displayed photo; corners inclusive, x1 <= x2, y1 <= y2."""

    mention: str
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    def to_record(self) -> dict[str, object]:
        """The `detections` entry of a result record (Perceptron's batch payload, in pixels)."""
        return {
            "mention": self.mention,
            "top_left": {"x": self.x1, "y": self.y1},
            "bottom_right": {"x": self.x2, "y": self.y2},
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PixelBox:
        """The box of one `detections` entry; ValueError when it is not one."""
        try:
            top_left, bottom_right = record["top_left"], record["bottom_right"]
            return cls(
                str(record["mention"]),
                int(top_left["x"]),
                int(top_left["y"]),
                int(bottom_right["x"]),
                int(bottom_right["y"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a detection: {record!r}") from exc

    def scaled(self, factor: float) -> tuple[float, float, float, float]:
        """The box in a view of the photo scaled by `factor` (thumbnails, the viewer)."""
        return (self.x1 * factor, self.y1 * factor, (self.x2 + 1) * factor, (self.y2 + 1) * factor)


def boxes_of(record: Mapping[str, Any]) -> list[PixelBox]:
    """The well-formed boxes of a result record (a malformed detection is left out)."""
    boxes = []
    for detection in record.get("detections") or ():
        try:
            boxes.append(PixelBox.from_record(detection))
        except ValueError:
            continue
    return boxes


def grid_to_pixel(value: float, dim: int) -> int:
    """One 0–1000 grid coordinate to a pixel index in [0, dim-1] (out-of-range values are clamped)."""
    pixel = round(value / GRID * dim)
    return min(max(pixel, 0), dim - 1)


def grid_box_to_pixels(
    mention: str, x1: float, y1: float, x2: float, y2: float, width: int, height: int
) -> tuple[PixelBox, bool]:
    """A grid box to a pixel box of a `width` x `height` photo.

    Returns the box and whether the answer was out of range (a value outside 0–1000 or reversed
    corners), which malformed model output does produce: the box is then clamped and reordered.
    """
    suspicious = any(v < 0 or v > GRID for v in (x1, y1, x2, y2)) or x1 > x2 or y1 > y2
    px1, px2 = sorted((grid_to_pixel(x1, width), grid_to_pixel(x2, width)))
    py1, py2 = sorted((grid_to_pixel(y1, height), grid_to_pixel(y2, height)))
    return PixelBox(mention, px1, py1, px2, py2), suspicious


def fit_within(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """The size of a `width` x `height` image shrunk (never enlarged) so its long side is at most `max_side`."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))
