"""What the dialog tests share: screenshots on request, the keychain, the texts a user sees."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
from PySide6.QtWidgets import QLabel, QLineEdit

from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER

SECRET = "sk-test-4b1d-never-in-a-file"


def shoot(widget: Any, name: str) -> None:
    folder = os.environ.get("ISAAC_GUI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def saved_key() -> str | None:
    return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)


def visible_texts(widget: Any) -> str:
    labels = [label.text() for label in widget.findChildren(QLabel)]
    edits = [edit.text() + edit.placeholderText() for edit in widget.findChildren(QLineEdit)]
    return "\n".join(labels + edits)
