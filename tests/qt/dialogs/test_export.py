"""The Export dialog: every format off the GUI thread, cancel, remembered choices, failures."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from isaac_gui.core import exporters
from isaac_gui.core.exporters import FORMATS, OUTPUTS
from isaac_gui.core.exporters.drawing import MUTED
from isaac_gui.qt.dialogs import export as export_module
from isaac_gui.qt.dialogs.export import ExportDialog
from tests.qt.dialogs.helpers import shoot

# --- Export ----------------------------------------------------------------------------------


def make_run(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    source = tmp_path / "photos"
    records: list[dict[str, Any]] = []
    for index, rel in enumerate(["line-1/a.jpg", "line-1/b.jpg", "line-2/a.jpg"]):
        path = source / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (160, 120), (90 + index * 40, 120, 140)).save(path, "JPEG")
        records.append(
            {
                "image": rel,
                "status": "ok",
                "width": 160,
                "height": 120,
                "detections": [
                    {"mention": "scratch", "top_left": {"x": 10, "y": 12}, "bottom_right": {"x": 60, "y": 50}}
                ],
            }
        )
    records.append(
        {
            "image": "line-2/broken.jpg",
            "status": "error",
            "width": None,
            "height": None,
            "detections": [],
            "error": {"kind": "decode_error", "message": "cannot be decoded"},
        }
    )
    return source, records


def open_export(qtbot: Any, source: Path, records: list[dict[str, Any]]) -> ExportDialog:
    dialog = ExportDialog(records, source, ["scratch", "dent"])
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_export_runs_every_format_off_the_gui_thread(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, records = make_run(tmp_path)
    dialog = open_export(qtbot, source, records)
    shoot(dialog, "export")
    for box in dialog.format_boxes.values():
        box.setChecked(True)
    dialog.png_radio.setChecked(True)
    dialog.long_side_radio.setChecked(True)
    dialog.long_side_spin.setValue(512)
    dest = tmp_path / "out"
    dialog.dest_edit.setText(str(dest))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.is_running() or dialog.report is not None
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == dialog.PAGE_RESULT, timeout=20_000)
    assert dialog.report is not None, dialog.error
    assert set(dialog.report.formats) == set(FORMATS)
    for name in FORMATS:
        assert (dest / OUTPUTS[name][0]).exists(), name
    assert sorted(p.name for p in (dest / "annotated" / "line-1").iterdir()) == ["a.png", "b.png"]
    assert dialog.result_title.text() == "Export finished"
    assert "3 photos" in dialog.result_details.text() or "photos" in dialog.result_text.text()
    assert dialog.show_folder_button.isVisible()
    shoot(dialog, "export-done")
    opened: list[str] = []

    class FakeDesktop:
        @staticmethod
        def openUrl(url: Any) -> bool:
            opened.append(url.toLocalFile())
            return True

    monkeypatch.setattr(export_module, "QDesktopServices", FakeDesktop)
    qtbot.mouseClick(dialog.show_folder_button, Qt.MouseButton.LeftButton)
    assert opened == [str(dest)]


def test_export_choices_are_remembered(qtbot: Any, tmp_path: Path) -> None:
    source, records = make_run(tmp_path)
    first = open_export(qtbot, source, records)
    for name, box in first.format_boxes.items():
        box.setChecked(name in ("yolo", "csv"))
    first.png_radio.setChecked(True)
    first.dest_edit.setText(str(tmp_path / "exports"))
    qtbot.mouseClick(first.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.stack.currentIndex() == first.PAGE_RESULT, timeout=20_000)
    first.accept()
    second = open_export(qtbot, source, records)
    assert second.chosen_formats() == ["yolo", "csv"]
    assert second.annotated_format() == "png"
    assert second.dest_edit.text() == str(tmp_path / "exports")
    second.reject()


def test_rejected_boxes_are_drawn_muted_only_when_the_box_is_checked_and_the_choice_is_remembered(
    qtbot: Any, tmp_path: Path
) -> None:
    source, records = make_run(tmp_path)
    records[0]["rejected"] = [
        {"mention": "dent", "top_left": {"x": 80, "y": 60}, "bottom_right": {"x": 150, "y": 110}, "box": "m1"}
    ]

    def export(draw: bool) -> Image.Image:
        dialog = open_export(qtbot, source, records)
        for name, box in dialog.format_boxes.items():
            box.setChecked(name == "annotated")
        dialog.png_radio.setChecked(True)
        dialog.full_size_radio.setChecked(True)
        dialog.draw_rejected_box.setChecked(draw)
        dialog.dest_edit.setText(str(tmp_path / "out"))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.stack.currentIndex() == dialog.PAGE_RESULT, timeout=20_000)
        assert dialog.report is not None, dialog.error
        dialog.accept()
        return Image.open(tmp_path / "out" / "annotated" / "line-1" / "a.png").convert("RGB")

    right_edge = [(150, y) for y in range(70, 111)]
    assert MUTED not in {export(False).getpixel(xy) for xy in right_edge}
    assert MUTED in {export(True).getpixel(xy) for xy in right_edge}
    again = open_export(qtbot, source, records)
    assert again.draw_rejected_box.isChecked()
    again.reject()


def test_export_can_be_cancelled_and_leaves_the_folder_alone(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, records = make_run(tmp_path)
    real = exporters.export_records
    started = threading.Event()

    def slow_export(records: Any, **kwargs: Any) -> Any:
        started.set()
        kwargs["cancel"].wait(10)  # a long export, until the user cancels
        return real(records, **kwargs)

    monkeypatch.setattr(exporters, "export_records", slow_export)
    dialog = open_export(qtbot, source, records)
    dest = tmp_path / "out"
    dialog.dest_edit.setText(str(dest))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert dialog.stack.currentIndex() == dialog.PAGE_PROGRESS
    shoot(dialog, "export-progress")
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == dialog.PAGE_RESULT, timeout=10_000)
    assert dialog.result_title.text() == "Export cancelled"
    assert dialog.error == "cancelled"
    assert not dest.exists() or not any(dest.iterdir())


def test_closing_a_running_export_cancels_it_first(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, records = make_run(tmp_path)
    real = exporters.export_records
    started = threading.Event()

    def slow_export(records: Any, **kwargs: Any) -> Any:
        started.set()
        kwargs["cancel"].wait(10)
        return real(records, **kwargs)

    monkeypatch.setattr(exporters, "export_records", slow_export)
    dialog = open_export(qtbot, source, records)
    dialog.dest_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=5000)
    dialog.reject()
    assert dialog.isVisible()  # still cleaning up
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert not dialog.is_running()


def test_export_failure_is_explained(qtbot: Any, tmp_path: Path) -> None:
    source, records = make_run(tmp_path)
    dialog = open_export(qtbot, source, records)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog.dest_edit.setText(str(blocker))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentIndex() == dialog.PAGE_RESULT, timeout=10_000)
    assert dialog.result_title.text() == "The export failed"
    assert str(blocker) in dialog.result_text.text()
    assert dialog.back_button.isVisible() and not dialog.show_folder_button.isVisible()
    shoot(dialog, "export-failed")
    qtbot.mouseClick(dialog.back_button, Qt.MouseButton.LeftButton)
    assert dialog.stack.currentIndex() == dialog.PAGE_OPTIONS


def test_export_needs_a_format_and_a_folder(qtbot: Any, tmp_path: Path) -> None:
    source, records = make_run(tmp_path)
    dialog = open_export(qtbot, source, records)
    for box in dialog.format_boxes.values():
        box.setChecked(False)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.formats_message.is_error()
    assert not dialog.is_running()
    dialog.format_boxes["csv"].setChecked(True)
    dialog.dest_edit.setText("")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.dest_message.is_error()
    assert not dialog.is_running()
    assert not dialog.annotated_options.isEnabled()  # annotated unchecked: its options too
