"""The headless commands: `isaac-gui run` over backlogs, `simulate`, `demo`, `export` (no Qt here;
`isaac_gui.launcher` starts the desktop app when `isaac-gui` is called alone).

Exit status: 0 when every photo reached a final state (some may be per-image errors), 2 for wrong
usage, 3 when the service stopped the run (key, quota, model), 130 when stopped with Ctrl-C
(run the same command again to continue), 1 for anything unexpected. `audit` exits 0 when the
review trail is intact and 4 when an entry was edited, deleted or moved.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from isaac_gui.core.assembly import AssembledRun
from isaac_gui.core.events import Event, PhotoFinished, RunFinished, ScanProblem, StatsTick
from isaac_gui.core.review.rules import RulesError, RuleSet, load_rules_file
from isaac_gui.core.run_config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MODEL,
    DEFAULT_RPM,
    Connection,
    RunSettings,
    default_output_dir,
    parse_classes,
)
from isaac_gui.core.settings import AppSettings, load_api_key
from isaac_gui.core.stats import Snapshot, format_duration, format_ms

if TYPE_CHECKING:
    from isaac_gui.core.s3 import S3Target

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SERVICE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TAMPERED = 4


class UsageError(Exception):
    pass


def progress_line(s: Snapshot) -> str:
    total = "?" if s.total is None else f"{s.total:,}"
    finished = s.finished
    share = f" {finished / s.total:6.1%}" if s.total else ""
    return (
        f"{finished:,}/{total}{share}  {s.images_per_hour:,.0f} img/h  "
        f"p50 {format_ms(s.p50_ms)}  p99 {format_ms(s.p99_ms)}  "
        f"errors {s.errors}  retries {s.retries}  429s {s.rate_limited}  ETA {format_duration(s.eta_s)}"
    )


class Progress:
    """The progress display: one rewritten line on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self._lock = threading.Lock()
        self._ticks = 0
        self.problems = 0

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StatsTick):
                self._ticks += 1
                if self.quiet:
                    return
                if self.tty:
                    self.stream.write("\r\x1b[2K" + progress_line(event.snapshot))
                elif self._ticks % 5 == 1:
                    self.stream.write(progress_line(event.snapshot) + "\n")
                self.stream.flush()
            elif isinstance(event, ScanProblem):
                self.problems += 1
                self._say(f"skipped {event.path}: {event.message}")
            elif (
                isinstance(event, PhotoFinished)
                and not event.from_journal
                and event.record["status"] == "error"
            ):
                error = event.record["error"]
                self._say(f"error {event.rel}: {error['message']} [{error['kind']}]")
            elif isinstance(event, RunFinished) and not self.quiet:
                self._say(progress_line(event.snapshot))

    def _say(self, text: str) -> None:
        prefix = "\r\x1b[2K" if self.tty else ""
        self.stream.write(prefix + text + "\n")
        self.stream.flush()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rpm(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isaac-gui",
        description="Find defects in folders of photos with Perceptron's Isaac model.",
        epilog="Without a command, isaac-gui starts the desktop app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="detect over a folder, headless; resumes where it stopped")
    run.add_argument("folder", type=Path, help="folder of photos (searched recursively)")
    run.add_argument("--classes", required=True, help='defects to look for, comma-separated: "scratch, dent"')
    run.add_argument(
        "--out",
        type=Path,
        help="output folder (default: FOLDER-results beside the folder, or in the data folder if that is read-only)",
    )
    run.add_argument("--model", help=f"model (default: $PERCEPTRON_MODEL, settings, else {DEFAULT_MODEL})")
    run.add_argument("--base-url", help="API base URL including /v1 (default: $PERCEPTRON_BASE_URL)")
    run.add_argument(
        "--concurrency", type=_positive_int, help=f"requests in flight (default {DEFAULT_CONCURRENCY})"
    )
    run.add_argument(
        "--rpm", type=_rpm, help=f"requests per minute, 0 = no limit (default {DEFAULT_RPM:.0f})"
    )
    run.add_argument(
        "--max-side", type=int, help="long side of the image sent, px; 0 = full size (default 1000)"
    )
    run.add_argument("--timeout", type=float, help="seconds to wait for one answer (default 60)")
    run.add_argument("--retry-errors", action="store_true", help="also retry photos that failed to decode")
    run.add_argument("--no-recursive", action="store_true", help="only the folder itself, not its subfolders")
    run.add_argument("--s3", metavar="S3_URL", help="stream results to s3://bucket/prefix as they finish")
    run.add_argument(
        "--s3-endpoint-url", metavar="URL", help="S3-compatible endpoint (MinIO, SeaweedFS, ...)"
    )
    run.add_argument("--s3-annotated", action="store_true", help="also upload annotated images to S3")
    run.add_argument("--quiet", "-q", action="store_true", help="print only problems and the final line")
    _add_rules_argument(run)

    from isaac_gui.sim import cli as sim_cli  # noqa: PLC0415 - only the simulator's own arguments

    simulate = sub.add_parser("simulate", help="serve a loopback simulator of the Perceptron API")
    sim_cli.add_arguments(simulate)

    demo = sub.add_parser("demo", help="try it: the simulator over generated sample photos")
    demo.add_argument(
        "--out", type=Path, help="where the sample folder and results go (default: a temp folder)"
    )
    demo.add_argument("--count", type=_positive_int, default=24, help="number of sample photos")

    from isaac_gui.core.exporters import FORMATS  # noqa: PLC0415

    export = sub.add_parser("export", help="export a run's results: annotated images and standard formats")
    export.add_argument("results", type=Path, help="the run's output folder (holding journal.sqlite)")
    export.add_argument(
        "--format", default="annotated,coco,csv", help=f"comma-separated: {','.join(FORMATS)}"
    )
    export.add_argument("--to", type=Path, required=True, help="destination folder")
    export.add_argument("--max-side", type=int, help="long side of annotated images (default: full size)")
    export.add_argument(
        "--image-format", choices=("jpg", "png"), default="jpg", help="annotated image format"
    )
    export.add_argument(
        "--draw-rejected", action="store_true", help="draw the boxes the inspector rejected, muted"
    )
    _add_rules_argument(export)

    audit = sub.add_parser("audit", help="print a run's review trail and check it was not altered")
    audit.add_argument("results", type=Path, help="the run's output folder (holding journal.sqlite)")

    upload = sub.add_parser(
        "upload", help="bring a run's S3 copy up to date (records as reviewed, pending uploads, manifest)"
    )
    upload.add_argument("results", type=Path, help="the run's output folder (holding journal.sqlite)")
    upload.add_argument("--s3", metavar="S3_URL", required=True, help="s3://bucket/prefix, as the run had it")
    upload.add_argument(
        "--s3-endpoint-url", metavar="URL", help="S3-compatible endpoint (MinIO, SeaweedFS, ...)"
    )
    upload.add_argument("--s3-annotated", action="store_true", help="annotated images too")
    upload.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for S3 (default 300)")
    _add_rules_argument(upload)
    return parser


def _add_rules_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="verdict rules (TOML; default: the settings' rules file, else rules.toml in the config "
        "folder, else the built-in rules)",
    )


