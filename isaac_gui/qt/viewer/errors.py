"""What the viewer says about a photo that could not be inspected: a title, a sentence, Retry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon

# What an error kind means, in words (the record's message says the rest).
ERROR_TITLES = {
    "gave_up": "Isaac gave no usable answer",
    "rejected": "The API refused this photo",
    "unreadable": "The file could not be read",
    "changed": "The file changed while it was being read",
    "not_an_image": "This file is not an image",
    "decode_error": "This photo could not be decoded",
    "truncated": "This photo is truncated or damaged",
    "too_large": "This photo is too large to inspect",
    "auth": "The API refused the key",
    "cancelled": "The run was cancelled before this photo was done",
}


def describe_error(name: str, error: Any) -> tuple[str, str]:
    """(title, sentence) for a record's `error` {kind, message}."""
    kind = str(error.get("kind", "")) if isinstance(error, dict) else ""
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error or "")
    title = ERROR_TITLES.get(kind, "This photo could not be inspected")
    if not message:
        return title, f"No details were recorded ({kind or 'unknown error'})."
    # Core messages are predicates about the photo ("cannot be read: …"): give them their subject.
    sentence = f"{name} {message}" if message[:1].islower() else message
    return title, sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def bold(label: QLabel) -> None:
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)


class ErrorBanner(QFrame):
    retryClicked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(12)
        self.icon = QLabel(self)
        self.icon.setPixmap(icon("error").pixmap(22, 22))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel(self)
        self.title.setProperty("role", "section")
        bold(self.title)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(self.title)
        text.addWidget(self.message)
        self.retry = QPushButton(icon("retry"), "Retry", self)
        self.retry.setToolTip("Send this photo to Isaac again (R)")
        self.retry.clicked.connect(self.retryClicked)
        layout.addWidget(self.icon)
        layout.addLayout(text, 1)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignVCenter)
        self.apply_colours()

    def apply_colours(self) -> None:
        c = theme.colours()
        self.setStyleSheet(
            f"QFrame#errorBanner {{ background: {c.danger_soft}; border: 1px solid {c.danger};"
            f" border-radius: 8px; }} QFrame#errorBanner QLabel {{ background: transparent; }}"
        )
