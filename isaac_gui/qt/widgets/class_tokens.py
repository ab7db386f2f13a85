"""The classes entry: each defect class a chip, typed with Enter or a comma, recent sets one click away."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QMenu, QSizePolicy, QToolButton, QWidget

from isaac_gui.core.palette import class_colour, text_colour_on
from isaac_gui.core.run_config import parse_classes


class _Chip(QToolButton):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setText(f"{name}  ×")
        self.setToolTip(f"Remove “{name}”")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_colour(self, colour: tuple[int, int, int]) -> None:
        r, g, b = colour
        fr, fg, fb = text_colour_on(colour)
        self.setStyleSheet(
            f"QToolButton {{ background: rgb({r},{g},{b}); color: rgb({fr},{fg},{fb}); border: none;"
            f" border-radius: 9px; padding: 1px 8px; font-weight: 600; }}"
            f"QToolButton:hover {{ background: rgba({r},{g},{b},200); }}"
        )


class ClassTokenEdit(QFrame):
    """`classes()` are the chips plus whatever is typed and not yet committed."""

    changed = Signal()
    submitted = Signal()  # Enter on an empty entry (with chips): run

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tokens")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._chips: list[_Chip] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(5, 3, 3, 3)
        self._layout.setSpacing(4)
        self.entry = QLineEdit(self)
        self.entry.setFrame(False)
        self.entry.setAcceptDrops(False)  # a dropped folder opens it; it is not typed here
        self.entry.setPlaceholderText("Defects to find: type a class, press Enter")
        self.entry.setStyleSheet("QLineEdit { border: none; background: transparent; padding: 2px; }")
        self.entry.installEventFilter(self)
        self.entry.textEdited.connect(self._on_edited)
        self.entry.returnPressed.connect(self._on_return)
        self._layout.addWidget(self.entry, 1)
        self.recent_button = QToolButton(self)
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("Class sets used before")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_button.setMenu(QMenu(self.recent_button))
        self.recent_button.setEnabled(False)
        self._layout.addWidget(self.recent_button)

    def sizeHint(self) -> QSize:
        return QSize(420, super().sizeHint().height())

    # -- reading and writing ----------------------------------------------------------------
    def classes(self) -> tuple[str, ...]:
        return parse_classes(", ".join([c.name for c in self._chips] + [self.entry.text()]))

    def set_classes(self, classes: Sequence[str]) -> None:
        for chip in self._chips:
            chip.hide()
            chip.deleteLater()
        self._chips = []
        self.entry.clear()
        for name in parse_classes(", ".join(classes)):
            self._add_chip(name)
        self._recolour()
        self.changed.emit()

    def set_recent(self, class_sets: Sequence[str]) -> None:
        menu = self.recent_button.menu()
        menu.clear()
        for text in class_sets:
            action = menu.addAction(text)
            action.triggered.connect(lambda _checked=False, t=text: self.set_classes(parse_classes(t)))
        self.recent_button.setEnabled(bool(class_sets))

    def commit(self) -> None:
        """Turn what is typed into chips."""
        typed = parse_classes(self.entry.text())
        if not typed:
            return
        known = {c.name.casefold() for c in self._chips}
        for name in typed:
            if name.casefold() not in known:
                self._add_chip(name)
        self.entry.clear()
        self._recolour()
        self.changed.emit()

    # -- internals --------------------------------------------------------------------------
    def _add_chip(self, name: str) -> None:
        chip = _Chip(name, self)
        chip.clicked.connect(lambda _checked=False, c=chip: self._remove(c))
        self._layout.insertWidget(len(self._chips), chip)
        self._chips.append(chip)

    def _remove(self, chip: _Chip) -> None:
        self._chips.remove(chip)
        chip.hide()
        chip.deleteLater()
        self._recolour()
        self.changed.emit()

    def _recolour(self) -> None:
        names = [c.name for c in self._chips]
        for chip in self._chips:
            chip.set_colour(class_colour(names, chip.name))

    def _on_edited(self, text: str) -> None:
        if "," in text:
            self.commit()
        self.changed.emit()

    def _on_return(self) -> None:
        if self.entry.text().strip():
            self.commit()
        elif self._chips:
            self.submitted.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.entry
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Backspace
            and not self.entry.text()
            and self._chips
        ):
            self._remove(self._chips[-1])
            return True
        return super().eventFilter(watched, event)
