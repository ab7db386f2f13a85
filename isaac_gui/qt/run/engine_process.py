"""The engine in a process of its own: the window's process keeps the GIL to itself.

Why. The window has one hard rule: the event loop never stalls over 50 ms. Everything the GUI
thread runs needs the GIL. With the engine's threads in the same process (twenty workers, the
conductor, the statistics, the S3 uploader), the GUI thread queued behind them for the GIL at
every Qt-to-Python call: at full speed about a third of the 1,000-photo runs had a stall of
50-110 ms, whatever the workers' priority or the switch interval. A second process has its own
GIL. The engine runs there unchanged: the run that `core.assembly` puts together (the command
line's too), its detections on a `QThreadPool` (`QThreadPoolExecutor`, as the design card says),
the S3 uploader beside it.

What the two processes say is `protocol`: commands down the child's stdin, reports up its
stdout. The child first moves its stdout away to stderr, so a stray `print` in a library can
never corrupt a frame.

Batching happens here, once: the child's `PipeMailbox` posts the engine's reports in one
`EventBatch` at most every `BATCH_INTERVAL_S`, so the window's process wakes a few dozen times a
second, not once per event; the window's own mailbox (the bridge's) then delivers each batch to
the GUI thread as it comes, in slices that keep painting going.

Start-up. Importing the SDK, httpx and the runner takes 1-3 s. The controller therefore keeps
one process started ahead (a standby) that has done its imports and waits for its `StartRun`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import weakref
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from isaac_gui.core.events import Event, RunFinished, StatsTick
from isaac_gui.core.stats import RunStats
from isaac_gui.qt.run.executor import QThreadPoolExecutor
from isaac_gui.qt.run.protocol import (
    Closed,
    Command,
    EventBatch,
    LatencyBuckets,
    Notice,
    ProtocolError,
    Report,
    StartRun,
    ToEngine,
    ToWindow,
    UploadOutputs,
    UploadState,
    receive_from_engine,
    receive_from_window,
    send,
)

if TYPE_CHECKING:
    from isaac_gui.core.assembly import AssembledRun

ENGINE_COMMAND = "_engine"  # the launcher's hidden sub-command that runs `host_main`
BATCH_INTERVAL_S = 0.03
UPLOAD_GRACE_STUCK_S = 3.0  # at the end of a run, when S3 is unreachable or refuses (bucket, credentials)
PROCESS_NICE = 5  # the whole engine process yields the CPU to the window first (Linux, macOS)
log = logging.getLogger(__name__)


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
            package_root = str(Path(__file__).resolve().parents[3])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        down_read, down_write = os.pipe()  # commands: the child's stdin
        up_read, up_write = os.pipe()  # reports: the child's stdout
        try:
            self._proc = subprocess.Popen(
                command or engine_command(), stdin=down_read, stdout=up_write, env=env
            )
        except BaseException:
            for fd in (down_write, up_read):
                os.close(fd)
            raise
        finally:
            for fd in (down_read, up_write):
                os.close(fd)
        self._commands = Connection(down_write, readable=False)
        self._reports = Connection(up_read, writable=False)
        self._send_lock = threading.Lock()
        self.reaped = False
        _live.add(self)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def send(self, message: ToEngine) -> bool:
        """False when the process no longer listens (it ended, or its input was closed)."""
        with self._send_lock:
            if self._commands.closed:
                return False
            try:
                send(self._commands, message)
            except OSError:
                return False
        return True

    def receive(self) -> ToWindow | None:
        """The next message; None at the end of its output. Raises `ProtocolError` for a message
        this version does not know."""
        return receive_from_engine(self._reports)

    def close_input(self) -> None:
        """No more commands: a waiting standby exits, a running run is cancelled."""
        with self._send_lock:
            self._commands.close()

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
        self._reports.close()
        self.reaped = True
        return code


# -- the child's end ------------------------------------------------------------------------------
class PipeMailbox:
    """The child's mailbox: `post` reports from any engine thread; one thread delivers them to the
    window as `EventBatch`es, at most every `BATCH_INTERVAL_S`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._cond = threading.Condition()
        self._items: list[Report] = []
        self._closing = False
        self._broken = False
        self._thread = threading.Thread(target=self._deliver_loop, name="isaac-engine-out", daemon=True)
        self._thread.start()

    def post(self, item: Report) -> None:
        with self._cond:
            self._items.append(item)
            if len(self._items) == 1:
                self._cond.notify()

    def close(self) -> None:
        """Deliver what is left, then `Closed`, and stop."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        self._deliver(Closed())

    def _deliver(self, message: ToWindow) -> None:
        if self._broken:
            return
        try:
            send(self._connection, message)
        except OSError:
            self._broken = True  # the window is gone; the journal has everything

    def _deliver_loop(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                items, self._items = self._items, []
                closing = self._closing
            if items:
                self._deliver(EventBatch(tuple(items)))
            if closing:
                with self._cond:
                    if not self._items:
                        return
                continue
            with self._cond:  # let a batch gather: the window's process wakes a few dozen times a second
                self._cond.wait_for(lambda: self._closing, BATCH_INTERVAL_S)


class _RunPoster:
    """The runner's listener in the child: every event posted to the mailbox, with the plot's
    finished seconds of latency computed here, next to the statistics."""

    def __init__(self, mailbox: PipeMailbox) -> None:
        self._mailbox = mailbox
        self.stats: RunStats | None = None
        self._last_second = -1
        self._lock = threading.Lock()

    def post(self, event: Event) -> None:
        stats = self.stats
        if stats is not None and isinstance(event, StatsTick | RunFinished):
            with self._lock:
                rows = stats.buckets(self._last_second)
                if isinstance(event, StatsTick):  # the current second is not complete yet
                    rows = [b for b in rows if b.second < int(event.snapshot.elapsed_s)]
                if rows:
                    self._last_second = rows[-1].second
                    self._mailbox.post(LatencyBuckets(rows))
        self._mailbox.post(event)

    __call__ = post


def host_main() -> int:
    """The engine process: wait for a `StartRun`, run it, report, exit."""
    reports = Connection(os.dup(sys.stdout.fileno()), readable=False)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints go to stderr, never into a frame
    commands = Connection(os.dup(sys.stdin.fileno()), writable=False)
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(PROCESS_NICE)
    # The engine's imports (the SDK, httpx: 1-3 s) happen here, in the child, while nobody waits;
    # the window's process never loads them.
    from isaac_gui.core import detector  # noqa: PLC0415
    from isaac_gui.core.assembly import UPLOAD_GRACE_S, AssembledRun, s3_target_of  # noqa: PLC0415

    detector.warm_up()  # the first client's transport and certificates
    try:
        start = receive_from_window(commands)
    except ProtocolError as exc:
        log.warning("the engine's first message is not one this version knows (%s); exiting", exc)
        return 0
    if isinstance(start, UploadOutputs):
        return _upload(start, PipeMailbox(reports))
    if not isinstance(start, StartRun):
        return 0  # a standby that was not needed
    mailbox = PipeMailbox(reports)
    poster = _RunPoster(mailbox)
    run: AssembledRun | None = None
    try:
        try:
            s3 = s3_target_of(start.s3)
        except Exception as exc:
            mailbox.post(Notice("s3", f"S3 upload is off for this run: {exc}"))
            s3 = None
        run = AssembledRun(
            start.sources,
            start.out_dir,
            start.settings,
            start.connection,
            make_executor=lambda jobs: QThreadPoolExecutor(jobs, name="isaac-detect"),
            listeners=[poster],
            s3=s3,
            on_upload_problem=lambda message: mailbox.post(Notice("s3", message)),
            on_upload_status=lambda status: mailbox.post(UploadState(status.message, status.stuck)),
        )
        poster.stats = run.runner.stats
        if start.paused:
            run.runner.pause()
        threading.Thread(target=_obey, args=(commands, run), name="isaac-engine-in", daemon=True).start()
        run.runner.start()
        run.runner.wait()
    except Exception as exc:
        mailbox.post(
            RunFinished("stopped", f"The run could not start: {exc}", RunStats().snapshot(), "start_failed")
        )
    finally:
        if run is not None:
            # Uploads still going get 30 s to finish; an S3 that cannot be reached gets a few
            # (what waits stays in the journal for the next run), so the window is free again.
            stuck = run.uploader is not None and run.uploader.status().stuck
            try:
                run.close(UPLOAD_GRACE_STUCK_S if stuck else UPLOAD_GRACE_S)
            except Exception as exc:
                mailbox.post(Notice("s3", f"S3 upload did not finish: {exc}"))
        mailbox.close()
    return 0


def _upload(job: UploadOutputs, mailbox: PipeMailbox) -> int:
    """S3 brought up to date with the review, telling the window as a run's upload does."""
    from isaac_gui.core.assembly import UPLOAD_GRACE_S, s3_target_of, upload_outputs  # noqa: PLC0415

    try:
        target = s3_target_of(job.s3)
        if target is not None:
            upload_outputs(
                job.out_dir,
                target,
                job.rules,
                on_problem=lambda message: mailbox.post(Notice("s3", message)),
                on_status=lambda status: mailbox.post(UploadState(status.message, status.stuck)),
                timeout_s=UPLOAD_GRACE_S,
            )
    except Exception as exc:
        mailbox.post(Notice("s3", f"S3 upload did not finish: {exc}"))
    finally:
        mailbox.close()
    return 0


def _obey(commands: Connection, run: AssembledRun) -> None:
    """Pause, resume and cancel the run as told, until the end of the input, which cancels it.

    A frame that is not a command this version knows (another type, or bytes that do not
    unpickle) is logged and ignored: the frames are still in step, and the window can always
    stop the run by closing the input. A frame too long to be a message ends the input (its
    length cannot be trusted, so neither can what follows), which cancels the run."""
    runner = run.runner
    while True:
        try:
            command = receive_from_window(commands)
        except ProtocolError as exc:
            log.warning("ignored a command this version does not know: %s", exc)
            continue
        if command is None:
            break
        if command is Command.PAUSE:
            runner.pause()
        elif command is Command.RESUME:
            runner.resume()
        elif command is Command.CANCEL:
            runner.cancel()
        else:
            log.warning("ignored a %s after the run had started", type(command).__name__)
    runner.cancel()  # the window's process is gone: stop sending; the journal has what is done
