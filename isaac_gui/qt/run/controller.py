"""Runs, from the window's point of view: start, pause, resume, cancel, and a clean end.

`RunController` runs the engine in a process of its own (`isaac_gui.qt.run.engine_process`: the same
`Runner`, its detections on a `QThreadPool`), so the engine's twenty threads never queue with the
GUI thread for the GIL. A supervisor thread per run reads the keychain, hands the run to the
process, and posts every event it reports into the one `EventBridge`; when the process has ended
it posts `RunClosed`, after which the controller is idle again. One process is kept started
ahead (`keep_engine_ready`), so pressing Run does not wait for the engine's imports.

Demo mode starts the loopback simulator in-process on 127.0.0.1 and points the connection at it;
`simulated` stays true (and the window says "Simulated") for as long as it is in use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from isaac_gui.core.events import RunFinished
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.run_config import Connection, RunSettings, resolve_model
from isaac_gui.core.settings import AppSettings, load_api_key
from isaac_gui.core.stats import RunStats, Snapshot
from isaac_gui.qt.run.bridge import EventBridge, RunClosed
from isaac_gui.qt.run.engine_process import EngineProcess
from isaac_gui.qt.run.protocol import Command, EventBatch, Notice, ProtocolError, StartRun, UploadOutputs

DEMO_KEY = "demo"
UPLOAD_ON_CLOSE_S = 10.0  # closing the window: what an S3 upload between runs may still take
log = logging.getLogger(__name__)


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


# Why a run was stopped (RunFinished.kind) that a change in Settings fixes: the key, the model, the address.
SETTINGS_KINDS = frozenset({"auth", "no_key", "forbidden", "not_found"})


def fixing_action(kind: str) -> tuple[str, str]:
    """For a run the service stopped: (action id, button text) of what fixes it."""
    if kind in SETTINGS_KINDS:
        return "settings", "Open Settings"
    return "retry", "Run again"


@dataclass(frozen=True)
class RunPlan:
    sources: tuple[Path, ...]
    out_dir: Path
    settings: RunSettings


class RunController(QObject):
    stateChanged = Signal(str)  # RunState
    runFinished = Signal(str, str)  # outcome, message
    serviceStopped = Signal(str, str, str)  # message, action id ("settings" | "retry"), button text
    simulatedChanged = Signal(bool)
    bucketsReady = Signal(object)  # list[Bucket]: finished seconds of latency, for the plot
    statsTick = Signal(object)  # Snapshot

    def __init__(
        self,
        bridge: EventBridge,
        settings: AppSettings,
        *,
        load_key: Callable[[], str | None] = load_api_key,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self._load_key = load_key
        self.state = RunState.IDLE
        self.plan: RunPlan | None = None
        self.last_outcome: str | None = None
        self._lock = threading.Lock()
        self._engine: EngineProcess | None = None  # the running run's process, once it has its StartRun
        self._standby: EngineProcess | None = None  # started ahead, waiting for a run
        self._keep_ready = False
        self._supervisor: threading.Thread | None = None
        self._token = 0
        self._pause_requested = False
        self._cancel_requested = False
        self._simulator: Any = None
        self._uploader: threading.Thread | None = None  # an `UploadOutputs` going, between runs
        self._upload_next: UploadOutputs | None = None  # asked for while one was going
        bridge.runFinished.connect(self._on_run_finished)
        bridge.runClosed.connect(self._on_run_closed)
        bridge.statsTick.connect(self.statsTick)
        bridge.bucketsReady.connect(self.bucketsReady)

    def keep_engine_ready(self) -> None:
        """From now on keep one engine process started ahead, so a run starts at once (the app
        calls this once its window shows; tests that do not start each run's process when needed)."""
        with self._lock:
            self._keep_ready = True
            if self._standby is None and not self.busy:
                self._standby = _start_engine()

    def _take_standby(self) -> EngineProcess | None:
        with self._lock:
            engine, self._standby = self._standby, None
        if engine is not None and not engine.alive:  # it died waiting (killed, say): start afresh
            engine.finish(0)
            return None
        return engine

    # -- demo -------------------------------------------------------------------------------
    @property
    def simulated(self) -> bool:
        return self._simulator is not None

    @property
    def simulator(self) -> Any:
        return self._simulator

    def start_demo(self, **config: Any) -> str:
        """Serve the simulated API on loopback; returns its base URL. Runs use it until `stop_demo`."""
        if self._simulator is None:
            from isaac_gui.sim.config import SimulatorConfig  # noqa: PLC0415 - demo only
            from isaac_gui.sim.server import Simulator  # noqa: PLC0415

            defaults: dict[str, Any] = {
                "latency_median_s": 0.35,
                "latency_jitter_s": 0.25,
                "p_503": 0.03,
                "seed": 7,
            }
            self._simulator = Simulator(SimulatorConfig(**{**defaults, **config})).start()
            self.simulatedChanged.emit(True)
        return str(self._simulator.base_url)

    def stop_demo(self) -> None:
        sim, self._simulator = self._simulator, None
        if sim is not None:
            sim.stop()
            self.simulatedChanged.emit(False)

    # -- runs -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.state is not RunState.IDLE

    def start(
        self,
        sources: Sequence[Path],
        out_dir: Path,
        classes: Sequence[str],
        *,
        model: str | None = None,
        retry_errors: bool = False,
        listed: int | None = None,
        rules: RuleSet = DEFAULT_RULES,
        only: Sequence[str] | None = None,
    ) -> None:
        """`listed`: how many photos the window's own listing of `sources` found, if complete;
        `rules`: what the run's results.jsonl and summary.json count verdicts by; `only`: the photos
        (relative paths) to ask, the others keeping their answers."""
        if self.busy:
            raise RuntimeError("a run is already going")
        s = self.settings
        run_settings = RunSettings(
            classes=tuple(classes),
            concurrency=max(int(s.concurrency), 1),
            rpm=float(s.rpm) or None,
            max_side=int(s.max_side) or None,
            retry_errors=retry_errors,
            expected_total=listed,
            rules=rules,
            only=tuple(only) if only is not None else None,
        )
        plan = RunPlan(tuple(Path(p) for p in sources), Path(out_dir), run_settings)
        self.plan = plan
        self._token += 1
        self._pause_requested = self._cancel_requested = False
        self.last_outcome = None
        self._set_state(RunState.RUNNING)
        connection_args = (model, self._simulator.base_url if self._simulator is not None else None)
        engine = self._take_standby()  # or, without one, the supervisor starts the process
        thread = threading.Thread(
            target=self._supervise,
            args=(self._token, plan, connection_args, engine),
            name="isaac-run",
            daemon=True,
        )
        self._supervisor = thread
        thread.start()

    def pause(self) -> None:
        if self.state is not RunState.RUNNING:
            return
        with self._lock:
            self._pause_requested = True
            if self._engine is not None:
                self._engine.send(Command.PAUSE)
        self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self.state is not RunState.PAUSED:
            return
        with self._lock:
            self._pause_requested = False
            if self._engine is not None:
                self._engine.send(Command.RESUME)
        self._set_state(RunState.RUNNING)

    def toggle_pause(self) -> None:
        if self.state is RunState.PAUSED:
            self.resume()
        else:
            self.pause()

    def cancel(self) -> None:
        if self.state not in (RunState.RUNNING, RunState.PAUSED):
            return
        with self._lock:
            self._cancel_requested = True
            if self._engine is not None:
                self._engine.send(Command.CANCEL)
        self._set_state(RunState.STOPPING)

    def shutdown(self, timeout: float = 15.0) -> bool:
        """Cancel any run, wait (bounded) for it to end, stop the standby process and the demo
        simulator. True when everything ended."""
        with self._lock:
            self._keep_ready = False
        self.cancel()
        ended = True
        if self._supervisor is not None:
            self._supervisor.join(timeout)
            ended = not self._supervisor.is_alive()
            if ended:
                self._supervisor = None
            else:
                with self._lock:
                    engine = self._engine
                if engine is not None:
                    engine.kill()  # it did not stop in time; the journal has what is done
        uploader = self._uploader
        if uploader is not None:  # the review's last decisions on their way to S3: a few seconds
            uploader.join(UPLOAD_ON_CLOSE_S)
        with self._lock:
            standby, self._standby = self._standby, None
        if standby is not None:
            standby.finish(0)  # it holds nothing: no need to wait for its imports to end
        self.bridge.flush()
        self.stop_demo()
        return ended

    # -- S3 between runs -----------------------------------------------------------------------
    def upload_outputs(self, out_dir: Path, rules: RuleSet) -> bool:
        """Bring S3 up to date with the review of `out_dir` (records decided on since they went up,
        then the manifest) in an engine process, off the GUI thread; its states reach the bridge as
        a run's do. One at a time: asked for again meanwhile, it runs once more after. False when
        the S3 upload is off."""
        if not self.settings.s3.enabled:
            return False
        job = UploadOutputs(Path(out_dir), self.settings.s3, rules)
        with self._lock:
            if self._uploader is not None:
                self._upload_next = job
                return True
            thread = threading.Thread(target=self._upload, args=(job,), name="isaac-s3-sync", daemon=True)
            self._uploader = thread
        thread.start()
        return True

    @property
    def uploading(self) -> bool:
        return self._uploader is not None

    def _upload(self, job: UploadOutputs) -> None:
        while True:
            engine = self._take_standby()
            try:
                engine = engine or EngineProcess()
                if engine.send(job):
                    while isinstance(message := engine.receive(), EventBatch):
                        self.bridge.post_all(message.reports)
            except Exception as exc:
                self.bridge.post(Notice("s3", f"S3 upload did not start: {exc}"))
            finally:
                if engine is not None:
                    engine.finish(5.0)
            with self._lock:
                if self._keep_ready and self._standby is None:
                    self._standby = _start_engine()
                job, self._upload_next = self._upload_next, None  # type: ignore[assignment]
                if job is None:
                    self._uploader = None
                    return

    def model_for(self, model: str | None) -> str:
        """The model a run started with `model` (the window's field, maybe empty) asks."""
        return resolve_model(model or None, self.settings.model or None)

    # -- the supervisor thread ----------------------------------------------------------------
    def _connection(self, model: str | None, simulator_url: str | None) -> Connection:
        s = self.settings
        if simulator_url is not None:
            return Connection(base_url=simulator_url, api_key=DEMO_KEY, model=self.model_for(model))
        return Connection.resolve(
            model=model or None,
            timeout_s=float(s.timeout_s) or None,
            settings_base_url=s.base_url or None,
            settings_api_key=self._load_key(),
            settings_model=s.model or None,
        )

    def _supervise(
        self,
        token: int,
        plan: RunPlan,
        connection_args: tuple[str | None, str | None],
        standby: EngineProcess | None,
    ) -> None:
        finished = False  # the engine told how the run ended
        engine = standby
        try:
            if engine is None:
                engine = EngineProcess()
            start = StartRun(
                plan.sources,
                plan.out_dir,
                plan.settings,
                self._connection(*connection_args),
                self.settings.s3,
            )
            with self._lock:  # a pause or cancel from now on reaches the process as a command
                if engine.send(replace(start, paused=self._pause_requested)):
                    self._engine = engine
                    if self._cancel_requested:
                        engine.send(Command.CANCEL)
            while isinstance(message := engine.receive(), EventBatch):
                finished = finished or any(isinstance(report, RunFinished) for report in message.reports)
                self.bridge.post_all(message.reports)
        except ProtocolError as exc:
            log.warning("the engine sent a message this version does not understand: %s", exc)
            if not finished:
                finished = True
                self._post_stopped(
                    f"The engine sent a message this version does not understand ({exc}); the run"
                    " stopped. Results so far are saved.",
                    "internal",
                )
            if engine is not None:  # what else it says cannot be read either; its journal has every result
                engine.kill()
        except Exception as exc:
            if not finished:
                finished = True
                if engine is None:
                    why = f"The engine could not be started ({exc}). Reinstalling isaac-gui may fix this."
                    self._post_stopped(why, "internal")
                else:
                    self._post_stopped(f"The run could not start: {exc}", "start_failed")
        finally:
            with self._lock:
                self._engine = None
            if engine is not None:
                code = engine.finish(5.0)
                if not finished:
                    self._post_stopped(
                        f"The engine stopped unexpectedly (exit code {code}). The results it saved are"
                        " kept: run again to go on from there.",
                        "internal",
                    )
            with self._lock:
                if self._keep_ready and self._standby is None:
                    self._standby = _start_engine()  # the next run's, started while nobody waits
            self.bridge.post(RunClosed(token))

    def _post_stopped(self, message: str, kind: str) -> None:
        self.bridge.post(RunFinished("stopped", message, RunStats().snapshot(), kind))

    # -- GUI thread ---------------------------------------------------------------------------
    def _set_state(self, state: RunState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(str(state))

    def _on_run_finished(self, outcome: str, message: str, snapshot: Snapshot, kind: str) -> None:
        self.last_outcome = outcome
        self.runFinished.emit(outcome, message)
        if outcome == "stopped":
            action, label = fixing_action(kind)
            self.serviceStopped.emit(message, action, label)

    def _on_run_closed(self, token: int) -> None:
        if token != self._token:
            return
        if self._supervisor is not None:
            self._supervisor.join(1.0)  # it posted RunClosed as its last act
            if not self._supervisor.is_alive():
                self._supervisor = None
        self._set_state(RunState.IDLE)


def _start_engine() -> EngineProcess | None:
    """A standby engine process, or None if one cannot be started (the run that needs it will say why)."""
    try:
        return EngineProcess()
    except OSError as exc:
        log.warning("the engine process could not be started ahead of a run: %s", exc)
        return None
