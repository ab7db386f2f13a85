"""Under the viewer's title: the rules' proposal and the inspector's verdict, with Pass / Fail / Hold.

One line an inspector reads at a glance: "Proposed FAIL · 3 × scratch > 2 allowed", then the verdict
as set ("PASS, overridden: Defect below the limit · by Ana, 14:02"), or "Enter confirms" while
undecided. The buttons say their keys; the keys themselves are the viewer's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from isaac_gui.core.review.corrections import Review
from isaac_gui.qt.style import theme

VERDICT_KEYS = {"pass": "P", "fail": "F", "hold": "H"}
WORDS = {"pass": "Pass", "fail": "Fail", "hold": "Hold"}


def verdict_colour(verdict: str) -> str:
    c = theme.colours()
    return {"pass": c.success, "fail": c.danger, "hold": c.warning}.get(verdict, c.text_muted)


def _when(at: str | None) -> str:
    # "2026-12-04T14:02:11Z" -> "14:02 UTC" (the trail keeps the full time)
    return f"{at[11:16]} UTC" if at and len(at) >= 16 else ""


class VerdictBar(QWidget):
    verdictChosen = Signal(str)  # pass, fail or hold (a button; the viewer decides confirm or override)
    confirmRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Verdict")
        self.proposal = QLabel(self)
        self.proposal.setTextFormat(Qt.TextFormat.RichText)
        self.proposal.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state = QLabel(self)
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 2, 12, 6)
        layout.setSpacing(6)
        layout.addWidget(self.proposal, 3)
        layout.addWidget(self.state, 2)
        for verdict, key in VERDICT_KEYS.items():
            button = QPushButton(f"{WORDS[verdict]}  {key}", self)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the photo
            button.setToolTip(
                f"{WORDS[verdict]} this part ({key}); a verdict other than the proposed one asks why"
            )
            button.setAccessibleName(f"{WORDS[verdict]} ({key})")
            button.clicked.connect(lambda _on=False, v=verdict: self.verdictChosen.emit(v))
            layout.addWidget(button)
            self.buttons[verdict] = button
        self.confirm = QPushButton("Confirm  ⏎", self)
        self.confirm.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.confirm.setToolTip("Agree with the proposed verdict (Enter)")
        self.confirm.clicked.connect(self.confirmRequested)
        layout.addWidget(self.confirm)
        self.show_review(None)

    def show_review(self, review: Review | None) -> None:
        if review is None:
            self.proposal.setText("")
            self.state.setText("")
            for button in self.buttons.values():
                button.setChecked(False)
                button.setEnabled(False)
            self.confirm.setEnabled(False)
            return
        v = review.verdict
        reasons = " · ".join(v.proposed_reasons)
        self.proposal.setText(
            f"Proposed <b style='color:{verdict_colour(v.proposed)}'>{WORDS[v.proposed].upper()}</b>"
            + (f" <span>· {_escape(reasons)}</span>" if reasons else "")
        )
        self.proposal.setToolTip(reasons)
        if v.verdict is None:
            hint = "changed since it was confirmed: " if v.stale else ""
            self.state.setText(
                f"<span style='color:{theme.colours().text_muted}'>{hint}Enter confirms</span>"
            )
        else:
            how = f"overridden: {_escape(v.reason or '')}" if v.overridden else "confirmed"
            who = " · ".join(p for p in (v.by or "", _when(v.at)) if p)
            self.state.setText(
                f"<b style='color:{verdict_colour(v.verdict)}'>{WORDS[v.verdict].upper()}</b>, {how}"
                + (
                    f" <span style='color:{theme.colours().text_muted}'>· {_escape(who)}</span>"
                    if who
                    else ""
                )
            )
        for verdict, button in self.buttons.items():
            button.setEnabled(True)
            button.setChecked(v.verdict == verdict)
        self.confirm.setEnabled(v.verdict is None)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
