"""The whole export: clean replacement, all-or-nothing on errors and cancellation, progress, subsets."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from isaac_gui.core.exporters import FORMATS, ExportCancelled, ExportError, ExportReport, export_records
from isaac_gui.core.exporters import staging as staging_module
from tests.core.exporters.conftest import Record, detection, ok_record, write_photo

CLASSES = ["scratch", "dent"]


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its bytes (None for folders)."""
    return {
        p.relative_to(root).as_posix(): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def leftovers(dest: Path) -> list[str]:
    return [p.name for p in dest.iterdir() if p.name.startswith(".isaac-export")]


def export_all(
    records: list[Record],
    source: Path,
    dest: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> ExportReport:
    return export_records(
        records,
        source_root=source,
        dest=dest,
        formats=FORMATS,
        classes=CLASSES,
        progress=progress,
        cancel=cancel,
    )


def test_every_format_lands_in_its_documented_place(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    report = export_all(sample(), source, dest)
    assert sorted(p.name for p in dest.iterdir()) == [
        "annotated",
        "coco",
        "detections.csv",
        "records.jsonl",
        "voc",
        "yolo",
    ]
    assert (dest / "coco" / "annotations.json").is_file()
    assert (dest / "yolo" / "data.yaml").is_file() and (dest / "yolo" / "classes.txt").is_file()
    assert list(report.formats) == list(FORMATS)
    assert report.records == 4 and report.failed_images == ("sub/broken.jpg",)


def test_re_exporting_a_subset_replaces_the_previous_export_cleanly(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    records = sample()
    export_all(records, source, dest)
    export_all(records[:1], source, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.jpg")) == ["annotated/a.jpg"]
    assert sorted(p.relative_to(dest / "yolo").as_posix() for p in (dest / "yolo").rglob("*.txt")) == [
        "classes.txt",
        "labels/a.txt",
    ]
    assert len((dest / "records.jsonl").read_text().splitlines()) == 1
    assert leftovers(dest) == []


def test_formats_not_chosen_this_time_are_left_alone(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    records = sample()
    export_all(records, source, dest)
    before = snapshot(dest / "annotated")
    export_records(records[:1], source_root=source, dest=dest, formats={"csv"}, classes=CLASSES)
    assert snapshot(dest / "annotated") == before


@pytest.mark.parametrize("fail_at", [1, 4, 9, 14])
def test_a_full_disk_raises_names_the_file_and_keeps_the_previous_export(
    source: Path,
    dest: Path,
    sample: Callable[[], list[Record]],
    monkeypatch: pytest.MonkeyPatch,
    fail_at: int,
) -> None:
    records = sample()
    export_all(records, source, dest)
    before = snapshot(dest)
    calls = {"n": 0}
    lock = threading.Lock()
    real = staging_module.write_file

    def full_disk(path: Path, data: bytes) -> None:
        with lock:
            calls["n"] += 1
            failing = calls["n"] == fail_at
        if failing:
            with open(path, "wb") as handle:  # half-written, as a real full disk leaves it
                handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(staging_module, "write_file", full_disk)
    with pytest.raises(ExportError, match=r"Cannot write .*export/\S+: No space left on device") as info:
        export_all(records, source, dest)
    assert ".isaac-export-" not in str(info.value)  # the user sees the final name, not the staging one
    assert calls["n"] >= fail_at
    assert snapshot(dest) == before and leftovers(dest) == []


def test_a_destination_under_a_file_fails_even_for_root(source: Path, tmp_path: Path) -> None:
    # chmod is ignored by root, so "unwritable" here is a folder that cannot exist: one under a regular file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    write_photo(source / "a.jpg", 10, 10)
    with pytest.raises(ExportError, match=r"not-a-folder.*Not a directory"):
        export_all([ok_record("a.jpg", 10, 10)], source, blocker / "out")
    with pytest.raises(ExportError, match=r"not-a-folder: it is a file, not a folder"):
        export_all([ok_record("a.jpg", 10, 10)], source, blocker)
    assert blocker.read_text() == "x"


def test_a_file_where_an_output_folder_belongs_is_an_error_and_kept(source: Path, dest: Path) -> None:
    dest.mkdir()
    (dest / "yolo").write_text("mine")
    with pytest.raises(ExportError, match=r"yolo: a file of that name exists where a folder is needed"):
        export_all([ok_record("a.jpg", 10, 10)], source, dest)
    assert (dest / "yolo").read_text("utf-8") == "mine" and leftovers(dest) == []


def test_a_folder_not_written_by_an_export_is_never_replaced(source: Path, dest: Path) -> None:
    (dest / "annotated").mkdir(parents=True)
    (dest / "annotated" / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(ExportError, match=r"annotated: the folder was not written by an isaac-gui export"):
        export_all([ok_record("a.jpg", 10, 10)], source, dest)
    assert (dest / "annotated" / "holiday.jpg").read_bytes() == b"precious"


def test_the_photos_themselves_are_never_replaced(tmp_path: Path) -> None:
    source = tmp_path / "out" / "annotated"
    write_photo(source / "a.jpg", 10, 10)
    (source / ".isaac-export").write_text("looks like ours")
    with pytest.raises(ExportError, match="the photos being exported are inside it"):
        export_all([ok_record("a.jpg", 10, 10)], source, tmp_path / "out")
    assert (source / "a.jpg").is_file()


def test_annotated_name_collisions_fail_before_anything_is_written(source: Path, dest: Path) -> None:
    write_photo(source / "a.jpg", 10, 10)
    write_photo(source / "a.png", 10, 10, fmt="PNG")
    with pytest.raises(ExportError, match=r"a\.jpg and a\.png together: both need .*annotated/a\.jpg"):
        export_records(
            [ok_record("a.jpg", 10, 10), ok_record("a.png", 10, 10)],
            source_root=source,
            dest=dest,
            formats={"annotated"},
            classes=CLASSES,
        )
    assert list(dest.iterdir()) == []


def test_a_file_and_a_folder_wanting_one_name_collide(source: Path, dest: Path) -> None:
    records = [ok_record("x.png", 10, 10), ok_record("x.jpg/inner.jpg", 10, 10)]
    with pytest.raises(ExportError, match=r"x\.jpg/inner\.jpg"):
        export_records(records, source_root=source, dest=dest, formats={"annotated"}, classes=CLASSES)


def test_cancelling_stops_promptly_and_leaves_the_previous_export(
    source: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [ok_record(f"p{i:02}.jpg", 200, 150, detection("dent", 1, 1, 50, 50)) for i in range(40)]
    for i in range(40):
        write_photo(source / f"p{i:02}.jpg", 200, 150)
    export_all(records[:2], source, dest)
    before = snapshot(dest)
    cancel = threading.Event()
    written: list[Path] = []
    real = staging_module.write_file

    def counting(path: Path, data: bytes) -> None:
        written.append(path)
        real(path, data)

    def progress(done: int, total: int) -> None:
        if done >= 7:  # the five cheap formats and two photos
            cancel.set()

    monkeypatch.setattr(staging_module, "write_file", counting)
    with pytest.raises(ExportCancelled):
        export_all(records, source, dest, progress=progress, cancel=cancel)
    photos = [p for p in written if p.suffix == ".jpg"]
    assert len(photos) <= 2 + 2 * 2  # what was in flight, not the remaining 38
    assert snapshot(dest) == before and leftovers(dest) == []


def test_a_cancel_before_the_start_writes_nothing(source: Path, dest: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ExportCancelled):
        export_all([ok_record("a.jpg", 10, 10)], source, dest, cancel=cancel)
    assert not dest.exists()


def test_progress_counts_each_photo_and_each_other_format(
    source: Path, dest: Path, sample: Callable[[], list[Record]]
) -> None:
    seen: list[tuple[int, int]] = []
    export_all(sample(), source, dest, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)  # 3 decodable photos + 5 other formats
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_failing_swap_is_rolled_back(
    source: Path, dest: Path, sample: Callable[[], list[Record]], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = sample()
    export_all(records, source, dest)
    before = snapshot(dest)
    real = os.rename
    calls = {"n": 0}

    def flaky(src: str | Path, dst: str | Path) -> None:
        calls["n"] += 1
        if calls["n"] == 6:  # the third output: old one moved aside, new one refused
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "rename", flaky)
    with pytest.raises(ExportError, match="Cannot move the export into"):
        export_all(records, source, dest)
    monkeypatch.setattr(os, "rename", real)
    assert snapshot(dest) == before and leftovers(dest) == []


def test_leftovers_of_a_killed_export_are_removed(source: Path, dest: Path) -> None:
    (dest / ".isaac-export-deadbeef" / "annotated").mkdir(parents=True)
    export_records(
        [ok_record("a.jpg", 10, 10)], source_root=source, dest=dest, formats={"csv"}, classes=CLASSES
    )
    assert leftovers(dest) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"formats": {"pdf"}}, {"formats": set()}, {"annotated_format": "gif"}, {"annotated_max_side": 0}],
)
def test_arguments_no_export_could_satisfy_are_value_errors(
    source: Path, dest: Path, kwargs: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"formats": {"csv"}, "classes": CLASSES, **kwargs}
    with pytest.raises(ValueError):
        export_records([], source_root=source, dest=dest, **arguments)  # type: ignore[arg-type]
