"""Small pieces the dialogs share: inline messages, the key field, URL checks, background calls."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QObject, Signal
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


class _PostOffice(QObject):
    """The one object background calls report through; created on the GUI thread, never deleted.

    A worker holds no reference to any widget or to a QObject a widget owns: if it held the last
    one, the wrapper would be freed on the worker thread while the GUI thread uses Qt (measured
    here: intermittent heap corruption with PySide6 6.12). It only knows a job number; the GUI
    side keeps the callbacks and drops them on the GUI thread.
    """

    delivered = Signal(int, bool, object)  # job, succeeded, result or exception

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[int, tuple[QObject, Callable[[Any], None], Callable[[BaseException], None]]] = {}
        self._next = 0
        self.delivered.connect(self._deliver)

    def register(
        self, owner: QObject, on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None]
    ) -> int:
        self._next += 1
        self._jobs[self._next] = (owner, on_success, on_failure)
        return self._next

    def pending(self) -> int:
        return len(self._jobs)

    def _deliver(self, job: int, ok: bool, value: Any) -> None:
        entry = self._jobs.pop(job, None)
        if entry is None:
            return
        owner, on_success, on_failure = entry
        if not shiboken6.isValid(owner):
            return  # the dialog was closed and deleted meanwhile: nobody to tell
        if ok:
            on_success(value)
        else:
            on_failure(value)


_office: _PostOffice | None = None


def _post_office() -> _PostOffice:
    global _office  # noqa: PLW0603
    if _office is None:
        _office = _PostOffice()
    return _office


def run_in_background(
    owner: QObject,
    fn: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
) -> None:
    """Run `fn` on a short-lived thread; `on_success(result)` or `on_failure(exc)` then run on the
    GUI thread, unless `owner` has been deleted by then. `fn` must not capture widgets.
    """
    office = _post_office()
    job = office.register(owner, on_success, on_failure)

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:
            office.delivered.emit(job, False, exc)
            return
        office.delivered.emit(job, True, result)

    threading.Thread(target=work, name="isaac-dialog-task", daemon=True).start()
