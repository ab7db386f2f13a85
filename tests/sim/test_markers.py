"""find_marker_boxes: exact on lossless images, robust to JPEG and downscaling, no false boxes, fast."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Sequence

import pytest
from PIL import Image

from isaac_gui.sim.markers import PALETTE, TOLERANCE, find_marker_boxes, marker_colour, paint_markers
from tests.sim.helpers import encode, expected_grid, grey_image

pytestmark = pytest.mark.timeout(60)

CLASSES = ("a", "b", "c", "d", "e", "f", "g", "h")


def reopen(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


Rows = Sequence[tuple[str, tuple[int, ...]]]


def assert_close(got: Rows, want: Rows, tol: int) -> None:
    assert [name for name, _ in got] == [name for name, _ in want], (got, want)
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(g, w, strict=True)) <= tol, (got, want)


def test_palette_is_distinct_saturated_and_far_from_grey() -> None:
    assert len(PALETTE) == 8
    for p, q in itertools.combinations(PALETTE, 2):
        assert max(abs(a - b) for a, b in zip(p, q, strict=True)) > 2 * TOLERANCE
    for colour in PALETTE:
        assert max(colour) - min(colour) >= 200  # saturated: far from every grey
    assert [marker_colour(i) for i in range(10)] == [*PALETTE, PALETTE[0], PALETTE[1]]
    with pytest.raises(ValueError):
        marker_colour(-1)


def test_lossless_boxes_follow_the_grid_formula_and_order() -> None:
    size = (800, 600)
    markers = [
        (1, (500, 50, 600, 120)),
        (0, (300, 400, 380, 470)),
        (0, (40, 400, 120, 470)),
        (0, (40, 30, 200, 90)),
    ]
    img = grey_image(size)
    paint_markers(img, markers)
    got = find_marker_boxes(reopen(encode(img, "PNG")), CLASSES[:2])
    want = [
        ("a", expected_grid((40, 30, 200, 90), size)),
        ("a", expected_grid((40, 400, 120, 470), size)),
        ("a", expected_grid((300, 400, 380, 470), size)),
        ("b", expected_grid((500, 50, 600, 120), size)),
    ]
    assert got == want


def test_only_requested_classes_are_reported() -> None:
    img = grey_image()
    paint_markers(img, [(0, (10, 10, 60, 60)), (2, (100, 100, 160, 160))])
    assert find_marker_boxes(img, ["scratch"]) == [("scratch", expected_grid((10, 10, 60, 60), img.size))]
    assert find_marker_boxes(img, []) == []


@pytest.mark.parametrize("quality", [95, 75, 40])
def test_every_colour_survives_jpeg(quality: int) -> None:
    size = (1024, 768)
    markers = [(i, (40 + 120 * i, 100 + 40 * i, 140 + 120 * i, 180 + 40 * i)) for i in range(8)]
    img = grey_image(size)
    paint_markers(img, markers)
    got = find_marker_boxes(reopen(encode(img, "JPEG", quality=quality)), CLASSES)
    want = [(CLASSES[i], expected_grid(box, size)) for i, box in markers]
    assert_close(got, want, tol=2)


@pytest.mark.parametrize("factor", [2, 3, 5])
def test_downscaled_then_jpeg(factor: int) -> None:
    size = (2000, 1500)
    markers = [(0, (100, 100, 400, 300)), (5, (1200, 900, 1500, 1400)), (7, (600, 1000, 900, 1200))]
    img = grey_image(size)
    paint_markers(img, markers)
    small = img.resize((size[0] // factor, size[1] // factor), Image.Resampling.LANCZOS)
    got = find_marker_boxes(reopen(encode(small, "JPEG", quality=80)), CLASSES)
    want = [(CLASSES[i], expected_grid(box, size)) for i, box in sorted(markers)]
    assert_close(got, want, tol=4)


def test_patches_touching_the_image_edges() -> None:
    size = (640, 480)
    markers = [
        (0, (0, 0, 100, 80)),
        (1, (540, 400, 640, 480)),
        (2, (0, 300, 50, 480)),
        (3, (300, 0, 640, 30)),
    ]
    img = grey_image(size)
    paint_markers(img, markers)
    got = find_marker_boxes(reopen(encode(img, "JPEG", quality=85)), CLASSES)
    want = [(CLASSES[i], expected_grid(box, size)) for i, box in sorted(markers)]
    assert_close(got, want, tol=2)
    assert got[0][1][:2] == (0, 0)
    assert got[1][1][2:] == (1000, 1000)


def test_touching_patches_do_not_create_blend_boxes() -> None:
    # red next to yellow blends to orange, blue next to magenta to violet: both are palette colours
    size = (800, 600)
    markers = [
        (0, (100, 100, 300, 300)),
        (5, (300, 100, 500, 300)),
        (2, (100, 350, 300, 550)),
        (3, (300, 350, 500, 550)),
    ]
    img = grey_image(size)
    paint_markers(img, markers)
    for data in (
        encode(img, "JPEG", quality=70),
        encode(img.resize((400, 300), Image.Resampling.BILINEAR), "JPEG"),
    ):
        got = find_marker_boxes(reopen(data), CLASSES)
        assert sorted(name for name, _ in got) == ["a", "c", "d", "f"], got


def test_no_boxes_on_noisy_grey_even_after_heavy_jpeg() -> None:
    for seed in range(3):
        img = grey_image((1024, 768), noise=25.0, seed=seed)
        assert find_marker_boxes(img, CLASSES) == []
        assert find_marker_boxes(reopen(encode(img, "JPEG", quality=20)), CLASSES) == []


def test_specks_and_thin_lines_are_ignored() -> None:
    img = grey_image()
    paint_markers(img, [(0, (10, 10, 12, 12)), (1, (50, 50, 300, 52)), (2, (400, 100, 402, 400))])
    assert find_marker_boxes(img, CLASSES) == []


def test_a_colour_shared_by_two_classes_goes_to_the_first() -> None:
    img = grey_image()
    paint_markers(img, [(0, (10, 10, 60, 60))])
    names = [f"c{i}" for i in range(9)]  # c8 has c0's colour
    assert [name for name, _ in find_marker_boxes(img, names)] == ["c0"]


def test_non_rgb_modes_are_handled() -> None:
    img = grey_image()
    paint_markers(img, [(1, (100, 100, 200, 200))])
    for mode in ("RGBA", "P"):
        converted = img.convert(mode)
        assert [name for name, _ in find_marker_boxes(converted, CLASSES)] == ["b"]


def test_fast_on_a_1024x768_image() -> None:
    img = grey_image((1024, 768))
    paint_markers(img, [(i, (60 + 110 * i, 80 + 70 * i, 150 + 110 * i, 160 + 70 * i)) for i in range(6)])
    jpeg = reopen(encode(img, "JPEG", quality=85))
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        assert len(find_marker_boxes(jpeg, CLASSES)) == 6
        timings.append(time.perf_counter() - start)
    # The target is < 30 ms (about 5 ms measured); the bound leaves room for a loaded CI machine.
    assert min(timings) < 0.1
