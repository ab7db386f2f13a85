"""Annotated photos: upright, outlines where the detections are, a mirrored tree, every decodable photo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from pathlib import PurePosixPath as P

import pytest
from PIL import Image, ImageDraw

from isaac_gui.core.exporters import export_records
from isaac_gui.core.exporters.annotated import output_path
from isaac_gui.core.exporters.drawing import line_width
from isaac_gui.core.palette import class_colour
from tests.core.exporters.conftest import GREY, Record, detection, ok_record, save_photo, write_photo

CLASSES = ["scratch", "dent"]
RED = (230, 20, 20)


def close(a: object, b: tuple[int, ...], tolerance: int = 12) -> bool:
    assert isinstance(a, tuple)
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("orientation", [6, 8])
def test_an_exif_rotated_photo_comes_out_upright_with_the_box_exactly_on_the_detection(
    source: Path, dest: Path, orientation: int
) -> None:
    # the photo as displayed: 400 x 300, a red block in its top-left quarter
    truth = Image.new("RGB", (400, 300), GREY)
    ImageDraw.Draw(truth).rectangle((40, 60, 119, 139), fill=RED)
    save_photo(truth, source / "rot.jpg", orientation=orientation)
    assert Image.open(source / "rot.jpg").size == (300, 400)  # stored sideways
    record = ok_record("rot.jpg", 400, 300, detection("dent", 30, 50, 129, 149))

    report = export_records(
        [record],
        source_root=source,
        dest=dest,
        formats={"annotated"},
        classes=CLASSES,
        annotated_format="png",
    )

    out = Image.open(dest / "annotated" / "rot.png").convert("RGB")
    assert out.size == (400, 300)
    assert close(out.getpixel((80, 100)), RED)  # upright: the block is where the inspector saw it
    assert close(out.getpixel((300, 250)), GREY)
    colour = class_colour(CLASSES, "dent")
    lw = line_width(400, 300)
    for xy in [(30, 120), (129, 120), (80, 50), (80, 149), (30 + lw - 1, 120)]:
        assert out.getpixel(xy) == colour, xy
    for xy in [(29, 120), (130, 120), (80, 150), (30 + lw, 120)]:
        assert close(out.getpixel(xy), GREY), xy
    assert report.formats["annotated"].images == 1 and report.formats["annotated"].detections == 1


def test_jpeg_output_has_the_outline_in_place(source: Path, dest: Path) -> None:
    write_photo(source / "a.jpg", 640, 480)
    record = ok_record("a.jpg", 640, 480, detection("scratch", 100, 100, 299, 299))
    export_records([record], source_root=source, dest=dest, formats={"annotated"}, classes=CLASSES)
    out = Image.open(dest / "annotated" / "a.jpg")
    assert out.format == "JPEG" and out.size == (640, 480)
    colour = class_colour(CLASSES, "scratch")
    assert close(out.getpixel((100, 200)), colour, 40) and close(out.getpixel((299, 200)), colour, 40)
    assert close(out.getpixel((200, 200)), GREY) and close(out.getpixel((90, 200)), GREY)


def test_the_tree_is_mirrored_plain_photos_are_kept_and_failed_ones_reported(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_records(sample(), source_root=source, dest=dest, formats={"annotated"}, classes=CLASSES)
    files = sorted(p.relative_to(dest / "annotated").as_posix() for p in (dest / "annotated").rglob("*.jpg"))
    assert files == ["a.jpg", "sub/b.jpg", "sub/empty.jpg"]
    assert report.failed_images == ("sub/broken.jpg",)
    assert report.formats["annotated"].images == 3 and report.formats["annotated"].detections == 3
    plain = Image.open(dest / "annotated" / "sub" / "empty.jpg")
    assert plain.size == (64, 48) and close(plain.getpixel((32, 24)), GREY)


def test_a_chosen_long_side_shrinks_the_photo_and_scales_the_boxes(source: Path, dest: Path) -> None:
    write_photo(source / "big.jpg", 1600, 1200)
    record = ok_record("big.jpg", 1600, 1200, detection("scratch", 400, 400, 799, 799))
    export_records(
        [record],
        source_root=source,
        dest=dest,
        formats={"annotated"},
        classes=CLASSES,
        annotated_max_side=800,
        annotated_format="png",
    )
    out = Image.open(dest / "annotated" / "big.png").convert("RGB")
    assert out.size == (800, 600)
    colour = class_colour(CLASSES, "scratch")
    assert out.getpixel((200, 300)) == colour and out.getpixel((399, 300)) == colour
    assert close(out.getpixel((198, 300)), GREY) and close(out.getpixel((300, 300)), GREY)


def test_missing_changed_and_undecodable_photos_are_warnings_not_failures(source: Path, dest: Path) -> None:
    write_photo(source / "ok.jpg", 100, 80)
    write_photo(source / "resized.jpg", 50, 40)
    (source / "junk.jpg").write_bytes(b"not a photo")
    records = [
        ok_record("ok.jpg", 100, 80),
        ok_record("gone.jpg", 100, 80),
        ok_record("resized.jpg", 100, 80),
        ok_record("junk.jpg", 100, 80),
    ]
    report = export_records(records, source_root=source, dest=dest, formats={"annotated"}, classes=CLASSES)
    assert [p.name for p in (dest / "annotated").glob("*.jpg")] == ["ok.jpg"]
    kinds = {(w.kind, w.image) for w in report.warnings}
    assert kinds == {
        ("missing_photo", "gone.jpg"),
        ("size_mismatch", "resized.jpg"),
        ("unreadable_photo", "junk.jpg"),
    }


def test_png_and_other_photos_are_renamed_only_when_their_suffix_differs() -> None:
    assert output_path(P("a/b.JPEG"), "jpg") == P("a/b.JPEG")
    assert output_path(P("a/b.png"), "jpg") == P("a/b.jpg")
    assert output_path(P("a/b.jpg"), "png") == P("a/b.png")
    assert output_path(P("a/b.tif"), "png") == P("a/b.png")


def test_png_source_with_transparency_is_exported(source: Path, dest: Path) -> None:
    img = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    save_photo(img, source / "t.png", fmt="PNG")
    export_records(
        [ok_record("t.png", 60, 40, detection("dent", 5, 5, 20, 20))],
        source_root=source,
        dest=dest,
        formats={"annotated"},
        classes=CLASSES,
    )
    out = Image.open(dest / "annotated" / "t.jpg")
    assert out.size == (60, 40) and close(out.getpixel((50, 35)), (255, 255, 255))


def test_colours_follow_the_palette_of_the_classes_as_given(source: Path, dest: Path) -> None:
    classes = ["scratch", "Scratch", "dent"]  # the app colours by position in this list, duplicates included
    write_photo(source / "c.png", 200, 100, fmt="PNG")
    record = ok_record(
        "c.png", 200, 100, detection("dent", 100, 40, 149, 89), detection("other", 10, 40, 59, 89)
    )
    export_records(
        [record],
        source_root=source,
        dest=dest,
        formats={"annotated"},
        classes=classes,
        annotated_format="png",
    )
    out = Image.open(dest / "annotated" / "c.png").convert("RGB")
    assert out.getpixel((100, 70)) == class_colour(classes, "dent") == (44, 160, 44)
    assert out.getpixel((10, 70)) == class_colour(classes, "other") == (127, 127, 127)
