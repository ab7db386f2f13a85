"""The viewer's scene items: the photo (a small mipmap), the boxes and their labels.

Scene coordinates are pixels of the upright, full-resolution photo, the frame the records' boxes are
in, so a box item sits exactly where its record says whatever the zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.palette import text_colour_on


class PhotoItem(QGraphicsItem):
    """Paints the photo from the smallest mipmap level that still covers the screen pixels.

    Its bounding rect is the photo's full-resolution frame whatever level it holds, so a preview
    and the full photo occupy the same scene rect. Only the exposed part is painted.
    """

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self._rect = QRectF(0, 0, width, height)
        self._levels: tuple[QImage, ...] = ()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setZValue(0)

    def set_levels(self, levels: tuple[QImage, ...]) -> None:
        self._levels = levels
        self.update()

    def levels(self) -> tuple[QImage, ...]:
        return self._levels

    def boundingRect(self) -> QRectF:
        return self._rect

    def level_for(self, scale: float) -> QImage | None:
        """The smallest level with at least `scale` of its pixels per scene pixel."""
        if not self._levels:
            return None
        width = self._rect.width()
        chosen = self._levels[0]
        for level in self._levels:
            if level.width() >= width * scale * 0.999:
                chosen = level
            else:
                break
        return chosen

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        transform = painter.worldTransform()
        scale = (transform.m11() ** 2 + transform.m12() ** 2) ** 0.5
        image = self.level_for(scale)
        if image is None:
            return
        exposed = option.exposedRect.intersected(self._rect)
        if exposed.isEmpty():
            return
        factor = image.width() / self._rect.width()
        source = QRectF(
            exposed.x() * factor, exposed.y() * factor, exposed.width() * factor, exposed.height() * factor
        )
        # Pixels stay crisp squares when inspecting closely; smooth when shrinking or slightly enlarging.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale / factor < 2.0)
        painter.drawImage(exposed, image, source)


MODEL, ACCEPTED, REJECTED, ADDED = "model", "accepted", "rejected", "added"
_MARKS = {MODEL: "", ACCEPTED: "\u2713 ", REJECTED: "\u2715 ", ADDED: "+ "}
HANDLE_PX = 8.0  # a selected box's handles, in screen pixels


class BoxItem(QGraphicsItem):
    """One box: a rectangle in the class colour over a dark halo, so it shows on any photo.

    `state` is the inspector's word on it: `model` (not judged yet), `accepted`, `rejected` (muted and
    dashed, still there to be restored) or `added` (drawn by the inspector). A selected box is drawn
    wider, with handles at its corners and edges.
    """

    def __init__(
        self,
        box: PixelBox,
        colour: tuple[int, int, int],
        class_key: str,
        *,
        box_id: str = "",
        state: str = MODEL,
    ) -> None:
        super().__init__()
        self.box = box
        self.box_id = box_id
        self.class_key = class_key  # casefolded mention, what the class toggles match on
        self.colour = QColor(*colour)
        self.state = state
        self.selected = False
        # Corners are inclusive pixel indices: the box covers x1..x2 whole pixels.
        self._rect = QRectF(box.x1, box.y1, box.x2 - box.x1 + 1, box.y2 - box.y1 + 1)
        self._scale = 1.0
        self.setZValue(10)
        self.label = LabelItem(box.mention, colour, self)
        self._restyle()

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def set_rect(self, rect: QRectF) -> None:
        """Move or resize while the inspector drags (the record changes on release)."""
        self.prepareGeometryChange()
        self._rect = QRectF(rect)
        self.label.setPos(self._rect.topLeft())
        self._update_tip()

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._restyle()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.setZValue(15 if selected else 12 if self.state == ADDED else 10)
            self._restyle()

    def _restyle(self) -> None:
        muted = self.state == REJECTED
        colour = QColor(self.colour)
        if muted:
            colour.setAlpha(150)
        width = 3.0 if self.selected else 2.0
        self._halo = QPen(QColor(0, 0, 0, 50 if muted else 110), width + 2.5)
        self._pen = QPen(colour, width)
        if muted:
            self._pen.setStyle(Qt.PenStyle.DashLine)
        for pen in (self._halo, self._pen):
            pen.setCosmetic(True)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        self.label.set_text(_MARKS.get(self.state, "") + self.box.mention, muted)
        self._update_tip()
        self.update()

    def _update_tip(self) -> None:
        r = self._rect
        words = {ACCEPTED: "accepted", REJECTED: "rejected", ADDED: "drawn by the inspector"}.get(self.state)
        self.setToolTip(
            f"{self.box.mention}{f' ({words})' if words else ''}\n"
            f"{round(r.width())} × {round(r.height())} px at ({round(r.x())}, {round(r.y())})"
        )

    def boundingRect(self) -> QRectF:
        # Cosmetic pens and the handles reach outside the rect by a few device pixels; this margin, in
        # scene units, is refreshed by the view on zoom so repaints never leave trails.
        m = self._margin
        return self._rect.adjusted(-m, -m, m, m)

    _margin = 6.0

    def set_view_scale(self, scale: float) -> None:
        self._scale = max(scale, 1e-6)
        margin = (HANDLE_PX / 2 + 3.0) / self._scale
        if abs(margin - self._margin) > 1e-9:
            self.prepareGeometryChange()
            self._margin = margin

    def handle_rects(self) -> list[QRectF]:
        """The eight handles of a selected box, in scene units (corners first)."""
        r, size = self._rect, HANDLE_PX / self._scale
        xs, ys = (r.left(), r.center().x(), r.right()), (r.top(), r.center().y(), r.bottom())
        points = [(xs[0], ys[0]), (xs[2], ys[0]), (xs[0], ys[2]), (xs[2], ys[2])]
        points += [(xs[1], ys[0]), (xs[1], ys[2]), (xs[0], ys[1]), (xs[2], ys[1])]
        return [QRectF(x - size / 2, y - size / 2, size, size) for x, y in points]

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(self._halo)
        painter.drawRect(self._rect)
        painter.setPen(self._pen)
        painter.drawRect(self._rect)
        if self.selected:
            edge = QPen(QColor(0, 0, 0, 160), 1)
            edge.setCosmetic(True)
            painter.setPen(edge)
            painter.setBrush(QColor(255, 255, 255))
            for handle in self.handle_rects():
                painter.drawRect(handle)


class LabelItem(QGraphicsItem):
    """A class label that keeps its screen size at any zoom (ItemIgnoresTransformations).

    It sits on top of the box's top-left corner, or just inside the box when there is no room above.
    """

    PADDING_X = 5.0
    PADDING_Y = 2.0

    def __init__(self, text: str, colour: tuple[int, int, int], parent: BoxItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.text = text
        self._fill = QColor(*colour)
        self._ink = QColor(*text_colour_on(colour))
        self._font = QFont()
        self._font.setPointSizeF(max(self._font.pointSizeF() * 0.92, 8.0))
        self._font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetricsF(self._font)
        self._size = (
            metrics.horizontalAdvance(text) + 2 * self.PADDING_X,
            metrics.height() + 2 * self.PADDING_Y,
        )
        self._ascent = metrics.ascent()
        self._metrics = metrics
        self._inside = False
        self.setPos(QPointF(parent.box.x1, parent.box.y1))
        self.setZValue(20)

    def set_text(self, text: str, muted: bool = False) -> None:
        self.prepareGeometryChange()
        self.text = text
        self._size = (
            self._metrics.horizontalAdvance(text) + 2 * self.PADDING_X,
            self._metrics.height() + 2 * self.PADDING_Y,
        )
        self.setOpacity(0.6 if muted else 1.0)

    @property
    def height(self) -> float:
        return self._size[1]

    def set_inside(self, inside: bool) -> None:
        if inside != self._inside:
            self.prepareGeometryChange()
            self._inside = inside

    def is_inside(self) -> bool:
        return self._inside

    def _label_rect(self) -> QRectF:
        w, h = self._size
        # Offset by the box pen so the label's edge meets the drawn outline, not the pixel edge.
        return QRectF(-1.0, 0.0 if self._inside else -h + 1.0, w, h)

    def boundingRect(self) -> QRectF:
        return self._label_rect()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        rect = self._label_rect()
        path = QPainterPath()
        radius = 3.0
        path.addRoundedRect(rect, radius, radius)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillPath(path, self._fill)
        painter.setFont(self._font)
        painter.setPen(self._ink)
        painter.drawText(
            QPointF(rect.x() + self.PADDING_X, rect.y() + self.PADDING_Y + self._ascent), self.text
        )
