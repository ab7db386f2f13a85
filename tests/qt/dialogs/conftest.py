"""Dialogs in the app's theme, restored after each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QStyleFactory

from isaac_gui.qt.style import theme


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
