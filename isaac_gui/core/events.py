"""What the engine tells a front end. Events are emitted from worker threads; a front end that
needs them on one thread (the GUI) hops them over itself (see `isaac_gui.qt.run.bridge`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isaac_gui.core.stats import Snapshot


@dataclass(frozen=True, slots=True)
class ScanProblem:
    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class PhotoQueued:
    rel: str
    seq: int


@dataclass(frozen=True, slots=True)
class PhotoStarted:
    rel: str


@dataclass(frozen=True, slots=True)
class PhotoRetrying:
    rel: str
    attempt: int
    reason: str
    delay_s: float
    rate_limited: bool


@dataclass(frozen=True, slots=True)
class PhotoFinished:
    """A photo reached a final state (`record["status"]` is "ok" or "error"). `from_journal` when an
    earlier run had already done it."""

    rel: str
    seq: int
    record: dict[str, Any]
    from_journal: bool = False


@dataclass(frozen=True, slots=True)
class ScanFinished:
    total: int


@dataclass(frozen=True, slots=True)
class StatsTick:
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run ended: `outcome` is "completed", "cancelled" or "stopped" (the service refused it).
    When stopped, `kind` says why ("auth", "no_key", "forbidden", "not_found", "quota", "internal"),
    so a front end can offer the fixing action."""

    outcome: str
    message: str
    snapshot: Snapshot
    kind: str = ""


Event = (
    ScanProblem
    | PhotoQueued
    | PhotoStarted
    | PhotoRetrying
    | PhotoFinished
    | ScanFinished
    | StatsTick
    | RunFinished
)
Listener = Callable[[Event], None]
