"""Drawing detections onto a photo: class-coloured outlines and labels that stay inside the image.

Sizes follow the photo's long side so a box reads the same on a 12 MP photo and a 640 px one. An
outline is drawn inward from the box's outer edge, so its outer pixels are exactly the detection's
inclusive corners (scaled when the photo is drawn smaller than full resolution). A label sits above
its box; at the top edge it moves inside the box, at the right edge it shifts left, and it is
shrunk (or, as a last resort, shortened with an ellipsis) when it is wider than the photo.

Boxes the inspector rejected are drawn only when asked (`draw_rejected`), under the others, dashed
and in one muted grey whatever their class, so they never read as a finding.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.palette import class_colour, text_colour_on

Rect = tuple[int, int, int, int]  # left, top, right, bottom; inclusive pixel indices

MUTED = (150, 150, 150)  # a rejected box's outline and label, on light and dark photos alike
_fonts = threading.local()  # FreeType faces are not shared between threads


def line_width(width: int, height: int) -> int:
    """Outline width in pixels: 2 on a 640 px photo, 8 on a 4000 px one."""
    return max(2, round(max(width, height) / 500))


def font_size(width: int, height: int) -> int:
    """Label text size in pixels: 14 on a 640 px photo, 67 on a 4000 px one."""
    return max(14, round(max(width, height) / 60))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    cache: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] | None = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size)
    return cache[size]


def box_rect(box: PixelBox, scale: float, width: int, height: int) -> Rect:
    """The box's outer edge in an image drawn at `scale` of the displayed photo (clamped inside it)."""
    left = min(max(int(box.x1 * scale), 0), width - 1)
    top = min(max(int(box.y1 * scale), 0), height - 1)
    right = min(max(round((box.x2 + 1) * scale) - 1, left), width - 1)
    bottom = min(max(round((box.y2 + 1) * scale) - 1, top), height - 1)
    return left, top, right, bottom


def label_rect(box: Rect, label_w: int, label_h: int, width: int, height: int) -> Rect:
    """Where a `label_w` x `label_h` label goes for `box` in a `width` x `height` image.

    Above the box, left-aligned with it; inside the box's top when there is no room above; moved
    left (or up) when it would cross the right (or bottom) edge. Inside the image whenever it fits.
    """
    left, top = box[0], box[1] - label_h
    if top < 0:
        top = box[1]
    left = max(0, min(left, width - label_w))
    top = max(0, min(top, height - label_h))
    return left, top, left + label_w - 1, top + label_h - 1


def measure_label(text: str, size: int) -> tuple[int, int, int, int]:
    """Label width and height (text plus padding) and the text offset inside it."""
    font = _font(size)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = max(2, size // 5)
    return int(x1 - x0) + 2 * pad, int(y1 - y0) + 2 * pad, pad - int(x0), pad - int(y0)


def fit_label(text: str, size: int, width: int, height: int) -> tuple[str, int]:
    """The text and font size of a label that fits a `width` x `height` image."""
    for _ in range(4):
        label_w, label_h, _dx, _dy = measure_label(text, size)
        if (label_w <= width and label_h <= height) or size <= 6:
            break
        size = max(6, int(size * min(width / label_w, height / label_h)))
    while len(text) > 1 and measure_label(text, size)[0] > width:
        text = text[:-2] + "…" if len(text) > 2 else text[:1]
    return text, size


def draw_detections(
    img: Image.Image,
    boxes: Sequence[PixelBox],
    *,
    labels: Sequence[str],
    classes: Sequence[str],
    full_width: int,
    full_height: int,
) -> None:
    """Draw `boxes` (in displayed full-resolution pixels) and their `labels` onto `img`, in place.

    `img` is the upright photo, possibly smaller than `full_width` x `full_height`.
    """
    width, height = img.size
    scale = width / full_width if full_width else 1.0
    draw = ImageDraw.Draw(img)
    stroke = line_width(width, height)
    rects = [box_rect(box, scale, width, height) for box in boxes]
    for box, rect in zip(boxes, rects, strict=True):
        draw.rectangle(rect, outline=class_colour(classes, box.mention), width=stroke)
    base_size = font_size(width, height)
    for box, rect, label in zip(boxes, rects, labels, strict=True):  # labels last: never under an outline
        text, size = fit_label(label, base_size, width, height)
        label_w, label_h, dx, dy = measure_label(text, size)
        where = label_rect(rect, label_w, label_h, width, height)
        colour = class_colour(classes, box.mention)
        draw.rectangle(where, fill=colour)
        draw.text((where[0] + dx, where[1] + dy), text, fill=text_colour_on(colour), font=_font(size))


def _dashed_rect(draw: ImageDraw.ImageDraw, rect: Rect, colour: tuple[int, int, int], stroke: int) -> None:
    """An outline `stroke` wide drawn inward from `rect`'s edge, in dashes of 3 strokes with gaps of 2."""
    left, top, right, bottom = rect
    dash, step = 3 * stroke, 5 * stroke
    inner_right, inner_bottom = max(right - stroke + 1, left), max(bottom - stroke + 1, top)
    for x in range(left, right + 1, step):
        end = min(x + dash - 1, right)
        draw.rectangle((x, top, end, min(top + stroke - 1, bottom)), fill=colour)
        draw.rectangle((x, inner_bottom, end, bottom), fill=colour)
    for y in range(top, bottom + 1, step):
        end = min(y + dash - 1, bottom)
        draw.rectangle((left, y, min(left + stroke - 1, right), end), fill=colour)
        draw.rectangle((inner_right, y, right, end), fill=colour)


def draw_rejected(
    img: Image.Image, boxes: Sequence[PixelBox], *, labels: Sequence[str], full_width: int, full_height: int
) -> None:
    """Draw rejected `boxes` muted: dashed grey outlines and grey labels (call before `draw_detections`)."""
    width, height = img.size
    scale = width / full_width if full_width else 1.0
    draw = ImageDraw.Draw(img)
    stroke = max(1, line_width(width, height) // 2)
    base_size = font_size(width, height)
    for box, label in zip(boxes, labels, strict=True):
        rect = box_rect(box, scale, width, height)
        _dashed_rect(draw, rect, MUTED, stroke)
        text, size = fit_label(label, base_size, width, height)
        label_w, label_h, dx, dy = measure_label(text, size)
        where = label_rect(rect, label_w, label_h, width, height)
        draw.rectangle(where, fill=MUTED)
        draw.text((where[0] + dx, where[1] + dy), text, fill=text_colour_on(MUTED), font=_font(size))
