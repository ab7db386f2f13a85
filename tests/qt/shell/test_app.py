"""Starting the app: the welcome dialog's three ways on, keychain storage, window state, argv."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from isaac_gui.core.settings import KEYRING_SERVICE, KEYRING_USER, AppSettings
from isaac_gui.qt.shell.app import has_credentials, parse_args, run_welcome
from tests.qt.helpers import make_window


class FakeWelcome:
    """Stands in for the welcome dialog: `exec()` returns at once with a prepared choice."""

    def __init__(self, choice: str | None, api_key: str = "", base_url: str = "") -> None:
        self.choice, self.api_key, self.base_url = choice, api_key, base_url
        self.shown = False

    def __call__(self, parent: QWidget) -> FakeWelcome:
        return self

    def exec(self) -> int:
        self.shown = True
        return 1


def test_no_key_anywhere_means_welcome(memory_keyring: Any, monkeypatch: Any) -> None:
    settings = AppSettings()
    assert not has_credentials(settings)
    monkeypatch.setenv("PERCEPTRON_API_KEY", "k")
    assert has_credentials(settings)
    monkeypatch.delenv("PERCEPTRON_API_KEY")
    memory_keyring.set_password(KEYRING_SERVICE, KEYRING_USER, "in-keychain")
    assert has_credentials(settings)
    assert has_credentials(AppSettings(base_url="http://gpu-box:8000/v1"), load_key=lambda: None)


def test_welcome_key_without_a_keychain_is_used_for_this_session_only(
    qtbot: Any, memory_keyring: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PERCEPTRON_API_KEY", "placeholder")  # restored after the test
    monkeypatch.delenv("PERCEPTRON_API_KEY")
    window = make_window(qtbot)
    assert run_welcome(window, FakeWelcome("key", api_key="sk-test")) == "key"  # the dialog saved nothing
    assert os.environ["PERCEPTRON_API_KEY"] == "sk-test"
    assert not memory_keyring.passwords
    assert "sk-test" not in str(window.settings)


def test_welcome_endpoint_is_saved_in_settings(qtbot: Any, isolated_dirs: Path) -> None:
    window = make_window(qtbot)
    run_welcome(window, FakeWelcome("endpoint", base_url="http://127.0.0.1:8000/v1"))
    assert AppSettings.load().base_url == "http://127.0.0.1:8000/v1"


def test_welcome_demo_starts_simulated_mode(qtbot: Any) -> None:
    window = make_window(qtbot)
    run_welcome(window, FakeWelcome("demo"))
    assert window.controller.simulated
    assert window.windowTitle().endswith("Simulated") and window.status.simulated.isVisible()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0 and not window.tasks.busy, timeout=60_000)
    assert window.run_bar.classes.classes() == ("scratch", "dent", "missing screw")
    assert "Simulated" in window.windowTitle()


def test_closing_the_welcome_dialog_changes_nothing(qtbot: Any, memory_keyring: Any) -> None:
    window = make_window(qtbot)
    assert run_welcome(window, FakeWelcome(None)) is None
    assert not memory_keyring.passwords and not window.controller.simulated


def test_window_restores_size_and_layout(qtbot: Any) -> None:
    first = make_window(qtbot)
    first.resize(790, 610)
    first.commands.toggle_panel.setChecked(False)
    first.save_state()
    second = make_window(qtbot)
    second.restore_state()
    assert (second.width(), second.height()) == (790, 610)
    assert not second.commands.toggle_panel.isChecked()


def test_last_folder_is_remembered(qtbot: Any, sample_photos: Any) -> None:
    folder, _truth = sample_photos
    window = make_window(qtbot)
    window.open_paths([folder])
    assert AppSettings.load().recent_folders[0] == str(folder)
    assert window.run_bar.recent_menu.actions()[0].text() == str(folder)


@pytest.mark.parametrize(
    ("argv", "demo", "folder"),
    [
        ([], False, None),
        (["gui"], False, None),
        (["gui", "--demo"], True, None),
        (["/tmp/x"], False, Path("/tmp/x")),
    ],
)
def test_arguments(argv: list[str], demo: bool, folder: Path | None) -> None:
    args = parse_args(argv)
    assert args.demo is demo and args.folder == folder
