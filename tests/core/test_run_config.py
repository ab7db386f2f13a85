"""What a run is told before it starts: which model it asks, and where its results go by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from isaac_gui.core.run_config import DEFAULT_MODEL, Connection, default_output_dir, resolve_model


@pytest.fixture(autouse=True)
def no_model_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERCEPTRON_MODEL", raising=False)


def test_the_model_named_for_the_run_then_the_environment_then_the_settings_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_model() == DEFAULT_MODEL == "isaac-0.1"
    assert resolve_model(None, "from-settings") == "from-settings"
    assert resolve_model("", "") == DEFAULT_MODEL  # an empty field or setting names nothing
    monkeypatch.setenv("PERCEPTRON_MODEL", "isaac-0.2-1b")
    assert resolve_model(None, "from-settings") == "isaac-0.2-1b"
    assert resolve_model("", None) == "isaac-0.2-1b"
    assert resolve_model("from-the-flag", "from-settings") == "from-the-flag"
    assert Connection.resolve(settings_model="from-settings").model == "isaac-0.2-1b"
    assert Connection.resolve(model="from-the-flag").model == "from-the-flag"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISAAC_GUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_output_folder_beside_the_photos_or_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    assert default_output_dir(tmp_path / "photos") == tmp_path / "photos-results"
    monkeypatch.setattr("os.access", lambda *_a, **_k: False)
    fallback = default_output_dir(tmp_path / "photos")
    assert fallback.parent == data_dir / "results" and fallback.name.startswith("photos-")


def test_a_read_only_parent_puts_results_in_the_data_folder_one_per_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    read_only = {tmp_path / "shelf", tmp_path / "other"}
    monkeypatch.setattr("os.access", lambda path, _mode: Path(path) not in read_only)
    one, two = (
        default_output_dir(tmp_path / "shelf" / "photos"),
        default_output_dir(tmp_path / "other" / "photos"),
    )
    assert one.parent == two.parent == data_dir / "results"
    assert one != two and one.name.startswith("photos-") and two.name.startswith("photos-")
    assert default_output_dir(tmp_path / "shelf" / "photos") == one  # the same source, the same folder
    (tmp_path / "shelf" / "photos-results").mkdir(parents=True)  # one made earlier, and writable
    assert default_output_dir(tmp_path / "shelf" / "photos") == tmp_path / "shelf" / "photos-results"
    assert default_output_dir(Path("relative")) == Path("relative").absolute().parent / "relative-results"
