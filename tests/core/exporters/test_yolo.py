"""YOLO: labels that pass Ultralytics' own checks, classes.txt and a data.yaml it can read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from isaac_gui.core.exporters import ExportError, export_records
from isaac_gui.core.exporters.yolo import yaml_quote
from tests.core.exporters.conftest import Record, detection, ok_record

CLASSES = ["scratch", "dent"]


def check_label_file(path: Path, nc: int) -> list[list[float]]:
    """The rules Ultralytics' verify_image_label applies to a label file."""
    rows = [line.split() for line in path.read_text("ascii").splitlines()]
    assert all(len(row) == 5 for row in rows), "5 columns"
    assert len({tuple(row) for row in rows}) == len(rows), "no duplicate rows"
    values = [[float(v) for v in row] for row in rows]
    for row, raw in zip(values, rows, strict=True):
        assert raw[0].isdigit() and 0 <= int(raw[0]) < nc, "class index in range"
        assert all(0.0 <= v <= 1.0 for v in row[1:]), "normalised coordinates"
        assert row[3] > 0 and row[4] > 0, "positive size"
        assert all(len(v.split(".")[1]) == 6 for v in raw[1:]), "6 decimals"
    return values


def test_labels_follow_ultralytics_rules_and_mirror_the_tree(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_records(sample(), source_root=source, dest=dest, formats={"yolo"}, classes=CLASSES)
    labels = dest / "yolo" / "labels"
    assert sorted(p.relative_to(labels).as_posix() for p in labels.rglob("*.txt")) == [
        "a.txt",
        "sub/b.txt",
        "sub/empty.txt",  # background: an empty file; the failed photo has none
    ]
    a = check_label_file(labels / "a.txt", 3)
    expected = [[0, 60 / 320, 40 / 240, 100 / 320, 40 / 240], [1, 260 / 320, 170 / 240, 120 / 320, 140 / 240]]
    assert [pytest.approx(row, abs=1e-6) for row in expected] == a
    assert check_label_file(labels / "sub" / "b.txt", 3) == [[2, 0.125, 0.25, 0.25, 0.5]]
    assert (labels / "sub" / "empty.txt").read_bytes() == b""
    assert (dest / "yolo" / "classes.txt").read_text("utf-8") == "scratch\ndent\nrust\n"
    assert report.formats["yolo"].images == 3 and report.formats["yolo"].detections == 3


def test_a_box_over_the_whole_photo_is_exactly_one(source: Path, dest: Path) -> None:
    export_records(
        [ok_record("w.jpg", 333, 77, detection("dent", 0, 0, 332, 76))],
        source_root=source,
        dest=dest,
        formats={"yolo"},
        classes=CLASSES,
    )
    assert (dest / "yolo" / "labels" / "w.txt").read_text() == "1 0.500000 0.500000 1.000000 1.000000\n"


def test_repeated_boxes_are_written_once_with_a_warning(source: Path, dest: Path) -> None:
    box = detection("scratch", 1, 1, 5, 5)
    report = export_records(
        [ok_record("d.jpg", 10, 10, box, box)],
        source_root=source,
        dest=dest,
        formats={"yolo"},
        classes=CLASSES,
    )
    assert len(check_label_file(dest / "yolo" / "labels" / "d.txt", 2)) == 1
    assert [w.kind for w in report.warnings] == ["duplicate_label"]


def parse_data_yaml(text: str) -> dict[str, object]:
    """Enough YAML for our data.yaml: top-level scalars and the names mapping (quoted scalars are JSON)."""
    data: dict[str, object] = {}
    names: dict[int, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("  "):
            key, value = line.strip().split(": ", 1)
            names[int(key)] = json.loads(value)
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        data[key] = json.loads(value) if value.startswith('"') else value
    data["names"] = names
    return data


def test_data_yaml_names_every_class_and_points_at_the_folder(source: Path, dest: Path) -> None:
    classes = ['a "quoted" name', "back\\slash", "colon: yes", "# hash", "multi\nline", "ひび", "'single'"]
    export_records(
        [ok_record("x.jpg", 10, 10)], source_root=source, dest=dest, formats={"yolo"}, classes=classes
    )
    data = parse_data_yaml((dest / "yolo" / "data.yaml").read_text("utf-8"))
    assert data["path"] == str((dest / "yolo").resolve())
    assert (data["train"], data["val"], data["nc"]) == ("images", "images", str(len(classes)))
    assert data["names"] == dict(enumerate(classes))
    assert (dest / "yolo" / "classes.txt").read_text("utf-8").splitlines()[4] == "multi line"


@pytest.mark.parametrize(
    "name", ["plain", 'q"uote', "\\", "tab\there", "\x85nel\u2028", "\ufeffbom", "emoji 😀"]
)
def test_yaml_quote_round_trips_through_a_json_reader(name: str) -> None:
    quoted = yaml_quote(name)
    assert json.loads(quoted) == name
    assert not any(ch in quoted for ch in "\n\t\x85\u2028\ufeff")


def test_two_photos_wanting_one_label_file_is_an_error_naming_both(source: Path, dest: Path) -> None:
    records = [ok_record("sub/a.jpg", 10, 10), ok_record("sub/a.png", 10, 10)]
    with pytest.raises(ExportError, match=r"sub/a\.jpg and sub/a\.png.*a\.txt"):
        export_records(records, source_root=source, dest=dest, formats={"yolo"}, classes=CLASSES)
    assert not dest.exists() or list(dest.iterdir()) == []
