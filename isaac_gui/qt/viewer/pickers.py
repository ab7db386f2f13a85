"""Small keyboard-first choosers: the reason for an override, the class of a box, the key sheet.

Each opens under the photo and takes one key: a digit picks the numbered line, Enter the highlighted
one (or the typed text), Escape cancels. So an override costs two keys (F, then 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)


class NumberedChoice(QDialog):
    """A numbered list and, if `free_text`, a line for anything else; `.choice` after exec()."""

    def __init__(
        self,
        title: str,
        prompt: str,
        options: Sequence[str],
        parent: QWidget | None = None,
        *,
        free_text: str | None = None,
        current: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.choice: str | None = None
        self.options = list(options)
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setAccessibleName(title)
        for number, text in enumerate(self.options, start=1):
            item = QListWidgetItem(f"{number}   {text}" if number <= 9 else f"     {text}")
            item.setData(Qt.ItemDataRole.UserRole, text)
            self.list.addItem(item)
        if self.options:
            start = self.options.index(current) if current in self.options else 0
            self.list.setCurrentRow(start)
        self.list.itemActivated.connect(self._take_item)
        self.list.installEventFilter(self)  # the list has the focus and would take digits for a search
        self.list.setMinimumHeight(min(len(self.options), 9) * 24 + 8)
        self.text: QLineEdit | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.list)
        if free_text is not None:
            self.text = QLineEdit(self)
            self.text.setPlaceholderText(free_text)
            self.text.setAccessibleName(free_text)
            self.text.returnPressed.connect(self._take_text)
            layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        key = watched is self.list and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
        if key and self._picked_by_key(event):  # type: ignore[arg-type]
            return True
        return super().eventFilter(watched, event)

    def _picked_by_key(self, event: QKeyEvent) -> bool:
        """A digit picks its line; another printable key starts the free text. True when taken."""
        digit = event.key() - Qt.Key.Key_1
        if (
            0 <= digit < min(len(self.options), 9)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self._choose(self.options[digit])
            return True
        if self.text is not None and event.text().isprintable() and event.text().strip():
            self.text.setFocus()
            self.text.insert(event.text())
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typing = self.text is not None and self.text.hasFocus()
        if not typing and self._picked_by_key(event):
            return
        super().keyPressEvent(event)

    def _take_item(self, item: QListWidgetItem) -> None:
        self._choose(str(item.data(Qt.ItemDataRole.UserRole)))

    def _take_text(self) -> None:
        assert self.text is not None
        if self.text.text().strip():
            self._choose(" ".join(self.text.text().split()))
        elif self.list.currentItem() is not None:
            self._take_item(self.list.currentItem())

    def _choose(self, text: str) -> None:
        self.choice = text
        self.accept()


def ask_reason(verdict: str, reasons: Sequence[str], parent: QWidget | None) -> str | None:
    dialog = NumberedChoice(
        f"Why {verdict}?",
        f"The rules propose otherwise. Why is this part a {verdict}? (a digit, or type a reason)",
        reasons,
        parent,
        free_text="Another reason…",
    )
    try:
        return dialog.choice if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


def ask_class(classes: Sequence[str], parent: QWidget | None, current: str | None = None) -> str | None:
    dialog = NumberedChoice(
        "Class of the box",
        "Which defect is it? (a digit, or type a class)",
        classes,
        parent,
        free_text="Another class…",
        current=current,
    )
    try:
        return dialog.choice if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Move",
        (
            ("← → or J K", "previous / next photo"),
            ("N", "next photo without a verdict"),
            ("Esc", "deselect, stop drawing, back to the grid"),
        ),
    ),
    (
        "Decide",
        (
            ("Enter", "confirm the proposed verdict"),
            ("P  F  H", "pass, fail, hold (asks why when it overrides)"),
            ("Ctrl+Z", "undo"),
            ("Ctrl+Shift+Z, Ctrl+Y", "redo"),
        ),
    ),
    (
        "Boxes",
        (
            ("Tab / Shift+Tab", "select the next / previous box"),
            ("A", "accept the selected box"),
            ("Delete", "reject the selected box (again: restore it)"),
            ("B", "draw a box, then pick its class"),
            ("C", "change the selected box's class"),
            ("drag", "move a selected box, or pull its edges"),
        ),
    ),
    (
        "See",
        (
            ("Space", "hide / show the boxes"),
            ("Z", "zoom to the selected box"),
            ("0, Ctrl+0", "fit"),
            ("1", "actual size"),
            ("+  −", "zoom"),
            ("R", "retry a failed photo"),
            ("?", "this sheet"),
        ),
    ),
)


class KeySheet(QDialog):
    """`?`: every key of the viewer, grouped by what it is for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keys")
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(18)
        row = 0
        for group, keys in KEYS:
            heading = QLabel(f"<b>{group}</b>", self)
            grid.addWidget(heading, row, 0, 1, 2)
            row += 1
            for key, what in keys:
                grid.addWidget(QLabel(f"<code>{key}</code>", self), row, 0)
                grid.addWidget(QLabel(what, self), row, 1)
                row += 1
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, row, 0, 1, 2)
