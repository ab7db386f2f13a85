"""The app's dialogs: Settings, the first-run Welcome, and Export."""

from isaac_gui.qt.dialogs.export import ExportDialog
from isaac_gui.qt.dialogs.settings import SettingsDialog
from isaac_gui.qt.dialogs.welcome import WelcomeDialog

__all__ = ["ExportDialog", "SettingsDialog", "WelcomeDialog"]
