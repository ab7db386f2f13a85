"""The viewer's canvas: a QGraphicsView over one photo and its boxes; zoom, pan, pinch, fit and 1:1."""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGestureEvent,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QPinchGesture,
    QWidget,
)

from isaac_gui.qt.style import theme
from isaac_gui.qt.viewer.items import BoxItem, PhotoItem

GRAB_PX = 6.0  # how close to a selected box's edge a press grabs the edge, in screen pixels

MAX_ZOOM = 32.0  # screen pixels per photo pixel
WHEEL_STEP = 2 ** (1 / 4)  # one wheel notch; four notches double the size
_VIEW_KEYS = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}  # scroll; others: the viewer


def _edges_at(item: BoxItem, point: QPointF, grab: float) -> tuple[bool, bool, bool, bool] | None:
    """Which edges of `item` (left, top, right, bottom) a press at `point` takes; all four is a move;
    None when the press is not on the box."""
    r = item.rect()
    if not r.adjusted(-grab, -grab, grab, grab).contains(point):
        return None
    left, right = abs(point.x() - r.left()) <= grab, abs(point.x() - r.right()) <= grab
    top, bottom = abs(point.y() - r.top()) <= grab, abs(point.y() - r.bottom()) <= grab
    if not (left or right or top or bottom):
        return (True, True, True, True) if r.contains(point) else None
    return left, top, right, bottom


class _Drag:
    """A press on a selected box's edge, corner or inside, followed until release."""

    def __init__(self, item: BoxItem, edges: tuple[bool, bool, bool, bool], start: QPointF) -> None:
        self.item, self.edges, self.start = item, edges, start
        self.original = item.rect()

    def rect_at(self, point: QPointF, frame: QRectF) -> QRectF:
        dx, dy = point.x() - self.start.x(), point.y() - self.start.y()
        r = QRectF(self.original)
        if all(self.edges):  # a move keeps the size and stays inside the photo
            dx = min(max(dx, frame.left() - r.left()), frame.right() - r.right())
            dy = min(max(dy, frame.top() - r.top()), frame.bottom() - r.bottom())
            return r.translated(dx, dy)
        left, top, right, bottom = self.edges
        if left:
            r.setLeft(r.left() + dx)
        if right:
            r.setRight(r.right() + dx)
        if top:
            r.setTop(r.top() + dy)
        if bottom:
            r.setBottom(r.bottom() + dy)
        return r.normalized().intersected(frame)


