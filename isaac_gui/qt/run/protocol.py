"""What the window's process and the engine's process say to each other, and how it is framed.

Both ends are this same program, so a message is a pickled dataclass (or `Command`), framed by
`multiprocessing.connection.Connection` (a length, then the bytes) over the child's stdin and
stdout. This module imports no Qt and no engine: the window reads it, and so does the engine.

- window -> engine: one `StartRun`, then any `Command` (pause, resume, cancel). The end of the
  engine's input cancels its run. Or one `UploadOutputs` (S3 brought up to date with the review,
  no detection), which runs to its end.
- engine -> window: `EventBatch`es, then one `Closed` once everything has ended. A batch holds the
  engine's own events with `LatencyBuckets`, `Notice` and `UploadState` among them.

Reading a frame gives a message, None at the end of the stream (also when the writer died inside
a frame), or raises `ProtocolError` for a frame that is not a message this version knows.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

from isaac_gui.core.events import Event
from isaac_gui.core.review.rules import RuleSet
from isaac_gui.core.run_config import Connection as ServiceConnection
from isaac_gui.core.run_config import RunSettings
from isaac_gui.core.settings import S3Settings
from isaac_gui.core.stats import Bucket

# Far above any real batch (100,000 queued photos pickle to ~10 MB), far below what a garbage
# length would make the reader allocate.
MAX_FRAME_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StartRun:
    sources: tuple[Path, ...]
    out_dir: Path
    settings: RunSettings
    connection: ServiceConnection
    s3: S3Settings
    paused: bool = False


@dataclass(frozen=True, slots=True)
class UploadOutputs:
    """Upload what S3 does not hold as it is now (records decided on since, what waited)."""

    out_dir: Path
    s3: S3Settings
    rules: RuleSet


class Command(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class LatencyBuckets:
    """Seconds of latency that are complete, for the plot (sent before the `StatsTick` or
    `RunFinished` that completed them)."""

    rows: list[Bucket]


@dataclass(frozen=True, slots=True)
class Notice:
    """A quiet problem of a side service (e.g. the S3 upload), shown without interrupting."""

    source: str
    message: str


@dataclass(frozen=True, slots=True)
class UploadState:
    """The S3 upload's latest state, for the quiet indicator: one line, and whether it is stuck."""

    message: str
    stuck: bool  # unreachable, or stopped by a setup problem (bucket, credentials)


Report = Event | LatencyBuckets | Notice | UploadState  # what the engine tells the window about a run


@dataclass(frozen=True, slots=True)
class EventBatch:
    """The reports of the last few milliseconds, in order: one frame instead of one per event."""

    reports: tuple[Report, ...]


@dataclass(frozen=True, slots=True)
class Closed:
    """The run, its pool's threads and the S3 upload have all ended: the engine's last word."""


ToEngine = StartRun | UploadOutputs | Command
ToWindow = EventBatch | Closed
Message = ToEngine | ToWindow


class ProtocolError(Exception):
    """A frame that is not a message this version knows; the text says what it was instead."""


def send(connection: Connection, message: Message) -> None:
    connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def receive_from_engine(connection: Connection) -> ToWindow | None:
    """The engine's next message; None at the end of its output."""
    return cast("ToWindow | None", _receive(connection, (EventBatch, Closed)))


def receive_from_window(connection: Connection) -> ToEngine | None:
    """The window's next message; None at the end of the engine's input."""
    return cast("ToEngine | None", _receive(connection, (StartRun, UploadOutputs, Command)))


def _receive(connection: Connection, expected: tuple[type, ...]) -> object | None:
    try:
        data = connection.recv_bytes(MAX_FRAME_BYTES)
    except EOFError:
        return None
    except OSError as exc:
        # multiprocessing says "bad message length" for a frame over the limit; any other error
        # is the stream ending inside a frame (the writer died), which is just the end.
        if "bad message length" in str(exc):
            raise ProtocolError(f"a frame over {MAX_FRAME_BYTES // (1024 * 1024)} MB") from None
        return None
    try:
        message = pickle.loads(data)  # the other end is this same program, started by us
    except Exception as exc:
        raise ProtocolError(f"{len(data)} bytes that do not unpickle: {type(exc).__name__}: {exc}") from None
    if not isinstance(message, expected):
        raise ProtocolError(f"a {type(message).__module__}.{type(message).__qualname__}")
    return message
