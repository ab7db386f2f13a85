"""The inspector's window: a thin shell that wires the parts together.

Header (folder, classes, model, Run/Pause/Cancel), a message banner, the filter bar, the photo
grid (or the embedded viewer) above the latency panel, and the status bar. The parts live in their
own modules and get what they need in their constructors; this module only connects them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core import thumb_cache
from isaac_gui.core.discovery import is_image_name
from isaac_gui.core.review.rules import DEFAULT_RULES, RulesError, RuleSet, load_rules_file
from isaac_gui.core.run_config import default_output_dir
from isaac_gui.core.settings import AppSettings, load_api_key
from isaac_gui.core.stats import Snapshot
from isaac_gui.qt.photos.filter_bar import FilterBar
from isaac_gui.qt.photos.filter_model import PhotoFilterModel
from isaac_gui.qt.photos.folder_loader import FolderLoader, common_root
from isaac_gui.qt.photos.grid import PhotoGrid
from isaac_gui.qt.photos.model import PhotoListModel
from isaac_gui.qt.photos.thumbnails import ThumbnailCache
from isaac_gui.qt.review.controller import ReviewController
from isaac_gui.qt.run.bridge import EventBridge
from isaac_gui.qt.run.controller import RunController, RunState
from isaac_gui.qt.run.latency_panel import LatencyPanel
from isaac_gui.qt.shell import window_state
from isaac_gui.qt.shell.actions import Actions
from isaac_gui.qt.shell.header import RunBar
from isaac_gui.qt.shell.launchers import (
    ask_to_stop,
    export_in_background,
    open_settings,
)
from isaac_gui.qt.shell.message_bar import MessageBar
from isaac_gui.qt.shell.photo_stack import ViewerPane
from isaac_gui.qt.shell.review_desk import ReviewDesk
from isaac_gui.qt.shell.status_bar import StatusFields
from isaac_gui.qt.workers.responsive import freeze_long_lived, warm_up
from isaac_gui.qt.workers.tasks import BackgroundTasks

APP_TITLE = "isaac-gui"
PANEL_HEIGHT = 300
CLOSE_GRACE_MS = 20_000  # after this, a run that will not stop no longer holds the window open
OUTPUTS_DELAY_MS = 2_000  # decisions settle this long before results.jsonl and summary.json are rewritten
log = logging.getLogger(__name__)
BUSY = "A run is going: cancel it before opening other photos."
NOTHING_TO_OPEN = "Nothing to open: choose a folder, or photos (JPEG, PNG, WebP, TIFF…)."
NO_CLASSES = "Name at least one defect to look for, e.g. “scratch”."


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: AppSettings,
        *,
        load_key: Callable[[], str | None] = load_api_key,
        thumbnail_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        warm_up()
        self.settings = settings
        self.confirm_close: Callable[[QWidget], bool] = ask_to_stop  # a seam for tests
        self.sources: list[Path] = []
        self.out_dir: Path | None = None
        self.results_key: tuple[tuple[str, ...], str] | None = None  # (classes, model) of the rows' results
        self._closing = False
        self._forced = False
        self._splitter_restored = False
        self.setAcceptDrops(True)
        self.setMinimumSize(720, 480)

        self.bridge = EventBridge(self)
        self.controller = RunController(self.bridge, settings, load_key=load_key, parent=self)
        self.tasks = BackgroundTasks(self)
        self.model = PhotoListModel(self)
        self.filter_model = PhotoFilterModel(self.model, self)
        self.loader = FolderLoader(self.model, self)
        self.cache = ThumbnailCache(
            thumbnail_dir if thumbnail_dir is not None else thumb_cache.default_dir(),
            disk_cap_bytes=settings.thumbnail_cache_mb * thumb_cache.MB,
            parent=self,
        )
        self.commands = Actions(self)

        self.run_bar = RunBar(self.commands, self)
        self.message_bar = MessageBar(self)
        self.filter_bar = FilterBar(self)
        self.filter_bar.add_command(self.commands.review_summary)
        self.grid = PhotoGrid(self.filter_model, self.cache, self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.grid)
        self.pane = ViewerPane(self.stack, self.grid, self.current_classes, self)
        self.review = ReviewController(self)
        self.desk = ReviewDesk(self.pane, self.grid, self.model, self.review, self)
        self.latency_panel = LatencyPanel(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.latency_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(0, False)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        for widget in (self.message_bar, self.run_bar, self.filter_bar):
            column.addWidget(widget)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = StatusFields(self.statusBar())
        self._close_timer = self._timer(CLOSE_GRACE_MS, self._force_close)
        self._counts_timer = self._timer(200, self._show_counts)  # counts shown at most 5 times a second
        # results.jsonl and summary.json follow the decisions, a moment after the last key (a run's end
        # writes them anyway); a 100,000-photo folder takes a few seconds, off the GUI thread.
        self._outputs_timer = self._timer(OUTPUTS_DELAY_MS, self._rebuild_outputs)
        self._decided_since_upload = False  # S3 does not hold the latest decisions yet
        self._connect()
        self.run_bar.set_recent_folders(settings.recent_folders)
        self.run_bar.classes.set_recent(settings.recent_class_sets)
        self.run_bar.set_folder(None)
        self.status.set_s3(settings.s3.enabled)
        self._sync()
        self._update_title()

    def _connect(self) -> None:
        a, c = self.commands, self.controller
        a.open_folder.triggered.connect(self.choose_folder)
        a.run.triggered.connect(self.run)
        a.pause.triggered.connect(c.toggle_pause)
        a.cancel.triggered.connect(c.cancel)
        a.export.triggered.connect(lambda: self.export(selection=False))
        a.export_selection.triggered.connect(lambda: self.export(selection=True))
        a.settings.triggered.connect(self.open_settings)
        a.demo.triggered.connect(self.start_demo)
        a.quit.triggered.connect(self.close)
        a.toggle_panel.toggled.connect(self.latency_panel.setVisible)
        a.review_summary.triggered.connect(self.show_review_summary)
        a.rerun_selection.triggered.connect(self.rerun_selection)
        self.review.decided.connect(self._outputs_timer.start)  # decisions only, not photos looked at
        self.review.decided.connect(self._note_decision)
        self.run_bar.recentFolderChosen.connect(lambda folder: self.open_paths([Path(folder)]))
        self.run_bar.classes.submitted.connect(a.run.trigger)
        self.filter_bar.filterChanged.connect(self.filter_model.set_filter)
        self.filter_bar.reviewFilterChanged.connect(
            lambda verdict, klass: self.filter_model.set_filter(verdict=verdict, klass=klass)
        )
        self.desk.problem.connect(lambda text: self.message_bar.show_message(text, kind="info"))
        self.bridge.photosUpdated.connect(self.desk.on_engine_updates)
        self.loader.reviewsRead.connect(self.review.reviews.update)
        self.filter_model.modelReset.connect(self._on_counts)
        self.model.countsChanged.connect(self._on_counts)
        self.pane.retryRequested.connect(lambda _rel: self.run(retry_errors=True))
        self.grid.selectionModel().selectionChanged.connect(self._sync)
        self.filter_model.modelReset.connect(self._sync)
        self.bridge.photosUpdated.connect(self.model.apply_updates)
        self.bridge.notice.connect(self._on_notice)
        self.bridge.uploadState.connect(
            lambda state: self.status.show_upload(state.message, stuck=state.stuck)
        )
        self.loader.journalRead.connect(self._on_journal)
        self.loader.problem.connect(lambda text: self.message_bar.show_message(text, kind="warning"))
        c.stateChanged.connect(self._on_state)
        c.statsTick.connect(self._on_stats)
        c.bucketsReady.connect(self.latency_panel.add_buckets)
        c.runFinished.connect(self._on_run_finished)
        c.serviceStopped.connect(self._on_service_stopped)
        c.simulatedChanged.connect(lambda _on: self._update_title())

    # -- folders ----------------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = self.settings.recent_folders[0] if self.settings.recent_folders else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of photos", start)
        if folder:
            self.open_paths([Path(folder)])

    def open_paths(self, paths: Sequence[Path]) -> bool:
        """Show `paths` (a folder, or dropped photos and folders) in the grid at once; False if refused."""
        if self.controller.busy:
            self.message_bar.show_message(BUSY, kind="info")
            return False
        paths = [Path(p).absolute() for p in paths if Path(p).exists()]
        if not paths:
            self.message_bar.show_message(NOTHING_TO_OPEN, kind="warning")
            return False
        self.message_bar.dismiss()
        self.pane.close()
        self.cache.forget_requests()
        self.filter_bar.reset()
        self.sources = paths
        common = common_root(paths)
        self.out_dir = default_output_dir(common)
        self._open_review()
        self.loader.load(paths, self.out_dir)
        self.results_key = None
        self.latency_panel.reset()
        self.run_bar.set_folder(common)
        if len(paths) == 1 and paths[0].is_dir():
            self.settings.remember_folder(str(paths[0]))
            self._save_settings()
            self.run_bar.set_recent_folders(self.settings.recent_folders)
        self._update_title()
        self._sync()
        return True

    def _open_review(self) -> None:
        """The review writer and the folder loader read verdicts against the rules of the Settings."""
        assert self.out_dir is not None
        rules = self.rules()
        self.loader.rules = rules
        self.desk.configure(rules, self.settings.override_reasons)
        self.review.open(self.out_dir, rules, self.settings.inspector)
        self.desk.reset()

    def _note_decision(self, *_args: object) -> None:
        self._decided_since_upload = True

    def _rebuild_outputs(self) -> None:
        if self.controller.busy or self.out_dir is None or self.review.busy:
            if self.out_dir is not None and not self.controller.busy:
                self._outputs_timer.start()  # still writing the trail: after it
            return
        from isaac_gui.core.outputs import rebuild_outputs  # noqa: PLC0415

        out, rules = self.out_dir, self.desk.rules
        self.tasks.run(
            lambda: rebuild_outputs(out, rules),
            lambda _summary: self._upload_decisions(),
            lambda exc: self.message_bar.show_message(
                f"Could not update results.jsonl and summary.json in {out}: {exc}", kind="warning"
            ),
        )

    def _upload_decisions(self) -> None:
        """S3 follows the decisions (their records go up again under the same keys, then the
        manifest): between runs now, else once the run has ended."""
        if not self._decided_since_upload or self.out_dir is None or not self.settings.s3.enabled:
            return
        if self.controller.busy:
            return  # _on_state asks again when the run is over
        self._decided_since_upload = False
        self.controller.upload_outputs(self.out_dir, self.desk.rules)

    def show_review_summary(self) -> None:
        from isaac_gui.qt.review.agreement_view import AgreementView  # noqa: PLC0415 - built on first use

        view = AgreementView(self.review.reviews.values(), self.model.counts.done, self)
        try:
            view.exec()
        finally:
            view.deleteLater()

    def rules(self) -> RuleSet:
        try:
            return load_rules_file(self.settings.rules_file)
        except RulesError as exc:
            self.message_bar.show_message(f"{exc} The default rules apply.", kind="warning")
            return DEFAULT_RULES

    def _on_journal(self, last: dict[str, Any] | None, results: int) -> None:
        freeze_long_lived()  # the folder's rows now live until the next folder: out of the collector's way
        if last is None:
            return
        classes = tuple(last.get("classes") or ())
        self.results_key = (classes, str(last.get("model") or ""))
        if classes and not self.run_bar.classes.classes():
            self.run_bar.classes.set_classes(classes)
        self.grid.set_classes(classes)
        self.filter_bar.set_classes(classes)
        total = self.model.rowCount()
        if last.get("outcome") != "completed" and self.model.counts.done < total and not self.controller.busy:
            done = self.model.counts.done
            self.message_bar.show_message(
                f"The last run over these photos stopped before the end: {done:,} of {total:,} are done.",
                kind="info",
                action="Resume",
                on_action=self.run,
            )
        elif results:
            self.statusBar().showMessage(f"Showing {results:,} earlier results from {self.out_dir}", 8000)
        self._sync()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and dropped_paths(event.mimeData().urls()) and not self.controller.busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event.mimeData().urls())
        if paths and self.open_paths(paths):
            event.acceptProposedAction()

    # -- runs -------------------------------------------------------------------------------
    def rerun_selection(self) -> None:
        """Ask the selected photos again, with other classes or another model (Ctrl+Shift+R); their
        earlier answers stay in the journal, and so do the corrections made on them."""
        rels = [row.rel for row in self.grid.selected_rows()]
        if self.controller.busy or self.out_dir is None or not rels:
            return
        from isaac_gui.qt.dialogs.rerun import RerunDialog  # noqa: PLC0415 - built on first use

        dialog = RerunDialog(len(rels), self.current_classes(), self.run_bar.model_name(), self)
        try:
            if dialog.exec() != RerunDialog.DialogCode.Accepted:
                return
            classes, model = dialog.classes(), dialog.model()
        finally:
            dialog.deleteLater()
        if classes:
            self.run(only=rels, classes=classes, model=model)

    def run(
        self,
        *_checked: object,
        retry_errors: bool = False,
        only: Sequence[str] | None = None,
        classes: tuple[str, ...] | None = None,
        model: str | None = None,
    ) -> None:
        """Run over the open photos with the classes and model entered (Ctrl+Enter); or, with
        `only`, over those photos with `classes` and `model` (the others keep their answers)."""
        if self.controller.busy or self.out_dir is None:
            return
        if only is None:
            self.run_bar.classes.commit()
            classes = self.run_bar.classes.classes()
            model = self.run_bar.model_name()
        if not classes:
            self.message_bar.show_message(NO_CLASSES, kind="info")
            self.run_bar.classes.entry.setFocus()
            return
        key = (classes, self.controller.model_for(model))
        if only is None:
            self.model.reset_states(keep_results=self.results_key is None or self.results_key == key)
            self.results_key = key
            shown = classes
        else:
            self.model.reset_states(keep_results=True, rels=set(only))
            known = self.results_key[0] if self.results_key else ()
            shown = (*known, *(c for c in classes if c.casefold() not in {k.casefold() for k in known}))
        self.grid.set_classes(shown)
        self.filter_bar.set_classes(shown)
        self.latency_panel.reset()
        self.message_bar.dismiss()
        self.status.set_s3(self.settings.s3.enabled)  # last run's upload problem is that run's
        self.settings.remember_classes(", ".join(classes))
        self._save_settings()
        self.run_bar.classes.set_recent(self.settings.recent_class_sets)
        listed = None if self.loader.loading else self.model.rowCount()  # spares the engine a pass
        self.controller.start(
            self.sources,
            self.out_dir,
            classes,
            model=model or None,
            retry_errors=retry_errors,
            listed=listed,
            rules=self.desk.rules,
            only=only,
        )

    def _on_state(self, state: str) -> None:
        run_state = RunState(state)
        self.run_bar.set_state(run_state)
        if run_state is RunState.IDLE:
            self.status.run_ended()
            self._show_counts()
            self._upload_decisions()  # decisions made while the run went
            if self._closing:
                self.close()
        self._sync()

    def _on_stats(self, snapshot: Snapshot) -> None:
        self.status.show_snapshot(snapshot, running=self.controller.busy)
        self.latency_panel.set_snapshot(snapshot)

    def current_classes(self) -> tuple[str, ...]:
        return self.results_key[0] if self.results_key else self.run_bar.classes.classes()

    def _on_run_finished(self, outcome: str, message: str) -> None:
        counts = self.model.counts
        if outcome == "completed":
            text = f"Done: {counts.done:,} photos, {counts.defects:,} with defects, {counts.errors:,} errors."
            self.statusBar().showMessage(
                f"{text}  Press N to review the first photo without a verdict.", 15000
            )
            focus = self.focusWidget()
            typing = isinstance(focus, QLineEdit) and focus is not self.run_bar.classes.entry
            if not self.pane.showing and not typing:
                self.grid.setFocus()  # the keys of review work at once, without a click
        elif outcome == "cancelled" and not self._closing:
            self.message_bar.show_message(message, kind="info", action="Run again", on_action=self.run)

    def _on_service_stopped(self, message: str, action: str, label: str) -> None:
        fix = self.open_settings if action == "settings" else self.run
        self.message_bar.show_message(message, kind="error", action=label, on_action=fix)

    def _on_notice(self, source: str, message: str) -> None:
        if source == "s3":
            self.status.set_s3(True, message)

    # -- dialogs ----------------------------------------------------------------------------
    def open_settings(self) -> None:
        if open_settings(self.settings, self, thumbnail_dir=self.cache.disk_dir):
            self.status.set_s3(self.settings.s3.enabled)
            self.cache.set_disk_cap(self.settings.thumbnail_cache_mb * thumb_cache.MB)
            rules = self.rules()  # the review follows the new rules, name and reasons at once
            self.loader.rules = rules
            self.desk.configure(rules, self.settings.override_reasons)
            if self.out_dir is not None:
                self.review.set_rules(rules, self.settings.inspector)

    def export(self, *, selection: bool) -> None:
        """The export dialog for the run or the selection, once their records are read (off this thread)."""
        rows = self.grid.selected_rows() if selection else self.model.rows()
        rels = [r.rel for r in rows if r.record() is not None]
        out, root, classes = self.out_dir, self.model.root, self.current_classes()
        if rels and out is not None and root is not None:
            export_in_background(
                self.tasks, out, rels, root, classes, self, selection=selection, rules=self.desk.rules
            )

    def start_demo(self) -> None:
        from isaac_gui.qt.run.demo import DEMO_CLASSES, make_demo_photos  # noqa: PLC0415

        self.controller.start_demo()
        self.statusBar().showMessage("Preparing sample photos…")
        self.run_bar.classes.set_classes(DEMO_CLASSES)
        self.tasks.run(make_demo_photos, self._open_demo_folder, self._on_demo_failed)

    def _open_demo_folder(self, folder: Path) -> None:
        self.statusBar().clearMessage()
        self.open_paths([folder])

    def _on_demo_failed(self, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        self.message_bar.show_message(f"Could not prepare the sample photos: {exc}", kind="warning")

    # -- window state -----------------------------------------------------------------------
    def _sync(self, *_args: object) -> None:
        has_selection = self.grid.selectionModel().hasSelection()
        self.commands.set_state(
            self.controller.state,
            has_folder=self.out_dir is not None,
            has_results=self.model.counts.done > 0,
            has_selection=has_selection,
        )

    def _on_counts(self) -> None:
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _show_counts(self) -> None:
        self.filter_bar.set_counts(self.model.counts, self.filter_model.rowCount())
        self.status.show_counts(self.model.counts)
        self._sync()

    def _update_title(self) -> None:
        name = self.model.root.name if self.model.root is not None else ""
        parts = [p for p in (name, APP_TITLE) if p]
        if self.controller.simulated:
            parts.append("Simulated")
        self.setWindowTitle(" — ".join(parts))
        self.status.set_simulated(self.controller.simulated)

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.statusBar().showMessage(f"Settings could not be saved: {exc}", 8000)

    def restore_state(self) -> None:
        self._splitter_restored = window_state.restore(self, self.splitter, self.commands.toggle_panel)

    def save_state(self) -> None:
        window_state.save(self, self.splitter, self.commands.toggle_panel)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._splitter_restored:  # first start: the panel gets a strip below, the grid the rest
            self._splitter_restored = True
            self.splitter.setSizes([max(self.splitter.height() - PANEL_HEIGHT, 200), PANEL_HEIGHT])

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.busy and not self._forced:
            if not self._closing and not self.confirm_close(self):
                event.ignore()
                return
            self._closing = True
            self.controller.cancel()
            self.statusBar().showMessage("Stopping the run: finishing the requests in flight…")
            if not self._close_timer.isActive():
                self._close_timer.start()
            event.ignore()
            return
        self.save_state()
        self.shutdown()
        event.accept()

    def _timer(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def _force_close(self) -> None:
        """The run did not stop within the grace period: close anyway (its threads are daemons)."""
        self._forced = True
        self.controller.shutdown(timeout=5.0)
        self.close()

    def shutdown(self) -> None:
        """End every thread this window started (bounded waits); idempotent."""
        self._close_timer.stop()
        self._counts_timer.stop()
        if self._outputs_timer.isActive() and self.out_dir is not None and not self.controller.busy:
            self._outputs_timer.stop()
            self.review.wait_idle()
            from isaac_gui.core.outputs import rebuild_outputs  # noqa: PLC0415

            try:
                rebuild_outputs(self.out_dir, self.desk.rules)  # closing: the last decisions reach the files
            except (OSError, ValueError) as exc:
                log.warning("results.jsonl and summary.json not updated in %s: %s", self.out_dir, exc)
        if not self.controller.busy:
            self.review.wait_idle()
            self._upload_decisions()  # the controller's shutdown gives it a few seconds
        self.controller.shutdown(timeout=15.0)
        self.loader.close()
        self.tasks.close()
        self.review.shutdown()
        self.cache.close()
        self.bridge.close()
        self.pane.shutdown()


def dropped_paths(urls: Sequence[QUrl]) -> list[Path]:
    paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return [p for p in paths if p.is_dir() or is_image_name(p.name)]
