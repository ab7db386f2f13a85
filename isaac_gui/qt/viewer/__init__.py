"""The photo viewer: full resolution, upright, boxes with labels, zoom, pan, class toggles."""

from isaac_gui.qt.viewer.errors import ERROR_TITLES
from isaac_gui.qt.viewer.widget import PhotoViewer

__all__ = ["ERROR_TITLES", "PhotoViewer"]
