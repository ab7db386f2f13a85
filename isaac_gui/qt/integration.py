"""How the window reaches the panels built elsewhere (latency plot, settings and export dialogs), and
the demo's sample folder. The dialogs are imported on first use, which keeps them off start-up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from isaac_gui.core.discovery import is_image_name
from isaac_gui.core.settings import AppSettings, cache_dir
from isaac_gui.qt.background import BackgroundTasks
from isaac_gui.qt.theme import apply_theme as apply

DEMO_CLASSES = ("scratch", "dent", "missing screw")
DEMO_COUNT = 48


def apply_theme(theme: str) -> None:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply(app, theme)


def open_settings(settings: AppSettings, parent: QWidget) -> bool:
    """The settings dialog; True when the user saved (the dialog stores settings and key itself)."""
    from isaac_gui.qt.dialogs.settings import SettingsDialog  # noqa: PLC0415

    dialog = SettingsDialog(settings, parent)
    try:
        accepted = bool(dialog.exec() == QDialog.DialogCode.Accepted)
    finally:
        dialog.deleteLater()
    if accepted:
        apply_theme(settings.theme)
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
) -> None:
    """Read the full records of `rels` from the journal off the GUI thread, then open the export dialog."""
    n = len(rels)
    scope = f"the {'selection' if selection else 'run'} ({n:,} photo{'s' if n != 1 else ''})"

    def failed(exc: BaseException) -> None:
        QMessageBox.warning(parent, "Export", f"Could not read the results to export: {exc}")

    def done(records: list[dict[str, Any]]) -> None:
        open_export(records, root, classes, parent, scope)

    tasks.run(lambda: records_for_export(out_dir, rels), done, failed)


def records_for_export(out_dir: Path, rels: Sequence[str]) -> list[dict[str, Any]]:
    """The full records (as in results.jsonl) of `rels`, in that order, read from the journal (worker thread)."""
    import threading  # noqa: PLC0415

    from isaac_gui.qt.folder_loader import read_journal  # noqa: PLC0415

    _settings, results = read_journal(out_dir, threading.Event())
    by_rel = dict(results)
    return [by_rel[rel] for rel in rels if rel in by_rel]


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


def dropped_paths(urls: Sequence[QUrl]) -> list[Path]:
    paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return [p for p in paths if p.is_dir() or is_image_name(p.name)]


def make_demo_photos(folder: Path | None = None, count: int = DEMO_COUNT) -> Path:
    """The demo's sample photos (generated once, then reused). Runs on a worker thread."""
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415

    folder = folder or cache_dir() / "demo" / "sample-photos"
    done = folder / ".complete"
    if not done.exists():
        generate_samples(folder, count, DEMO_CLASSES, seed=7, size=(1600, 1200), workers=2)
        done.write_text("ok\n", encoding="utf-8")
    return folder
