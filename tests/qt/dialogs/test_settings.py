"""The Settings dialog: what it saves, where the key goes, what it refuses."""

from __future__ import annotations

import json
from typing import Any

import keyring
import keyring.backends.fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from isaac_gui.core import thumb_cache
from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, MAX_CONCURRENCY, AppSettings, config_dir
from isaac_gui.core.thumb_cache import MB
from isaac_gui.qt.dialogs.settings import SettingsDialog
from isaac_gui.qt.style import theme
from tests.qt.dialogs.helpers import SECRET, saved_key, shoot, visible_texts

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


def test_the_review_page_saves_name_reasons_and_checked_rules(qtbot: Any) -> None:
    from isaac_gui.core.review.rules import default_rules_path, load_rules_file  # noqa: PLC0415

    settings = AppSettings()
    dialog = open_settings(qtbot, settings)
    page = dialog.review_page
    dialog.sidebar.setCurrentRow(dialog.PAGES.index("Review"))
    assert "[[rule]]" in page.rules_edit.toPlainText()  # the built-in rules, as their file would read
    page.inspector_edit.setText("  Ana   Lima ")
    page.reasons_edit.setPlainText("Glare\n\n  Below the limit \n")
    page.rules_edit.setPlainText(page.rules_edit.toPlainText() + "\n[[rule]]\nclass = 'crack'\nany = yes\n")
    dialog.accept()
    assert dialog.isVisible() and "Review" in dialog.PAGES[dialog.sidebar.currentRow()]
    assert "line" in page.rules_message.text()  # where the mistake is
    assert not default_rules_path().exists()  # nothing written

    text = page.rules_edit.toPlainText().replace("any = yes", "any = true")
    page.rules_edit.setPlainText("# our line's rules\n" + text)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert settings.inspector == "Ana Lima" and settings.override_reasons == ["Glare", "Below the limit"]
    assert default_rules_path().read_text().startswith("# our line's rules")  # as typed, comments kept
    assert any(rule.cls == "crack" for rule in load_rules_file(None).rules)
    assert json.loads((config_dir() / "settings.json").read_text())["inspector"] == "Ana Lima"


# --- the thumbnail cache -----------------------------------------------------------------------


def test_the_thumbnail_cache_is_shown_capped_and_cleared(qtbot: Any) -> None:
    folder = thumb_cache.default_dir()  # under the test's own cache folder
    for i in range(3):
        path = folder / f"{i:02x}" / f"{i:02x}thumb.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (MB // 2))
    settings = AppSettings()
    dialog = open_settings(qtbot, settings)
    qtbot.waitUntil(dialog.thumbnails_shown, timeout=5000)
    assert dialog.thumb_usage.text() == "1.5 MB in 3 thumbnails"
    assert dialog.thumb_cap_spin.value() == 1024
    assert dialog.concurrency_spin.maximum() == MAX_CONCURRENCY

    qtbot.mouseClick(dialog.clear_thumbs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.thumbnails_shown() and dialog.thumb_usage.text() == "Empty", timeout=5000)
    assert thumb_cache.cache_usage(folder) == thumb_cache.Usage(0, 0)
    assert not dialog.clear_thumbs_button.isEnabled()  # nothing left to clear

    dialog.thumb_cap_spin.setValue(256)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert settings.thumbnail_cache_mb == 256
    assert AppSettings.load().thumbnail_cache_mb == 256
