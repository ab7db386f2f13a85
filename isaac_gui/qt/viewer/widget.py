"""PhotoViewer: one photo at full resolution with its boxes, class toggles, zoom and navigation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core.geometry import PixelBox, boxes_of
from isaac_gui.core.palette import class_colour
from isaac_gui.core.review.corrections import Review
from isaac_gui.core.settings import OVERRIDE_REASONS
from isaac_gui.qt.style.icons import icon
from isaac_gui.qt.viewer.canvas import WHEEL_STEP, PhotoCanvas
from isaac_gui.qt.viewer.chips import ClassChip, FlowLayout
from isaac_gui.qt.viewer.errors import ErrorBanner, bold, describe_error
from isaac_gui.qt.viewer.items import ACCEPTED, ADDED, MODEL, REJECTED, BoxItem
from isaac_gui.qt.viewer.loader import Decoded, PhotoLoader
from isaac_gui.qt.viewer.pickers import KeySheet, ask_class, ask_reason
from isaac_gui.qt.viewer.verdict_bar import WORDS, VerdictBar

_VERDICT_OF_KEY = {Qt.Key.Key_P: "pass", Qt.Key.Key_F: "fail", Qt.Key.Key_H: "hold"}
_SHOWN_STATE = {"pending": MODEL, "accepted": ACCEPTED, "rejected": REJECTED, "added": ADDED}
DEFAULT_REASONS = (
    "Defect below the limit",
    "Not a defect (reflection, dust)",
    "Needs a second look",
    "Other",
)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _tool_button(name: str, tip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setIcon(icon(name))
    button.setIconSize(QSize(18, 18))
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


class PhotoViewer(QWidget):
    """Shows one photo; the shell feeds it with `show_photo` and listens to its signals.

    Keys (`?` shows them all): Left/Right or J/K previous/next, N the next photo without a verdict,
    P/F/H the verdict and Enter to confirm the proposed one, Tab to select a box, A accept, Delete
    reject or restore, B draw, C change its class, Z zoom to it, Space hide the boxes, Ctrl+Z and
    Ctrl+Shift+Z undo and redo, 0 or Ctrl+0 fit, 1 or Ctrl+1 one-to-one, +/- zoom, R retry
    (error records), Escape deselects, then closes (a window) or asks to be closed (embedded).

    Review goes out as requests (`verdictRequested`, `boxRequested`, `undoRequested`, ...); the
    state comes back through `show_review`, so what is drawn is always what the trail says.
    """

    previousRequested = Signal()
    nextRequested = Signal()
    retryRequested = Signal(str)  # the record's `image` (path relative to the run's folder)
    closed = Signal()
    loaded = Signal(Path)  # the photo is on screen at full resolution (tests, the shell's busy cursor)
    verdictRequested = Signal(str, str)  # verdict, reason ("" confirms the proposal)
    boxRequested = Signal(str, str, object)  # action (accept/reject/restore/move/class/add), box id, payload
    undoRequested = Signal()
    redoRequested = Signal()
    nextUndecidedRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(360, 280)
        self._path: Path | None = None
        self._record: dict[str, Any] | None = None
        self._classes: tuple[str, ...] = ()
        self._hidden: set[str] = set()  # casefolded classes hidden; kept while flicking through photos
        self._chips: dict[str, ClassChip] = {}
        self._frame_from_record = False
        self._error_text: str | None = None
        self._review: Review | None = None
        self.reasons: tuple[str, ...] = OVERRIDE_REASONS  # the override reasons; the shell sets Settings' own
        self.review_enabled = True
        self._overlays = True  # Space hides every box for a clean look at the part

        self._loader = PhotoLoader(self)
        self._loader.previewReady.connect(self._on_preview)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_failed)

        self.canvas = PhotoCanvas(self)
        self.canvas.zoomChanged.connect(self._on_zoom_changed)
        self.canvas.boxReshaped.connect(self._on_box_reshaped)
        self.canvas.boxDrawn.connect(self._on_box_drawn)
        self.canvas.boxSelected.connect(lambda _id: self._update_text())

        # top bar: navigation, the file name, zoom controls
        self.previous_button = _tool_button("previous", "Previous photo (Left, K)", self)
        self.previous_button.clicked.connect(self.previousRequested)
        self.next_button = _tool_button("next", "Next photo (Right, J)", self)
        self.next_button.clicked.connect(self.nextRequested)
        self.title = QLabel(self)
        self.title.setProperty("role", "section")
        bold(self.title)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.position = QLabel(self)  # "12 of 240"
        self.position.setProperty("role", "muted")
        self.zoom_out_button = _tool_button("zoom-out", "Zoom out (−)", self)
        self.zoom_out_button.clicked.connect(lambda: self.canvas.zoom_by(1 / WHEEL_STEP**2))
        self.zoom_label = QLabel("–", self)
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setProperty("role", "muted")
        self.zoom_in_button = _tool_button("zoom-in", "Zoom in (+)", self)
        self.zoom_in_button.clicked.connect(lambda: self.canvas.zoom_by(WHEEL_STEP**2))
        self.fit_button = _tool_button("zoom-fit", "Fit the photo to the window (0, Ctrl+0)", self)
        self.fit_button.setCheckable(True)
        self.fit_button.clicked.connect(self.fit)
        self.actual_button = _tool_button(
            "zoom-1to1", "Actual size, one photo pixel per screen pixel (1, Ctrl+1)", self
        )
        self.actual_button.setCheckable(True)
        self.actual_button.clicked.connect(self.actual_size)
        self.close_button = _tool_button("close", "Close the viewer (Esc)", self)
        self.close_button.clicked.connect(self._request_close)

        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 6)
        top.setSpacing(4)
        top.addWidget(self.previous_button)
        top.addWidget(self.next_button)
        top.addSpacing(8)
        top.addWidget(self.title, 1)
        top.addWidget(self.position)
        top.addSpacing(8)
        top.addWidget(self.zoom_out_button)
        top.addWidget(self.zoom_label)
        top.addWidget(self.zoom_in_button)
        top.addSpacing(4)
        top.addWidget(self.fit_button)
        top.addWidget(self.actual_button)
        top.addSpacing(8)
        top.addWidget(self.close_button)

        self.chip_row = QWidget(self)
        self._chip_layout = FlowLayout(self.chip_row, spacing=6)
        self.chip_row.hide()

        self.verdict_bar = VerdictBar(self)
        self.verdict_bar.verdictChosen.connect(self.choose_verdict)
        self.verdict_bar.confirmRequested.connect(self.confirm)
        self.verdict_bar.hide()

        self.banner = ErrorBanner(self)
        self.banner.retryClicked.connect(self._retry)
        self.banner.hide()

        self.info = QLabel(self)
        self.info.setProperty("role", "muted")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        header = QVBoxLayout()
        header.setContentsMargins(12, 0, 12, 8)
        header.setSpacing(8)
        header.addWidget(self.chip_row)
        header.addWidget(self.banner)

        bottom = QHBoxLayout()
        bottom.setContentsMargins(12, 5, 12, 6)
        bottom.addWidget(self.info, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.verdict_bar)
        layout.addLayout(header)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)
        self.setFocusProxy(self.canvas)
        self._update_zoom_buttons()

    # --- the shell's API ---------------------------------------------------------------------

    def show_photo(self, path: Path, record: dict[str, Any] | None, classes: Sequence[str]) -> None:
        """Show `path` with `record`'s boxes (None while not done), decoding off the GUI thread."""
        path = Path(path)
        same_photo = self._path == path and self.canvas.photo_item() is not None
        self._path = path
        self._record = record
        self._classes = tuple(classes)
        self._error_text = None
        if not same_photo:
            self._review = None
        width, height = self._record_frame(record)
        if same_photo:
            # The record changed (done, retried): keep the pixels, redo everything else.
            item = self.canvas.photo_item()
            assert item is not None
            rect = item.boundingRect()
            if width is None or height is None or (width, height) == (int(rect.width()), int(rect.height())):
                self._show_record()
                return
        self._frame_from_record = width is not None and height is not None
        if self._frame_from_record:
            assert width is not None and height is not None
            self.canvas.set_frame(width, height)
        else:
            self.canvas.clear()
        self.canvas.show_message("Loading…")
        self._loader.load(path)
        self._show_record()

    def record(self) -> dict[str, Any] | None:
        return self._record

    def show_review(self, review: Review | None) -> None:
        """The photo's corrected boxes and verdict, as the trail says (None: no review yet)."""
        self._review = review
        self._show_record()

    def review(self) -> Review | None:
        return self._review

    def set_position(self, number: int, total: int) -> None:
        self.position.setText(f"{number:,} of {total:,}" if total else "")

    def path(self) -> Path | None:
        return self._path

    def prefetch(self, paths: Sequence[Path]) -> None:
        """Decode these photos ahead (the neighbours), so stepping to one shows it sharp at once."""
        self._loader.prefetch([Path(p) for p in paths])

    def is_loading(self) -> bool:
        return self._loader.is_busy()

    def box_items(self) -> list[BoxItem]:
        return self.canvas.box_items()

    def chip(self, mention: str) -> ClassChip | None:
        return self._chips.get(mention.casefold())

    def set_class_visible(self, mention: str, visible: bool) -> None:
        key = mention.casefold()
        if visible:
            self._hidden.discard(key)
        else:
            self._hidden.add(key)
        chip = self._chips.get(key)
        if chip is not None and chip.isChecked() != visible:
            chip.setChecked(visible)
        for item in self.canvas.box_items():
            if item.class_key == key:
                item.setVisible(visible and self._overlays)

    def toggle_overlays(self) -> None:
        """Space: every box hidden, for a clean look at the part; again, they come back."""
        self._overlays = not self._overlays
        for item in self.canvas.box_items():
            item.setVisible(self._overlays and item.class_key not in self._hidden)
        if not self._overlays:
            self.canvas.select_box("")

    def overlays_shown(self) -> bool:
        return self._overlays

    # --- review ------------------------------------------------------------------------------

    def confirm(self) -> None:
        if self._can_decide():
            self.verdictRequested.emit("", "")

    def choose_verdict(self, verdict: str) -> None:
        """P/F/H: the proposed verdict is a confirmation; another asks why (a digit, or typed)."""
        if not self._can_decide():
            return
        assert self._review is not None
        current = self._review.verdict
        if verdict == current.proposed and not current.overridden:
            self.verdictRequested.emit("", "")
            return
        if verdict == current.verdict:
            self.verdict_bar.show_review(self._review)  # a second press changes nothing
            return
        reason = ask_reason(WORDS[verdict].lower(), self.reasons, self)
        if reason:
            self.verdictRequested.emit(verdict, reason)
        else:
            self.verdict_bar.show_review(self._review)  # the button's check mark goes back

    def _can_decide(self) -> bool:
        return self.review_enabled and self._review is not None

    def _selected_id(self) -> str:
        item = self.canvas.selected_box()
        return item.box_id if item is not None else ""

    def _judge_selected(self, action: str) -> None:
        item = self.canvas.selected_box()
        if item is None or not self.canvas.editable:
            return
        if action == "reject" and item.state == REJECTED:
            action = "restore"
        if action == "accept" and item.state in (ACCEPTED, ADDED, REJECTED):
            return
        self.boxRequested.emit(action, item.box_id, None)

    def _change_class(self) -> None:
        item = self.canvas.selected_box()
        if item is None or not self.canvas.editable:
            return
        mention = ask_class(self._classes, self, current=item.box.mention)
        if mention and mention.casefold() != item.box.mention.casefold():
            self.boxRequested.emit("class", item.box_id, mention)

    def _on_box_reshaped(self, box_id: str, rect: QRectF) -> None:
        self.boxRequested.emit("move", box_id, self._pixel_box(rect, ""))

    def _on_box_drawn(self, rect: QRectF) -> None:
        mention = ask_class(self._classes, self)
        if mention:
            self.boxRequested.emit("add", "", self._pixel_box(rect, mention))

    def _pixel_box(self, rect: QRectF, mention: str) -> PixelBox:
        """Scene rect -> inclusive pixel corners, inside the photo."""
        item = self.canvas.photo_item()
        width = int(item.boundingRect().width()) if item is not None else 1
        height = int(item.boundingRect().height()) if item is not None else 1
        x1 = min(max(round(rect.left()), 0), width - 1)
        y1 = min(max(round(rect.top()), 0), height - 1)
        x2 = min(max(round(rect.right()) - 1, x1), width - 1)
        y2 = min(max(round(rect.bottom()) - 1, y1), height - 1)
        return PixelBox(mention, x1, y1, x2, y2)

    def show_keys(self) -> None:
        sheet = KeySheet(self)
        try:
            sheet.exec()
        finally:
            sheet.deleteLater()

    def fit(self) -> None:
        self.canvas.fit()
        self._update_zoom_buttons()

    def actual_size(self) -> None:
        self.canvas.actual_size()
        self._update_zoom_buttons()

    def error_text(self) -> str | None:
        """What the viewer says is wrong (the record's error or why the photo cannot be shown)."""
        return self._error_text

    # --- content -----------------------------------------------------------------------------

    @staticmethod
    def _record_frame(record: dict[str, Any] | None) -> tuple[int | None, int | None]:
        if not record:
            return None, None
        return _int(record.get("width")), _int(record.get("height"))

    def _answered(self) -> bool:
        return bool(self._record) and self._record.get("status") == "ok"  # type: ignore[union-attr]

    def _boxes(self) -> list[PixelBox]:
        if not self._answered():
            return []
        assert self._record is not None
        return boxes_of(self._record)

    def _show_record(self) -> None:
        items = []
        if self._review is not None and self._answered():
            shown = [(b.box, b.id, _SHOWN_STATE[b.status]) for b in self._review.boxes]
        else:
            shown = [(box, f"m{index}", MODEL) for index, box in enumerate(self._boxes())]
        for box, box_id, state in shown:
            item = BoxItem(
                box,
                class_colour(self._classes, box.mention),
                box.mention.casefold(),
                box_id=box_id,
                state=state,
            )
            item.setVisible(self._overlays and item.class_key not in self._hidden)
            items.append(item)
        boxes = [box for box, _id, state in shown if state != REJECTED]
        self.verdict_bar.setVisible(
            self.review_enabled and self._record is not None and self._review is not None
        )
        self.verdict_bar.show_review(self._review)
        self.canvas.editable = self.review_enabled and self._answered() and self._review is not None
        if self.canvas.photo_item() is not None:  # else the frame arrives with the pixels
            self.canvas.set_boxes(items)
        self._build_chips(boxes)
        self._show_error()
        self._update_text()

    def _build_chips(self, boxes: list[PixelBox]) -> None:
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for name in self._classes:
            counts.setdefault(name.casefold(), 0)
            names.setdefault(name.casefold(), name)
        for box in boxes:
            key = box.mention.casefold()
            counts[key] = counts.get(key, 0) + 1
            names.setdefault(key, box.mention)
        # Toggles only mean something once there is an answer to filter.
        answered = bool(self._record) and self._record.get("status") == "ok"  # type: ignore[union-attr]
        if list(self._chips) == list(counts):
            for key, chip in self._chips.items():
                chip.set_count(counts[key])
            self.chip_row.setVisible(bool(counts) and answered)
            return
        while self._chip_layout.count():
            taken = self._chip_layout.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()
        self._chips = {}
        for key, count in counts.items():
            chip = ClassChip(names[key], class_colour(self._classes, names[key]), count, self.chip_row)
            chip.setChecked(key not in self._hidden)
            chip.toggled.connect(lambda on, name=names[key]: self.set_class_visible(name, on))
            self._chip_layout.addWidget(chip)
            self._chips[key] = chip
        self.chip_row.setVisible(bool(counts) and answered)

    def _show_error(self) -> None:
        record = self._record
        if record and record.get("status") == "error":
            name = self._path.name if self._path else "This photo"
            title, sentence = describe_error(name, record.get("error"))
            self.banner.title.setText(title)
            self.banner.message.setText(sentence)
            self.banner.retry.setEnabled(True)
            self.banner.show()
            self._error_text = f"{title}. {sentence}"
        else:
            self.banner.hide()

    def _update_text(self) -> None:
        path, record = self._path, self._record
        self.title.setText(path.name if path else "")
        self.title.setToolTip(str(path) if path else "")
        if self.isWindow():
            self.setWindowTitle(path.name if path else "Photo")
        parts: list[str] = []
        item = self.canvas.photo_item()
        width, height = self._record_frame(record)
        if width is None and item is not None:
            rect = item.boundingRect()
            width, height = int(rect.width()), int(rect.height())
        if width and height:
            parts.append(f"{width:,} × {height:,} px")
        status = record.get("status") if record else None
        if status == "ok":
            n = len(self._boxes())
            parts.append("no defects" if n == 0 else f"{n} defect{'s' if n != 1 else ''}")
            latency = record.get("latency_ms") if record else None
            if isinstance(latency, int | float):
                parts.append(f"{latency / 1000:.2f} s" if latency >= 1000 else f"{latency:.0f} ms")
            request_id = record.get("request_id") if record else None
            if request_id:
                parts.append(f"request {request_id}")
        elif status == "error":
            parts.append("inspection failed")
        else:
            parts.append("waiting for Isaac's answer")
        self.info.setText("  ·  ".join(parts))

    # --- loading -----------------------------------------------------------------------------

    def _ensure_frame(self, decoded: Decoded) -> None:
        if self.canvas.photo_item() is None:
            self.canvas.set_frame(decoded.width, decoded.height)
            self._frame_from_record = False
            self._show_record()

    def _on_preview(self, decoded: Decoded) -> None:
        self._ensure_frame(decoded)
        item = self.canvas.photo_item()
        assert item is not None
        item.set_levels(decoded.levels)
        self.canvas.show_message(None)

    def _on_loaded(self, decoded: Decoded) -> None:
        self._ensure_frame(decoded)
        item = self.canvas.photo_item()
        assert item is not None
        item.set_levels(decoded.levels)
        self.canvas.show_message(None)
        rect = item.boundingRect()
        if (
            self._frame_from_record
            and abs(decoded.width / decoded.height - rect.width() / rect.height()) > 0.01
        ):
            self.info.setText(self.info.text() + "  ·  the file no longer matches the inspected photo")
        self._update_text()
        if self._path is not None:
            self.loaded.emit(self._path)

    def _on_failed(self, reason: str) -> None:
        name = self._path.name if self._path else "The photo"
        text = f"{name} {reason}" if reason[:1].islower() else reason
        self.canvas.show_message(f"This photo cannot be shown.\n{text}")
        if self._error_text is None:
            self._error_text = text

    # --- interaction -------------------------------------------------------------------------

    def _retry(self) -> None:
        record = self._record or {}
        rel = record.get("image") or (self._path.name if self._path else "")
        self.banner.retry.setEnabled(False)  # one request per click; the next show_photo re-enables
        self.retryRequested.emit(str(rel))

    def _request_close(self) -> None:
        if self.isWindow():
            self.close()
        else:
            self.closed.emit()

    def _on_zoom_changed(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * self.devicePixelRatioF() * 100:.0f}%")
        self._update_zoom_buttons()

    def _update_zoom_buttons(self) -> None:
        fit = self.canvas.is_fit()
        actual = abs(self.canvas.zoom() * self.devicePixelRatioF() - 1.0) < 1e-6
        self.fit_button.setChecked(fit)
        self.actual_button.setChecked(actual and not fit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        ctrl = bool(
            event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
        )
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ctrl and (key == Qt.Key.Key_Y or (key == Qt.Key.Key_Z and shift)):
            self.redoRequested.emit()
        elif ctrl and key == Qt.Key.Key_Z:
            self.undoRequested.emit()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_K):
            self.previousRequested.emit()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_J):
            self.nextRequested.emit()
        elif key == Qt.Key.Key_N:
            self.nextUndecidedRequested.emit()
        elif key in (Qt.Key.Key_P, Qt.Key.Key_F, Qt.Key.Key_H) and not ctrl:
            self.choose_verdict(_VERDICT_OF_KEY[Qt.Key(key)])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm()
        elif key == Qt.Key.Key_A and not ctrl:
            self._judge_selected("accept")
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._judge_selected("reject")
        elif key == Qt.Key.Key_B and self.canvas.editable:
            self.canvas.start_drawing()
        elif key == Qt.Key.Key_C and not ctrl:
            self._change_class()
        elif key == Qt.Key.Key_Z:
            selected = self.canvas.selected_box()
            if selected is not None:
                self.canvas.zoom_to_box(selected)
                self._update_zoom_buttons()
        elif key == Qt.Key.Key_Space:
            self.toggle_overlays()
        elif key == Qt.Key.Key_Question:
            self.show_keys()
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.canvas.zoom_by(WHEEL_STEP**2)
        elif key == Qt.Key.Key_Minus:
            self.canvas.zoom_by(1 / WHEEL_STEP**2)
        elif key == Qt.Key.Key_R and self.banner.isVisible() and self.banner.retry.isEnabled():
            self._retry()
        elif key == Qt.Key.Key_Escape:
            if self.canvas.is_drawing():
                self.canvas.cancel_drawing()
            elif self.canvas.selected_box() is not None:
                self.canvas.select_box("")
            else:
                self._request_close()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab cycles the boxes (the canvas has the keys); buttons are for the mouse

    def closeEvent(self, event: QCloseEvent) -> None:
        self._loader.cancel()
        super().closeEvent(event)
        self.closed.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)  # keys work at once, no button looks pressed

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.banner.apply_colours()
        super().changeEvent(event)
