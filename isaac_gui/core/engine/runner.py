"""The engine: every photo of a folder through Isaac, concurrently, paced, resumable.

A conductor thread scans the folder (streaming) and hands each photo that the journal does not
already hold to the executor the caller passes in (a `ThreadPoolExecutor` on the command line, a
`QThreadPool` adapter in the GUI). At most `concurrency` requests are in flight, and a few more
photos are being prepared beside them (so preparing the next photo overlaps waiting for the last
answer); memory stays bounded however large the folder. Each job reads, prepares (at most one per
core at a time), waits for its turn from the rate limiter, sends, retries, and commits its result
to the journal before telling anyone. Pause holds photos that have not been sent; cancel wakes
every wait at once.

The parts: `schedule` (the limits, pause and cancel), `conductor` (what to hand out next),
`photo_job` (one photo), `outputs` (results.jsonl and summary.json).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from isaac_gui.core.detector import Detector
from isaac_gui.core.engine.conductor import Conductor
from isaac_gui.core.engine.photo_job import DetectorLike, PhotoJobs
from isaac_gui.core.engine.schedule import Schedule
from isaac_gui.core.events import Event, Listener, RunFinished, StatsTick
from isaac_gui.core.journal import Journal
from isaac_gui.core.outputs import write_outputs
from isaac_gui.core.pacing import RateLimiter
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.stats import RunStats
from isaac_gui.core.turns import WORKER_TURNS, Turns


class Runner:
    """One run over one folder into one output folder. Start it, then pause/resume/cancel/wait."""

    def __init__(
        self,
        source: Path | Sequence[Path],
        out_dir: Path,
        settings: RunSettings,
        *,
        executor: Executor,
        listener: Listener,
        connection: Connection | None = None,
        detector: DetectorLike | None = None,
        turns: Turns = WORKER_TURNS,
    ) -> None:
        if not settings.classes:
            raise ValueError("name at least one class to look for")
        self.settings = settings
        self.connection = connection or Connection()
        self.out_dir = Path(out_dir)
        self._sources = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
        self._listener = listener
        self._detector = detector or Detector(
            self.connection, max_connections=settings.concurrency, turns=turns
        )
        self._owns_detector = detector is None
        self.journal = Journal(self.out_dir)
        self.limiter = RateLimiter(settings.rpm)
        self.stats = RunStats()
        self._schedule = Schedule(
            jobs=settings.jobs,
            ahead=settings.ahead,
            preparing=settings.prepare_workers,
            requests=settings.concurrency,
            cancel_grace_s=settings.cancel_grace_s,
        )
        photo_jobs = PhotoJobs(
            settings,
            self.connection,
            schedule=self._schedule,
            journal=self.journal,
            stats=self.stats,
            limiter=self.limiter,
            detector=self._detector,
            turns=turns,
            emit=self._emit,
        )
        self._conductor = Conductor(
            self._sources,
            settings,
            schedule=self._schedule,
            photo_jobs=photo_jobs,
            journal=self.journal,
            stats=self.stats,
            executor=executor,
            turns=turns,
            emit=self._emit,
            on_overdue=self._detector.close,  # requests still hanging end with a transport error
        )
        self._done = threading.Event()
        self._threads: list[threading.Thread] = []
        self.outcome: str | None = None
        self.message = ""

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        self.journal.begin_run(self._settings_record())
        if self.settings.only is not None:
            self.journal.carry_forward()
        for name, target in (("isaac-conductor", self._conduct), ("isaac-stats", self._tick)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def pause(self) -> None:
        self._schedule.gate.pause()

    def resume(self) -> None:
        self._schedule.gate.resume()

    @property
    def paused(self) -> bool:
        return self._schedule.gate.paused

    def wait_paused(self, timeout: float | None = None) -> bool:
        """After `pause()`: wait until the requests already sent have been answered. True when
        nothing is being sent (front ends show "Pausing…" until then)."""
        return self._schedule.gate.wait_idle(timeout)

    def cancel(self) -> None:
        self._schedule.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True when it has (its threads are then gone too)."""
        if not self._done.wait(timeout):
            return False
        for thread in self._threads:
            thread.join(timeout)
        return True

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    # -- the run's own threads --------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        self._listener(event)

    def _settings_record(self) -> dict[str, Any]:
        return {
            "source": [str(p) for p in self._sources],
            "classes": list(self.settings.classes),
            "model": self.connection.model,
            "base_url": self.connection.base_url,
            "max_side": self.settings.max_side,
            "rpm": self.settings.rpm,
            "concurrency": self.settings.concurrency,
            "preparation": self.settings.preparation,
            **({"only": len(self.settings.only)} if self.settings.only is not None else {}),
        }

    def _conduct(self) -> None:
        try:
            self._conductor.run()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._owns_detector:
            self._detector.close()
        snapshot = self.stats.snapshot()
        fatal = self._schedule.fatal
        if fatal is not None:
            self.outcome, self.message = "stopped", fatal.message
        elif self._schedule.cancelled.is_set():
            self.outcome, self.message = "cancelled", "Stopped by the user; run again to continue."
        else:
            self.outcome, self.message = "completed", "Every photo reached a final state."
        try:
            self.journal.end_run(self.outcome)
            write_outputs(self.journal, self.out_dir, snapshot, self.outcome, self.settings.rules)
        finally:
            self.journal.close()
            self._done.set()
            kind = fatal.kind if fatal is not None else ""
            self._emit(RunFinished(self.outcome, self.message, snapshot, kind))

    def _tick(self) -> None:
        while not self._done.wait(self.settings.stats_interval_s):
            self._emit(StatsTick(self.stats.snapshot()))
