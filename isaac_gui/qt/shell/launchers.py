"""The window's commands that open a dialog or ask a question: Settings, Export, stopping a run.

The dialogs are imported on first use, which keeps them off start-up."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from isaac_gui.core.review.outputs import ReviewedOutputs
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.photos.folder_loader import read_journal
from isaac_gui.qt.style.theme import use_theme
from isaac_gui.qt.workers.tasks import BackgroundTasks


def open_settings(settings: AppSettings, parent: QWidget, *, thumbnail_dir: Path | None = None) -> bool:
    """The settings dialog; True when the user saved (the dialog stores settings and key itself)."""
    from isaac_gui.qt.dialogs.settings import SettingsDialog  # noqa: PLC0415

    dialog = SettingsDialog(settings, parent, thumbnail_dir=thumbnail_dir)
    try:
        accepted = bool(dialog.exec() == QDialog.DialogCode.Accepted)
    finally:
        dialog.deleteLater()
    if accepted:
        use_theme(settings.theme)
    return accepted


def open_export(
    records: Sequence[dict[str, Any]],
    source_root: Path,
    classes: Sequence[str],
    parent: QWidget,
    scope: str = "",
) -> None:
    from isaac_gui.qt.dialogs.export import ExportDialog  # noqa: PLC0415

    dialog = ExportDialog(records, source_root, classes, parent, scope=scope or None)
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()


def export_in_background(
    tasks: BackgroundTasks,
    out_dir: Path,
    rels: Sequence[str],
    root: Path,
    classes: Sequence[str],
    parent: QWidget,
    *,
    selection: bool = False,
    rules: RuleSet = DEFAULT_RULES,
) -> None:
    """Read the full records of `rels` from the journal, as the inspector corrected them (`rules`
    proposing the verdicts), off the GUI thread; then open the export dialog."""
    n = len(rels)
    scope = f"the {'selection' if selection else 'run'} ({n:,} photo{'s' if n != 1 else ''})"

    def failed(exc: BaseException) -> None:
        QMessageBox.warning(parent, "Export", f"Could not read the results to export: {exc}")

    def done(records: list[dict[str, Any]]) -> None:
        open_export(records, root, classes, parent, scope)

    tasks.run(lambda: records_for_export(out_dir, rels, rules), done, failed)


def records_for_export(
    out_dir: Path, rels: Sequence[str], rules: RuleSet = DEFAULT_RULES
) -> list[dict[str, Any]]:
    """The full records (as in results.jsonl) of `rels`, in that order, read from the journal, the
    reviewed ones as the inspector corrected them (worker thread)."""
    _settings, results = read_journal(out_dir, threading.Event())
    by_rel = dict(results)
    return list(ReviewedOutputs(out_dir, rules).records(by_rel[rel] for rel in rels if rel in by_rel))


def ask_to_stop(window: QWidget) -> bool:
    answer = QMessageBox.question(
        window,
        "Stop the run?",
        "A run is going. Stop it and close? Photos already done are kept; "
        "opening the folder again continues where it stopped.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
