"""Records as the exporters see them: safe paths, clamped boxes, one category list per export."""

from __future__ import annotations

import pytest

from isaac_gui.core.exporters.records import (
    Categories,
    clean_text,
    json_bytes,
    parse_records,
    safe_relative_path,
)
from isaac_gui.core.exporters.report import ReportBuilder
from isaac_gui.core.geometry import PixelBox
from tests.core.exporters.conftest import detection, error_record, ok_record


@pytest.mark.parametrize("image", ["a.jpg", "sub/deeper/a b.JPG", "ünïcode/ファイル.png", "..a.jpg"])
def test_relative_paths_are_kept(image: str) -> None:
    path = safe_relative_path(image)
    assert path is not None and str(path) == image


@pytest.mark.parametrize(
    "image",
    [
        "",
        "/etc/passwd",
        "../up.jpg",
        "a/../../up.jpg",
        "a//b.jpg",
        "./a.jpg",
        "a\\b.jpg",
        "C:/x.jpg",
        None,
        3,
    ],
)
def test_paths_that_could_escape_dest_are_refused(image: object) -> None:
    assert safe_relative_path(image) is None


def test_a_refused_path_skips_the_record_with_a_warning() -> None:
    report = ReportBuilder()
    records = parse_records([ok_record("../x.jpg", 10, 10), ok_record("y.jpg", 10, 10)], report)
    assert [r.image for r in records] == ["y.jpg"]
    assert [w.kind for w in report._warnings] == ["malformed_record"]


def test_boxes_are_ordered_and_clamped_into_the_photo() -> None:
    report = ReportBuilder()
    raw = ok_record("a.jpg", 100, 50, detection("scratch", 120, -5, 90, 10), detection("dent", 1, 2, 3, 4))
    (record,) = parse_records([raw], report)
    assert record.boxes == (PixelBox("scratch", 90, 0, 99, 10), PixelBox("dent", 1, 2, 3, 4))
    assert len(report._warnings) == 1 and report._warnings[0].kind == "box_adjusted"


def test_ok_without_a_size_is_exported_as_failed() -> None:
    report = ReportBuilder()
    raw = ok_record("a.jpg", 100, 50, detection("scratch", 1, 1, 2, 2))
    raw["width"] = None
    (record,) = parse_records([raw], report)
    assert not record.ok and record.boxes == ()


def test_errors_keep_their_kind_and_message() -> None:
    (record,) = parse_records([error_record("x.jpg", "timeout", "took too long")], ReportBuilder())
    assert (record.ok, record.status, record.error_kind, record.error_message) == (
        False,
        "error",
        "timeout",
        "took too long",
    )


def test_a_photo_listed_twice_keeps_its_last_record_at_the_last_position() -> None:
    report = ReportBuilder()
    records = parse_records(
        [error_record("a.jpg"), ok_record("b.jpg", 5, 5), ok_record("a.jpg", 5, 5)],
        report,
    )
    assert [(r.image, r.status) for r in records] == [("b.jpg", "ok"), ("a.jpg", "ok")]
    assert [w.kind for w in report._warnings] == ["duplicate_record"]


def test_categories_keep_the_run_classes_then_extra_mentions_in_first_seen_order() -> None:
    records = parse_records(
        [
            ok_record("a.jpg", 50, 50, detection("Rust", 0, 0, 1, 1), detection("SCRATCH", 0, 0, 1, 1)),
            error_record("e.jpg"),
            ok_record("b.jpg", 50, 50, detection("crack", 0, 0, 1, 1), detection("rust", 0, 0, 1, 1)),
        ],
        ReportBuilder(),
    )
    categories = Categories(["scratch", "dent", "Scratch"], records)
    assert categories.names == ["scratch", "dent", "Rust", "crack"]
    assert categories.palette_classes == ("scratch", "dent", "Scratch")
    assert categories.index("SCRATCH") == 0 and categories.name("SCRATCH") == "scratch"
    assert categories.index("rust") == 2 and categories.name("rust") == "Rust"


def test_text_with_undecodable_file_name_bytes_still_encodes() -> None:
    name = "bad\udcff.jpg"
    assert clean_text(name) == "bad\ufffd.jpg"
    assert b"\\udcff" in json_bytes({"image": name})
    assert json_bytes({"image": "ファイル"}).decode("utf-8") == '{"image": "ファイル"}'
