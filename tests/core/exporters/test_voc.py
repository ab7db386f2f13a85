"""Pascal VOC: one XML per photo in the devkit's layout, 1-based inclusive coordinates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from isaac_gui.core.exporters import export_records
from tests.core.exporters.conftest import Record, detection, ok_record

CLASSES = ["scratch", "dent"]


def objects(root: ET.Element) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    for obj in root.findall("object"):
        bb = obj.find("bndbox")
        assert bb is not None
        assert [child.tag for child in obj] == ["name", "pose", "truncated", "difficult", "bndbox"]
        found.append(
            (
                obj.findtext("name", ""),
                *(int(bb.findtext(tag, "-1")) for tag in ("xmin", "ymin", "xmax", "ymax")),
            )
        )
    return found


def test_voc_files_follow_the_layout_and_use_one_based_corners(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_records(sample(), source_root=source, dest=dest, formats={"voc"}, classes=CLASSES)
    voc = dest / "voc"
    assert sorted(p.relative_to(voc).as_posix() for p in voc.rglob("*.xml")) == [
        "a.xml",
        "sub/b.xml",
        "sub/empty.xml",
    ]
    root = ET.parse(voc / "a.xml").getroot()
    assert root.tag == "annotation"
    assert [child.tag for child in root][:6] == ["folder", "filename", "path", "source", "size", "segmented"]
    assert root.findtext("folder") == "photos" and root.findtext("filename") == "a.jpg"
    assert Path(root.findtext("path", "")) == (source / "a.jpg").resolve()
    assert [root.findtext(f"size/{t}") for t in ("width", "height", "depth")] == ["320", "240", "3"]
    assert objects(root) == [
        ("scratch", 11, 21, 110, 60),
        ("dent", 201, 101, 320, 240),
    ]  # dent is "Dent" → run's spelling
    for obj in root.findall("object"):
        assert (obj.findtext("pose"), obj.findtext("truncated"), obj.findtext("difficult")) == (
            "Unspecified",
            "0",
            "0",
        )

    b = ET.parse(voc / "sub" / "b.xml").getroot()
    assert b.findtext("folder") == "sub" and objects(b) == [("rust", 1, 1, 50, 50)]
    assert objects(ET.parse(voc / "sub" / "empty.xml").getroot()) == []
    assert report.formats["voc"].files == 3 and report.formats["voc"].detections == 3


def test_characters_xml_cannot_carry_are_replaced(source: Path, dest: Path) -> None:
    record = ok_record("bad\udcff.jpg", 10, 10, detection("ctrl\x01char", 0, 0, 9, 9))
    export_records([record], source_root=source, dest=dest, formats={"voc"}, classes=[])
    (path,) = (dest / "voc").glob("*.xml")
    root = ET.parse(path).getroot()
    assert root.findtext("filename") == "bad\ufffd.jpg" and objects(root)[0][0] == "ctrl\ufffdchar"
