"""Ask a selection again: the classes (chips, as in the run bar) and the model, then Run.

Enter in the classes entry adds a class; Enter on an empty entry, or Ctrl+Enter anywhere, runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from isaac_gui.qt.widgets.class_tokens import ClassTokenEdit


class RerunDialog(QDialog):
    def __init__(self, count: int, classes: Sequence[str], model: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Re-run selection")
        intro = QLabel(
            f"Ask the {count:,} selected photo{'s' if count != 1 else ''} again. Their earlier answers "
            "and the corrections made on them are kept; the other photos keep theirs.",
            self,
        )
        intro.setWordWrap(True)
        self.class_edit = ClassTokenEdit(self)
        self.class_edit.set_classes(classes)
        self.class_edit.setAccessibleName("Classes to look for")
        self.model_edit = QLineEdit(model, self)
        self.model_edit.setPlaceholderText("the model in Settings")
        self.model_edit.setAccessibleName("Model")
        form = QFormLayout()
        form.addRow("Look for", self.class_edit)
        form.addRow("Model", self.model_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.run_button = buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._run)
        buttons.rejected.connect(self.reject)
        self.class_edit.submitted.connect(self._run)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self._run)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())
        self.class_edit.setFocus()

    def classes(self) -> tuple[str, ...]:
        return self.class_edit.classes()

    def model(self) -> str:
        return self.model_edit.text().strip()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter belongs to the entries (a chip, or run when the classes entry is empty), never to
        # the button box's default button, which would run with what is half typed.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            if self.model_edit.hasFocus():
                self._run()
            return
        super().keyPressEvent(event)

    def _run(self) -> None:
        self.class_edit.commit()
        if self.classes():
            self.accept()
