"""The Settings dialog: connection, performance (and the thumbnail cache), S3 upload and appearance.

Values go to `AppSettings` (a readable JSON file) on OK; the API key goes to the system keychain
through `save_api_key` and nowhere else: the key field starts empty (a saved key is only reported,
never shown), and keychain calls run off the GUI thread because a locked keychain may prompt.
Counting and clearing the thumbnail cache run off it too: it may hold 100,000 files.
"""

from __future__ import annotations

import configparser
import dataclasses
import re
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core import thumb_cache
from isaac_gui.core.images import DEFAULT_MAX_SIDE
from isaac_gui.core.run_config import DEFAULT_MODEL
from isaac_gui.core.settings import (
    MAX_CONCURRENCY,
    THUMBNAIL_CACHE_MB,
    AppSettings,
    S3Settings,
    load_api_key,
    save_api_key,
)
from isaac_gui.qt.dialogs._widgets import (
    KEY_ENV,
    FieldMessage,
    SecretField,
    describe_keyring_error,
    env_key_present,
    heading,
    hint,
    set_invalid,
    url_problem,
)
from isaac_gui.qt.dialogs.review_page import ReviewPage
from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import icon
from isaac_gui.qt.workers.tasks import BackgroundTasks

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
SENDING_SIZE_NOTE = (
    f"The long side of the copy sent to Isaac ({DEFAULT_MAX_SIDE:,} px by default). Isaac answers on a "
    "0–1000 grid, so more pixels add no box precision, while decoding and uploading get several times "
    "slower (a 12-megapixel photo decodes at a quarter scale for 1,000 px). Raise it only for defects "
    "too small to survive the shrink."
)


def aws_profiles() -> list[str]:
    """Profile names from ~/.aws/config and ~/.aws/credentials (read locally, no AWS call)."""
    names: set[str] = set()
    home = Path.home() / ".aws"
    for path, strip in ((home / "config", "profile "), (home / "credentials", "")):
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error, UnicodeDecodeError):
            continue
        for section in parser.sections():
            name = section[len(strip) :] if strip and section.startswith(strip) else section
            if name and not name.startswith(("sso-session", "services ")):
                names.add(name.strip())
    return sorted(names)


def bucket_problem(bucket: str, *, enabled: bool, custom_endpoint: bool) -> str | None:
    bucket = bucket.strip()
    if not enabled:
        return None
    if not bucket:
        return "Enter the bucket the results go to."
    if custom_endpoint:
        return None  # S3-compatible stores have their own, looser rules
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        return "Bucket names are 3–63 lowercase letters, digits, dots and hyphens."
    return None


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(6)
    return form


