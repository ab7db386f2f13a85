"""Boxes and labels on a photo: outlines exactly on the detection, labels always inside the image."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image

from isaac_gui.core.exporters.drawing import (
    box_rect,
    draw_detections,
    fit_label,
    font_size,
    label_rect,
    line_width,
    measure_label,
)
from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.palette import class_colour, text_colour_on
from tests.core.exporters.conftest import GREY

CLASSES = ("scratch", "dent")


def test_sizes_scale_with_the_photo() -> None:
    assert line_width(640, 480) == 2 and line_width(4000, 3000) == 8
    assert font_size(640, 480) == 14 and font_size(4000, 3000) == 67
    assert line_width(3000, 4000) == line_width(4000, 3000)


def test_box_rect_is_the_inclusive_box_at_full_resolution_and_scaled_otherwise() -> None:
    box = PixelBox("scratch", 100, 50, 199, 149)
    assert box_rect(box, 1.0, 400, 300) == (100, 50, 199, 149)
    assert box_rect(box, 0.5, 200, 150) == (50, 25, 99, 74)
    edge = PixelBox("scratch", 0, 0, 399, 299)
    assert box_rect(edge, 0.25, 100, 75) == (0, 0, 99, 74)


def _inside(rect: tuple[int, int, int, int], width: int, height: int) -> bool:
    left, top, right, bottom = rect
    return 0 <= left <= right < width and 0 <= top <= bottom < height


@pytest.mark.parametrize(("width", "height"), [(640, 480), (4000, 3000), (120, 90)])
def test_labels_never_leave_the_image_for_boxes_at_every_edge_and_corner(width: int, height: int) -> None:
    size = 40 if width >= 640 else 12
    xs = (0, width // 2 - size // 2, width - size)
    ys = (0, height // 2 - size // 2, height - size)
    for (x, y), name in itertools.product(itertools.product(xs, ys), ("s", "a rather long class name")):
        box = (x, y, x + size - 1, y + size - 1)
        text, fsize = fit_label(name, font_size(width, height), width, height)
        label_w, label_h, _dx, _dy = measure_label(text, fsize)
        rect = label_rect(box, label_w, label_h, width, height)
        assert _inside(rect, width, height), (box, name, rect)


def test_a_label_sits_above_its_box_or_inside_it_at_the_top_edge_and_shifts_left_at_the_right() -> None:
    assert label_rect((100, 100, 200, 200), 50, 20, 640, 480) == (100, 80, 149, 99)
    assert label_rect((100, 5, 200, 200), 50, 20, 640, 480) == (100, 5, 149, 24)  # inside the box
    assert label_rect((620, 100, 639, 200), 50, 20, 640, 480) == (590, 80, 639, 99)  # shifted left
    assert label_rect((630, 0, 639, 9), 50, 20, 640, 480) == (590, 0, 639, 19)  # top-right corner
    assert label_rect((0, 470, 9, 479), 50, 20, 640, 480) == (0, 450, 49, 469)  # bottom-left


def test_a_label_wider_than_the_photo_is_shrunk_then_shortened() -> None:
    text, size = fit_label("an extremely long class name for a tiny photo", 14, 40, 30)
    assert measure_label(text, size)[0] <= 40
    assert text.endswith("…") or size < 14


def test_outline_pixels_are_exactly_on_the_detection() -> None:
    img = Image.new("RGB", (640, 480), GREY)
    box = PixelBox("dent", 100, 150, 299, 349)
    draw_detections(img, [box], labels=["dent"], classes=CLASSES, full_width=640, full_height=480)
    colour = class_colour(CLASSES, "dent")
    lw = line_width(640, 480)
    mid_x, mid_y = 200, 250
    for xy in [
        (100, mid_y),
        (299, mid_y),
        (mid_x, 150),
        (mid_x, 349),
        (100 + lw - 1, mid_y),
        (299 - lw + 1, mid_y),
    ]:
        assert img.getpixel(xy) == colour, xy
    for xy in [(99, mid_y), (300, mid_y), (mid_x, 350), (100 + lw, mid_y), (299 - lw, mid_y), (mid_x, mid_y)]:
        assert img.getpixel(xy) == GREY, xy
    # the label: filled with the class colour just above the box's top-left corner, text in text_colour_on
    assert img.getpixel((101, 148)) == colour
    label = img.crop((100, 100, 200, 149))
    assert text_colour_on(colour) in {c for _n, c in label.getcolors(10000) or []}


def test_boxes_are_scaled_onto_a_smaller_image() -> None:
    img = Image.new("RGB", (320, 240), GREY)
    draw_detections(
        img,
        [PixelBox("scratch", 200, 300, 399, 479)],
        labels=["scratch"],
        classes=CLASSES,
        full_width=640,
        full_height=480,
    )
    colour = class_colour(CLASSES, "scratch")
    assert img.getpixel((100, 200)) == colour and img.getpixel((199, 200)) == colour
    assert img.getpixel((99, 200)) == GREY and img.getpixel((150, 200)) == GREY
