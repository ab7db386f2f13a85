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

MAX_ZOOM = 32.0  # screen pixels per photo pixel
WHEEL_STEP = 2 ** (1 / 4)  # one wheel notch; four notches double the size
_FORWARDED_KEYS = {
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Escape,
    Qt.Key.Key_F,
    Qt.Key.Key_1,
    Qt.Key.Key_0,
    Qt.Key.Key_Plus,
    Qt.Key.Key_Equal,
    Qt.Key.Key_Minus,
}


class PhotoCanvas(QGraphicsView):
    zoomChanged = Signal(float)  # screen pixels per photo pixel

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
        for item in self._boxes:
            self.scene().removeItem(item)
        self._boxes = list(boxes)
        for item in self._boxes:
            self.scene().addItem(item)
        self._after_zoom()

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
        for item in self._boxes:
            item.set_view_scale(scale)
            # No room above the box inside the photo: put its label just inside.
            item.label.set_inside(item.box.y1 * scale < item.label.height + 1)
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
        if event.key() in _FORWARDED_KEYS:
            event.ignore()  # the viewer handles these (previous/next, fit, 1:1, close)
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