def _field(*widgets: QWidget) -> QWidget:
    """A form field made of an input and the lines under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 4)
    layout.setSpacing(3)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _page(title: str, intro: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(4, 2, 4, 2)
    layout.setSpacing(10)
    layout.addWidget(heading(title, page))
    if intro:
        layout.addWidget(hint(intro, page))
    return page, layout


class SettingsDialog(QDialog):
    """Edits `settings` in place on OK (and saves it); Cancel leaves it untouched."""

    PAGES = ("Connection", "Performance", "S3 upload", "Review", "Appearance")

    def __init__(
        self, settings: AppSettings, parent: QWidget | None = None, *, thumbnail_dir: Path | None = None
    ) -> None:
        super().__init__(parent)
        self._tasks = BackgroundTasks(self)
        self.settings = settings
        self.thumbnail_dir = thumbnail_dir if thumbnail_dir is not None else thumb_cache.default_dir()
        self.setWindowTitle("Settings")
        self.setModal(True)
        self._key_saved: bool | None = None  # None while the keychain is being asked
        self._remove_key = False
        self._saving = False
        self._touched = False  # validate live once the user pressed OK with a problem
        self._original_theme = theme.requested_theme()
        self._ready = False  # no live theme preview while the fields are being filled in

        self.sidebar = QListWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(18, 18))
        self.sidebar.setFixedWidth(170)
        self.pages = QStackedWidget(self)
        for name, icon_name, build in (
            ("Connection", "connection", self._build_connection),
            ("Performance", "gauge", self._build_performance),
            ("S3 upload", "cloud", self._build_s3),
            ("Review", "check", self._build_review),
            ("Appearance", "palette", self._build_appearance),
        ):
            QListWidgetItem(icon(icon_name, plain_selected=True), name, self.sidebar)
            page = build()
            self.pages.addWidget(page)
        self.sidebar.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sidebar.setCurrentRow(0)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.status = FieldMessage(self)

        body = QHBoxLayout()
        body.setSpacing(18)
        body.addWidget(self.sidebar)
        body.addWidget(self.pages, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 14)
        layout.setSpacing(14)
        layout.addLayout(body, 1)
        layout.addLayout(footer)
        self.resize(720, 500)
        self._load_values()
        self._ready = True
        self._check_key()
        self._count_thumbnails()
        self.sidebar.setFocus()

    # --- pages -------------------------------------------------------------------------------

    def _build_connection(self) -> QWidget:
        page, layout = _page(
            "Connection",
            "Each photo is sent to Perceptron's Isaac model. The key is kept in the system keychain, "
            "never in a file or a log.",
        )
        form = _form()
        self.key_edit = SecretField(page)
        self.key_edit.setAccessibleName("API key")
        self.key_status = FieldMessage(page)
        self.remove_key_button = QPushButton("Remove saved key", page)
        self.remove_key_button.setIcon(icon("close"))
        self.remove_key_button.clicked.connect(self._on_remove_key)
        self.remove_key_button.hide()
        self.key_message = FieldMessage(page)
        key_row = QHBoxLayout()
        key_row.setSpacing(8)
        key_row.addWidget(self.key_status, 1)
        key_row.addWidget(self.remove_key_button)
        key_status_box = QWidget(page)
        key_status_box.setLayout(key_row)
        key_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("API &key", _field(self.key_edit, key_status_box, self.key_message))

        self.base_url_edit = QLineEdit(page)
        self.base_url_edit.setPlaceholderText("Perceptron's API (leave empty)")
        self.base_url_edit.setClearButtonEnabled(True)
        self.base_url_message = FieldMessage(page)
        self.base_url_edit.textChanged.connect(self._revalidate)
        form.addRow(
            "&Base URL",
            _field(self.base_url_edit, self.base_url_message, hint("Only for a self-hosted endpoint.", page)),
        )
        self.model_edit = QLineEdit(page)
        self.model_edit.setPlaceholderText(f"{DEFAULT_MODEL} (default)")
        self.model_edit.setClearButtonEnabled(True)
        form.addRow("&Model", _field(self.model_edit))
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _build_performance(self) -> QWidget:
        page, layout = _page(
            "Performance",
            "How hard isaac-gui pushes: change these when the API answers 429 or your plan allows more.",
        )
        form = _form()
        self.concurrency_spin = QSpinBox(page)
        self.concurrency_spin.setRange(1, MAX_CONCURRENCY)
        self.concurrency_spin.setSuffix(" photos at once")
        form.addRow(
            "&Concurrency",
            _field(self.concurrency_spin, hint("8–32 keeps Perceptron's API busy; more rarely helps.", page)),
        )
        self.rpm_spin = QSpinBox(page)
        self.rpm_spin.setRange(0, 100_000)
        self.rpm_spin.setSingleStep(30)
        self.rpm_spin.setSpecialValueText("No limit")
        self.rpm_spin.setSuffix(" per minute")
        form.addRow(
            "&Requests",
            _field(
                self.rpm_spin,
                hint("Stay under your plan's limit; 429 answers slow the run down by themselves.", page),
            ),
        )
        self.max_side_spin = QSpinBox(page)
        self.max_side_spin.setRange(0, 8192)
        self.max_side_spin.setSingleStep(250)
        self.max_side_spin.setSpecialValueText("Full size")
        self.max_side_spin.setSuffix(" px long side")
        form.addRow("&Sending size", _field(self.max_side_spin, hint(SENDING_SIZE_NOTE, page)))
        self.timeout_spin = QSpinBox(page)
        self.timeout_spin.setRange(5, 600)
        self.timeout_spin.setSuffix(" s")
        form.addRow("&Timeout", _field(self.timeout_spin, hint("How long one request may take.", page)))
        form.addRow("T&humbnail cache", self._thumbnail_cache_field(page))
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _thumbnail_cache_field(self, page: QWidget) -> QWidget:
        self.thumb_cap_spin = QSpinBox(page)
        self.thumb_cap_spin.setRange(*THUMBNAIL_CACHE_MB)
        self.thumb_cap_spin.setSingleStep(256)
        self.thumb_cap_spin.setSuffix(" MB at most")
        self.thumb_usage = QLabel(page)
        self.thumb_usage.setAccessibleName("Thumbnail cache usage")
        self.clear_thumbs_button = QPushButton("C&lear", page)
        self.clear_thumbs_button.setToolTip("Remove every cached thumbnail; they are made again when shown")
        self.clear_thumbs_button.clicked.connect(self._clear_thumbnails)
        row = QWidget(page)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(8)
        line.addWidget(self.thumb_cap_spin)
        line.addWidget(self.thumb_usage, 1)
        line.addWidget(self.clear_thumbs_button)
        note = "Kept on disk so folders open fast; beyond the cap, the thumbnails seen longest ago go."
        return _field(row, hint(note, page))

    def _build_s3(self) -> QWidget:
        page, layout = _page(
            "S3 upload",
            "Upload results (results.jsonl, the summary and exports) to S3 or an S3-compatible store as the "
            "run goes. Credentials come from the AWS profile or environment, as for the aws command.",
        )
        self.s3_enabled = QCheckBox("&Upload results to S3", page)
        self.s3_enabled.toggled.connect(self._on_s3_toggled)
        layout.addWidget(self.s3_enabled)
        self.s3_fields = QWidget(page)
        form = _form()
        form.setContentsMargins(0, 0, 0, 0)
        self.bucket_edit = QLineEdit(page)
        self.bucket_edit.setPlaceholderText("my-inspection-results")
        self.bucket_message = FieldMessage(page)
        self.bucket_edit.textChanged.connect(self._revalidate)
        form.addRow("B&ucket", _field(self.bucket_edit, self.bucket_message))
        self.prefix_edit = QLineEdit(page)
        self.prefix_edit.setPlaceholderText("runs/  (optional)")
        form.addRow("&Prefix", _field(self.prefix_edit))
        self.region_edit = QLineEdit(page)
        self.region_edit.setPlaceholderText("from the profile, e.g. eu-west-1")
        form.addRow("Re&gion", _field(self.region_edit))
        self.profile_combo = QComboBox(page)
        self.profile_combo.setEditable(True)
        self.profile_combo.addItems(aws_profiles())
        self.profile_combo.setCurrentText("")
        line = self.profile_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("default")
        form.addRow("Pro&file", _field(self.profile_combo))
        self.endpoint_edit = QLineEdit(page)
        self.endpoint_edit.setPlaceholderText("AWS (leave empty) or https://s3.example.com")
        self.endpoint_message = FieldMessage(page)
        self.endpoint_edit.textChanged.connect(self._revalidate)
        form.addRow("&Endpoint URL", _field(self.endpoint_edit, self.endpoint_message))
        self.upload_annotated = QCheckBox("Also upload &annotated images", page)
        form.addRow("", self.upload_annotated)
        self.s3_fields.setLayout(form)
        layout.addWidget(self.s3_fields)
        layout.addStretch(1)
        return page

    def _build_review(self) -> QWidget:
        self.review_page = ReviewPage(self)
        return self.review_page

    def _build_appearance(self) -> QWidget:
        page, layout = _page("Appearance", "")
        self.theme_group = QButtonGroup(page)
        self.theme_buttons: dict[str, QRadioButton] = {}
        for value, text in (
            ("system", "&System: follow the desktop"),
            ("light", "&Light"),
            ("dark", "&Dark"),
        ):
            button = QRadioButton(text, page)
            self.theme_group.addButton(button)
            self.theme_buttons[value] = button
            layout.addWidget(button)
            button.toggled.connect(lambda on, v=value: self._preview_theme(v) if on else None)
        layout.addStretch(1)
        return page

    # --- values ------------------------------------------------------------------------------

    def _load_values(self) -> None:
        s = self.settings
        self.base_url_edit.setText(s.base_url)
        self.model_edit.setText("" if s.model == DEFAULT_MODEL else s.model)
        self.concurrency_spin.setValue(max(1, min(int(s.concurrency), MAX_CONCURRENCY)))
        self.rpm_spin.setValue(max(0, round(float(s.rpm or 0))))
        self.max_side_spin.setValue(max(0, int(s.max_side or 0)))
        self.timeout_spin.setValue(max(5, min(round(float(s.timeout_s)), 600)))
        self.thumb_cap_spin.setValue(int(s.thumbnail_cache_mb))
        self.s3_enabled.setChecked(s.s3.enabled)
        self.bucket_edit.setText(s.s3.bucket)
        self.prefix_edit.setText(s.s3.prefix)
        self.region_edit.setText(s.s3.region)
        self.profile_combo.setCurrentText(s.s3.profile)
        self.endpoint_edit.setText(s.s3.endpoint_url)
        self.upload_annotated.setChecked(s.s3.upload_annotated)
        self._on_s3_toggled(s.s3.enabled)
        self.theme_buttons.get(s.theme, self.theme_buttons["system"]).setChecked(True)
        self.review_page.load(s)

    def values(self) -> AppSettings:
        """The settings as the dialog shows them (a copy; `settings` changes only on OK)."""
        s = dataclasses.replace(self.settings)
        s.base_url = self.base_url_edit.text().strip().rstrip("/")
        model = self.model_edit.text().strip()
        s.model = "" if model == DEFAULT_MODEL else model
        s.concurrency = self.concurrency_spin.value()
        s.rpm = float(self.rpm_spin.value())
        s.max_side = self.max_side_spin.value()
        s.timeout_s = float(self.timeout_spin.value())
        s.thumbnail_cache_mb = self.thumb_cap_spin.value()
        s.theme = next((v for v, b in self.theme_buttons.items() if b.isChecked()), "system")
        s.s3 = S3Settings(
            enabled=self.s3_enabled.isChecked(),
            bucket=self.bucket_edit.text().strip(),
            prefix=self.prefix_edit.text().strip().lstrip("/"),
            region=self.region_edit.text().strip(),
            profile=self.profile_combo.currentText().strip(),
            endpoint_url=self.endpoint_edit.text().strip().rstrip("/"),
            upload_annotated=self.upload_annotated.isChecked(),
        )
        self.review_page.apply(s)
        return s

    # --- validation --------------------------------------------------------------------------

    def problems(self) -> list[tuple[int, QWidget, str]]:
        """(page, field, message) for every value that cannot be saved."""
        out: list[tuple[int, QWidget, str]] = []
        checks = (
            (0, self.base_url_edit, self.base_url_message, url_problem(self.base_url_edit.text())),
            (
                2,
                self.bucket_edit,
                self.bucket_message,
                bucket_problem(
                    self.bucket_edit.text(),
                    enabled=self.s3_enabled.isChecked(),
                    custom_endpoint=bool(self.endpoint_edit.text().strip()),
                ),
            ),
            (
                2,
                self.endpoint_edit,
                self.endpoint_message,
                url_problem(self.endpoint_edit.text()) if self.s3_enabled.isChecked() else None,
            ),
        )
        rules_problem = self.review_page.rules_problem()
        if rules_problem and self._touched:
            self.review_page.rules_message.show_error(rules_problem)
        elif self._touched:
            self.review_page.rules_message.clear_message()
        if rules_problem:
            out.append((self.PAGES.index("Review"), self.review_page.rules_edit, rules_problem))
        for page, widget, message, problem in checks:
            set_invalid(widget, problem is not None and self._touched)
            if problem and self._touched:
                message.show_error(problem)
            else:
                message.clear_message()
            if problem:
                out.append((page, widget, problem))
        return out

    def _revalidate(self) -> None:
        if self._touched:
            self.problems()

    # --- the key -----------------------------------------------------------------------------

    def _check_key(self) -> None:
        self.key_status.show_note("Checking the system keychain…")
        self._tasks.run(lambda: load_api_key() is not None, self._on_key_checked, self._on_key_check_failed)

    def _on_key_checked(self, saved: bool) -> None:
        self._key_saved = saved
        self._show_key_status()

    def _on_key_check_failed(self, exc: BaseException) -> None:
        self._key_saved = False
        self._show_key_status()

    def _show_key_status(self) -> None:
        if self._remove_key:
            text = "The saved key will be removed when you press OK."
        elif self._key_saved:
            text = "✓ A key is saved in the system keychain. Type a new one to replace it."
        else:
            text = "No key saved yet. Paste your Perceptron API key."
        if env_key_present():
            text += f" {KEY_ENV} is set in this environment and is used instead."
        self.key_status.show_note(text)
        self.remove_key_button.setVisible(bool(self._key_saved) and not self._remove_key)
        self.key_edit.setPlaceholderText(
            "•••••••• saved; type to replace"
            if self._key_saved and not self._remove_key
            else "Paste your API key"
        )

    def _on_remove_key(self) -> None:
        self._remove_key = True
        self.key_edit.clear()
        self._show_key_status()

    def key_saved(self) -> bool | None:
        """Whether the keychain holds a key (None until it has answered)."""
        return self._key_saved

    # --- the thumbnail cache -----------------------------------------------------------------

    def _count_thumbnails(self) -> None:
        directory = self.thumbnail_dir
        self.thumb_usage.setText("Counting…")
        self._tasks.run(
            lambda: thumb_cache.cache_usage(directory), self._show_thumbnails, self._on_thumbs_failed
        )

    def _clear_thumbnails(self) -> None:
        directory = self.thumbnail_dir
        self.clear_thumbs_button.setEnabled(False)
        self.thumb_usage.setText("Clearing…")
        self._tasks.run(lambda: thumb_cache.clear(directory), self._show_thumbnails, self._on_thumbs_failed)

    def _show_thumbnails(self, usage: thumb_cache.Usage) -> None:
        self.thumb_usage.setText(usage.describe())
        self.clear_thumbs_button.setEnabled(usage.files > 0)

    def _on_thumbs_failed(self, exc: BaseException) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.thumb_usage.setText(f"The cache cannot be read or cleared: {reason}")
        self.clear_thumbs_button.setEnabled(True)

    def thumbnails_shown(self) -> bool:
        """Whether the usage is on screen (not being counted or cleared)."""
        return self.thumb_usage.text() not in ("Counting…", "Clearing…")

    # --- accept ------------------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving:
            return
        self._touched = True
        problems = self.problems()
        if problems:
            page, widget, _ = problems[0]
            self.sidebar.setCurrentRow(page)
            widget.setFocus()
            self.status.show_error("Fix the highlighted field to save.")
            return
        key = self.key_edit.text().strip()
        if key or self._remove_key:
            self._set_saving(True)
            self.key_message.clear_message()
            self._tasks.run(lambda: save_api_key(key or None), self._on_key_stored, self._on_key_failed)
            return
        self._finish()

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.ok_button.setEnabled(not saving)
        if saving:
            self.status.show_note("Saving the key in the system keychain…")
        else:
            self.status.clear_message()

    def _on_key_stored(self, _result: object) -> None:
        self._set_saving(False)
        self.key_edit.clear()
        self._finish()

    def _on_key_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        self.sidebar.setCurrentRow(0)
        self.key_message.show_error(describe_keyring_error(exc))
        self.status.show_error("The key was not saved; nothing else was changed.")
        self.key_edit.setFocus()

    def _finish(self) -> None:
        updated = self.values()
        before = dataclasses.replace(self.settings)
        names = [field.name for field in dataclasses.fields(AppSettings)]
        for name in names:
            setattr(self.settings, name, getattr(updated, name))
        try:
            self.review_page.save_rules()
            self.settings.save()
        except OSError as exc:
            for name in names:  # not saved: the caller keeps what it had
                setattr(self.settings, name, getattr(before, name))
            self.status.show_error(f"Cannot save the settings: {exc.strerror or exc}")
            return
        super().accept()

    def reject(self) -> None:
        if self._saving:
            return  # the keychain is answering; closing now would lose what it says
        self._preview_theme(self._original_theme)
        super().reject()

    # --- helpers -----------------------------------------------------------------------------

    def _on_s3_toggled(self, on: bool) -> None:
        self.s3_fields.setEnabled(on)
        self._revalidate()

    def _preview_theme(self, value: str) -> None:
        app = QApplication.instance()
        if self._ready and isinstance(app, QApplication) and value != theme.requested_theme():
            theme.apply_theme(app, value)
