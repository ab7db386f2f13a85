"""The settings file as a user or an admin may leave it: wrong values, broken files, keys of other versions."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from isaac_gui.core.settings import MAX_CONCURRENCY, RULES, S3_RULES, AppSettings, S3Settings

DEFAULTS = AppSettings()


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_text_for_a_number_and_for_a_list_falls_back_per_key_with_one_warning_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "settings.json", {"concurrency": "lots", "recent_folders": "abc", "rpm": 120})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert settings.concurrency == DEFAULTS.concurrency
    assert settings.recent_folders == []
    assert settings.rpm == 120.0  # the valid key still loads
    said = warnings(caplog)
    assert len(said) == 2
    assert sum("concurrency" in w for w in said) == 1 and sum("recent_folders" in w for w in said) == 1
    assert any("'lots'" in w for w in said)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("base_url", 8000),
        ("model", None),
        ("concurrency", "lots"),
        ("concurrency", 0),
        ("concurrency", -3),
        ("concurrency", MAX_CONCURRENCY + 1),
        ("concurrency", 4.5),
        ("concurrency", True),
        ("rpm", -1),
        ("rpm", "300"),
        ("rpm", False),
        ("max_side", -1),
        ("max_side", 1000.5),
        ("max_side", "1000"),
        ("timeout_s", 0),
        ("timeout_s", -5.0),
        ("timeout_s", []),
        ("theme", "purple"),
        ("theme", 1),
        ("recent_folders", "abc"),
        ("recent_folders", {"a": 1}),
        ("recent_class_sets", 3),
        ("s3", "yes"),
        ("s3", [1]),
    ],
)
def test_a_wrong_value_falls_back_to_its_default_with_one_warning_naming_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, value: Any
) -> None:
    companion = ("theme", "dark") if key != "theme" else ("model", "isaac-0.2")
    path = write(tmp_path / "settings.json", {key: value, companion[0]: companion[1]})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert getattr(settings, key) == getattr(DEFAULTS, key)
    assert getattr(settings, companion[0]) == companion[1]  # the valid key beside it still loads
    said = warnings(caplog)
    assert len(said) == 1 and key in said[0] and str(path) in said[0]


def test_non_finite_numbers_are_wrong_values(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"rpm": NaN, "timeout_s": Infinity}', encoding="utf-8")  # Python's json reads both
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert (settings.rpm, settings.timeout_s) == (DEFAULTS.rpm, DEFAULTS.timeout_s)
    assert len(warnings(caplog)) == 2


@pytest.mark.parametrize(
    ("key", "value", "loaded"),
    [
        ("base_url", "http://gpu-box:8000/v1", "http://gpu-box:8000/v1"),
        ("model", "isaac-0.2", "isaac-0.2"),
        ("concurrency", 1, 1),
        ("concurrency", MAX_CONCURRENCY, MAX_CONCURRENCY),
        ("rpm", 0, 0.0),
        ("rpm", 600, 600.0),
        ("rpm", 12.5, 12.5),
        ("max_side", 0, 0),
        ("max_side", 2000, 2000),
        ("timeout_s", 90, 90.0),
        ("timeout_s", 0.5, 0.5),
        ("theme", "dark", "dark"),
        ("theme", "light", "light"),
        ("recent_folders", ["/a", "/b"], ["/a", "/b"]),
        ("recent_class_sets", [], []),
        ("inspector", "Ana Lima", "Ana Lima"),
        ("rules_file", "/rules/line7.toml", "/rules/line7.toml"),
        ("override_reasons", ["Dust"], ["Dust"]),
        ("override_reasons", [], []),
    ],
)
def test_valid_values_load_as_they_are_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, value: Any, loaded: Any
) -> None:
    path = write(tmp_path / "settings.json", {key: value})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert getattr(settings, key) == loaded
    assert type(getattr(settings, key)) is type(loaded)
    assert warnings(caplog) == []


def test_entries_of_a_recent_list_that_are_not_text_are_dropped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "settings.json", {"recent_class_sets": ["scratch, dent", 3, None, "rust"]})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert settings.recent_class_sets == ["scratch, dent", "rust"]
    said = warnings(caplog)
    assert len(said) == 1 and "recent_class_sets" in said[0]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("enabled", "true"),
        ("enabled", 1),
        ("upload_annotated", None),
        ("bucket", 5),
        ("prefix", ["a"]),
        ("region", True),
        ("profile", {}),
        ("endpoint_url", 8333),
    ],
)
def test_a_wrong_s3_value_falls_back_alone_and_the_warning_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, value: Any
) -> None:
    path = write(tmp_path / "settings.json", {"s3": {"bucket": "results", "enabled": True, key: value}})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert getattr(settings.s3, key) == getattr(S3Settings(), key)
    expected = {"bucket": "results", "enabled": True}
    for other, good in expected.items():
        if other != key:
            assert getattr(settings.s3, other) == good
    said = warnings(caplog)
    assert len(said) == 1 and f"s3.{key}" in said[0]


def test_a_full_valid_file_loads_every_field(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    saved = AppSettings(
        base_url="https://isaac.example.com",
        model="isaac-0.2",
        concurrency=24,
        rpm=600.0,
        max_side=2000,
        timeout_s=90.0,
        theme="dark",
        recent_folders=["/photos/a"],
        recent_class_sets=["scratch, dent"],
        inspector="Ana",
        rules_file="/rules/line7.toml",
        override_reasons=["Dust on the lens"],
        s3=S3Settings(True, "results", "runs/", "eu-west-1", "work", "http://127.0.0.1:8333", True),
    )
    path = tmp_path / "settings.json"
    saved.save(path)
    with caplog.at_level(logging.WARNING):
        assert AppSettings.load(path) == saved
    assert warnings(caplog) == []


def test_every_field_has_a_rule() -> None:
    """A field added without a rule would load unchecked."""
    names = {f.name for f in dataclasses.fields(AppSettings)} - {"extra"}
    s3_names = {f.name for f in dataclasses.fields(S3Settings)}
    assert set(RULES) == names - {"s3"}
    assert set(S3_RULES) == s3_names


def test_unknown_keys_are_kept_and_saved_back(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", {"future_option": {"x": 1}, "concurrency": "lots"})
    settings = AppSettings.load(path)
    assert settings.extra == {"future_option": {"x": 1}}
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["future_option"] == {"x": 1}


def test_a_missing_file_is_the_defaults_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert AppSettings.load(tmp_path / "settings.json") == DEFAULTS
    assert warnings(caplog) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe{}"])
def test_a_broken_file_is_set_aside_with_a_warning_naming_both_paths(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert settings == DEFAULTS
    assert not path.exists()
    (aside,) = tmp_path.glob("settings.broken-*.json")
    assert aside.read_bytes() == content
    said = warnings(caplog)
    assert len(said) == 1 and str(path) in said[0] and str(aside) in said[0]


def test_a_second_broken_file_is_kept_beside_the_first(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{first", encoding="utf-8")
    AppSettings.load(path)
    path.write_text("{second", encoding="utf-8")
    AppSettings.load(path)
    kept = sorted(p.read_text(encoding="utf-8") for p in tmp_path.glob("settings.broken-*.json"))
    assert kept == ["{first", "{second"]


def test_saving_after_a_fallback_keeps_the_set_aside_copy(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"concurrency": 8,', encoding="utf-8")
    settings = AppSettings.load(path)
    settings.concurrency = 12
    settings.save(path)
    (aside,) = tmp_path.glob("settings.broken-*.json")
    assert aside.read_text(encoding="utf-8") == '{"concurrency": 8,'
    assert AppSettings.load(path).concurrency == 12


def test_saving_after_a_wrong_value_writes_the_default(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", {"concurrency": "lots", "theme": "dark"})
    AppSettings.load(path).save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["concurrency"], data["theme"]) == (DEFAULTS.concurrency, "dark")
    assert list(tmp_path.glob("settings.broken-*.json")) == []


def test_review_settings_default_to_no_inspector_the_default_rules_file_and_a_short_reason_list() -> None:
    assert (DEFAULTS.inspector, DEFAULTS.rules_file) == ("", "")
    assert "Other" in DEFAULTS.override_reasons and 3 <= len(DEFAULTS.override_reasons) <= 8
    assert AppSettings().override_reasons is not DEFAULTS.override_reasons  # not one shared list


@pytest.mark.parametrize(
    ("key", "value"), [("inspector", 7), ("rules_file", ["a.toml"]), ("override_reasons", "Dust")]
)
def test_a_wrong_review_setting_falls_back_to_its_default_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, value: Any
) -> None:
    path = write(tmp_path / "settings.json", {key: value})
    with caplog.at_level(logging.WARNING):
        settings = AppSettings.load(path)
    assert getattr(settings, key) == getattr(DEFAULTS, key)
    said = warnings(caplog)
    assert len(said) == 1 and key in said[0]


def test_override_reasons_that_are_not_text_are_dropped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "settings.json", {"override_reasons": ["Dust", 3, "Glare"]})
    with caplog.at_level(logging.WARNING):
        assert AppSettings.load(path).override_reasons == ["Dust", "Glare"]
    assert len(warnings(caplog)) == 1
