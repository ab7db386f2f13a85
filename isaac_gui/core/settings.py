"""The user's preferences: a readable JSON file in the per-user config folder, and the API key in
the operating system's keychain (never in the file, never in a log).

The file is plain JSON so a user or an admin can read and edit it; unknown keys are kept, broken
files are set aside rather than lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from isaac_gui.core.files import write_atomic

log = logging.getLogger(__name__)

APP_NAME = "isaac-gui"
KEYRING_SERVICE = "isaac-gui"
KEYRING_USER = "perceptron-api-key"


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
    recent_folders: list[str] = field(default_factory=list)
    recent_class_sets: list[str] = field(default_factory=list)
    s3: S3Settings = field(default_factory=S3Settings)
    extra: dict[str, Any] = field(default_factory=dict)  # keys written by other versions, kept as they were

    @classmethod
    def load(cls, path: Path | None = None) -> AppSettings:
        path = path or config_dir() / "settings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                path.replace(path.with_suffix(".broken.json"))
            return cls()
        known = {f.name for f in fields(cls)} - {"extra", "s3"}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        s3 = data.get("s3")
        if isinstance(s3, dict):
            s3_known = {f.name for f in fields(S3Settings)}
            settings.s3 = S3Settings(**{k: v for k, v in s3.items() if k in s3_known})
        settings.extra = {k: v for k, v in data.items() if k not in known and k != "s3"}
        return settings

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
