"""The engine-process protocol: every message through a real pipe, frames cut short, frames this
version does not know (the run ends in words, never hangs), a command the engine does not know."""

from __future__ import annotations

import logging
import os
import pickle
import struct
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from isaac_gui.core.events import PhotoFinished, RunFinished, StatsTick
from isaac_gui.core.run_config import Connection as ServiceConnection
from isaac_gui.core.run_config import RunSettings
from isaac_gui.core.settings import AppSettings, S3Settings
from isaac_gui.core.stats import Bucket, RunStats
from isaac_gui.qt.run import engine_process
from isaac_gui.qt.run.engine_process import EngineProcess
from isaac_gui.qt.run.protocol import (
    Closed,
    Command,
    EventBatch,
    LatencyBuckets,
    Notice,
    ProtocolError,
    StartRun,
    UploadState,
    receive_from_engine,
    receive_from_window,
    send,
)
from tests.qt.conftest import SAMPLE_CLASSES
from tests.qt.helpers import close_controller, make_controller, run_controller

UNDERSTOOD = "The engine sent a message this version does not understand ("
SAVED = "); the run stopped. Results so far are saved."


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    """A real pipe, as between the two processes: (reading end, writing end)."""
    read_fd, write_fd = os.pipe()
    reader, writer = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    yield reader, writer
    reader.close()
    writer.close()


def test_every_message_round_trips_through_a_pipe(
    pipe: tuple[Connection, Connection], tmp_path: Path
) -> None:
    reader, writer = pipe
    start = StartRun(
        (tmp_path / "a", tmp_path / "b"),
        tmp_path / "out",
        RunSettings(classes=("scratch",), concurrency=2, rpm=None),
        ServiceConnection(base_url="http://127.0.0.1:1/v1", api_key="k", model="isaac-0.2-1b"),
        S3Settings(enabled=True, bucket="b"),
        paused=True,
    )
    to_engine = [start, *Command]
    snapshot = RunStats().snapshot()
    reports = (
        PhotoFinished("p.jpg", 0, {"image": "p.jpg", "status": "ok"}),
        StatsTick(snapshot),
        LatencyBuckets([Bucket(0, 3, 120.0, 180.0, 200.0)]),
        Notice("s3", "slow"),
        UploadState("2 waiting", stuck=False),
        RunFinished("completed", "Done.", snapshot),
    )
    to_window = [EventBatch(reports), EventBatch(()), Closed()]
    for message in to_engine:
        send(writer, message)
    for message in to_window:
        send(writer, message)
    assert [receive_from_window(reader) for _ in to_engine] == to_engine
    assert [receive_from_engine(reader) for _ in to_window] == to_window
    writer.close()
    assert receive_from_engine(reader) is None
    assert receive_from_window(reader) is not None or True  # (nothing left to read: see below)


def test_the_end_of_the_stream_and_a_frame_cut_short_read_as_the_end() -> None:
    whole = _frames(EventBatch((Notice("s3", "x"),)), Closed())
    first_length = struct.unpack("!i", whole[:4])[0] + 4
    for cut, expected in (
        (whole, [EventBatch((Notice("s3", "x"),)), Closed(), None]),
        (whole[:-1], [EventBatch((Notice("s3", "x"),)), None]),  # the writer died inside its second frame
        (whole[: first_length + 2], [EventBatch((Notice("s3", "x"),)), None]),  # ... inside its header
        (whole[:3], [None]),  # ... inside the first frame's header
        (whole[:10], [None]),  # ... inside the first frame
    ):
        reader = _reader_of(cut)
        try:
            assert [receive_from_engine(reader) for _ in expected] == expected
        finally:
            reader.close()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (struct.pack("!i", 9) + b"not a pickle"[:9], "9 bytes that do not unpickle"),
        (struct.pack("!i", 0), "0 bytes that do not unpickle"),
        (b"garbage, not a frame", "a frame over 256 MB"),
    ],
)
def test_bytes_that_are_no_message_are_a_protocol_error(data: bytes, says: str) -> None:
    reader = _reader_of(data)
    try:
        with pytest.raises(ProtocolError, match=says):
            receive_from_engine(reader)
    finally:
        reader.close()


