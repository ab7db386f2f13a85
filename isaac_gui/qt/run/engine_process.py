"""The engine in a process of its own: the window's process keeps the GIL to itself.

Why. The window has one hard rule: the event loop never stalls over 50 ms. Everything the GUI
thread runs needs the GIL. With the engine's threads in the same process (twenty workers, the
conductor, the statistics, the S3 uploader), the GUI thread queued behind them for the GIL at
every Qt-to-Python call: at full speed about a third of the 1,000-photo runs had a stall of
50-110 ms, whatever the workers' priority or the switch interval. A second process has its own
GIL. The engine runs there unchanged: the same `Runner`, its detections on a `QThreadPool`
(`QThreadPoolExecutor`, as the design card says), the S3 uploader beside it.

The protocol. Frames of pickled objects (a 4-byte big-endian length, then the pickle) over the
child's stdin (commands) and stdout (events). The child first moves its stdout away to stderr, so
a stray `print` in a library can never corrupt a frame. Both ends are this same program.

- parent -> child: one `StartRun`, then `PAUSE`, `RESUME` or `CANCEL` at any time. The end of
  stdin (the window's process is gone, or a standby process is no longer wanted) cancels the run:
  what is done is already in the journal, and the next run resumes from it.
- child -> parent: lists of events, at most every `BATCH_INTERVAL_S` (so the window's process
  wakes a few dozen times a second, not once per event), then `CLOSED` once everything has ended
  (the run, its pool's threads, the S3 upload). The engine's events go through unchanged, with
  `LatencyBuckets` (the finished seconds for the plot), `Notice` (the S3 upload's problems) and
  `UploadState` (its progress, a few times a second at most).

Start-up. Importing the SDK, httpx and the runner takes 1-3 s. The controller therefore keeps
one process started ahead (a standby) that has done its imports and waits for its `StartRun`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from isaac_gui.core.events import Event, RunFinished, StatsTick
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.settings import S3Settings
from isaac_gui.core.stats import Bucket, RunStats
from isaac_gui.qt.run.executor import QThreadPoolExecutor

ENGINE_COMMAND = "_engine"  # the launcher's hidden sub-command that runs `host_main`
BATCH_INTERVAL_S = 0.03
UPLOAD_GRACE_S = 30.0  # at the end of a run, for uploads still going
UPLOAD_GRACE_STUCK_S = 3.0  # ... when S3 is unreachable or refuses (bucket, credentials)
PROCESS_NICE = 5  # the whole engine process yields the CPU to the window first (Linux, macOS)
_HEADER = struct.Struct("!I")

PAUSE, RESUME, CANCEL, CLOSED = "pause", "resume", "cancel", "closed"


@dataclass(frozen=True, slots=True)
class StartRun:
    sources: tuple[Path, ...]
    out_dir: Path
    settings: RunSettings
    connection: Connection
    s3: S3Settings
    paused: bool = False


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


# -- frames ---------------------------------------------------------------------------------------
def send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any | None:
    """The next message, or None at the end of the stream (also when it ends inside a frame)."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    data = _read_exactly(stream, _HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    parts, left = [], n
    while left:
        part = stream.read(left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# -- the parent's end -----------------------------------------------------------------------------
_live: weakref.WeakSet[EngineProcess] = weakref.WeakSet()


def live_engines() -> list[EngineProcess]:
    """Engine processes started and not reaped yet (tests use this to find leaks)."""
    return [engine for engine in list(_live) if not engine.reaped]


def engine_command() -> list[str]:
    if getattr(sys, "frozen", False):  # the packaged app: its executable is the launcher
        return [sys.executable, ENGINE_COMMAND]
    return [sys.executable, "-m", "isaac_gui.launcher", ENGINE_COMMAND]


class EngineProcess:
    """One engine process, for one run. `send` from any thread; `receive` from one thread."""

    def __init__(self, command: list[str] | None = None) -> None:
        """`command`: how to start it; by default this program's `_engine` sub-command."""
        env = dict(os.environ)
        if not getattr(sys, "frozen", False):  # find this very package, installed or not
            package_root = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            command or engine_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
        )
        self._send_lock = threading.Lock()
        self.reaped = False
        _live.add(self)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def send(self, message: Any) -> bool:
        """False when the process no longer listens (it ended, or its stdin was closed)."""
        with self._send_lock:
            stdin = self._proc.stdin
            if stdin is None or stdin.closed:
                return False
            try:
                send(stdin, message)
            except (BrokenPipeError, OSError, ValueError):
                return False
        return True

    def receive(self) -> Any | None:
        assert self._proc.stdout is not None
        return receive(self._proc.stdout)

    def close_input(self) -> None:
        """No more commands: a waiting standby exits, a running run is cancelled."""
        with self._send_lock:
            if self._proc.stdin is not None and not self._proc.stdin.closed:
                with contextlib.suppress(OSError):
                    self._proc.stdin.close()

    def kill(self) -> None:
        """End it now (the reader then sees the end of its output)."""
        self._proc.kill()

    def finish(self, timeout: float) -> int | None:
        """Close its input, wait for it to exit (killing it after `timeout`), reap it; its exit code."""
        self.close_input()
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self.reaped = True
        return code


