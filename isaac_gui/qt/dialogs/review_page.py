"""Settings' Review page: the inspector's name, the verdict rules, the reasons an override offers.

The rules are edited as their readable TOML file (the same file `isaac-gui run --rules` takes). On
OK the text is checked first: a mistake is shown with its line and key, and nothing is saved.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from isaac_gui.core.files import write_atomic
from isaac_gui.core.review.rules import (
    RulesError,
    RuleSet,
    default_rules_path,
    dumps_rules,
    load_rules_file,
    loads_rules,
)
from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.dialogs._widgets import FieldMessage, heading, hint


class ReviewPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(8)
        layout.addWidget(heading("Review", self))
        layout.addWidget(
            hint("Who decides, what the rules propose, and the reasons an override offers.", self)
        )
        self.inspector_edit = QLineEdit(self)
        self.inspector_edit.setPlaceholderText("Your name, as the audit trail shows it beside the OS user")
        self.inspector_edit.setAccessibleName("Inspector name")
        layout.addWidget(QLabel("Inspector", self))
        layout.addWidget(self.inspector_edit)

        self.rules_label = QLabel(self)
        self.rules_label.setWordWrap(True)
        layout.addWidget(self.rules_label)
        self.rules_edit = QPlainTextEdit(self)
        self.rules_edit.setAccessibleName("Verdict rules (TOML)")
        self.rules_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.rules_edit.setMinimumHeight(150)
        self.rules_edit.setTabChangesFocus(True)
        self.rules_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a file: lines as written
        layout.addWidget(self.rules_edit, 2)
        self.rules_message = FieldMessage(self)
        layout.addWidget(self.rules_message)

        layout.addWidget(QLabel("Override reasons (one a line; digits 1–9 pick them)", self))
        self.reasons_edit = QPlainTextEdit(self)
        self.reasons_edit.setAccessibleName("Override reasons, one a line")
        self.reasons_edit.setTabChangesFocus(True)
        self.reasons_edit.setMaximumHeight(110)
        layout.addWidget(self.reasons_edit, 1)
        self._path: Path = default_rules_path()
        self._loaded_text = ""

    def load(self, settings: AppSettings) -> None:
        self.inspector_edit.setText(settings.inspector)
        self._path = Path(settings.rules_file) if settings.rules_file else default_rules_path()
        try:
            rules = load_rules_file(settings.rules_file or None)
            self.rules_message.clear_message()
        except RulesError as exc:
            rules = None
            self.rules_message.show_error(str(exc))
        try:
            text = self._path.read_text(encoding="utf-8")
        except OSError:
            text = dumps_rules(rules) if rules is not None else ""
        self._loaded_text = text
        self.rules_edit.setPlainText(text)
        exists = self._path.exists()
        self.rules_label.setText(
            f"Verdict rules: {self._path}" + ("" if exists else " (not written yet: the built-in rules)")
        )
        self.reasons_edit.setPlainText("\n".join(settings.override_reasons))

    def rules_problem(self) -> str | None:
        try:
            self._parsed()
        except RulesError as exc:
            return str(exc)
        return None

    def _parsed(self) -> RuleSet:
        return loads_rules(self.rules_edit.toPlainText(), str(self._path))

    def apply(self, settings: AppSettings) -> None:
        settings.inspector = " ".join(self.inspector_edit.text().split())
        reasons = [" ".join(line.split()) for line in self.reasons_edit.toPlainText().splitlines()]
        settings.override_reasons = [r for r in reasons if r]

    def save_rules(self) -> None:
        """Write the rules file if its text changed (call after `rules_problem()` said None)."""
        if self.rules_edit.toPlainText() == self._loaded_text:
            return
        text = self.rules_edit.toPlainText()
        self._parsed()  # never writes a file the rules cannot be read from
        self._path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self._path, text if text.endswith("\n") else text + "\n")  # as typed, comments kept
        self._loaded_text = text
