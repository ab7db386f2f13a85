"""The grid and, on demand, the photo viewer in one stack: Enter or a double-click opens a photo,
the arrow keys step through the photos the filter shows, Escape goes back to the grid."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget

from isaac_gui.qt.photos.filter_model import PhotoFilterModel
from isaac_gui.qt.photos.grid import PhotoGrid


class ViewerPane(QObject):
    retryRequested = Signal(str)  # rel
    viewerMade = Signal(object)  # the PhotoViewer, built on first use
    photoShown = Signal(str)  # rel of the photo the viewer now shows

    def __init__(
        self,
        stack: QStackedWidget,
        grid: PhotoGrid,
        classes: Callable[[], Sequence[str]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.stack = stack
        self.grid = grid
        self.model: PhotoFilterModel = grid.photo_model()
        self._classes = classes
        self.viewer: Any = None
        self._source_row: int | None = None
        grid.openRequested.connect(self.open)
        self.model.source.rowsUpdated.connect(self._on_rows_updated)

    @property
    def showing(self) -> bool:
        return self.viewer is not None and self.stack.currentWidget() is self.viewer

    def _make_viewer(self) -> Any:
        from isaac_gui.qt.viewer.widget import PhotoViewer  # noqa: PLC0415 - built on first use

        viewer = PhotoViewer(self.stack)
        viewer.previousRequested.connect(self.previous)
        viewer.nextRequested.connect(self.next)
        viewer.closed.connect(self.close)
        viewer.retryRequested.connect(self.retryRequested)
        viewer.loaded.connect(lambda _path: self._prefetch_neighbours())
        self.stack.addWidget(viewer)
        self.viewerMade.emit(viewer)
        return viewer

    def current_rel(self) -> str | None:
        """The photo in the viewer, while it is showing."""
        if not self.showing or self._source_row is None:
            return None
        return self.model.source.row_at(self._source_row).rel

    def next_where(self, accepts: Callable[[Any], bool], *, from_current: bool = False) -> bool:
        """Open the next photo after the current one (or from it, with `from_current`), wrapping
        round, whose row `accepts`; False if none."""
        count = self.model.rowCount()
        start = self.grid.currentIndex().row() - (1 if from_current else 0)
        for step in range(1, count + 1):
            row = (start + step) % count
            if accepts(self.model.row_at(row)):
                self.open(row)
                return True
        return False

    def open(self, view_row: int) -> None:
        if not 0 <= view_row < self.model.rowCount() or self.model.source.root is None:
            return
        if self.viewer is None:
            self.viewer = self._make_viewer()
        self.grid.select_view_row(view_row)
        self._source_row = self.model.source_row(view_row)
        self._show(self._source_row)
        self.stack.setCurrentWidget(self.viewer)
        self.viewer.setFocus()

    def _show(self, source_row: int, *, announce: bool = True) -> None:
        row = self.model.source.row_at(source_row)
        self.viewer.show_photo(self.model.source.path_of(row), row.record(), self._classes())
        view_row = self.model.view_row(source_row)
        self.viewer.set_position((view_row or 0) + 1, self.model.rowCount())
        if announce:
            self.photoShown.emit(row.rel)

    def _prefetch_neighbours(self) -> None:
        """Once the photo is sharp: the next one, then the previous one, decoded ahead."""
        at = self.grid.currentIndex().row()
        rows = [r for r in (at + 1, at - 1) if 0 <= r < self.model.rowCount()]
        self.viewer.prefetch([self.model.source.path_of(self.model.row_at(r)) for r in rows])

    def previous(self) -> None:
        self._step(-1)

    def next(self) -> None:
        self._step(+1)

    def _step(self, delta: int) -> None:
        target = self.grid.currentIndex().row() + delta
        if 0 <= target < self.model.rowCount():
            self.open(target)

    def close(self) -> None:
        if self.showing:
            self.stack.setCurrentWidget(self.grid)
            self.grid.setFocus()

    def _on_rows_updated(self, changed: list[int]) -> None:
        """The photo on screen got its result (or was retried): show it without reloading the pixels."""
        if self.showing and self._source_row is not None and self._source_row in set(changed):
            self._show(self._source_row, announce=False)

    def shutdown(self) -> None:
        if self.viewer is not None:
            self.viewer.close()
