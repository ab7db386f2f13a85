"""One way to put a run together, for the command line and the window's engine process alike: the
executor, the optional S3 uploader, the `Runner` with every listener, and their closing in order.

The callers differ only in what they hand in: an executor of their own kind (a `ThreadPoolExecutor`
on the command line, a `QThreadPool` adapter in the engine process), their listeners (the
progress line; the pipe to the window), and where S3's news goes. Which model a run asks and where
its results go by default are answered by `run_config` (`resolve_model`, `default_output_dir`),
which the window's process reads too without loading the engine.

Importing this module loads the engine (the SDK, httpx, tenacity); boto3 loads only for a run
that uploads to S3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from isaac_gui.core.engine.runner import Runner
from isaac_gui.core.events import Event, Listener
from isaac_gui.core.review.rules import RuleSet
from isaac_gui.core.run_config import Connection, RunSettings
from isaac_gui.core.settings import S3Settings

if TYPE_CHECKING:
    from isaac_gui.core.s3 import S3Target, S3Uploader, UploadStatus

UPLOAD_GRACE_S = 30.0  # at the end of a run, for uploads still going


def s3_target_of(s3: S3Settings) -> S3Target | None:
    """The app's S3 settings as a target; None when the upload is off. Raises ValueError for a
    bucket or endpoint that cannot be right."""
    if not s3.enabled:
        return None
    from isaac_gui.core.s3 import S3Target  # noqa: PLC0415 - boto3 only for a run that uploads

    return S3Target(
        bucket=s3.bucket,
        prefix=s3.prefix,
        region=s3.region or None,
        profile=s3.profile or None,
        endpoint_url=s3.endpoint_url or None,
        upload_annotated=s3.upload_annotated,
    )


class AssembledRun:
    """A run ready to `start`: its runner (`runner`), on `make_executor(settings.jobs)`, telling
    every event to each of `listeners` and, with an `s3` target, to the uploader beside it (when
    the uploader cannot start, `on_upload_problem` hears why and the run goes on without it).

    `close()` after the run has ended (or when it never started): the executor first, so no
    photo is still being announced, then the uploader, given time for what is still going up."""

    def __init__(
        self,
        sources: Sequence[Path],
        out_dir: Path,
        settings: RunSettings,
        connection: Connection,
        *,
        make_executor: Callable[[int], Executor],
        listeners: Sequence[Listener],
        s3: S3Target | None = None,
        on_upload_problem: Callable[[str], object] = lambda _message: None,
        on_upload_status: Callable[[UploadStatus], object] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.executor: Executor | None = None
        self.uploader: S3Uploader | None = None
        try:
            self.executor = make_executor(settings.jobs)
            if s3 is not None:
                self.uploader = _start_uploader(s3, out_dir, settings, on_upload_problem, on_upload_status)
            everyone = [*listeners, *([self.uploader.on_event] if self.uploader is not None else [])]
            self.runner = Runner(
                list(sources),
                out_dir,
                settings,
                executor=self.executor,
                listener=_fan_out(everyone),
                connection=connection,
            )
        except BaseException:
            self.close()
            raise

    def close(self, upload_grace_s: float = UPLOAD_GRACE_S) -> None:
        """Shut the executor down, then let the uploader finish within `upload_grace_s` (what is
        not up by then stays in the journal for the next run). Raises what the uploader raised."""
        executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        uploader, self.uploader = self.uploader, None
        if uploader is not None:
            uploader.close(timeout=upload_grace_s)


def upload_outputs(
    out_dir: Path,
    target: S3Target,
    rules: RuleSet,
    *,
    on_problem: Callable[[str], object],
    on_status: Callable[[UploadStatus], object] | None = None,
    timeout_s: float = UPLOAD_GRACE_S,
) -> UploadStatus:
    """Everything of `out_dir`'s latest run that S3 does not hold as it is now, without detecting:
    records the inspector has decided on since they went up (as results.jsonl carries them),
    uploads an earlier session left pending, then the manifest. Returns the last status."""
    from isaac_gui.core.journal import Journal  # noqa: PLC0415
    from isaac_gui.core.s3 import S3Uploader  # noqa: PLC0415

    journal = Journal(out_dir)
    try:
        classes = tuple((journal.last_settings() or {}).get("classes") or ())
    finally:
        journal.close()
    uploader = S3Uploader(
        target, out_dir, classes=classes, on_problem=on_problem, on_status=on_status, rules=rules
    )
    uploader.close(timeout=timeout_s)
    return uploader.status()


def _start_uploader(
    target: S3Target,
    out_dir: Path,
    settings: RunSettings,
    on_problem: Callable[[str], object],
    on_status: Callable[[UploadStatus], object] | None,
) -> S3Uploader | None:
    """The uploader, or None after telling `on_problem` why there is none: the photos are worth
    detecting even when S3 cannot take them (the next run uploads what this one saved)."""
    try:
        from isaac_gui.core.s3 import S3Uploader  # noqa: PLC0415

        return S3Uploader(
            target,
            out_dir,
            classes=settings.classes,
            on_problem=on_problem,
            on_status=on_status,
            rules=settings.rules,
        )
    except Exception as exc:
        on_problem(f"S3 upload is off for this run: {exc}")
        return None


def _fan_out(listeners: Sequence[Listener]) -> Listener:
    if len(listeners) == 1:
        return listeners[0]

    def listener(event: Event) -> None:
        for each in listeners:
            each(event)

    return listener
