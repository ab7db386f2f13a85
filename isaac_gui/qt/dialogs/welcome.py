"""The first-run dialog: three ways on (a Perceptron API key, a self-hosted endpoint, the demo).

After `exec()`, `.choice` is "key", "endpoint", "demo" or None (dismissed), with `.api_key` and
`.base_url`. Choosing "key" stores the key in the system keychain (off the GUI thread); when there
is no keychain the dialog says so in words and offers to use the key for this session only, or
the PERCEPTRON_API_KEY environment variable.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core.settings import save_api_key
from isaac_gui.qt.dialogs._widgets import (
    KEY_ENV,
    FieldMessage,
    SecretField,
    describe_keyring_error,
    heading,
    hint,
    set_invalid,
    url_problem,
)
from isaac_gui.qt.style import theme
from isaac_gui.qt.style.icons import pixmap
from isaac_gui.qt.workers.tasks import BackgroundTasks

CHOICES = ("key", "endpoint", "demo")


class ChoiceCard(QAbstractButton):
    """A large, checkable card: an icon, a title and a sentence. Arrow keys move between cards."""

    activated = Signal()  # double-click: choose and continue

    def __init__(self, icon_name: str, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_name = icon_name
        self.title = title
        self.subtitle = subtitle
        self.setText(title)
        self.setAccessibleName(title)
        self.setAccessibleDescription(subtitle)
        self.setCheckable(True)
        self.setAutoExclusive(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())

    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.08)
        font.setWeight(QFont.Weight.DemiBold)
        return font

    def sizeHint(self) -> QSize:
        title = QFontMetrics(self._title_font())
        body = QFontMetrics(self.font())
        return QSize(420, max(64, title.height() + body.height() + 30))

    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.colours()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        on = self.isChecked()
        hover = self.underMouse()
        border = QColor(c.accent if on or self.hasFocus() else (c.border_strong if hover else c.border))
        painter.setPen(QPen(border, 2.0 if on else 1.0))
        painter.setBrush(QColor(c.accent_soft if on else (c.surface_alt if hover else c.surface)))
        painter.drawRoundedRect(rect, 10, 10)
        # icon in a soft disc
        disc = QRectF(rect.left() + 16, rect.center().y() - 19, 38, 38)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.surface if on else c.accent_soft))
        painter.drawEllipse(disc)
        painter.drawPixmap(
            disc.adjusted(9, 9, -9, -9).toRect(),
            pixmap(self.icon_name, 40, c.accent_hover if c.dark else c.accent),
        )
        left = int(disc.right()) + 16
        title_font = self._title_font()
        title_metrics = QFontMetrics(title_font)
        body_metrics = QFontMetrics(self.font())
        top = rect.center().y() - (title_metrics.height() + body_metrics.height() + 2) / 2
        painter.setFont(title_font)
        painter.setPen(QColor(c.text))
        painter.drawText(
            QRectF(left, top, rect.right() - left - 12, title_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        painter.setFont(self.font())
        painter.setPen(QColor(c.text_muted))
        subtitle = body_metrics.elidedText(
            self.subtitle, Qt.TextElideMode.ElideRight, int(rect.right() - left - 12)
        )
        painter.drawText(
            QRectF(left, top + title_metrics.height() + 2, rect.right() - left - 12, body_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            subtitle,
        )
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.chosen_by_mouse = True  # read by the dialog while the click it triggers is handled
        try:
            super().mouseReleaseEvent(event)
        finally:
            self.chosen_by_mouse = False

    chosen_by_mouse = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.setChecked(True)
        self.activated.emit()

    def enterEvent(self, event: object) -> None:
        self.update()
        super().enterEvent(event)  # type: ignore[arg-type]

    def leaveEvent(self, event: object) -> None:
        self.update()
        super().leaveEvent(event)  # type: ignore[arg-type]


class WelcomeDialog(QDialog):
    """Shown at the first start when no API key is found anywhere."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = BackgroundTasks(self)
        self.choice: str | None = None
        self.api_key: str | None = None
        self.base_url: str | None = None
        self.key_saved = False  # True when the key went to the keychain (not only this session)
        self._saving = False
        app_name = QApplication.applicationDisplayName() or "isaac-gui"
        self.setWindowTitle(f"Welcome to {app_name}")
        self.setModal(True)

        logo = QLabel(self)
        logo.setPixmap(pixmap("app", 56))
        logo.setFixedSize(56, 56)
        title = heading(f"Welcome to {app_name}", self)
        intro = hint(
            "Find defects in folders of photos with Perceptron's Isaac model. Choose how to start; "
            "you can change it later in Settings.",
            self,
        )
        head_text = QVBoxLayout()
        head_text.setSpacing(4)
        head_text.addWidget(title)
        head_text.addWidget(intro)
        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(head_text, 1)

        self.cards = {
            "key": ChoiceCard(
                "key", "Use my Perceptron API key", "Stored in the system keychain, never in a file.", self
            ),
            "endpoint": ChoiceCard(
                "server", "Use a self-hosted endpoint", "Point isaac-gui at your own Isaac server.", self
            ),
            "demo": ChoiceCard(
                "flask",
                "Try the demo (simulated)",
                "No key, no network: the built-in simulator on a generated sample folder.",
                self,
            ),
        }
        cards = QVBoxLayout()
        cards.setSpacing(8)
        for name, card in self.cards.items():
            card.toggled.connect(lambda on, n=name: self._select(n) if on else None)
            card.activated.connect(self._continue)
            cards.addWidget(card)

        self.details = QStackedWidget(self)
        self.details.addWidget(QWidget(self))  # nothing chosen yet
        self.details.addWidget(self._build_key_page())
        self.details.addWidget(self._build_endpoint_page())
        self.details.addWidget(self._build_demo_page())

        self.later_button = QPushButton("Not now", self)
        self.later_button.setAutoDefault(False)
        self.later_button.clicked.connect(self.reject)
        self.session_button = QPushButton("Use for this session only", self)
        self.session_button.setAutoDefault(False)
        self.session_button.clicked.connect(self._use_for_session)
        self.session_button.hide()
        self.continue_button = QPushButton("Continue", self)
        self.continue_button.setDefault(True)
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self._continue)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.session_button)
        buttons.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(16)
        layout.addLayout(head)
        layout.addLayout(cards)
        layout.addWidget(self.details)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        self.resize(600, 500)

    # --- pages -------------------------------------------------------------------------------

    def _field_page(self, label_text: str, edit: QLineEdit, message: FieldMessage, note: str = "") -> QWidget:
        """One input with its label, its inline message and an optional note below."""
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(5)
        label = QLabel(label_text, page)
        label.setBuddy(edit)
        edit.textChanged.connect(self._update_continue)
        layout.addWidget(label)
        layout.addWidget(edit)
        layout.addWidget(message)
        if note:
            layout.addWidget(hint(note, page))
        layout.addStretch(1)
        return page

    def _build_key_page(self) -> QWidget:
        self.key_edit = SecretField(self)
        self.key_edit.setPlaceholderText("Paste your Perceptron API key")
        self.key_message = FieldMessage(self)
        return self._field_page("&API key", self.key_edit, self.key_message)

    def _build_endpoint_page(self) -> QWidget:
        self.base_url_edit = QLineEdit(self)
        self.base_url_edit.setPlaceholderText("https://isaac.example.com")
        self.base_url_message = FieldMessage(self)
        note = "If your server needs a key too, add it later in Settings."
        return self._field_page("&Base URL", self.base_url_edit, self.base_url_message, note)

    def _build_demo_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            hint(
                "isaac-gui starts its simulator of the Perceptron API on this computer and generates a "
                "folder of sample photos with defects to find. Nothing leaves your machine.",
                page,
            )
        )
        layout.addStretch(1)
        return page

    # --- behaviour ---------------------------------------------------------------------------

    def _select(self, name: str) -> None:
        self.details.setCurrentIndex(CHOICES.index(name) + 1)
        self.session_button.hide()
        self.key_message.clear_message()
        # A click goes straight on to typing; arrow keys keep moving between the cards.
        if self.cards[name].chosen_by_mouse:
            if name == "key":
                self.key_edit.setFocus()
            elif name == "endpoint":
                self.base_url_edit.setFocus()
        self._update_continue()

    def selected(self) -> str | None:
        return next((name for name, card in self.cards.items() if card.isChecked()), None)

    def _update_continue(self) -> None:
        name = self.selected()
        if name == "key":
            ok = bool(self.key_edit.text().strip())
        elif name == "endpoint":
            text = self.base_url_edit.text().strip()
            problem = url_problem(text)
            if problem and text:
                self.base_url_message.show_error(problem)
            else:
                self.base_url_message.clear_message()
            set_invalid(self.base_url_edit, bool(problem and text))
            ok = bool(text) and problem is None
        else:
            ok = name == "demo"
        self.continue_button.setEnabled(ok and not self._saving)

    def _continue(self) -> None:
        name = self.selected()
        if name is None or self._saving:
            return
        self._update_continue()
        if not self.continue_button.isEnabled():
            return
        if name == "key":
            key = self.key_edit.text().strip()
            self._saving = True
            self.continue_button.setEnabled(False)
            self.key_message.show_note("Saving the key in the system keychain…")
            self._tasks.run(lambda: save_api_key(key), self._on_key_saved, self._on_key_failed)
            return
        if name == "endpoint":
            self.base_url = self.base_url_edit.text().strip().rstrip("/")
        self.choice = name
        self.accept()

    def _on_key_saved(self, _result: object) -> None:
        self._saving = False
        self.choice = "key"
        self.api_key = self.key_edit.text().strip()
        self.key_saved = True
        self.accept()

    def _on_key_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.key_message.show_error(
            describe_keyring_error(exc) + f" Or use the key for this session only (set {KEY_ENV} to keep it)."
        )
        self.session_button.show()
        self.session_button.setFocus()
        self._update_continue()

    def _use_for_session(self) -> None:
        key = self.key_edit.text().strip()
        if not key:
            return
        self.choice = "key"
        self.api_key = key
        self.key_saved = False
        self.accept()

    def reject(self) -> None:
        if self._saving:
            return
        self.choice = None
        super().reject()
