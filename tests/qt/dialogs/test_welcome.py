"""The first-run Welcome dialog: three ways on."""

from __future__ import annotations

from typing import Any

import keyring
import keyring.backends.fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from isaac_gui.qt.dialogs.welcome import WelcomeDialog
from tests.qt.dialogs.helpers import SECRET, saved_key, shoot

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