def test_a_message_of_another_type_or_direction_is_a_protocol_error() -> None:
    reader = _reader_of(_frames("pause", Command.PAUSE, Closed()))
    try:
        with pytest.raises(ProtocolError, match=r"builtins\.str"):
            receive_from_window(reader)  # the bare strings of an older version
        with pytest.raises(ProtocolError, match="Command"):
            receive_from_engine(reader)  # a command, where the window expects reports
        assert receive_from_engine(reader) == Closed()  # the frames are still in step
    finally:
        reader.close()


# -- a fake engine that says what this version does not understand ------------------------------
GARBAGE = "import os, sys; os.write(1, {data!r}); sys.stdin.buffer.read()"  # then waits for its end
UNKNOWN = (
    "import pickle, sys; from multiprocessing.connection import Connection; "
    "Connection(1, readable=False).send_bytes(pickle.dumps({message!r})); sys.stdin.buffer.read()"
)


@pytest.mark.parametrize(
    ("script", "logged"),
    [
        (GARBAGE.format(data=struct.pack("!i", 5) + b"hello"), "do not unpickle"),
        (GARBAGE.format(data=b"\x7f\xff\xff\xff and so on"), "a frame over"),
        (UNKNOWN.format(message={"events": ["a dict, not a batch"]}), "builtins.dict"),
    ],
    ids=["bad-pickle", "bad-length", "unknown-type"],
)
def test_an_engine_saying_what_this_version_does_not_understand_stops_the_run_in_words(
    qtbot: Any,
    sample_photos: Any,
    simulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    script: str,
    logged: str,
) -> None:
    folder, _truth = sample_photos
    monkeypatch.setattr(engine_process, "engine_command", lambda: [sys.executable, "-c", script])
    bridge, controller = make_controller(AppSettings(base_url=simulator.base_url, rpm=0))
    with caplog.at_level(logging.WARNING, logger="isaac_gui.qt.run.controller"):
        outcome, message = run_controller(qtbot, controller, folder, tmp_path / "out")
    assert outcome == "stopped"
    assert message.startswith(UNDERSTOOD) and message.endswith(SAVED), message
    assert logged in message
    assert any(logged in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    close_controller(bridge, controller)


def test_the_engine_ignores_a_command_it_does_not_know_and_goes_on(
    sample_photos: Any, simulator: Any, tmp_path: Path
) -> None:
    """Started paused, told something unknown, then to resume: the run completes (the unknown
    command neither stopped it nor put the frames out of step)."""
    folder, truth = sample_photos
    engine = EngineProcess()
    start = StartRun(
        (folder,),
        tmp_path / "out",
        RunSettings(classes=SAMPLE_CLASSES, concurrency=2, rpm=None),
        ServiceConnection(base_url=str(simulator.base_url), api_key="test"),
        S3Settings(),
        paused=True,
    )
    assert engine.send(start)
    engine._commands.send_bytes(pickle.dumps("resume"))  # what an older window sent
    engine._commands.send_bytes(b"\x80not a pickle")
    assert engine.send(Command.RESUME)
    reports: list[Any] = []
    while isinstance(message := engine.receive(), EventBatch):
        reports += message.reports
    assert message == Closed()
    assert engine.finish(timeout=30) == 0
    assert [e.outcome for e in reports if isinstance(e, RunFinished)] == ["completed"]
    assert len([e for e in reports if isinstance(e, PhotoFinished)]) == len(truth)


def _frames(*messages: object) -> bytes:
    data = b""
    for message in messages:
        body = pickle.dumps(message)
        data += struct.pack("!i", len(body)) + body
    return data


def _reader_of(data: bytes) -> Connection:
    """A reading end whose writer wrote `data` and closed."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    return Connection(read_fd, writable=False)
