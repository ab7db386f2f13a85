"""The thumbnail grid: a `QListView` over the photo models, painted by one thin delegate.

No widget per photo. Uniform item sizes and batched layout keep 100,000 rows cheap to lay out;
the delegate paints each visible cell from the row object and the thumbnail cache only (no
`data()` round trips), so a full repaint costs a few milliseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from isaac_gui.core.geometry import fit_within
from isaac_gui.core.palette import class_colour
from isaac_gui.qt.photos.filter_model import PhotoFilterModel
from isaac_gui.qt.photos.model import PhotoRow, PhotoState
from isaac_gui.qt.photos.thumbnails import THUMB_H, THUMB_W, ThumbKey, ThumbnailCache

PAD = 8
NAME_H = 20
NAME_CACHE = 2000  # file names kept drawn (~14 KB each): many screens' worth
MIN_GAP = 8  # between cells
CELL = QSize(THUMB_W + 2 * PAD, PAD + THUMB_H + NAME_H + PAD // 2)

BADGE_COLOURS = {
    PhotoState.QUEUED: "#64748b",
    PhotoState.RUNNING: "#2563eb",
    PhotoState.RETRYING: "#7c3aed",
    PhotoState.ERROR: "#dc2626",
}
DEFECTS_COLOUR = "#ea580c"
CLEAN_COLOUR = "#15803d"
VERDICT_COLOURS = {"pass": "#15803d", "fail": "#b91c1c", "hold": "#a16207"}


class PhotoDelegate(QStyledItemDelegate):
    """Paints a cell: thumbnail (or placeholder), boxes scaled to it, a state badge, the file name."""

    def __init__(self, cache: ThumbnailCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.classes: tuple[str, ...] = ()
        # the last paint event's cells: (view row, thumbnail key, thumbnail drawn)
        self.painted: list[tuple[int, ThumbKey | None, bool]] = []
        self._pens: dict[str, QPen] = {}
        self._names: OrderedDict[str, QImage] = OrderedDict()  # rel -> its name, drawn
        self._badges: dict[tuple[str, int], QImage] = {}
        self._root: Path | None = None
        self._root_text = ""
        self._colours = {state: QColor(c) for state, c in BADGE_COLOURS.items()}
        self._defects = QColor(DEFECTS_COLOUR)
        self._clean = QColor(CLEAN_COLOUR)
        self._verdict_colours = {v: QColor(c) for v, c in VERDICT_COLOURS.items()}
        self._badge_font = QFont()
        self._badge_font.setPointSizeF(max(self._badge_font.pointSizeF() * 0.82, 7.0))
        self._badge_font.setBold(True)
        self._badge_metrics = QFontMetrics(self._badge_font)

    def set_classes(self, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        self._pens.clear()
        self.forget_cells()

    def forget_cells(self) -> None:
        """Draw every cell afresh (classes, palette or font changed)."""
        self._names.clear()
        self._badges.clear()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def thumb_key(self, row: PhotoRow, model: PhotoFilterModel) -> ThumbKey | None:
        root = model.source.root
        if root is None:
            return None
        if root is not self._root:
            self._root, self._root_text = root, str(root)
        return ThumbKey(f"{self._root_text}/{row.rel}", row.size, row.mtime_ns)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        model = index.model()
        if isinstance(model, PhotoFilterModel):
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            self.paint_cell(
                painter, option.rect, model, index.row(), selected, option.palette, option.fontMetrics
            )

    def paint_cell(
        self,
        painter: QPainter,
        rect: QRect,
        model: PhotoFilterModel,
        view_row: int,
        selected: bool,
        palette: QPalette,
        metrics: QFontMetrics,
    ) -> None:
        """A handful of calls per cell: the slow parts (text) come from images drawn once."""
        row = model.row_at(view_row)
        key = self.thumb_key(row, model)
        image = self.cache.get(key) if key is not None else None
        self.painted.append((view_row, key, image is not None))
        x0 = rect.x() + max((rect.width() - CELL.width()) // 2, 0)  # cells are centred in their grid slot
        y0 = rect.y()
        if selected:
            card = QRect(x0 + 1, y0 + 1, CELL.width() - 2, CELL.height() - 2)
            painter.fillRect(card, self._selection_fill(palette))
            painter.setPen(self._selection_pen(palette))
            painter.drawRect(card.adjusted(1, 1, -1, -1))
        thumb = QRect(x0 + PAD, y0 + PAD, THUMB_W, THUMB_H)
        painter.fillRect(thumb, palette.color(QPalette.ColorRole.AlternateBase))
        if image is not None:
            photo = QRect(0, 0, image.width(), image.height())
            photo.moveCenter(thumb.center())
            painter.drawImage(photo.topLeft(), image)
        else:
            photo = self._placeholder(painter, thumb, row, key, palette)
        if row.state is PhotoState.OK and row.boxes and row.width and photo.width() > 0:
            self._paint_boxes(painter, photo, row)
        badge = self._badge(row)
        if badge is not None:
            painter.drawImage(thumb.x() + 5, thumb.y() + 5, badge)
        if row.verdict:
            mark = self._verdict_badge(row)
            painter.drawImage(thumb.right() - mark.width() - 4, thumb.y() + 5, mark)
        painter.drawImage(x0 + PAD, thumb.bottom() + 3, self._name(row, palette, metrics))

    def _name(self, row: PhotoRow, palette: QPalette, metrics: QFontMetrics) -> QImage:
        """The file name, elided, as an image drawn once per photo (text layout is the costly part)."""
        name = self._names.get(row.rel)
        if name is not None:
            self._names.move_to_end(row.rel)
            return name
        name = QImage(THUMB_W, NAME_H, QImage.Format.Format_ARGB32_Premultiplied)
        name.fill(Qt.GlobalColor.transparent)
        painter = QPainter(name)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            QRect(0, 0, THUMB_W, NAME_H),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(row.name, Qt.TextElideMode.ElideMiddle, THUMB_W),
        )
        painter.end()
        self._names[row.rel] = name
        while len(self._names) > NAME_CACHE:
            self._names.popitem(last=False)
        return name

    def _selection_fill(self, palette: QPalette) -> QColor:
        tint = QColor(palette.color(QPalette.ColorRole.Highlight))
        tint.setAlpha(70)
        return tint

    def _selection_pen(self, palette: QPalette) -> QPen:
        return QPen(palette.color(QPalette.ColorRole.Highlight), 2)

    def _placeholder(
        self, painter: QPainter, thumb: QRect, row: PhotoRow, key: ThumbKey | None, palette: QPalette
    ) -> QRect:
        """Where the photo will be (its aspect ratio when known), and a hint of what is coming."""
        if row.width and row.height:
            w, h = fit_within(row.width, row.height, max(THUMB_W, THUMB_H))
            scale = min(THUMB_W / w, THUMB_H / h, 1.0)
            target = QRect(0, 0, int(w * scale), int(h * scale))
        else:
            target = QRect(0, 0, THUMB_W, THUMB_H)
        target.moveCenter(thumb.center())
        painter.fillRect(target, palette.color(QPalette.ColorRole.Midlight))
        if key is not None and self.cache.failed(key):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(thumb, Qt.AlignmentFlag.AlignCenter, "No preview")
        return target

    def _pen(self, mention: str) -> QPen:
        pen = self._pens.get(mention)
        if pen is None:
            pen = QPen(QColor(*class_colour(self.classes, mention)), 2)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            self._pens[mention] = pen
        return pen

    def _paint_boxes(self, painter: QPainter, target: QRect, row: PhotoRow) -> None:
        factor = target.width() / row.width
        ox, oy = target.x(), target.y()
        painter.save()
        painter.setClipRect(target, Qt.ClipOperation.IntersectClip)
        for box in row.boxes:
            x1, y1, x2, y2 = box.scaled(factor)
            painter.setPen(self._pen(box.mention))
            left, top = ox + int(x1), oy + int(y1)
            painter.drawRect(left, top, max(int(x2) - int(x1) - 1, 1), max(int(y2) - int(y1) - 1, 1))
        painter.restore()

    def _verdict_badge(self, row: PhotoRow) -> QImage:
        """PASS / FAIL / HOLD at the top right; a pencil mark when it overrides the rules' proposal."""
        colour = self._verdict_colours[row.verdict]
        return self._pill(row.verdict.upper() + (" \u270e" if row.overridden else ""), colour)

    def _badge(self, row: PhotoRow) -> QImage | None:
        """The state badge ("Queued", "3 defects", ...): a handful of distinct images, drawn once each."""
        text = row.describe()
        if not text:
            return None
        if row.state is PhotoState.OK:
            colour = self._defects if row.boxes else self._clean
        else:
            colour = self._colours[row.state]
        return self._pill(text, colour)

    def _pill(self, text: str, colour: QColor) -> QImage:
        badge = self._badges.get((text, colour.rgb()))
        if badge is None:
            width = self._badge_metrics.horizontalAdvance(text) + 12
            height = self._badge_metrics.height() + 4
            badge = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
            badge.fill(Qt.GlobalColor.transparent)
            painter = QPainter(badge)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRect(0, 0, width, height), height / 2, height / 2)
            painter.setFont(self._badge_font)
            painter.setPen(QColor("white"))
            painter.drawText(QRect(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
            self._badges[(text, colour.rgb())] = badge
        return badge


class PhotoGrid(QListView):
    """Icon-mode list of photos. `openRequested(view_row)` on double-click or Enter; P, F or H
    ask for that verdict on the selected photos (`verdictRequested`); N opens the next photo
    without a verdict in the viewer (`nextUndecidedRequested`)."""

    openRequested = Signal(int)
    verdictRequested = Signal(str)  # pass, fail or hold, for `selected_rows()`
    nextUndecidedRequested = Signal()  # N: review the next photo without a verdict

    def __init__(self, model: PhotoFilterModel, cache: ThumbnailCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.photo_delegate = PhotoDelegate(cache, self)
        self.setItemDelegate(self.photo_delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        # Items laid out per turn of the event loop. Each costs a call into Python (`rowCount`), and
        # beside a busy thread each call waits for the GIL: while 100,000 rows listed, batches of 200
        # stalled the window up to 58-79 ms, batches of 50 up to 40-56 ms (3 interleaved runs each).
        self.setBatchSize(50)
        self.setSpacing(6)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(CELL.height() // 3)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)  # drops go to the window
        self._shown: tuple[int, int] | None = None  # view rows painted since the last full paint
        self._columns = 1  # cells per line, as `resizeEvent` sized the grid
        self.setModel(model)
        model.modelReset.connect(self._forget_shown)
        self.empty_title = "Drop a folder of photos here"
        self.empty_hint = "or press Ctrl+O to choose one"
        self.doubleClicked.connect(lambda index: self.openRequested.emit(index.row()))
        cache.thumbnailsReady.connect(self._on_thumbnails)

    def photo_model(self) -> PhotoFilterModel:
        model = self.model()
        assert isinstance(model, PhotoFilterModel)
        return model

    def set_classes(self, classes: Sequence[str]) -> None:
        self.photo_delegate.set_classes(classes)
        self.viewport().update()

    def selected_rows(self) -> list[PhotoRow]:
        model = self.photo_model()
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return [model.row_at(r) for r in rows]

    def select_view_row(self, row: int) -> None:
        index = self.photo_model().index(row)
        self.setCurrentIndex(index)
        self.scrollTo(index)

    def _on_thumbnails(self, _keys: object) -> None:
        self.viewport().update()

    def dataChanged(
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        """Repaint when a changed row may be on screen, and do nothing else.

        While a run streams, rows change tens of times a second, mostly off screen. Qt's own
        handler repaints the whole viewport for any range, and in icon mode first walks the range
        row by row (a Python `rowCount` each, every one waiting in line for the GIL behind any
        busy thread). Cells have one size, so there is nothing to lay out again."""
        if self.may_show(top_left.row(), bottom_right.row()):
            self.viewport().update()

    def may_show(self, top: int, bottom: int) -> bool:
        """Whether a view row in top..bottom may be on screen (False only when surely not)."""
        shown = self._shown
        return shown is None or (top <= shown[1] and bottom >= shown[0])

    def _forget_shown(self) -> None:
        self._shown = None

    def rowsInserted(self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int) -> None:
        self._shown = None
        super().rowsInserted(parent, start, end)

    def rowsAboutToBeRemoved(self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int) -> None:
        self._shown = None
        super().rowsAboutToBeRemoved(parent, start, end)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.photo_delegate.forget_cells()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex().row())
            return
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        verdict = {Qt.Key.Key_P: "pass", Qt.Key.Key_F: "fail", Qt.Key.Key_H: "hold"}.get(Qt.Key(event.key()))
        if verdict and plain and self.selectionModel().hasSelection():
            self.verdictRequested.emit(verdict)
            return
        if event.key() == Qt.Key.Key_N and plain:
            self.nextUndecidedRequested.emit()
            return
        super().keyPressEvent(event)

    def visible_view_rows(self) -> list[int]:
        """The rows with a cell on screen now."""
        grid = self.gridSize() if self.gridSize().isValid() else CELL
        area = self.viewport().rect()
        rows: set[int] = set()
        for y in range(area.top() + 2, area.bottom(), max(grid.height() // 2, 1)):
            for x in range(area.left() + grid.width() // 2, area.right(), max(grid.width(), 1)):
                index = self.indexAt(QPoint(x, y))
                if index.isValid():
                    rows.add(index.row())
        return sorted(rows)

    def thumbnails_complete(self) -> bool:
        """Every photo on screen has its thumbnail in memory (or is known to have none)."""
        model, delegate = self.photo_model(), self.photo_delegate
        keys = [delegate.thumb_key(model.row_at(r), model) for r in self.visible_view_rows()]
        return bool(keys) and all(k is not None and (k in self.cache or self.cache.failed(k)) for k in keys)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Spread the columns over the whole width instead of leaving a ragged margin on the right."""
        super().resizeEvent(event)
        width = self.viewport().width() - 2
        columns = max(1, width // (CELL.width() + MIN_GAP))
        self._columns = columns
        size = QSize(max(width // columns, CELL.width() + MIN_GAP), CELL.height() + MIN_GAP)
        if size != self.gridSize():
            self.setGridSize(size)

    def _paint_cells(self, event: QPaintEvent) -> bool:
        """Paint the cells in `event.rect()` from Python in one go; False if the layout is not the
        plain grid this expects (then Qt paints). Qt's own loop calls the delegate from C++ once per
        cell, and each call waits for the GIL again: beside busy Python threads in the same process,
        one repaint of 18 cells takes 85 ms instead of 2 ms."""
        model = self.photo_model()
        count = model.rowCount()
        origin = self.visualRect(model.cell(0))
        if not origin.isValid():
            return False
        columns = self._columns
        if count > columns:
            below = self.visualRect(model.cell(columns))
            line_h = below.y() - origin.y()
            last_of_first = self.visualRect(model.cell(columns - 1))
            if below.x() != origin.x() or line_h <= 0 or last_of_first.y() != origin.y():
                return False
        else:
            line_h = origin.height()
        area = event.rect()
        first = max((area.top() - origin.y()) // line_h, 0) * columns
        stop = min(((area.bottom() - origin.y()) // line_h + 1) * columns, count)
        chosen = self.selectionModel().selection()
        selected = [(chosen.at(i).top(), chosen.at(i).bottom()) for i in range(chosen.count())]
        painter = QPainter(self.viewport())
        palette, metrics, delegate = self.palette(), self.fontMetrics(), self.photo_delegate
        try:
            for view_row in range(first, stop):
                rect = self.visualRect(model.cell(view_row))
                if rect.isValid() and rect.intersects(area):
                    picked = any(top <= view_row <= bottom for top, bottom in selected)
                    delegate.paint_cell(painter, rect, model, view_row, picked, palette, metrics)
        finally:
            painter.end()
        return True

    def _note_shown(self, event: QPaintEvent) -> None:
        """Keep `_shown` a range of view rows that holds every row on screen (see `dataChanged`)."""
        rows = [row for row, _key, _drawn in self.photo_delegate.painted]
        if event.rect().contains(self.viewport().rect()):
            self._shown = (min(rows), max(rows)) if rows else None
        elif rows and self._shown is not None:  # scrolled or partly exposed: widen
            self._shown = (min(self._shown[0], *rows), max(self._shown[1], *rows))

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        self.photo_delegate.painted = []
        if model is not None and model.rowCount() > 0:
            if self.state() is QAbstractItemView.State.DragSelectingState or not self._paint_cells(event):
                super().paintEvent(event)  # Qt's own loop (and the rubber band while drag-selecting)
            self._note_shown(event)
            return
        painter = QPainter(self.viewport())
        rect = self.viewport().rect()
        palette = self.palette()
        filtered = isinstance(model, PhotoFilterModel) and model.source.rowCount() > 0
        title = "No photos match this filter" if filtered else self.empty_title
        hint = "Choose another filter or clear the search" if filtered else self.empty_hint
        frame = QRect(0, 0, min(520, rect.width() - 40), 150)
        frame.moveCenter(rect.center())
        if not filtered:
            pen = QPen(palette.color(QPalette.ColorRole.Mid), 2, Qt.PenStyle.DashLine)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(pen)
            painter.drawRoundedRect(frame, 14, 14)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            frame.adjusted(0, 0, 0, -frame.height() // 2 - 2),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
            title,
        )
        painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            frame.adjusted(0, frame.height() // 2 + 8, 0, 0),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            hint,
        )
        painter.end()
