"""Small pieces the dialogs share: inline messages, headings and hints, the key field, URL checks."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from PySide6.QtGui import QAction, QColor, QFont, QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon

KEY_ENV = "PERCEPTRON_API_KEY"


def url_problem(text: str) -> str | None:
    """Why `text` is not a usable http(s) base URL, in words; None when it is (or is empty)."""
    text = text.strip()
    if not text:
        return None
    if any(ch.isspace() for ch in text):
        return "The address cannot contain spaces."
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        return "Start the address with https:// (or http:// for a server on your network)."
    if not parts.hostname:
        return "The address needs a host name, for example https://isaac.example.com."
    try:
        port = parts.port
    except ValueError:
        return "The port must be a number between 1 and 65535."
    if port == 0:
        return "The port must be a number between 1 and 65535."
    if parts.query or parts.fragment:
        return "Leave out the ?query or #fragment: give the base address only."
    return None


def env_key_present() -> bool:
    return bool(os.environ.get(KEY_ENV))


def describe_keyring_error(exc: BaseException) -> str:
    """A keychain failure in words, with the way around it."""
    name = type(exc).__name__
    detail = str(exc).strip()
    if name == "NoKeyringError" or "No recommended backend" in detail:
        reason = "No system keychain is available on this computer"
    elif name == "KeyringLocked":
        reason = "The system keychain is locked"
    else:
        reason = f"The system keychain refused the key ({detail or name})"
    return (
        f"{reason}, so the key was not saved. Set the {KEY_ENV} environment variable to your key "
        "before starting isaac-gui instead; it is never written to a file."
    )


class FieldMessage(QLabel):
    """A line under a field: an error in the danger colour, or a quiet note. Hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setOpenExternalLinks(False)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.92, 7.5))
        self.setFont(small)
        self.hide()

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_note(self, text: str) -> None:
        self._show(text, "muted")

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def is_error(self) -> bool:
        return self.isVisible() and self.property("role") == "error"

    def _show(self, text: str, role: str) -> None:
        self.setText(text)
        self.setProperty("role", role)
        # The colour also without the app's stylesheet (which, when present, says the same).
        c = theme.colours()
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(c.danger if role == "error" else c.text_muted))
        self.setPalette(palette)
        theme.repolish(self)
        self.show()


def heading(text: str, parent: QWidget | None = None) -> QLabel:
    """A page or dialog title: larger and semi-bold, with or without the app's stylesheet."""
    label = QLabel(text, parent)
    label.setProperty("role", "heading")
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.45)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    return label


def section(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "section")
    font = QFont(label.font())
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    return label


def hint(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setProperty("role", "muted")
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(theme.colours().text_muted))
    label.setPalette(palette)
    small = QFont(label.font())
    small.setPointSizeF(max(small.pointSizeF() * 0.92, 7.5))
    label.setFont(small)
    return label


def set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) != invalid:
        widget.setProperty("invalid", invalid)
        theme.repolish(widget)


class SecretField(QLineEdit):
    """A masked line edit with an eye button to show what was typed (never a saved secret)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_action = QAction(icon("eye"), "Show the key", self)
        self.reveal_action.setCheckable(True)
        self.reveal_action.toggled.connect(self._reveal)
        self.addAction(self.reveal_action, QLineEdit.ActionPosition.TrailingPosition)

    def _reveal(self, shown: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal_action.setIcon(icon("eye-off" if shown else "eye"))
        self.reveal_action.setText("Hide the key" if shown else "Show the key")
