"""The simulator's stand-in for the model: decode the received image and report its colour markers.

Boxes are on the 0–1000 grid of the image as received. By default the EXIF orientation tag is ignored
(boxes refer to the stored pixel grid), so a client that sends a tagged, un-rotated JPEG gets boxes that
do not match what its user sees; ``apply_exif_orientation`` makes the simulator honour the tag instead.

Large JPEGs are decoded with libjpeg's DCT scaling to about 1000 pixels on the long side: the grid has
1000 steps, so that loses at most about one grid unit, and it keeps a 12-megapixel request cheap.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from .markers import PALETTE, find_marker_boxes
from .protocol import GENERAL_MENTION, Detection, bad_request

DRAFT_LONG_SIDE = 1000


@dataclass(frozen=True)
class Detections:
    """What the simulated model saw: the boxes and the size of the image it decoded them from."""

    boxes: list[Detection]
    width: int  # of the image as received (before any draft reduction)
    height: int


def _open(data: bytes, *, apply_exif_orientation: bool) -> tuple[Image.Image, int, int]:
    img: Image.Image
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        width, height = img.size
        if img.format == "JPEG" and max(width, height) > DRAFT_LONG_SIDE:
            scale = DRAFT_LONG_SIDE / max(width, height)
            img.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        img.load()
    if apply_exif_orientation:
        orientation = img.getexif().get(0x0112, 1)
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        img = ImageOps.exif_transpose(img)
    return img, width, height


def detect(
    data: bytes, classes: tuple[str, ...] | None, *, apply_exif_orientation: bool = False
) -> Detections:
    """Decode ``data`` and find the markers of ``classes`` (every palette colour, as ``object``, when None).

    Raises ``ApiError`` 400 when the bytes cannot be decoded.
    """
    try:
        img, width, height = _open(data, apply_exif_orientation=apply_exif_orientation)
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise bad_request(f"the image could not be decoded: {exc}", "invalid_image") from exc
    if classes is None:
        boxes = find_marker_boxes(img, [GENERAL_MENTION] * len(PALETTE))
    else:
        boxes = find_marker_boxes(img, classes)
    return Detections(boxes=boxes, width=width, height=height)