def _rules(args: argparse.Namespace, settings: AppSettings) -> RuleSet:
    """The rules in force: --rules, else the settings' rules file, else the default file or rules."""
    try:
        return load_rules_file(args.rules or settings.rules_file or None)
    except RulesError as exc:
        flag = "--rules" if args.rules else "the rules file in the settings"
        raise UsageError(f"{flag}: {exc}") from None


def run_command(args: argparse.Namespace, *, stream: TextIO = sys.stderr) -> int:
    folder: Path = args.folder
    if not folder.exists():
        raise UsageError(f"{folder}: no such folder")
    classes = parse_classes(args.classes)
    if not classes:
        raise UsageError('--classes: name at least one defect, e.g. --classes "scratch, dent"')
    out_dir: Path = args.out or default_output_dir(folder)
    settings = AppSettings.load()
    connection = Connection.resolve(
        base_url=args.base_url,
        model=args.model,
        timeout_s=args.timeout,
        settings_base_url=settings.base_url,
        settings_api_key=load_api_key(),
        settings_model=settings.model,
    )
    max_side = settings.max_side if args.max_side is None else (args.max_side or None)
    run_settings = RunSettings(
        classes=classes,
        concurrency=args.concurrency or settings.concurrency or DEFAULT_CONCURRENCY,
        rpm=(settings.rpm if args.rpm is None else args.rpm) or None,
        max_side=max_side,
        recursive=not args.no_recursive,
        retry_errors=args.retry_errors,
        rules=_rules(args, settings),
    )
    progress = Progress(stream, quiet=args.quiet)
    run = AssembledRun(
        [folder],
        out_dir,
        run_settings,
        connection,
        make_executor=lambda jobs: ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="isaac-detect"),
        listeners=[progress],
        s3=_s3_target(args) if args.s3 else None,
        on_upload_problem=lambda msg: stream.write(f"S3: {msg}\n"),
    )
    runner = run.runner
    interrupts = [0]

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        interrupts[0] += 1
        if interrupts[0] == 1:
            stream.write("\nStopping: finishing the requests in flight (Ctrl-C again to quit now)...\n")
            runner.cancel()
        else:
            os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    try:
        runner.start()
        while not runner.wait(0.5):
            pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        run.close()
    stream.write(f"{runner.message}  Results: {out_dir / 'results.jsonl'}\n")
    if runner.outcome == "stopped":
        return EXIT_SERVICE
    if runner.outcome == "cancelled":
        return EXIT_INTERRUPTED
    return EXIT_OK


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _s3_target(args: argparse.Namespace) -> S3Target:
    from isaac_gui.core.s3 import S3Target  # noqa: PLC0415

    try:
        return S3Target.from_url(
            args.s3, endpoint_url=args.s3_endpoint_url, upload_annotated=args.s3_annotated
        )
    except ValueError as exc:
        raise UsageError(f"--s3: {exc}") from None


