"""Above the grid: all / with defects / without / errors (with counts), and the search field."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from isaac_gui.qt.photos.filter_model import Show
from isaac_gui.qt.photos.model import Counts

_LABELS = {Show.ALL: "All", Show.DEFECTS: "With defects", Show.CLEAN: "No defects", Show.ERRORS: "Errors"}


class FilterBar(QWidget):
    filterChanged = Signal(str, str)  # Show, search text

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
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._debounce.stop()
        self._emit()

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
