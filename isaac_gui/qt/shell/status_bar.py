"""The status bar's permanent fields: done/total, rate, ETA, "Simulated", and the quiet S3 indicator."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from isaac_gui.core.stats import Snapshot, format_duration
from isaac_gui.qt.photos.model import Counts
from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon


class StatusFields:
    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.progress = QProgressBar(bar)
        self.progress.setFixedWidth(140)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.done = QLabel(bar)
        self.rate = QLabel(bar)
        self.eta = QLabel(bar)
        self.s3 = QLabel(bar)
        self._s3_problem = ""  # told by the upload (a Notice) during this run
        self.s3.setTextFormat(Qt.TextFormat.PlainText)
        self.s3.hide()
        self.simulated = QLabel("Simulated", bar)
        self.simulated.setToolTip(
            "Answers come from the built-in simulator of the Perceptron API, not from Isaac"
        )
        self.simulated.hide()
        for label in (self.done, self.rate, self.eta, self.s3):
            label.setContentsMargins(8, 0, 8, 0)
        for widget in (self.progress, self.done, self.rate, self.eta, self.s3, self.simulated):
            bar.addPermanentWidget(widget)
        self._running = False

    def _label(self, widget: QLabel, text: str) -> None:
        widget.setText(text)
        widget.setVisible(bool(text))

    def show_counts(self, counts: Counts) -> None:
        """Between runs: what the folder holds."""
        if self._running:
            return
        self.progress.hide()
        if not counts.total:
            self._label(self.done, "")
        else:
            parts = [f"{counts.total:,} photos"]
            if counts.done:
                parts.append(f"{counts.done:,} done")
            if counts.defects:
                parts.append(f"{counts.defects:,} with defects")
            if counts.errors:
                parts.append(f"{counts.errors:,} errors")
            self._label(self.done, "  ·  ".join(parts))
        self._label(self.rate, "")
        self._label(self.eta, "")

    def show_snapshot(self, s: Snapshot, *, running: bool) -> None:
        self._running = running
        total = "…" if s.total is None else f"{s.total:,}"
        self._label(self.done, f"{s.finished:,} / {total} done")
        if s.total:
            self.progress.setRange(0, s.total)
            self.progress.setValue(min(s.finished, s.total))
            self.progress.setVisible(running)
        else:
            self.progress.setRange(0, 0)
            self.progress.setVisible(running)
        self._label(self.rate, f"{s.images_per_hour:,.0f} photos/h" if running and s.images_per_hour else "")
        eta = f"ETA {format_duration(s.eta_s)}" if running and s.eta_s is not None else ""
        self._label(self.eta, eta)

    def run_ended(self) -> None:
        self._running = False
        self.progress.hide()
        self._label(self.rate, "")
        self._label(self.eta, "")

    def set_simulated(self, on: bool) -> None:
        c = theme.colours()
        self.simulated.setStyleSheet(
            f"QLabel {{ background: {c.warning}; color: white; font-weight: 600;"
            " border-radius: 8px; padding: 1px 8px; }"
        )
        self.simulated.setVisible(on)

    def set_s3(self, enabled: bool, problem: str = "") -> None:
        """Hidden unless S3 upload is on; a problem shows as a warning sign with its reason on hover."""
        self.s3.setVisible(enabled)
        self._s3_problem = problem
        if not enabled:
            return
        name = "warning" if problem else "cloud"
        self.s3.setPixmap(icon(name).pixmap(16, 16))
        self.s3.setToolTip(f"S3 upload: {problem}" if problem else "S3 upload is on; no problem so far")

    def show_upload(self, message: str, *, stuck: bool) -> None:
        """The upload's progress on hover ("Uploading to S3: 3 waiting, 20 uploaded"); stuck (S3
        unreachable, a missing bucket) it turns into the warning sign, its reason on hover. A
        problem told by `set_s3` stays until `set_s3` is called again (the next run)."""
        problem = self._s3_problem
        self.s3.setVisible(True)
        self.s3.setPixmap(icon("warning" if stuck or problem else "cloud").pixmap(16, 16))
        self.s3.setToolTip(f"{message}\nS3 upload: {problem}" if problem else message)