def export_command(args: argparse.Namespace, *, stream: TextIO = sys.stderr) -> int:
    from isaac_gui.core.exporters import FORMATS, ExportError, export_records  # noqa: PLC0415
    from isaac_gui.core.journal import JOURNAL_NAME, Journal  # noqa: PLC0415
    from isaac_gui.core.outputs import RESULTS_NAME, rebuild_outputs  # noqa: PLC0415

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"--format: unknown {', '.join(unknown) or 'nothing'}; choose from {', '.join(FORMATS)}"
        )
    if not (args.results / JOURNAL_NAME).exists():
        raise UsageError(f"{args.results}: not a run's output folder (no {JOURNAL_NAME})")
    rules = _rules(args, AppSettings.load())
    # results.jsonl brought up to date with review decisions made since the run, then exported as is
    rebuild_outputs(args.results, rules)
    with open(args.results / RESULTS_NAME, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    journal = Journal(args.results)
    try:
        root = Path(journal.meta("source_root") or ".")
        settings = journal.last_settings() or {}
    finally:
        journal.close()
    try:
        report = export_records(
            records,
            source_root=root,
            dest=args.to,
            formats=formats,
            classes=settings.get("classes", []),
            annotated_max_side=args.max_side,
            annotated_format=args.image_format,
            draw_rejected=args.draw_rejected,
            progress=None,
        )
    except ExportError as exc:
        stream.write(f"export failed: {exc}\n")
        return EXIT_ERROR
    stream.write(f"exported {len(records)} photos as {', '.join(formats)} to {args.to}\n")
    for warning in report.warnings:
        stream.write(f"warning: {warning}\n")
    return EXIT_OK


def audit_command(args: argparse.Namespace, *, stream: TextIO = sys.stdout) -> int:
    """One line per review entry, then whether the hash chain is intact (exit 0) or which entry
    was edited, deleted or moved (exit 4)."""
    from isaac_gui.core.review.audit import AuditTrail, Entry, canonical_json  # noqa: PLC0415

    def value(v: object) -> str:
        return "-" if v is None else canonical_json(v)

    def line(e: Entry) -> str:
        target = f" {e.box}" if e.box else ""
        ref = f" #{e.ref}" if e.ref is not None else ""
        why = f"  reason: {e.reason}" if e.reason else ""
        return (
            f"#{e.seq} {e.at} {e.who} {e.photo} [{e.answer[:12]}] "
            f"{e.action}{ref}{target}: {value(e.old)} -> {value(e.new)}{why}"
        )

    try:
        trail = AuditTrail(args.results, read_only=True)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    try:
        for entry in trail.entries():
            stream.write(line(entry) + "\n")
        check = trail.verify()
    finally:
        trail.close()
    if check.intact:
        noun = "entry" if check.entries == 1 else "entries"
        stream.write(f"intact ({check.entries} {noun}, last hash {check.last_hash})\n")
        return EXIT_OK
    stream.write(f"BROKEN: {check.message} ({check.entries} entries left)\n")
    return EXIT_TAMPERED


def upload_command(args: argparse.Namespace, *, stream: TextIO = sys.stderr) -> int:
    from isaac_gui.core.assembly import upload_outputs  # noqa: PLC0415
    from isaac_gui.core.journal import JOURNAL_NAME  # noqa: PLC0415

    if not (args.results / JOURNAL_NAME).exists():
        raise UsageError(f"{args.results}: not a run's output folder (no {JOURNAL_NAME})")
    rules = _rules(args, AppSettings.load())
    status = upload_outputs(
        args.results,
        _s3_target(args),
        rules,
        on_problem=lambda msg: stream.write(f"S3: {msg}\n"),
        timeout_s=args.timeout,
    )
    stream.write(
        f"S3: {status.uploaded} uploaded, {status.skipped} already there, {status.failed} failed, "
        f"{status.pending} still waiting\n"
    )
    return EXIT_OK if status.pending == 0 and status.failed == 0 else EXIT_SERVICE


def demo_command(args: argparse.Namespace, *, stream: TextIO = sys.stderr) -> int:
    import tempfile  # noqa: PLC0415

    from isaac_gui.sim.config import SimulatorConfig  # noqa: PLC0415
    from isaac_gui.sim.samples import generate_samples  # noqa: PLC0415
    from isaac_gui.sim.server import Simulator  # noqa: PLC0415

    base = args.out or Path(tempfile.mkdtemp(prefix="isaac-demo-"))
    photos = base / "photos"
    classes = ("scratch", "dent", "missing screw")
    if not photos.exists():
        stream.write(f"Generating {args.count} sample photos in {photos} ...\n")
        generate_samples(photos, args.count, classes, seed=7)
    with Simulator(SimulatorConfig(latency_median_s=0.4, latency_jitter_s=0.2, p_503=0.05, seed=7)) as sim:
        stream.write(f"Simulated Perceptron API at {sim.base_url}\n")
        os.environ["PERCEPTRON_BASE_URL"] = sim.base_url
        os.environ.setdefault("PERCEPTRON_API_KEY", "demo")
        run_args = build_parser().parse_args(
            ["run", str(photos), "--classes", ", ".join(classes), "--out", str(base / "results")]
        )
        return run_command(run_args, stream=stream)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="isaac-gui: %(message)s")
    try:
        if args.command == "run":
            return run_command(args)
        if args.command == "simulate":
            from isaac_gui.sim import cli as sim_cli  # noqa: PLC0415

            return sim_cli.run(args)
        if args.command == "export":
            return export_command(args)
        if args.command == "demo":
            return demo_command(args)
        if args.command == "audit":
            return audit_command(args)
        if args.command == "upload":
            return upload_command(args)
        parser.print_help()
        return EXIT_USAGE
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"isaac-gui: {exc}\n")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