# -- the child's end ------------------------------------------------------------------------------
class _Outbox:
    """Events from any engine thread, sent to the parent in batches by one writer thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._cond = threading.Condition()
        self._items: list[Any] = []
        self._closing = False
        self._broken = False
        self._thread = threading.Thread(target=self._loop, name="isaac-engine-out", daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        with self._cond:
            self._items.append(item)
            if len(self._items) == 1:
                self._cond.notify()

    def close(self) -> None:
        """Send what is left, then stop the writer."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                items, self._items = self._items, []
                closing = self._closing
            if items and not self._broken:
                try:
                    send(self._stream, items)
                except (BrokenPipeError, OSError):
                    self._broken = True  # the window is gone; the journal has everything
            if closing:
                with self._cond:
                    if not self._items:
                        return
                continue
            with self._cond:  # let a batch gather: the parent wakes a few dozen times a second
                self._cond.wait_for(lambda: self._closing, BATCH_INTERVAL_S)


class _Relay:
    """The runner's listener in the child: every event to the outbox, with the plot's finished
    seconds of latency computed here, next to the statistics."""

    def __init__(self, outbox: _Outbox) -> None:
        self._outbox = outbox
        self.stats: RunStats | None = None
        self._last_second = -1
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        stats = self.stats
        if stats is not None and isinstance(event, StatsTick | RunFinished):
            with self._lock:
                rows = stats.buckets(self._last_second)
                if isinstance(event, StatsTick):  # the current second is not complete yet
                    rows = [b for b in rows if b.second < int(event.snapshot.elapsed_s)]
                if rows:
                    self._last_second = rows[-1].second
                    self._outbox.put(LatencyBuckets(rows))
        self._outbox.put(event)


def host_main() -> int:
    """The engine process: wait for a `StartRun`, run it, report, exit."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints go to stderr, never into a frame
    # Unbuffered: the thread that reads commands may still be blocked in a read when the process
    # exits, and a buffered reader's lock would then abort the interpreter's shutdown.
    commands = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115 - lives as long as the process
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(PROCESS_NICE)
    # The engine's imports (the SDK, httpx: 1-3 s) happen here, in the child, while nobody waits;
    # the window's process never loads them.
    from isaac_gui.core import detector  # noqa: PLC0415
    from isaac_gui.core.engine.runner import Runner  # noqa: PLC0415

    detector.warm_up()  # the first client's transport and certificates
    start = receive(commands)
    if not isinstance(start, StartRun):
        return 0  # a standby that was not needed
    outbox = _Outbox(channel)
    relay = _Relay(outbox)
    executor: QThreadPoolExecutor | None = None
    uploader: Any = None
    try:
        executor = QThreadPoolExecutor(start.settings.jobs, name="isaac-detect")
        uploader = _s3_uploader(start, outbox)
        listener: Any = relay
        if uploader is not None:
            listener = _fan_out(relay, uploader.on_event)
        runner = Runner(
            start.sources if len(start.sources) > 1 else start.sources[0],
            start.out_dir,
            start.settings,
            executor=executor,
            listener=listener,
            connection=start.connection,
        )
        relay.stats = runner.stats
        if start.paused:
            runner.pause()
        threading.Thread(target=_obey, args=(commands, runner), name="isaac-engine-in", daemon=True).start()
        runner.start()
        runner.wait()
    except Exception as exc:
        outbox.put(
            RunFinished("stopped", f"The run could not start: {exc}", RunStats().snapshot(), "start_failed")
        )
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if uploader is not None:
            try:
                # Uploads still going get 30 s to finish; an S3 that cannot be reached gets a few
                # (what waits stays in the journal for the next run), so the window is free again.
                uploader.close(timeout=UPLOAD_GRACE_STUCK_S if uploader.status().stuck else UPLOAD_GRACE_S)
            except Exception as exc:
                outbox.put(Notice("s3", f"S3 upload did not finish: {exc}"))
        outbox.close()
        with contextlib.suppress(OSError):
            send(channel, CLOSED)
    return 0


def _obey(commands: IO[bytes], runner: Any) -> None:
    while (command := receive(commands)) is not None:
        if command == PAUSE:
            runner.pause()
        elif command == RESUME:
            runner.resume()
        elif command == CANCEL:
            runner.cancel()
    runner.cancel()  # the window's process is gone: stop sending; the journal has what is done


def _s3_uploader(start: StartRun, outbox: _Outbox) -> Any:
    s3 = start.s3
    if not s3.enabled:
        return None
    try:
        from isaac_gui.core.s3 import S3Target, S3Uploader  # type: ignore[attr-defined,unused-ignore]  # noqa: PLC0415

        target = S3Target(
            bucket=s3.bucket,
            prefix=s3.prefix,
            region=s3.region or None,
            profile=s3.profile or None,
            endpoint_url=s3.endpoint_url or None,
            upload_annotated=s3.upload_annotated,
        )
        return S3Uploader(
            target,
            start.out_dir,
            classes=start.settings.classes,
            on_problem=lambda message: outbox.put(Notice("s3", message)),
            on_status=lambda status: outbox.put(UploadState(status.message, status.stuck)),
        )
    except Exception as exc:
        outbox.put(Notice("s3", f"S3 upload is off for this run: {exc}"))
        return None


def _fan_out(*listeners: Any) -> Any:
    def listener(event: Event) -> None:
        for each in listeners:
            each(event)

    return listener
