"""The window's commands as `QAction`s: one place for their names, shortcuts, icons and enabled state."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from isaac_gui.qt.run.controller import RunState
from isaac_gui.qt.style.icons import icon


class Actions:
    def __init__(self, parent: QWidget) -> None:
        def make(
            text: str, icon_name: str | None, tip: str, *keys: QKeySequence | QKeySequence.StandardKey | str
        ) -> QAction:
            action = QAction(text, parent)
            if icon_name:
                action.setIcon(icon(icon_name))
            if keys:
                action.setShortcuts([QKeySequence(k) for k in keys])
            shortcut = (
                f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})" if keys else ""
            )
            action.setToolTip(tip + shortcut)
            action.setStatusTip(tip)
            parent.addAction(action)
            return action

        self.open_folder = make(
            "Open folder…", "open-folder", "Open a folder of photos", QKeySequence.StandardKey.Open
        )
        self.run = make("Run", "run", "Find the defects in every photo", "Ctrl+Return", "Ctrl+Enter")
        self.pause = make("Pause", "pause", "Hold the photos not sent yet", "Ctrl+P")
        self.cancel = make("Cancel", "stop", "Stop the run; run again to continue where it stopped", "Ctrl+.")
        self.export = make("Export results…", "export", "Export the run's results", "Ctrl+E")
        self.export_selection = make(
            "Export selection…", "export", "Export the selected photos' results", "Ctrl+Shift+E"
        )
        self.settings = make("Settings…", "settings", "Connection, performance, S3, appearance", "Ctrl+,")
        self.demo = make("Try the demo", "flask", "Run on sample photos against the built-in simulator")
        self.quit = make("Quit", None, "Close the window", QKeySequence.StandardKey.Quit)
        self.review_summary = make(
            "Review summary…", "info", "Verdict counts and the model's agreement with you", "Ctrl+Shift+A"
        )
        self.rerun_selection = make(
            "Re-run selection…",
            "run",
            "Ask the selected photos again, with other classes or another model",
            "Ctrl+Shift+R",
        )
        self.toggle_panel = make("Latency panel", "gauge", "Show or hide the latency panel", "F9")
        self.toggle_panel.setCheckable(True)
        self.toggle_panel.setChecked(True)

    def set_state(self, state: RunState, *, has_folder: bool, has_results: bool, has_selection: bool) -> None:
        wanted = (state, has_folder, has_results, has_selection)
        if wanted == getattr(self, "_state", None):
            return  # called on every batch of results: touch the widgets only when something changed
        self._state = wanted
        idle = state is RunState.IDLE
        self.run.setEnabled(idle and has_folder)
        self.pause.setEnabled(state in (RunState.RUNNING, RunState.PAUSED))
        paused = state is RunState.PAUSED
        self.pause.setText("Resume" if paused else "Pause")
        self.pause.setIcon(icon("resume" if paused else "pause"))
        self.pause.setToolTip(
            ("Send the held photos" if paused else "Hold the photos not sent yet") + " (Ctrl+P)"
        )
        self.cancel.setEnabled(state in (RunState.RUNNING, RunState.PAUSED))
        self.demo.setEnabled(idle)
        self.export.setEnabled(has_results)
        self.export_selection.setEnabled(has_results and has_selection)
        self.rerun_selection.setEnabled(idle and has_selection)
