"""Re-run a selection from the window: only the selected photos are asked again, with other classes;
the others keep their answers, and the journal keeps both answers of each selected photo."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer

from isaac_gui.core.journal import Journal
from isaac_gui.core.settings import AppSettings
from isaac_gui.qt.dialogs.rerun import RerunDialog
from isaac_gui.qt.run.controller import RunState
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import RUN_TIMEOUT_MS, make_window, run_to_end, wait_loaded


def test_the_dialog_takes_classes_and_a_model_and_enter_on_an_empty_entry_runs(qtbot: Any) -> None:
    dialog = RerunDialog(2, ("scratch",), "isaac-0.1")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.class_edit.entry, "crack")
    qtbot.keyClick(dialog.class_edit.entry, Qt.Key.Key_Return)  # adds the chip
    assert dialog.classes() == ("scratch", "crack") and dialog.result() == 0
    qtbot.keyClick(dialog.class_edit.entry, Qt.Key.Key_Return)  # empty entry: run
    assert dialog.result() == RerunDialog.DialogCode.Accepted and dialog.model() == "isaac-0.1"


def test_a_selection_reruns_with_other_classes_and_the_rest_keep_their_answers(
    qtbot: Any, sample_photos: Any, simulator: Any
) -> None:
    folder, truth = sample_photos
    window = make_window(qtbot, AppSettings(base_url=simulator.base_url, rpm=0), load_key=lambda: "k")
    window.open_paths([folder])
    wait_loaded(qtbot, window, len(truth))
    window.run_bar.classes.set_classes(SAMPLE_CLASSES)
    assert run_to_end(qtbot, window) == "completed"
    sent = simulator.stats.total_requests
    rows = window.model.rows()
    chosen = {rows[0].rel, rows[2].rel}
    selection = window.grid.selectionModel()
    selection.clearSelection()
    for view_row in (0, 2):
        selection.select(window.filter_model.index(view_row, 0), QItemSelectionModel.SelectionFlag.Select)
    assert window.commands.rerun_selection.isEnabled()

    def answer() -> None:  # the modal dialog, as the inspector types into it
        dialog = window.findChild(RerunDialog)
        dialog.class_edit.set_classes(("crack",))
        dialog.run_button.click()

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS):
        window.commands.rerun_selection.trigger()
    qtbot.waitUntil(lambda: window.controller.state is RunState.IDLE, timeout=RUN_TIMEOUT_MS)
    assert simulator.stats.total_requests == sent + 2
    assert window.model.counts.done == len(truth)
    lines = [json.loads(line) for line in (window.out_dir / "results.jsonl").read_text().splitlines()]
    assert len(lines) == len(truth)
    for line in lines:
        assert line["classes"] == (["crack"] if line["image"] in chosen else list(SAMPLE_CLASSES))
    journal = Journal(window.out_dir)
    try:
        first = next(line for line in lines if line["image"] == rows[0].rel)
        assert [a.record["classes"] for a in journal.answers(first["sha256"])] == [
            list(SAMPLE_CLASSES),
            ["crack"],
        ]
    finally:
        journal.close()
