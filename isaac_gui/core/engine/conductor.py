"""The conductor: streams the scan of the folder and hands each photo that the journal does not
already answer to a worker, as the schedule admits it; then waits for the photos in flight."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path

from isaac_gui.core import discovery
from isaac_gui.core.engine.photo_job import PhotoJobs
from isaac_gui.core.engine.schedule import Schedule
from isaac_gui.core.events import Event, PhotoQueued, ScanFinished, ScanProblem
from isaac_gui.core.journal import Journal
from isaac_gui.core.retry import FatalError
from isaac_gui.core.run_config import RunSettings
from isaac_gui.core.stats import RunStats
from isaac_gui.core.turns import Turns

_COUNT_BATCH = 256  # entries the counting scan takes per turn


class Conductor:
    def __init__(
        self,
        sources: Sequence[Path],
        settings: RunSettings,
        *,
        schedule: Schedule,
        photo_jobs: PhotoJobs,
        journal: Journal,
        stats: RunStats,
        executor: Executor,
        turns: Turns,
        emit: Callable[[Event], None],
        on_overdue: Callable[[], None],
    ) -> None:
        self._sources = sources
        self._settings = settings
        self._schedule = schedule
        self._photo_jobs = photo_jobs
        self._journal = journal
        self._stats = stats
        self._executor = executor
        self._turns = turns
        self._emit = emit
        self._on_overdue = on_overdue  # after a cancel's grace period: make hanging requests end

    def run(self) -> None:
        """Every photo of the scan handed out (or the run cancelled), and every job ended. An error
        here stops the run (`Schedule.stop`) instead of escaping."""
        schedule = self._schedule
        try:
            expected = self._settings.expected_total
            if self._settings.only is not None:
                expected = len(self._settings.only)
            counter: threading.Thread | None = None
            if expected is None:
                counter = threading.Thread(target=self._count, name="isaac-count", daemon=True)
                counter.start()
            else:
                self._stats.set_total(expected)
                self._emit(ScanFinished(expected))
            root, photos = self._scan(report=True)
            self._journal.set_meta("source_root", str(root))
            selection = self._settings.only
            placed = self._selected(root, selection) if selection is not None else None
            seq = count = 0
            while not schedule.cancelled.is_set():
                with self._turns.turn():  # the scan's next step and the photo's lookups are Python work
                    if placed is None:
                        photo = next(photos, None)
                    else:
                        photo, seq = next(placed, (None, seq))
                    if photo is None:
                        break
                    job = self._photo_jobs.identify(photo, seq)
                if job is not None:
                    self._hand_out(photo, seq, *job)
                seq += 1
                count += 1
            if expected is not None and count != expected and not schedule.cancelled.is_set():
                self._stats.set_total(count)  # the folder changed since the caller listed it
                self._emit(ScanFinished(count))
            schedule.drain(self._on_overdue)
            if counter is not None:
                counter.join()
        except Exception as exc:  # a bug must still end the run visibly, with results written
            schedule.stop(FatalError("internal", f"The run stopped on an internal error: {exc!r}"))
            schedule.drain(self._on_overdue)

    def _scan(self, report: bool) -> tuple[Path, Iterator[discovery.FoundPhoto]]:
        problem = (lambda path, message: self._emit(ScanProblem(path, message))) if report else None
        return discovery.scan_paths(self._sources, recursive=self._settings.recursive, on_problem=problem)

    def _selected(self, root: Path, rels: Sequence[str]) -> Iterator[tuple[discovery.FoundPhoto, int]]:
        """The selection's photos, each at its place in the folder's scan (a photo the journal has
        not seen yet goes after the others); one gone since is a problem named, the rest go on."""
        after = self._journal.max_seq()
        for rel in dict.fromkeys(rels):
            path = root / rel
            try:
                st = path.stat()
            except OSError as exc:
                gone = isinstance(exc, FileNotFoundError)
                self._emit(ScanProblem(path, "is no longer there" if gone else f"cannot be read: {exc}"))
                continue
            seq = self._journal.seq_of(rel)
            if seq is None:
                after += 1
                seq = after
            yield discovery.FoundPhoto(path, rel, st.st_size, st.st_mtime_ns), seq

    def _count(self) -> None:
        _root, photos = self._scan(report=False)
        total = 0
        while True:  # a few hundred entries per turn (see `turns.Turns`)
            with self._turns.turn():
                n = sum(1 for _photo in itertools.islice(photos, _COUNT_BATCH))
            total += n
            if self._schedule.cancelled.is_set():
                return
            if n < _COUNT_BATCH:
                break
        self._stats.set_total(total)
        self._emit(ScanFinished(total))

    def _hand_out(self, photo: discovery.FoundPhoto, seq: int, sha: str, key: str) -> None:
        """Hand the photo to a worker, waiting (without a turn) while `jobs` photos are in flight."""
        if not self._schedule.admit(key, (photo.rel, seq)):
            return
        self._emit(PhotoQueued(photo.rel, seq))
        try:
            self._executor.submit(self._photo_jobs.run, photo, seq, sha, key)
        except RuntimeError:  # the executor was shut down under us
            self._schedule.job_ended(key)
            raise
