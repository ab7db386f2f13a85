"""Above the grid: all / with defects / without / errors (with counts), and the search field."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from isaac_gui.qt.photos.filter_model import VERDICT_FILTERS, Show
from isaac_gui.qt.photos.model import Counts

_LABELS = {Show.ALL: "All", Show.DEFECTS: "With defects", Show.CLEAN: "No defects", Show.ERRORS: "Errors"}


_VERDICT_LABELS = {
    "": "Any verdict",
    "pass": "Pass",
    "fail": "Fail",
    "hold": "Hold",
    "undecided": "Undecided",
    "overridden": "Overridden",
}


class FilterBar(QWidget):
    filterChanged = Signal(str, str)  # Show, search text
    reviewFilterChanged = Signal(str, str)  # verdict (one of VERDICT_FILTERS), class ("" any)

    def __init__(self, parent: QWidget | None = None, *, debounce_ms: int = 150) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 6)
        layout.setSpacing(4)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[Show, QToolButton] = {}
        for show, label in _LABELS.items():
            button = QToolButton(self)
            button.setText(label)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setProperty("show", show.value)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            self.group.addButton(button)
            self.buttons[show] = button
            layout.addWidget(button)
        self.buttons[Show.ALL].setChecked(True)
        self.group.buttonClicked.connect(lambda _b: self._emit())
        layout.addSpacing(8)
        self.verdict = QComboBox(self)
        self.verdict.setAccessibleName("Verdict filter")
        for value in VERDICT_FILTERS:
            self.verdict.addItem(_VERDICT_LABELS[value], value)
        self.verdict.setToolTip("Show the photos with this verdict")
        self.verdict.currentIndexChanged.connect(lambda _i: self._emit_review())
        layout.addWidget(self.verdict)
        self.klass = QComboBox(self)
        self.klass.setAccessibleName("Class filter")
        self.klass.setToolTip("Show the photos with a box of this class")
        self.klass.addItem("Any class", "")
        self.klass.currentIndexChanged.connect(lambda _i: self._emit_review())
        layout.addWidget(self.klass)
        self._commands = QHBoxLayout()
        self._commands.setSpacing(4)
        layout.addLayout(self._commands)
        layout.addStretch(1)
        self.summary = QLabel(self)
        self.summary.setProperty("role", "muted")
        layout.addWidget(self.summary)
        layout.addSpacing(8)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search file names and classes")
        self.search.setClearButtonEnabled(True)
        self.search.setFixedWidth(260)
        self.search.setAcceptDrops(False)
        layout.addWidget(self.search)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._debounce.start())

    def show_mode(self) -> Show:
        for show, button in self.buttons.items():
            if button.isChecked():
                return show
        return Show.ALL

    def set_show(self, show: Show) -> None:
        self.buttons[show].setChecked(True)
        self._emit()

    def reset(self) -> None:
        self.buttons[Show.ALL].setChecked(True)
        for combo in (self.verdict, self.klass):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._emit_review()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._debounce.stop()
        self._emit()

    def add_command(self, action: QAction) -> QToolButton:
        """A button for one of the window's commands about what the grid shows (e.g. the review summary)."""
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        self._commands.addWidget(button)
        return button

    def set_classes(self, classes: Sequence[str]) -> None:
        """The class filter's choices: the classes of the run (the current choice kept if still there)."""
        current = self.klass.currentData() or ""
        self.klass.blockSignals(True)
        self.klass.clear()
        self.klass.addItem("Any class", "")
        for name in classes:
            self.klass.addItem(name, name)
        at = self.klass.findData(current)
        self.klass.setCurrentIndex(max(at, 0))
        self.klass.blockSignals(False)
        if at < 0 and current:
            self._emit_review()

    def set_verdict_filter(self, verdict: str) -> None:
        self.verdict.setCurrentIndex(max(self.verdict.findData(verdict), 0))

    def _emit_review(self) -> None:
        self.reviewFilterChanged.emit(self.verdict.currentData() or "", self.klass.currentData() or "")

    def set_counts(self, counts: Counts, shown: int) -> None:
        values = {
            Show.ALL: counts.total,
            Show.DEFECTS: counts.defects,
            Show.CLEAN: counts.clean,
            Show.ERRORS: counts.errors,
        }
        for show, button in self.buttons.items():
            button.setText(f"{_LABELS[show]}  {values[show]:,}")
        filtered = shown != counts.total
        self.summary.setText(f"{shown:,} shown" if filtered else "")

    def _emit(self) -> None:
        self._debounce.stop()
        self.filterChanged.emit(self.show_mode().value, self.search.text())
