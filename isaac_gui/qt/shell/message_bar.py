"""A quiet banner at the top of the window: what happened, in words, and the action that fixes it.

Never modal: a run that stopped (bad key, quota) says so once here, with e.g. "Open Settings".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon

_KINDS = {
    "error": ("danger", "danger_soft", "error"),
    "warning": ("warning", "surface", "warning"),
    "info": ("accent", "accent_soft", "info"),
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        self.icon = QLabel(self)
        layout.addWidget(self.icon)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text, 1)
        self.action_button = QPushButton(self)
        self.action_button.setProperty("primary", True)
        self.action_button.clicked.connect(self._on_action)
        layout.addWidget(self.action_button)
        self.close_button = QToolButton(self)
        self.close_button.setIcon(icon("close"))
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button)
        self._action: Callable[[], None] | None = None
        self.kind = ""
        self.hide()

    def show_message(
        self,
        text: str,
        *,
        kind: str = "error",
        action: str | None = None,
        on_action: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        border, background, icon_name = _KINDS.get(kind, _KINDS["info"])
        c = theme.colours()
        self.setStyleSheet(
            f"QFrame#messageBar {{ background: {getattr(c, background)}; border: none;"
            f" border-bottom: 1px solid {getattr(c, border)}; }}"
        )
        self.icon.setPixmap(icon(icon_name).pixmap(20, 20))
        self.text.setText(text)
        self._action = on_action
        self.action_button.setVisible(bool(action and on_action))
        self.action_button.setText(action or "")
        self.show()

    def dismiss(self) -> None:
        self._action = None
        self.hide()

    def _on_action(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()
