"""The user's preferences: a readable JSON file in the per-user config folder, and the API key in
the operating system's keychain (never in the file, never in a log).

The file is plain JSON so a user or an admin can read and edit it, which also means any value may be
wrong. Each known key is checked on load against `RULES`: a wrong value falls back to its default with
one warning naming the key, so one typo costs one setting, not the file. Unknown keys are kept (another
version may use them). A file that cannot be read as a JSON object is renamed aside, never overwritten.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import os
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from isaac_gui.core.files import write_atomic

log = logging.getLogger(__name__)

APP_NAME = "isaac-gui"
KEYRING_SERVICE = "isaac-gui"
KEYRING_USER = "perceptron-api-key"
MAX_CONCURRENCY = 64  # the most the Settings dialog offers; more rarely helps
THUMBNAIL_CACHE_MB = (16, 1_000_000)  # the disk cache's cap the Settings dialog offers, in MB
THEMES = ("system", "light", "dark")
# What the Review panel offers when the inspector overrides a proposed verdict (free text is allowed too).
OVERRIDE_REASONS = (
    "Defect below the limit",
    "Not a defect (reflection, dust)",
    "Box on the wrong part",
    "Needs a second look",
    "Other",
)


def isolated_environment(work: Path) -> dict[str, str]:
    """Environment variables that keep a process and its children off the user's own folders: the
    app's settings, cache and data under `work`, and the XDG folders too (Qt keeps the window's
    geometry there, under QSettings; keyring and others read them). For screenshots, benchmarks and
    the packaged app's smoke test."""
    return {
        "ISAAC_GUI_CONFIG_DIR": str(work / "config"),
        "ISAAC_GUI_CACHE_DIR": str(work / "cache"),
        "ISAAC_GUI_DATA_DIR": str(work / "data"),
        "XDG_CONFIG_HOME": str(work / "xdg-config"),
        "XDG_CACHE_HOME": str(work / "xdg-cache"),
        "XDG_DATA_HOME": str(work / "xdg-data"),
        "XDG_STATE_HOME": str(work / "xdg-state"),
    }


