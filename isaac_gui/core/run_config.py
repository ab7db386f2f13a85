"""What a run is told: where Isaac is (`Connection`), what to look for and how (`RunSettings`),
how patiently to retry (`RetryPolicy`), which model it asks and where its results go by default.

Plain data, apart from the engine: the window builds these on its thread and hands them to the
engine's process, so importing this module must not load the SDK, httpx or tenacity (about a
second of the window's start-up).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from isaac_gui.core.images import DEFAULT_MAX_SIDE, JPEG_QUALITY, PREPARATION_VERSION
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.settings import data_dir

DEFAULT_MODEL = "isaac-0.1"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_CONCURRENCY = 16
DEFAULT_RPM = 300.0


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to reach Isaac. None means: the SDK's environment variable, else its default."""

    base_url: str | None = None
    api_key: str | None = None
    model: str = DEFAULT_MODEL
    timeout_s: float = DEFAULT_TIMEOUT_S
    provider: str | None = None

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        timeout_s: float | None = None,
        settings_base_url: str | None = None,
        settings_api_key: str | None = None,
        settings_model: str | None = None,
    ) -> Connection:
        """Explicit values (command-line flags) first, then the SDK's environment variables, then the
        app's settings, then the defaults (the model as `resolve_model` says)."""
        env = os.environ
        return cls(
            base_url=base_url or env.get("PERCEPTRON_BASE_URL") or settings_base_url or None,
            api_key=api_key or env.get("PERCEPTRON_API_KEY") or settings_api_key or None,
            model=resolve_model(model, settings_model),
            timeout_s=timeout_s or DEFAULT_TIMEOUT_S,
            provider=env.get("PERCEPTRON_PROVIDER") or None,
        )


def resolve_model(model: str | None = None, settings_model: str | None = None) -> str:
    """The model a run asks: the one named for this run (`--model`, the window's field), else
    `$PERCEPTRON_MODEL`, else the settings' model, else `DEFAULT_MODEL`. The window keys its results
    with the same answer the engine sends, so both always name the same model."""
    return model or os.environ.get("PERCEPTRON_MODEL") or settings_model or DEFAULT_MODEL


def default_output_dir(root: Path) -> Path:
    """`X-results` beside folder `X`; when X's parent cannot be written, a folder per source in the
    per-user data folder (named after X, plus a hash of its full path so two X's never share)."""
    root = root.absolute()
    beside = root.parent / f"{root.name}-results"
    if (beside.is_dir() and os.access(beside, os.W_OK)) or os.access(root.parent, os.W_OK):
        return beside
    digest = hashlib.sha1(str(root).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return data_dir() / "results" / f"{root.name}-{digest}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6  # tries per image, not counting 429s
    max_rate_limited: int = 30  # 429s one image may absorb before it is given up
    # After answers have come, a service that stops answering (connection refused or reset,
    # timeouts) is an outage: photos wait for it this long before their failures count.
    max_outage_s: float = 1800.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    rate_limit_jitter_s: float = 0.25


@dataclass(frozen=True, slots=True)
class RunSettings:
    classes: tuple[str, ...]
    concurrency: int = DEFAULT_CONCURRENCY
    rpm: float | None = DEFAULT_RPM
    max_side: int | None = DEFAULT_MAX_SIDE
    recursive: bool = True
    retry_errors: bool = False  # also retry images whose error was not transient (e.g. undecodable)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    prepare_workers: int = max(os.cpu_count() or 2, 1)
    stats_interval_s: float = 1.0
    cancel_grace_s: float = 5.0
    # Photos the caller has just listed with the same scan (the window has): the runner then skips
    # its own counting pass over the folder, and corrects the total if its scan finds otherwise.
    expected_total: int | None = None
    # The verdict rules results.jsonl and summary.json are written under (plain frozen data, picklable).
    rules: RuleSet = DEFAULT_RULES
    # Photos (paths relative to the folder) to run, the rest keeping the answer they have: a
    # selection asked again, with other classes or another model. None: every photo of the folder.
    only: tuple[str, ...] | None = None

    @property
    def ahead(self) -> int:
        """Photos read and prepared but not sent yet, at most."""
        return 2 * max(self.prepare_workers, 1)

    @property
    def jobs(self) -> int:
        """Photos in flight at once: one per request slot, plus some being prepared ahead. An
        executor given to the runner should have this many threads."""
        return self.concurrency + self.ahead

    @property
    def preparation(self) -> str:
        return f"jpeg{JPEG_QUALITY}/max{self.max_side or 'full'}/v{PREPARATION_VERSION}"


def parse_classes(text: str) -> tuple[str, ...]:
    """ "scratch, dent , missing screw" -> ("scratch", "dent", "missing screw"), duplicates dropped."""
    seen: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())
