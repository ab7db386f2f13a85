"""Settings, Welcome and Export dialogs: what they save, what they refuse, what they run."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QStyleFactory

from isaac_gui.core import exporters
from isaac_gui.core.exporters import FORMATS, OUTPUTS
from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, AppSettings, config_dir
from isaac_gui.qt import theme
from isaac_gui.qt.dialogs import ExportDialog, SettingsDialog, WelcomeDialog
from isaac_gui.qt.dialogs import export as export_module

SECRET = "sk-test-4b1d-never-in-a-file"


def shoot(widget: Any, name: str) -> None:
    folder = os.environ.get("ISAAC_GUI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


@pytest.fixture(autouse=True)
def keep_the_app_look(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dialogs in the app's theme; the settings dialog previews themes on the whole app: restore it."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    monkeypatch.setattr(theme, "_current", theme._current)
    monkeypatch.setattr(theme, "_requested", theme._requested)
    theme.apply_theme(qapp, os.environ.get("ISAAC_GUI_SHOTS_THEME", "light"))  # as the app shows them
    QCursor.setPos(5000, 5000)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    if style and qapp.style().name() != style:
        qapp.setStyle(QStyleFactory.create(style))


def saved_key() -> str | None:
    return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)


def visible_texts(widget: Any) -> str:
    labels = [label.text() for label in widget.findChildren(QLabel)]
    edits = [edit.text() + edit.placeholderText() for edit in widget.findChildren(QLineEdit)]
    return "\n".join(labels + edits)


# --- Settings --------------------------------------------------------------------------------


def open_settings(qtbot: Any, settings: AppSettings) -> SettingsDialog:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.key_saved() is not None, timeout=5000)
    return dialog


def test_settings_round_trip_to_the_file_and_the_key_to_the_keychain(qtbot: Any) -> None:
    settings = AppSettings()
    dialog = open_settings(qtbot, settings)
    assert dialog.key_saved() is False
    qtbot.keyClicks(dialog.key_edit, SECRET)
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.base_url_edit.setText("https://isaac.example.com/")
    dialog.model_edit.setText("isaac-0.2")
    dialog.concurrency_spin.setValue(24)
    dialog.rpm_spin.setValue(600)
    dialog.max_side_spin.setValue(2000)
    dialog.timeout_spin.setValue(90)
    dialog.s3_enabled.setChecked(True)
    dialog.bucket_edit.setText("inspection-results")
    dialog.prefix_edit.setText("/runs/line-3")
    dialog.region_edit.setText("eu-west-1")
    dialog.profile_combo.setCurrentText("factory")
    dialog.endpoint_edit.setText("http://127.0.0.1:8333")
    dialog.upload_annotated.setChecked(True)
    dialog.theme_buttons["dark"].setChecked(True)
    assert theme.is_dark()  # previewed at once
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    path = config_dir() / "settings.json"
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert saved_key() == SECRET
    loaded = AppSettings.load()
    assert (loaded.base_url, loaded.model, loaded.concurrency, loaded.rpm) == (
        "https://isaac.example.com",
        "isaac-0.2",
        24,
        600.0,
    )
    assert (loaded.max_side, loaded.timeout_s, loaded.theme) == (2000, 90.0, "dark")
    assert loaded.s3.enabled and loaded.s3.upload_annotated
    assert (
        loaded.s3.bucket,
        loaded.s3.prefix,
        loaded.s3.region,
        loaded.s3.profile,
        loaded.s3.endpoint_url,
    ) == (
        "inspection-results",
        "runs/line-3",
        "eu-west-1",
        "factory",
        "http://127.0.0.1:8333",
    )
    assert settings.base_url == "https://isaac.example.com"  # the caller's object, updated in place
    assert json.loads(text)["theme"] == "dark"


def test_a_saved_key_is_reported_never_shown(qtbot: Any) -> None:
    keyring.set_password(KEYRING_SERVICE, KEYRING_USER, SECRET)
    dialog = open_settings(qtbot, AppSettings())
    assert dialog.key_saved() is True
    assert "saved in the system keychain" in dialog.key_status.text()
    assert dialog.key_edit.text() == ""
    assert SECRET not in visible_texts(dialog)
    shoot(dialog, "settings-connection")
    # Keeping it: OK without typing leaves the key alone.
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert saved_key() == SECRET


def test_the_saved_key_can_be_removed(qtbot: Any) -> None:
    keyring.set_password(KEYRING_SERVICE, KEYRING_USER, SECRET)
    dialog = open_settings(qtbot, AppSettings())
    qtbot.mouseClick(dialog.remove_key_button, Qt.MouseButton.LeftButton)
    assert "will be removed" in dialog.key_status.text()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert saved_key() is None


def test_bad_base_url_is_refused_inline(qtbot: Any) -> None:
    dialog = open_settings(qtbot, AppSettings())
    dialog.sidebar.setCurrentRow(3)
    dialog.base_url_edit.setText("isaac.example.com")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.pages.currentIndex() == 0  # taken to the field
    assert dialog.base_url_message.is_error()
    assert "https://" in dialog.base_url_message.text()
    assert dialog.base_url_edit.property("invalid") is True
    assert not (config_dir() / "settings.json").exists()
    # fixed as they type
    dialog.base_url_edit.setText("https://isaac.example.com")
    assert not dialog.base_url_message.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()


def test_s3_needs_a_bucket_when_enabled(qtbot: Any) -> None:
    dialog = open_settings(qtbot, AppSettings())
    dialog.s3_enabled.setChecked(True)
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.pages.currentIndex() == 2
    assert "bucket" in dialog.bucket_message.text().lower()
    shoot(dialog, "settings-s3-invalid")
    dialog.bucket_edit.setText("Not_A_Bucket")
    assert "lowercase" in dialog.bucket_message.text()
    dialog.endpoint_edit.setText("ftp://store")
    assert "https://" in dialog.endpoint_message.text()
    dialog.endpoint_edit.setText("")
    dialog.bucket_edit.setText("results")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert AppSettings.load().s3.bucket == "results"


def test_disabled_s3_is_not_validated(qtbot: Any) -> None:
    dialog = open_settings(qtbot, AppSettings())
    dialog.s3_enabled.setChecked(False)
    assert not dialog.s3_fields.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()


def test_without_a_keychain_the_key_is_refused_in_words(qtbot: Any) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    dialog = open_settings(qtbot, AppSettings())
    dialog.key_edit.setText(SECRET)
    dialog.accept()
    qtbot.waitUntil(dialog.key_message.is_error, timeout=5000)
    message = dialog.key_message.text()
    assert "No system keychain" in message and "PERCEPTRON_API_KEY" in message
    assert SECRET not in visible_texts(dialog).replace(dialog.key_edit.text(), "")
    assert dialog.isVisible()
    assert not (config_dir() / "settings.json").exists()
    dialog.reject()


def test_cancel_changes_nothing(qtbot: Any) -> None:
    settings = AppSettings()
    dialog = open_settings(qtbot, settings)
    dialog.concurrency_spin.setValue(3)
    dialog.key_edit.setText(SECRET)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert settings.concurrency == AppSettings().concurrency
    assert saved_key() is None
    assert not (config_dir() / "settings.json").exists()


def test_settings_pages_are_reachable_by_keyboard(qtbot: Any) -> None:
    dialog = open_settings(qtbot, AppSettings())
    dialog.windowHandle().requestActivate()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    dialog.sidebar.setFocus()
    qtbot.keyClick(dialog.sidebar, Qt.Key.Key_Down)
    assert dialog.pages.currentIndex() == 1
    qtbot.keyClick(dialog.sidebar, Qt.Key.Key_Down)
    assert dialog.pages.currentIndex() == 2
    assert dialog.ok_button.isDefault()


# --- Welcome ---------------------------------------------------------------------------------


def open_welcome(qtbot: Any) -> WelcomeDialog:
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_welcome_offers_three_ways_and_continue_waits_for_a_choice(qtbot: Any) -> None:
    dialog = open_welcome(qtbot)
    assert [card.title for card in dialog.cards.values()] == [
        "Use my Perceptron API key",
        "Use a self-hosted endpoint",
        "Try the demo (simulated)",
    ]
    assert not dialog.continue_button.isEnabled()
    shoot(dialog, "welcome")
    dialog.reject()
    assert dialog.choice is None


def test_welcome_demo(qtbot: Any) -> None:
    dialog = open_welcome(qtbot)
    qtbot.mouseClick(dialog.cards["demo"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == "demo"
    assert dialog.api_key is None and dialog.base_url is None


def test_welcome_key_goes_to_the_keychain(qtbot: Any) -> None:
    dialog = open_welcome(qtbot)
    qtbot.mouseClick(dialog.cards["key"], Qt.MouseButton.LeftButton)
    assert not dialog.continue_button.isEnabled()
    qtbot.keyClicks(dialog.key_edit, SECRET)
    assert dialog.continue_button.isEnabled()
    shoot(dialog, "welcome-key")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert (dialog.choice, dialog.api_key, dialog.key_saved) == ("key", SECRET, True)
    assert saved_key() == SECRET


def test_welcome_endpoint_checks_the_url(qtbot: Any) -> None:
    dialog = open_welcome(qtbot)
    qtbot.mouseClick(dialog.cards["endpoint"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.base_url_edit, "isaac.local:8080")
    assert not dialog.continue_button.isEnabled()
    assert "https://" in dialog.base_url_message.text()
    dialog.base_url_edit.setText("http://isaac.local:8080/")
    assert dialog.continue_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.base_url_edit, Qt.Key.Key_Return)
    assert (dialog.choice, dialog.base_url) == ("endpoint", "http://isaac.local:8080")


def test_welcome_without_a_keychain_explains_and_offers_this_session(qtbot: Any) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    dialog = open_welcome(qtbot)
    qtbot.mouseClick(dialog.cards["key"], Qt.MouseButton.LeftButton)
    dialog.key_edit.setText(SECRET)
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.session_button.isVisible, timeout=5000)
    assert "No system keychain" in dialog.key_message.text()
    assert "PERCEPTRON_API_KEY" in dialog.key_message.text()
    shoot(dialog, "welcome-no-keychain")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)
    assert (dialog.choice, dialog.api_key, dialog.key_saved) == ("key", SECRET, False)


def test_welcome_cards_move_with_the_arrow_keys(qtbot: Any) -> None:
    dialog = open_welcome(qtbot)
    dialog.windowHandle().requestActivate()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    dialog.cards["key"].setFocus()
    qtbot.keyClick(dialog.cards["key"], Qt.Key.Key_Space)
    assert dialog.selected() == "key"
    assert QApplication.focusWidget() is dialog.cards["key"]  # chosen by keyboard: focus stays
    qtbot.keyClick(dialog.cards["key"], Qt.Key.Key_Down)
    assert QApplication.focusWidget() is dialog.cards["endpoint"]
    assert dialog.selected() == "endpoint"
    qtbot.keyClick(dialog.cards["endpoint"], Qt.Key.Key_Down)
    assert dialog.selected() == "demo"
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.cards["demo"], Qt.Key.Key_Return)
    assert dialog.choice == "demo"


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
