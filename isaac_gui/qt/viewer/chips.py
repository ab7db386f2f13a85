"""Class toggles: a checkable chip per class, in the class colour, with its box count."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QAbstractButton, QLayout, QLayoutItem, QSizePolicy, QWidget

from isaac_gui.qt.style import theme


class ClassChip(QAbstractButton):
    """Checked: the class's boxes are shown. Space or a click toggles it."""

    def __init__(self, mention: str, colour: tuple[int, int, int], count: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.mention = mention
        self.colour = QColor(*colour)
        self.count = count
        self.setCheckable(True)
        self.setChecked(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(f"{mention} boxes")
        self.toggled.connect(self._describe)
        self._describe()

    def set_count(self, count: int) -> None:
        self.count = count
        self._describe()
        self.updateGeometry()
        self.update()

    def _describe(self) -> None:
        plural = "box" if self.count == 1 else "boxes"
        state = "shown" if self.isChecked() else "hidden"
        self.setToolTip(
            f"{self.mention}: {self.count} {plural}, {state}. Click to {'hide' if self.isChecked() else 'show'}."
        )

    def _fonts(self) -> tuple[QFont, QFont]:
        name = QFont(self.font())
        count = QFont(self.font())
        count.setWeight(QFont.Weight.DemiBold)
        return name, count

    def sizeHint(self) -> QSize:
        name_font, count_font = self._fonts()
        width = 10 + 10 + 7 + QFontMetrics(name_font).horizontalAdvance(self.mention)
        width += 7 + QFontMetrics(count_font).horizontalAdvance(str(self.count)) + 12
        height = QFontMetrics(name_font).height() + 10
        return QSize(width, max(height, 24))

    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.colours()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = rect.height() / 2
        on = self.isChecked()
        empty = self.count == 0  # nothing to toggle on this photo: drawn quieter
        fill = QColor(self.colour)
        fill.setAlphaF((0.16 if c.dark else 0.12) * (0.4 if empty else 1.0))
        border = (
            QColor(self.colour)
            if on and not empty
            else QColor(c.border_strong if self.underMouse() else c.border)
        )
        if self.hasFocus():
            border = QColor(c.accent)
        painter.setPen(QPen(border, 1.5 if self.hasFocus() else 1.0))
        painter.setBrush(fill if on else Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, radius, radius)
        # the colour dot: filled when shown, a ring when hidden
        dot = QRectF(10, rect.center().y() - 5, 10, 10)
        if on:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour)
        else:
            painter.setPen(QPen(self.colour, 1.6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(dot.adjusted(0.8, 0.8, -0.8, -0.8) if not on else dot)
        name_font, count_font = self._fonts()
        x = int(dot.right()) + 7
        text_colour = QColor(c.text if on and not empty else c.text_muted)
        painter.setFont(name_font)
        painter.setPen(text_colour)
        name_width = QFontMetrics(name_font).horizontalAdvance(self.mention)
        painter.drawText(
            QRect(x, 0, name_width + 2, self.height()), Qt.AlignmentFlag.AlignVCenter, self.mention
        )
        painter.setFont(count_font)
        painter.setPen(QColor(c.text_muted if on else c.text_disabled))
        painter.drawText(
            QRect(x + name_width + 7, 0, self.width() - x - name_width - 7, self.height()),
            Qt.AlignmentFlag.AlignVCenter,
            str(self.count),
        )
        painter.end()

    def enterEvent(self, event: object) -> None:
        self.update()
        super().enterEvent(event)  # type: ignore[arg-type]

    def leaveEvent(self, event: object) -> None:
        self.update()
        super().leaveEvent(event)  # type: ignore[arg-type]


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to a new line when the row is full."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x = area.x()
                y += line + self._spacing
                line = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()
