"""The app's line icons: SVGs in `icons/` drawn in `currentColor`, tinted when painted.

`icon("run")` returns a QIcon whose engine renders the SVG at the requested size in the palette's
text colour (the disabled text colour when disabled, the highlighted text colour when selected),
so icons stay crisp at any size and follow a theme switch without being rebuilt. `warning`,
`error` and `success` keep their meaning's colour in every theme.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from isaac_gui.qt.style import theme

ICON_DIR = Path(__file__).parent
ALIASES = {
    "s3": "cloud",
    "upload": "cloud",
    "zoom-100": "zoom-1to1",
    "1:1": "zoom-1to1",
    "fit": "zoom-fit",
    "prev": "previous",
    "play": "run",
    "start": "run",
    "open": "open-folder",
    "demo": "flask",
    "endpoint": "server",
    "appearance": "palette",
    "performance": "gauge",
}
_SEMANTIC = {"warning": "warning", "error": "danger", "success": "success"}
_UNTINTED = {"app"}


def names() -> list[str]:
    """Every icon name available (without aliases)."""
    return sorted(p.stem for p in ICON_DIR.glob("*.svg"))


@cache
def _source(name: str) -> str:
    return (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _renderer(name: str, colour: str) -> QSvgRenderer:
    text = _source(name) if name in _UNTINTED else _source(name).replace("currentColor", colour)
    return QSvgRenderer(QByteArray(text.encode("utf-8")))


def _colour(name: str, mode: QIcon.Mode) -> str:
    semantic = _SEMANTIC.get(name)
    c = theme.colours()
    if semantic is not None:
        colour = QColor(getattr(c, semantic))
        if mode == QIcon.Mode.Disabled:  # the SVG renderer takes #rrggbb only: fade towards the window
            window = QColor(c.window)
            colour = QColor(
                (colour.red() + window.red()) // 2,
                (colour.green() + window.green()) // 2,
                (colour.blue() + window.blue()) // 2,
            )
        return colour.name()
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText).name()
    return palette.color(QPalette.ColorRole.WindowText).name()


class _SvgIconEngine(QIconEngine):
    def __init__(self, name: str, plain_selected: bool = False) -> None:
        super().__init__()
        self._name = name
        self._plain_selected = plain_selected

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        side = min(rect.width(), rect.height())
        target = QRectF(
            rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2, side, side
        )
        if mode == QIcon.Mode.Selected and self._plain_selected:
            mode = QIcon.Mode.Normal
        _renderer(self._name, _colour(self._name, mode)).render(painter, target)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """Drawn once per size, mode and colour: buttons repaint often, and rendering SVG in a
        Python callback at every paint costs a GIL round trip each time, enough to stall a run's
        first second beside busy threads."""
        if mode == QIcon.Mode.Selected and self._plain_selected:
            mode = QIcon.Mode.Normal
        key = (self._name, size.width(), size.height(), mode, state, scale, _colour(self._name, mode))
        pixmap = _pixmaps.get(key)
        if pixmap is None:
            pixmap = self._draw(size, mode, state, scale)
            if len(_pixmaps) >= PIXMAP_CACHE:
                _pixmaps.clear()
            _pixmaps[key] = pixmap
        return pixmap

    def _draw(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        pixmap = QPixmap(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, pixmap.width(), pixmap.height()), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        # Qt owns (and deletes) the clone, but PySide gives the C++ side no ownership of an object
        # returned from a Python override: without a Python reference the clone would be deleted on
        # return and Qt would paint with freed memory. Keep it referenced until Qt has deleted it.
        twin = _SvgIconEngine(self._name, self._plain_selected)
        _keep_clone(twin)
        return twin

    def key(self) -> str:
        return "isaac-svg"

    def iconName(self) -> str:
        return self._name


PIXMAP_CACHE = 512  # drawn icons kept (a few KB each); all are dropped when it is full
_pixmaps: dict[tuple[object, ...], QPixmap] = {}
_clones: list[_SvgIconEngine] = []


def _keep_clone(engine: _SvgIconEngine) -> None:
    if len(_clones) >= 64:  # drop the shells of clones Qt has deleted since
        _clones[:] = [e for e in _clones if shiboken6.isValid(e)]
    _clones.append(engine)


def icon(name: str, *, plain_selected: bool = False) -> QIcon:
    """The icon `name` (see `names()`; a few aliases such as "s3" work too), tinted for the theme.

    Selected items get the highlighted-text colour (for a solid accent selection) unless
    `plain_selected`, for lists that mark the selection with a soft tint instead.
    """
    name = ALIASES.get(name, name)
    if not (ICON_DIR / f"{name}.svg").is_file():
        raise KeyError(f"no icon named {name!r}; available: {', '.join(names())}")
    return QIcon(_SvgIconEngine(name, plain_selected))


def pixmap(name: str, side: int, colour: str | None = None) -> QPixmap:
    """`name` rendered at `side` px, in `colour` (a #rrggbb) or the theme's text colour."""
    name = ALIASES.get(name, name)
    fill = colour or _colour(name, QIcon.Mode.Normal)
    out = QPixmap(side, side)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(name, fill).render(painter, QRectF(0, 0, side, side))
    painter.end()
    return out


def app_icon() -> QIcon:
    """The application's own icon, full colour, rendered from the same SVG as resources/app-icon.svg."""
    out = QIcon()
    for side in (16, 24, 32, 48, 64, 128, 256):
        out.addPixmap(pixmap("app", side))
    return out
