import pytest

from isaac_gui.core.geometry import PixelBox, fit_within, grid_box_to_pixels, grid_to_pixel


@pytest.mark.parametrize(
    ("value", "dim", "expected"),
    [(0, 4032, 0), (1000, 4032, 4031), (500, 4032, 2016), (186, 640, 119), (1200, 100, 99), (-5, 100, 0)],
)
def test_grid_to_pixel_scales_rounds_and_clamps(value, dim, expected):
    assert grid_to_pixel(value, dim) == expected


def test_box_maps_to_the_displayed_photo_at_full_resolution():
    box, suspicious = grid_box_to_pixels("scratch", 186, 164, 526, 283, 4032, 3024)
    assert box == PixelBox("scratch", 750, 496, 2121, 856)
    assert not suspicious


def test_reversed_and_out_of_range_boxes_are_reordered_clamped_and_flagged():
    box, suspicious = grid_box_to_pixels("dent", 900, 1200, 100, -20, 1000, 500)
    assert (box.x1, box.y1, box.x2, box.y2) == (100, 0, 900, 499)
    assert suspicious


def test_record_round_trip():
    box = PixelBox("missing screw", 1, 2, 30, 40)
    record = box.to_record()
    assert record == {
        "mention": "missing screw",
        "top_left": {"x": 1, "y": 2},
        "bottom_right": {"x": 30, "y": 40},
    }
    assert PixelBox.from_record(record) == box


def test_scaled_covers_the_last_pixel():
    assert PixelBox("a", 0, 0, 9, 19).scaled(0.5) == (0.0, 0.0, 5.0, 10.0)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((4000, 3000), 1024, (1024, 768)),
        ((3000, 4000), 1024, (768, 1024)),
        ((800, 600), 1024, (800, 600)),
        ((4000, 3000), None, (4000, 3000)),
        ((5000, 10), 100, (100, 1)),
    ],
)
def test_fit_within_shrinks_but_never_enlarges(size, max_side, expected):
    assert fit_within(*size, max_side) == expected