def config_dir() -> Path:
    override = os.environ.get("ISAAC_GUI_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where results go when the photos' own folder is read-only."""
    override = os.environ.get("ISAAC_GUI_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    override = os.environ.get("ISAAC_GUI_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


@dataclass
class S3Settings:
    enabled: bool = False
    bucket: str = ""
    prefix: str = ""
    region: str = ""
    profile: str = ""
    endpoint_url: str = ""
    upload_annotated: bool = False


@dataclass
class AppSettings:
    base_url: str = ""
    model: str = ""
    concurrency: int = 16
    rpm: float = 300.0
    max_side: int = 1000
    timeout_s: float = 60.0
    theme: str = "system"  # system, light or dark
    thumbnail_cache_mb: int = 1024  # ~200,000 thumbnails; the least recently used go beyond it
    recent_folders: list[str] = field(default_factory=list)
    recent_class_sets: list[str] = field(default_factory=list)
    inspector: str = ""  # the name review entries carry beside the OS user; empty: the OS user alone
    rules_file: str = ""  # empty: config_dir()/rules.toml, else the built-in rules (`core.review.rules`)
    override_reasons: list[str] = field(default_factory=lambda: list(OVERRIDE_REASONS))
    s3: S3Settings = field(default_factory=S3Settings)
    extra: dict[str, Any] = field(default_factory=dict)  # keys written by other versions, kept as they were

    @classmethod
    def load(cls, path: Path | None = None) -> AppSettings:
        """The settings in `path`; the defaults when there is none. Never raises for the file's content."""
        path = path or config_dir() / "settings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"it holds a JSON {type(data).__name__}, not an object")
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            _set_aside(path, exc)
            return cls()
        where = str(path)
        defaults, s3_defaults = cls(), S3Settings()
        values = _checked(data, RULES, vars(defaults), where)
        s3 = data.get("s3", {})
        if not isinstance(s3, dict):
            _warn(where, "s3", s3, _BadValueError("is not an object"), s3_defaults)
            s3 = {}
        # Unknown keys inside "s3" are not kept: that section is written whole from the S3 settings.
        values["s3"] = S3Settings(**_checked(s3, S3_RULES, vars(s3_defaults), where, prefix="s3."))
        extra = {k: v for k, v in data.items() if k not in RULES and k != "s3"}
        return cls(**values, extra=extra)

    def save(self, path: Path | None = None) -> None:
        path = path or config_dir() / "settings.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        extra = data.pop("extra")
        write_atomic(path, json.dumps({**extra, **data}, indent=2) + "\n")

    def remember_folder(self, folder: str, limit: int = 10) -> None:
        self.recent_folders = [folder, *[f for f in self.recent_folders if f != folder][: limit - 1]]

    def remember_classes(self, classes: str, limit: int = 10) -> None:
        self.recent_class_sets = [classes, *[c for c in self.recent_class_sets if c != classes][: limit - 1]]


class _BadValueError(Exception):
    """Why a value cannot be used, and what to use instead (the default, unless `instead` is given)."""

    def __init__(self, problem: str, instead: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.instead = instead


Rule = Callable[[Any], Any]  # the value to use, or raises _BadValueError


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _BadValueError("is not text")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _BadValueError("is not true or false")
    return value


def _whole(low: int, high: int | None = None) -> Rule:
    def rule(value: Any) -> int:
        # bool is an int in Python, but `true` in the file is a mistake, not 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise _BadValueError("is not a whole number")
        if value < low or (high is not None and value > high):
            raise _BadValueError(
                f"is not between {low} and {high}" if high is not None else f"is less than {low}"
            )
        return value

    return rule


def _number(*, at_least: float | None = None, above: float | None = None) -> Rule:
    def rule(value: Any) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise _BadValueError("is not a finite number")
        if at_least is not None and value < at_least:
            raise _BadValueError(f"is less than {at_least:g}")
        if above is not None and value <= above:
            raise _BadValueError(f"is not more than {above:g}")
        return float(value)

    return rule


def _one_of(*choices: str) -> Rule:
    def rule(value: Any) -> str:
        if value not in choices:
            raise _BadValueError(f"is not one of {', '.join(choices)}")
        return str(value)

    return rule


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _BadValueError("is not a list")
    kept = [item for item in value if isinstance(item, str)]
    if len(kept) < len(value):
        raise _BadValueError(
            f"has {len(value) - len(kept)} entries that are not text (dropped)", instead=kept
        )
    return kept


# Every value the Settings dialog writes passes. The bounds reject what no run can use (no request in
# flight, a negative rate, a zero timeout) and what the dialog would silently clamp (over MAX_CONCURRENCY).
RULES: dict[str, Rule] = {
    "base_url": _text,
    "model": _text,
    "concurrency": _whole(1, MAX_CONCURRENCY),
    "rpm": _number(at_least=0),  # 0: no limit
    "max_side": _whole(0),  # 0: full size
    "timeout_s": _number(above=0),
    "theme": _one_of(*THEMES),
    "thumbnail_cache_mb": _whole(*THUMBNAIL_CACHE_MB),
    "recent_folders": _texts,
    "recent_class_sets": _texts,
    "inspector": _text,
    "rules_file": _text,
    "override_reasons": _texts,
}

S3_RULES: dict[str, Rule] = {
    "enabled": _flag,
    "bucket": _text,
    "prefix": _text,
    "region": _text,
    "profile": _text,
    "endpoint_url": _text,
    "upload_annotated": _flag,
}


def _checked(
    data: Mapping[str, Any],
    rules: Mapping[str, Rule],
    defaults: Mapping[str, Any],
    where: str,
    prefix: str = "",
) -> dict[str, Any]:
    """The values in `data` that `rules` knows, each checked; a wrong one is replaced and warned about."""
    values: dict[str, Any] = {}
    for key, rule in rules.items():
        if key not in data:
            continue
        try:
            values[key] = rule(data[key])
        except _BadValueError as unusable:
            fallback = defaults[key] if unusable.instead is None else unusable.instead
            _warn(where, prefix + key, data[key], unusable, fallback)
            values[key] = fallback
    return values


_short = reprlib.Repr(maxstring=40, maxother=40)


def _warn(where: str, key: str, value: Any, unusable: _BadValueError, fallback: Any) -> None:
    log.warning("%s: %s %s %s; using %r", where, key, _short.repr(value), unusable.problem, fallback)


def _set_aside(path: Path, problem: Exception) -> None:
    """Rename a file that cannot be read as settings beside itself, so the next save cannot destroy it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    names = (
        f"{path.stem}.broken-{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}" for n in itertools.count(1)
    )
    aside = next(path.with_name(name) for name in names if not path.with_name(name).exists())
    try:
        path.rename(aside)
    except OSError as exc:
        log.warning(
            "%s cannot be read (%s) nor renamed to %s (%s); using the defaults", path, problem, aside, exc
        )
        return
    log.warning("%s cannot be read (%s): kept as %s; using the defaults", path, problem, aside)


def load_api_key() -> str | None:
    """The key saved in the OS keychain, or None (also when no keychain is available)."""
    try:
        import keyring  # noqa: PLC0415 - keyring probes backends on import; only pay when asked

        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:  # keyring's backends raise their own errors (D-Bus, Secret Service, ...)
        log.warning("the system keychain could not be read (%s); no saved API key is used", exc)
        return None


def save_api_key(key: str | None) -> None:
    """Store the key in the OS keychain (None deletes it). Raises keyring's error when there is none."""
    import keyring  # noqa: PLC0415
    import keyring.errors  # noqa: PLC0415

    if key:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
    else:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
