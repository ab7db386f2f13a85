"""The header: the folder, the classes, the model, and Run / Pause-Resume / Cancel."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton, QToolButton, QWidget

from isaac_gui.core.run_config import DEFAULT_MODEL
from isaac_gui.qt.run.controller import RunState
from isaac_gui.qt.shell.actions import Actions
from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon
from isaac_gui.qt.widgets.class_tokens import ClassTokenEdit


class RunBar(QWidget):
    recentFolderChosen = Signal(str)

    def __init__(self, commands: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runBar")
        self.commands = commands
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)

        self.folder_button = QToolButton(self)
        self.folder_button.setDefaultAction(commands.open_folder)
        self.folder_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.folder_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.recent_menu = QMenu("Recent folders", self)
        self.folder_button.setMenu(self.recent_menu)
        self.folder_button.setMaximumWidth(260)
        layout.addWidget(self.folder_button)

        self.classes = ClassTokenEdit(self)
        layout.addWidget(self.classes, 1)

        model_label = QLabel("Model", self)
        model_label.setProperty("role", "muted")
        layout.addWidget(model_label)
        self.model_edit = QLineEdit(self)
        self.model_edit.setPlaceholderText(DEFAULT_MODEL)
        self.model_edit.setFixedWidth(130)
        self.model_edit.setAcceptDrops(False)
        self.model_edit.setToolTip(
            f"The Isaac model to ask (empty: $PERCEPTRON_MODEL, settings, else {DEFAULT_MODEL})"
        )
        layout.addWidget(self.model_edit)

        self.run_button = self._button(commands.run, primary=True)
        self.pause_button = self._button(commands.pause)
        self.cancel_button = self._button(commands.cancel)
        for button in (self.run_button, self.pause_button, self.cancel_button):
            layout.addWidget(button)
        commands.pause.changed.connect(self._sync_pause)
        self.set_state(RunState.IDLE)

    def _button(self, action: QAction, *, primary: bool = False) -> QPushButton:
        button = QPushButton(action.icon(), action.text().replace("&", ""), self)
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        button.setEnabled(action.isEnabled())
        action.enabledChanged.connect(button.setEnabled)
        if primary:
            button.setProperty("primary", True)
        return button

    def _sync_pause(self) -> None:
        action = self.commands.pause
        self.pause_button.setText(action.text().replace("&", ""))
        self.pause_button.setIcon(action.icon())
        self.pause_button.setToolTip(action.toolTip())

    def set_state(self, state: RunState) -> None:
        idle = state is RunState.IDLE
        self.classes.setEnabled(idle)
        self.model_edit.setEnabled(idle)
        self.run_button.setText("Stopping…" if state is RunState.STOPPING else "Run")
        theme.repolish(self.run_button)

    def set_folder(self, folder: Path | None) -> None:
        self.commands.open_folder.setText(folder.name if folder is not None else "Open folder…")
        self.commands.open_folder.setToolTip(
            f"{folder}\nOpen another folder (Ctrl+O)"
            if folder is not None
            else "Open a folder of photos (Ctrl+O)"
        )
        self.folder_button.setIcon(icon("folder" if folder is not None else "open-folder"))

    def set_recent_folders(self, folders: Sequence[str]) -> None:
        self.recent_menu.clear()
        for folder in folders:
            action = self.recent_menu.addAction(folder)
            action.triggered.connect(lambda _checked=False, f=folder: self.recentFolderChosen.emit(f))
        if not folders:
            self.recent_menu.addAction("No recent folders").setEnabled(False)

    def model_name(self) -> str:
        return self.model_edit.text().strip()