class PhotoCanvas(QGraphicsView):
    """Zoom and pan; with review on, also select a box, drag its edges or move it, and draw a box."""

    zoomChanged = Signal(float)  # screen pixels per photo pixel
    boxSelected = Signal(str)  # the box's id, "" for none
    boxReshaped = Signal(str, QRectF)  # id, the new rect in photo pixels (on release)
    boxDrawn = Signal(QRectF)  # a new box in photo pixels (on release)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self._photo: PhotoItem | None = None
        self._boxes: list[BoxItem] = []
        self._fit_mode = True
        self._pinch_last = 1.0
        self._selected: BoxItem | None = None
        self._drag: _Drag | None = None
        self._drawing = False  # B: the next drag draws a box
        self._draw_start: QPointF | None = None
        self._draw_item: BoxItem | None = None
        self.editable = True  # box selection and editing; off while a photo has no answer
        self._message = QLabel(self.viewport())
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._message.hide()
        self._apply_colours()

    # --- content ---------------------------------------------------------------------------

    def clear(self) -> None:
        self.scene().clear()
        self._photo = None
        self._boxes = []
        self._selected = None
        self._drag = None
        self.cancel_drawing()

    def set_frame(self, width: int, height: int) -> PhotoItem:
        """Start a new photo of `width` x `height` scene pixels (the record's frame)."""
        self.clear()
        self._photo = PhotoItem(width, height)
        self.scene().addItem(self._photo)
        self.scene().setSceneRect(QRectF(0, 0, width, height))
        self._fit_mode = True
        self.fit()
        return self._photo

    def photo_item(self) -> PhotoItem | None:
        return self._photo

    def set_boxes(self, boxes: Iterable[BoxItem]) -> None:
        """Replace the boxes; the box selected before stays selected when its id is still there."""
        keep = self._selected.box_id if self._selected is not None else ""
        for item in self._boxes:
            self.scene().removeItem(item)
        self._boxes = list(boxes)
        self._selected = None
        self._drag = None
        for item in self._boxes:
            self.scene().addItem(item)
            if keep and item.box_id == keep:
                item.set_selected(True)
                self._selected = item
        self._after_zoom()
        if keep and self._selected is None:
            self.boxSelected.emit("")

    # --- selection and editing -----------------------------------------------------------------

    def selected_box(self) -> BoxItem | None:
        return self._selected

    def select_box(self, box_id: str) -> None:
        chosen = next((b for b in self._boxes if b.box_id == box_id and b.isVisible()), None)
        if chosen is self._selected:
            return
        if self._selected is not None:
            self._selected.set_selected(False)
        self._selected = chosen
        if chosen is not None:
            chosen.set_selected(True)
            self.ensureVisible(chosen.rect(), 24, 24)
        self.boxSelected.emit(chosen.box_id if chosen is not None else "")

    def cycle_selection(self, step: int = 1) -> None:
        """Tab / Shift+Tab: the next visible box, left to right, top to bottom, wrapping round."""
        shown = sorted((b for b in self._boxes if b.isVisible()), key=lambda b: (b.rect().y(), b.rect().x()))
        if not shown:
            return
        at = shown.index(self._selected) if self._selected in shown else (-1 if step > 0 else 0)
        self.select_box(shown[(at + step) % len(shown)].box_id)

    def zoom_to_box(self, item: BoxItem) -> None:
        """Z: the box fills most of the view, with some photo around it."""
        r = item.rect()
        pad = max(r.width(), r.height()) * 0.35 + 8
        target = r.adjusted(-pad, -pad, pad, pad)
        view = self.viewport().rect()
        scale = min(view.width() / target.width(), view.height() / target.height())
        self._fit_mode = False
        self._set_zoom(min(max(scale, self._min_zoom()), MAX_ZOOM))
        self.centerOn(r.center())
        self._after_zoom()

    def start_drawing(self) -> None:
        """B: the next press and drag draws a new box (Escape cancels)."""
        if self._photo is None:
            return
        self._drawing = True
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)

    def is_drawing(self) -> bool:
        return self._drawing

    def cancel_drawing(self) -> None:
        if self._draw_item is not None:
            self.scene().removeItem(self._draw_item)
        self._drawing = False
        self._draw_start = None
        self._draw_item = None
        self.viewport().unsetCursor()
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)

    def _frame(self) -> QRectF:
        return self._photo.boundingRect() if self._photo is not None else QRectF()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._photo is None:
            super().mousePressEvent(event)
            return
        point = self.mapToScene(event.position().toPoint())
        if self._drawing:
            self._draw_start = point
            event.accept()
            return
        if self.editable:
            grab = GRAB_PX / max(self.zoom(), 1e-6)
            selected = self._selected
            edges = _edges_at(selected, point, grab) if selected is not None else None
            if selected is not None and edges is not None:
                self._drag = _Drag(selected, edges, point)
                event.accept()
                return
            hit = self._box_at(point)
            if hit is not None:
                self.select_box(hit.box_id)
                self._drag = _Drag(hit, (True, True, True, True), point)
                event.accept()
                return
            if selected is not None:
                self.select_box("")
        super().mousePressEvent(event)

    def _box_at(self, point: QPointF) -> BoxItem | None:
        """The smallest visible box under `point` (a small box inside a big one stays reachable)."""
        under = [b for b in self._boxes if b.isVisible() and b.rect().contains(point)]
        return min(under, key=lambda b: b.rect().width() * b.rect().height()) if under else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = self.mapToScene(event.position().toPoint())
        if self._draw_start is not None:
            rect = QRectF(self._draw_start, point).normalized().intersected(self._frame())
            if self._draw_item is None:
                from isaac_gui.core.geometry import PixelBox  # noqa: PLC0415

                self._draw_item = BoxItem(PixelBox("", 0, 0, 0, 0), (255, 255, 255), "", state="added")
                self._draw_item.label.hide()
                self.scene().addItem(self._draw_item)
                self._draw_item.set_view_scale(self.zoom())
            self._draw_item.set_rect(rect)
            event.accept()
            return
        if self._drag is not None:
            self._drag.item.set_rect(self._drag.rect_at(point, self._frame()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._draw_start is not None:
            rect = self._draw_item.rect() if self._draw_item is not None else QRectF()
            self.cancel_drawing()
            if rect.width() >= 2 and rect.height() >= 2:
                self.boxDrawn.emit(rect)
            event.accept()
            return
        if self._drag is not None:
            drag, self._drag = self._drag, None
            rect = drag.item.rect()
            if rect != drag.original:
                self.boxReshaped.emit(drag.item.box_id, rect)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab cycles the boxes instead of moving the focus

    def box_items(self) -> list[BoxItem]:
        return list(self._boxes)

    def show_message(self, text: str | None) -> None:
        """A line of text over the canvas ("Loading…", why a photo cannot be shown); None hides it."""
        if not text:
            self._message.hide()
            return
        self._message.setText(text)
        self._message.show()
        self._place_message()

    def message(self) -> str | None:
        return self._message.text() if self._message.isVisible() else None

    # --- zoom --------------------------------------------------------------------------------

    def zoom(self) -> float:
        t = self.transform()
        return math.hypot(t.m11(), t.m12())

    def is_fit(self) -> bool:
        return self._fit_mode

    def fit_scale(self) -> float:
        rect = self.sceneRect()
        view = self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            return 1.0
        margin = 16
        return max(
            min((view.width() - margin) / rect.width(), (view.height() - margin) / rect.height()), 1e-4
        )

    def _min_zoom(self) -> float:
        return min(self.fit_scale(), 1.0) * 0.5

    def fit(self) -> None:
        """The whole photo in view (and kept so while the window is resized)."""
        self._fit_mode = True
        self._set_zoom(self.fit_scale())
        self.centerOn(self.sceneRect().center())
        self._after_zoom()

    def actual_size(self, anchor: QPointF | None = None) -> None:
        """One photo pixel per screen pixel, keeping the point under `anchor` (or the centre) still."""
        self.zoom_to(1.0 / max(self.devicePixelRatioF(), 1.0), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.zoom() * factor, anchor)

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom so the scene point under `anchor` (viewport coordinates) stays under it."""
        scale = min(max(scale, self._min_zoom()), MAX_ZOOM)
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self._fit_mode = False
        self._set_zoom(scale)
        after = self.mapFromScene(before)
        delta = QPointF(after) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(delta.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(delta.y()))
        self._after_zoom()

    def _set_zoom(self, scale: float) -> None:
        self.setTransform(QTransform.fromScale(scale, scale))

    def _after_zoom(self) -> None:
        scale = self.zoom()
        for item in [*self._boxes, *([self._draw_item] if self._draw_item is not None else [])]:
            item.set_view_scale(scale)
            # No room above the box inside the photo: put its label just inside.
            item.label.set_inside(item.rect().y() * scale < item.label.height + 1)
        self.zoomChanged.emit(scale)

    # --- events ------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            pixel = event.pixelDelta().y()
            delta = pixel * 2  # high-resolution trackpads report pixels, ~60 per notch
        if not delta:
            return
        self.zoom_by(WHEEL_STEP ** (delta / 120.0), event.position())
        event.accept()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.NativeGesture and isinstance(event, QNativeGestureEvent):
            kind = event.gestureType()
            if kind == Qt.NativeGestureType.ZoomNativeGesture:
                self.zoom_by(1.0 + event.value(), event.position())
                return True
            if kind == Qt.NativeGestureType.SmartZoomNativeGesture:
                self._toggle_zoom(event.position())
                return True
        if event.type() == QEvent.Type.Gesture and isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                self._on_pinch(pinch)
                event.accept(pinch)
                return True
        return super().viewportEvent(event)

    def _on_pinch(self, pinch: QPinchGesture) -> None:
        if pinch.state() == Qt.GestureState.GestureStarted:
            self._pinch_last = 1.0
        total = pinch.totalScaleFactor()
        if total > 0 and self._pinch_last > 0:
            anchor = QPointF(self.viewport().mapFromGlobal(pinch.centerPoint().toPoint()))
            self.zoom_by(total / self._pinch_last, anchor)
        self._pinch_last = total

    def _toggle_zoom(self, anchor: QPointF) -> None:
        if self._fit_mode or self.zoom() < 0.999 / max(self.devicePixelRatioF(), 1.0):
            self.actual_size(anchor)
        else:
            self.fit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._toggle_zoom(event.position())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and self.editable:
            self.cycle_selection(-1 if event.key() == Qt.Key.Key_Backtab else +1)
            return
        if event.key() not in _VIEW_KEYS:
            event.ignore()  # the viewer's keys (photos, verdicts, boxes, zoom)
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit_mode and self._photo is not None:
            self.fit()
        self._place_message()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_colours()
        super().changeEvent(event)

    def _apply_colours(self) -> None:
        c = theme.colours()
        self.setBackgroundBrush(QColor(c.sunken))
        self._message.setStyleSheet(f"color: {c.text_muted}; font-size: 11pt; background: transparent;")

    def _place_message(self) -> None:
        rect = self.viewport().rect().adjusted(24, 24, -24, -24)
        self._message.setGeometry(rect)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, self.backgroundBrush())
