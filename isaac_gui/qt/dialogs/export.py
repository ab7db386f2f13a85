"""The Export dialog: formats, destination and annotated-image options; runs the export off the GUI thread.

The export itself is `core.exporters.export_records`, run on a worker with a cancel event. Its
progress callback only stores (done, total); a 10 Hz timer on the GUI thread shows it, so a
thousand annotated photos never flood the event queue. The choices are remembered in QSettings
(they are habits of this machine, not preferences worth putting in the settings file).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core import exporters
from isaac_gui.core.exporters import FORMATS, ExportCancelled, ExportError, ExportReport
from isaac_gui.qt.dialogs._widgets import (
    FieldMessage,
    heading,
    hint,
    section,
    set_invalid,
)
from isaac_gui.qt.style.icons import pixmap
from isaac_gui.qt.workers.tasks import BackgroundTasks

FORMAT_TEXT = {
    "annotated": ("Annotated images", "the photos with boxes and labels drawn"),
    "coco": ("COCO", "one annotations.json for training"),
    "yolo": ("YOLO", "a label file per photo, classes.txt, data.yaml"),
    "voc": ("Pascal VOC", "an XML file per photo"),
    "csv": ("CSV", "one row per box, for spreadsheets"),
    "json": ("JSON", "records.jsonl, as results.jsonl"),
}
DEFAULT_FORMATS = ("annotated", "coco", "csv", "json")
_SETTINGS_GROUP = "export"


class _Progress:
    """(done, total) as the worker last reported it; one tuple assignment, read by a GUI timer."""

    def __init__(self) -> None:
        self.value: tuple[int, int] = (0, 0)

    def store(self, done: int, total: int) -> None:
        self.value = (done, total)


def _count(n: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("x") else "s")
    return f"{n:,} {noun if n == 1 else plural}"


def _settings() -> QSettings:
    return QSettings()


class ExportDialog(QDialog):
    """Exports `records` (result records of photos under `source_root`) in the formats chosen."""

    PAGE_OPTIONS, PAGE_PROGRESS, PAGE_RESULT = range(3)

    def __init__(
        self,
        records: Sequence[dict[str, Any]],
        source_root: Path,
        classes: Sequence[str],
        parent: QWidget | None = None,
        *,
        scope: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = BackgroundTasks(self)
        self.records = list(records)
        self.source_root = Path(source_root)
        self.classes = list(classes)
        self.report: ExportReport | None = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._running = False
        self._close_when_done = False
        self._dest: Path | None = None
        self.setWindowTitle("Export")
        self.setModal(True)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._build_options(scope))
        self.stack.addWidget(self._build_progress())
        self.stack.addWidget(self._build_result())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.addWidget(self.stack)
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self._restore_choices()
        self.resize(620, 540)

    # --- pages -------------------------------------------------------------------------------

    def _build_options(self, scope: str | None) -> QWidget:
        page = QWidget(self)
        n = len(self.records)
        failed = sum(1 for r in self.records if r.get("status") != "ok")
        page_title = heading(f"Export {_count(n, 'photo')}", page)
        where = scope or "the run"
        detail = f"{where.capitalize()}, from {self.source_root}."
        if failed:
            detail += (
                f" {failed:,} without a result {'is' if failed == 1 else 'are'} listed in CSV and JSON only."
            )
        intro = hint(detail, page)

        formats_title = section("Formats", page)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(8)
        self.format_boxes: dict[str, QCheckBox] = {}
        for index, name in enumerate(FORMATS):
            title, description = FORMAT_TEXT.get(name, (name, ""))
            box = QCheckBox(title, page)
            box.setToolTip(description)
            box.toggled.connect(self._update_enabled)
            self.format_boxes[name] = box
            cell = QVBoxLayout()
            cell.setSpacing(0)
            cell.addWidget(box)
            note = hint(description, page)
            note.setContentsMargins(24, 0, 0, 0)
            cell.addWidget(note)
            grid.addLayout(cell, index // 2, index % 2, Qt.AlignmentFlag.AlignTop)
        self.formats_message = FieldMessage(page)

        self.annotated_title = section("Annotated images", page)
        self.jpeg_radio = QRadioButton("&JPEG", page)
        self.png_radio = QRadioButton("&PNG (lossless, larger)", page)
        kind = QButtonGroup(page)
        kind.addButton(self.jpeg_radio)
        kind.addButton(self.png_radio)
        self.full_size_radio = QRadioButton("&Full resolution", page)
        self.long_side_radio = QRadioButton("&Long side", page)
        size = QButtonGroup(page)
        size.addButton(self.full_size_radio)
        size.addButton(self.long_side_radio)
        self.long_side_spin = QSpinBox(page)
        self.long_side_spin.setRange(256, 16384)
        self.long_side_spin.setSingleStep(256)
        self.long_side_spin.setSuffix(" px")
        self.long_side_radio.toggled.connect(self.long_side_spin.setEnabled)
        self.annotated_options = QWidget(page)
        options = QGridLayout(self.annotated_options)
        options.setContentsMargins(0, 0, 0, 0)
        options.setHorizontalSpacing(14)
        options.addWidget(QLabel("Format", page), 0, 0)
        options.addWidget(self.jpeg_radio, 0, 1)
        options.addWidget(self.png_radio, 0, 2, 1, 2)
        options.addWidget(QLabel("Size", page), 1, 0)
        options.addWidget(self.full_size_radio, 1, 1)
        options.addWidget(self.long_side_radio, 1, 2)
        options.addWidget(self.long_side_spin, 1, 3)
        self.draw_rejected_box = QCheckBox("Draw &rejected boxes, muted", page)
        self.draw_rejected_box.setToolTip(
            "the boxes the inspector rejected, dashed and grey; left out otherwise"
        )
        options.addWidget(self.draw_rejected_box, 2, 1, 1, 3)
        options.setColumnStretch(4, 1)

        dest_title = section("&Destination folder", page)
        self.dest_edit = QLineEdit(page)
        self.dest_edit.setClearButtonEnabled(True)
        dest_title.setBuddy(self.dest_edit)
        self.dest_edit.textChanged.connect(self._on_dest_edited)
        choose = QPushButton("&Choose…", page)
        choose.setAutoDefault(False)
        choose.clicked.connect(self._choose_dest)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest_edit, 1)
        dest_row.addWidget(choose)
        self.dest_message = FieldMessage(page)

        self.cancel_button = QPushButton("Cancel", page)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.export_button = QPushButton("Export", page)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(page_title)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(formats_title)
        layout.addLayout(grid)
        layout.addWidget(self.formats_message)
        layout.addSpacing(6)
        layout.addWidget(self.annotated_title)
        layout.addWidget(self.annotated_options)
        layout.addSpacing(6)
        layout.addWidget(dest_title)
        layout.addLayout(dest_row)
        layout.addWidget(self.dest_message)
        layout.addWidget(hint("Each format replaces its previous export in this folder, all at once.", page))
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _build_progress(self) -> QWidget:
        page = QWidget(self)
        self.progress_title = heading("Exporting…", page)
        self.progress_bar = QProgressBar(page)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setRange(0, 0)
        self.progress_label = hint("Starting…", page)
        self.stop_button = QPushButton("Cancel", page)
        self.stop_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(self.progress_title)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        layout.addStretch(2)
        layout.addLayout(buttons)
        return page

    def _build_result(self) -> QWidget:
        page = QWidget(self)
        self.result_icon = QLabel(page)
        self.result_icon.setFixedSize(36, 36)
        self.result_title = heading("", page)
        self.result_text = QLabel(page)
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_details = hint("", page)
        self.result_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.back_button = QPushButton("Back", page)
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(self.PAGE_OPTIONS))
        self.show_folder_button = QPushButton("Show folder", page)
        self.show_folder_button.clicked.connect(self.show_folder)
        self.close_button = QPushButton("Close", page)
        self.close_button.clicked.connect(self.accept)
        head = QHBoxLayout()
        head.setSpacing(12)
        head.addWidget(self.result_icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.result_title, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_folder_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.result_text)
        layout.addWidget(self.result_details, 1)
        layout.addLayout(buttons)
        return page

    # --- choices -----------------------------------------------------------------------------

    def _restore_choices(self) -> None:
        s = _settings()
        s.beginGroup(_SETTINGS_GROUP)
        saved = s.value("formats")
        chosen = (
            [str(v) for v in saved]
            if isinstance(saved, list)
            else ([saved] if isinstance(saved, str) and saved else list(DEFAULT_FORMATS))
        )
        for name, box in self.format_boxes.items():
            box.setChecked(name in chosen)
        (self.png_radio if s.value("annotated_format") == "png" else self.jpeg_radio).setChecked(True)
        try:
            side = int(str(s.value("annotated_max_side", 0) or 0))
        except (TypeError, ValueError):
            side = 0
        self.long_side_spin.setValue(side or 2048)
        (self.long_side_radio if side else self.full_size_radio).setChecked(True)
        self.long_side_spin.setEnabled(bool(side))
        self.draw_rejected_box.setChecked(str(s.value("draw_rejected", "false")).lower() == "true")
        dest = s.value("dest")
        s.endGroup()
        default = self.source_root.parent / f"{self.source_root.name or 'photos'} export"
        self.dest_edit.setText(str(dest) if isinstance(dest, str) and dest else str(default))
        self._update_enabled()

    def _remember_choices(self) -> None:
        s = _settings()
        s.beginGroup(_SETTINGS_GROUP)
        s.setValue("formats", self.chosen_formats())
        s.setValue("annotated_format", self.annotated_format())
        s.setValue("annotated_max_side", self.annotated_max_side() or 0)
        s.setValue("draw_rejected", "true" if self.draw_rejected_box.isChecked() else "false")
        s.setValue("dest", self.dest_edit.text().strip())
        s.endGroup()
        s.sync()

    def chosen_formats(self) -> list[str]:
        return [name for name, box in self.format_boxes.items() if box.isChecked()]

    def annotated_format(self) -> str:
        return "png" if self.png_radio.isChecked() else "jpg"

    def annotated_max_side(self) -> int | None:
        return self.long_side_spin.value() if self.long_side_radio.isChecked() else None

    def _update_enabled(self) -> None:
        annotated = self.format_boxes["annotated"].isChecked()
        self.annotated_options.setEnabled(annotated)
        self.annotated_title.setEnabled(annotated)
        if self.chosen_formats():
            self.formats_message.clear_message()

    def _on_dest_edited(self) -> None:
        self.dest_message.clear_message()
        set_invalid(self.dest_edit, False)

    def _choose_dest(self) -> None:
        start = self.dest_edit.text().strip() or str(self.source_root.parent)
        chosen = QFileDialog.getExistingDirectory(self, "Export to", start)
        if chosen:
            self.dest_edit.setText(chosen)

    # --- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Check the choices and start the export on a worker."""
        if self._running:
            return
        formats = self.chosen_formats()
        if not formats:
            self.formats_message.show_error("Choose at least one format.")
            return
        text = self.dest_edit.text().strip()
        if not text:
            self.dest_message.show_error("Choose the folder to export to.")
            set_invalid(self.dest_edit, True)
            self.dest_edit.setFocus()
            return
        set_invalid(self.dest_edit, False)
        dest = Path(text).expanduser()
        self._dest = dest
        self._remember_choices()
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._running = True
        self.error = None
        self.report = None
        self.progress_title.setText("Exporting…")
        self.progress_label.setText("Starting…")
        self.progress_bar.setRange(0, 0)
        self.stop_button.setEnabled(True)
        self.stack.setCurrentIndex(self.PAGE_PROGRESS)
        self.stop_button.setFocus()
        self._poll.start()
        records, source_root, classes = self.records, self.source_root, self.classes
        max_side, kind, cancel = self.annotated_max_side(), self.annotated_format(), self._cancel
        draw_rejected = self.draw_rejected_box.isChecked()
        progress = self._progress  # the worker gets plain objects only, never the dialog

        def work() -> ExportReport:
            return exporters.export_records(
                records,
                source_root=source_root,
                dest=dest,
                formats=formats,
                classes=classes,
                annotated_max_side=max_side,
                annotated_format=kind,
                draw_rejected=draw_rejected,
                progress=progress.store,
                cancel=cancel,
            )

        self._tasks.run(work, self._on_finished, self._on_failed)

    def _show_progress(self) -> None:
        done, total = self._progress.value
        if total <= 0:
            return
        if self.progress_bar.maximum() != total:
            self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)
        if self._cancel.is_set():
            return
        formats = self.chosen_formats()
        files = len([f for f in formats if f != "annotated"])
        if "annotated" in formats and done >= files:
            photos = total - files
            self.progress_label.setText(
                f"Drawing annotated photos: {min(done - files, photos):,} of {photos:,}"
            )
        else:
            self.progress_label.setText(f"Writing {min(done + 1, total):,} of {total:,}…")

    def cancel(self) -> None:
        """Ask the running export to stop; nothing under the destination changes."""
        if not self._running:
            return
        self._cancel.set()
        self.stop_button.setEnabled(False)
        self.progress_title.setText("Cancelling…")
        self.progress_label.setText("Stopping after the current photo; nothing in the folder will change.")

    def is_running(self) -> bool:
        return self._running

    def _on_finished(self, report: ExportReport) -> None:
        self._stop()
        self.report = report
        files = sum(r.files for r in report.formats.values())
        self.result_icon.setPixmap(pixmap("success", 36))
        self.result_title.setText("Export finished")
        took = f" in {report.seconds:.1f} s" if report.seconds >= 0.1 else ""
        self.result_text.setText(
            f"{_count(report.records, 'photo')} exported{took}: {_count(files, 'file')} in {report.dest}"
        )
        lines = []
        for name, result in report.formats.items():
            title = FORMAT_TEXT.get(name, (name, ""))[0]
            lines.append(
                f"• {title}: {result.path.name}, {_count(result.images, 'photo')}, "
                f"{_count(result.detections, 'box')}"
            )
        if report.failed_images:
            lines.append(
                f"• {_count(len(report.failed_images), 'photo')} without a result: in CSV and JSON only"
            )
        if report.warnings:
            lines.append("")
            lines.append(f"{_count(len(report.warnings), 'warning')}:")
            lines.extend(f"  {w.message}" for w in report.warnings[:8])
            if len(report.warnings) > 8:
                lines.append(f"  … and {len(report.warnings) - 8:,} more")
        self.result_details.setText("\n".join(lines))
        self.show_folder_button.show()
        self.back_button.hide()
        self.close_button.setDefault(True)
        self._show_result()

    def _on_failed(self, exc: BaseException) -> None:
        self._stop()
        dest = self._dest
        if isinstance(exc, ExportCancelled):
            self.error = "cancelled"
            self.result_icon.setPixmap(pixmap("info", 36))
            self.result_title.setText("Export cancelled")
            self.result_text.setText(f"Nothing was changed in {dest}.")
        else:
            known = isinstance(exc, ExportError | ValueError | OSError)
            message = str(exc) if known else f"{type(exc).__name__}: {exc}"
            self.error = message
            self.result_icon.setPixmap(pixmap("error", 36))
            self.result_title.setText("The export failed")
            self.result_text.setText(message)
            self.result_details.setText(f"Nothing was changed in {dest}.")
        if isinstance(exc, ExportCancelled):
            self.result_details.setText("")
        self.show_folder_button.hide()
        self.back_button.show()
        self.back_button.setDefault(True)
        self._show_result()

    def _stop(self) -> None:
        self._running = False
        self._poll.stop()
        self._show_progress()

    def _show_result(self) -> None:
        if self._close_when_done:
            super().reject()
            return
        self.stack.setCurrentIndex(self.PAGE_RESULT)
        # Enter does the likely next thing: close after a success, go back after a failure.
        (self.close_button if self.report is not None else self.back_button).setFocus()

    def show_folder(self) -> None:
        target = self._dest or Path(self.dest_edit.text().strip())
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    # --- closing -----------------------------------------------------------------------------

    def reject(self) -> None:
        if self._running:  # the worker is writing: cancel it, close once it has cleaned up
            self._close_when_done = True
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._running:
            self._close_when_done = True
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)
