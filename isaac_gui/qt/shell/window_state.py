"""What the window remembers between sessions in QSettings: geometry, splitter, panel visibility.

Preferences (folders, classes, connection) live in the readable settings file (`core.settings`);
QSettings keeps only the window's own layout, as labelme's ADR-0001 recommends.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QSplitter


def restore(window: QMainWindow, splitter: QSplitter, panel: QAction) -> bool:
    """Restore what was saved; True when the splitter had a saved layout."""
    store = QSettings()
    panel.setChecked(store.value("window/panel", True) in (True, "true", 1, "1"))
    geometry = store.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    layout = store.value("window/splitter")
    return bool(layout is not None and splitter.restoreState(layout))


def save(window: QMainWindow, splitter: QSplitter, panel: QAction) -> None:
    store = QSettings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/splitter", splitter.saveState())
    store.setValue("window/panel", panel.isChecked())
    store.sync()
