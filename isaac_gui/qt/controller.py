"""Runs, from the window's point of view: start, pause, resume, cancel, and a clean end.

`RunController` builds what a run needs (the connection, the executor over a `QThreadPool`, the
engine's `Runner`) on a supervisor thread, so opening the journal, reading the keychain and
starting threads never happen on the GUI thread. The runner's events reach the GUI through the one
`EventBridge`; the supervisor waits for the runner, shuts the executor down (joining its threads)
and posts `RunClosed`, after which the controller is idle again.

Demo mode starts the loopback simulator in-process on 127.0.0.1 and points the connection at it;
`simulated` stays true (and the window says "Simulated") for as long as it is in use.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from isaac_gui.core.detector import Connection
from isaac_gui.core.events import Event, RunFinished
from isaac_gui.core.runner import Runner, RunSettings
from isaac_gui.core.settings import AppSettings, data_dir, load_api_key
from isaac_gui.core.stats import Bucket, RunStats, Snapshot
from isaac_gui.qt.bridge import EventBridge, Notice, RunClosed
from isaac_gui.qt.executor import QThreadPoolExecutor

DEMO_KEY = "demo"


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


def output_dir_for(root: Path) -> Path:
    """`X-results` beside folder `X`; when X's parent cannot be written, a folder per source in the
    per-user data folder (named after X, plus a hash of its full path so two X's never share)."""
    root = root.absolute()
    beside = root.parent / f"{root.name}-results"
    if (beside.is_dir() and os.access(beside, os.W_OK)) or os.access(root.parent, os.W_OK):
        return beside
    digest = hashlib.sha1(str(root).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return data_dir() / "results" / f"{root.name}-{digest}"


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
        self._runner: Runner | None = None
        self._stats: RunStats | None = None
        self._supervisor: threading.Thread | None = None
        self._token = 0
        self._pause_requested = False
        self._cancel_requested = False
        self._last_second = -1
        self._simulator: Any = None
        bridge.runFinished.connect(self._on_run_finished)
        bridge.runClosed.connect(self._on_run_closed)
        bridge.statsTick.connect(self._on_stats)

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
    ) -> None:
        """`listed`: how many photos the window's own listing of `sources` found, if complete."""
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
        )
        plan = RunPlan(tuple(Path(p) for p in sources), Path(out_dir), run_settings)
        self.plan = plan
        self._token += 1
        self._pause_requested = self._cancel_requested = False
        self._last_second = -1
        self.last_outcome = None
        self._set_state(RunState.RUNNING)
        connection_args = (model, self._simulator.base_url if self._simulator is not None else None)
        thread = threading.Thread(
            target=self._supervise, args=(self._token, plan, connection_args), name="isaac-run", daemon=True
        )
        self._supervisor = thread
        thread.start()

    def pause(self) -> None:
        if self.state is not RunState.RUNNING:
            return
        with self._lock:
            self._pause_requested = True
            if self._runner is not None:
                self._runner.pause()
        self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self.state is not RunState.PAUSED:
            return
        with self._lock:
            self._pause_requested = False
            if self._runner is not None:
                self._runner.resume()
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
            if self._runner is not None:
                self._runner.cancel()
        self._set_state(RunState.STOPPING)

    def shutdown(self, timeout: float = 15.0) -> bool:
        """Cancel any run, wait (bounded) for its threads, stop the demo simulator. True when all ended."""
        self.cancel()
        ended = True
        if self._supervisor is not None:
            self._supervisor.join(timeout)
            ended = not self._supervisor.is_alive()
            if ended:
                self._supervisor = None
        self.bridge.flush()
        self.stop_demo()
        return ended

    # -- the supervisor thread ----------------------------------------------------------------
    def _connection(self, model: str | None, simulator_url: str | None) -> Connection:
        s = self.settings
        if simulator_url is not None:
            return Connection(base_url=simulator_url, api_key=DEMO_KEY, model=model or s.model or "isaac-0.1")
        return Connection.resolve(
            model=model or None,
            timeout_s=float(s.timeout_s) or None,
            settings_base_url=s.base_url or None,
            settings_api_key=self._load_key(),
            settings_model=s.model or None,
        )

    def _supervise(self, token: int, plan: RunPlan, connection_args: tuple[str | None, str | None]) -> None:
        executor: QThreadPoolExecutor | None = None
        uploader: Any = None
        try:
            connection = self._connection(*connection_args)
            executor = QThreadPoolExecutor(plan.settings.jobs, name="isaac-detect")
            uploader = self._s3_uploader(plan)
            listener: Callable[[Event], None] = self.bridge.post
            if uploader is not None:
                listener = _fan_out(self.bridge.post, uploader.on_event)
            runner = Runner(
                plan.sources if len(plan.sources) > 1 else plan.sources[0],
                plan.out_dir,
                plan.settings,
                executor=executor,
                listener=listener,
                connection=connection,
            )
            with self._lock:
                self._runner, self._stats = runner, runner.stats
                if self._cancel_requested:
                    runner.cancel()
                elif self._pause_requested:
                    runner.pause()
            runner.start()
            runner.wait()
        except Exception as exc:
            message = f"The run could not start: {exc}"
            self.bridge.post(RunFinished("stopped", message, RunStats().snapshot(), "start_failed"))
        finally:
            with self._lock:
                self._runner = None
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
            if uploader is not None:
                try:
                    uploader.close()
                except Exception as exc:
                    self.bridge.post(Notice("s3", f"S3 upload did not finish: {exc}"))
            self.bridge.post(RunClosed(token))

    def _s3_uploader(self, plan: RunPlan) -> Any:
        s3 = self.settings.s3
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
                plan.out_dir,
                classes=plan.settings.classes,
                on_problem=lambda message: self.bridge.post(Notice("s3", message)),
            )
        except Exception as exc:
            self.bridge.post(Notice("s3", f"S3 upload is off for this run: {exc}"))
            return None

    # -- GUI thread ---------------------------------------------------------------------------
    def _set_state(self, state: RunState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(str(state))

    def _on_stats(self, snapshot: Snapshot) -> None:
        self.statsTick.emit(snapshot)
        stats = self._stats
        if stats is None:
            return
        finished_before = int(snapshot.elapsed_s) if self.state is not RunState.IDLE else 1 << 30
        rows: list[Bucket] = [b for b in stats.buckets(self._last_second) if b.second < finished_before]
        if rows:
            self._last_second = rows[-1].second
            self.bucketsReady.emit(rows)

    def _on_run_finished(self, outcome: str, message: str, snapshot: Snapshot, kind: str) -> None:
        self.last_outcome = outcome
        stats = self._stats
        if stats is not None:  # the last seconds, now complete
            rows = stats.buckets(self._last_second)
            if rows:
                self._last_second = rows[-1].second
                self.bucketsReady.emit(rows)
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


def _fan_out(*listeners: Callable[[Event], None]) -> Callable[[Event], None]:
    def listener(event: Event) -> None:
        for each in listeners:
            each(event)

    return listener
