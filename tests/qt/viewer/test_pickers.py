"""The choosers take one key, wherever the focus is in them: a digit picks, typing starts free text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from isaac_gui.qt.viewer.pickers import KeySheet, NumberedChoice

REASONS = ["Defect below the limit", "Not a defect", "Needs a second look"]


def choice(qtbot: Any) -> NumberedChoice:
    dialog = NumberedChoice("Why hold?", "Why?", REASONS, free_text="Another reason…")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_digit_on_the_focused_list_picks_that_line(qtbot: Any) -> None:
    dialog = choice(qtbot)
    assert dialog.list.hasFocus() or dialog.focusWidget() is dialog.list
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_3)
    assert dialog.choice == "Needs a second look"


def test_enter_takes_the_highlighted_line(qtbot: Any) -> None:
    dialog = choice(qtbot)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert dialog.choice == "Not a defect"


def test_typing_gives_a_reason_of_ones_own(qtbot: Any) -> None:
    dialog = choice(qtbot)
    qtbot.keyClicks(dialog.list, "glare")
    assert dialog.text is not None and dialog.text.text() == "glare"
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    assert dialog.choice == "glare"


def test_escape_cancels(qtbot: Any) -> None:
    dialog = choice(qtbot)
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    assert dialog.choice is None


def test_the_key_sheet_lists_the_review_keys(qtbot: Any) -> None:
    sheet = KeySheet()
    qtbot.addWidget(sheet)
    texts = " ".join(label.text() for label in sheet.findChildren(type(sheet.layout().itemAt(0).widget())))
    for word in ("confirm the proposed verdict", "reject the selected box", "undo", "draw a box"):
        assert word in texts
