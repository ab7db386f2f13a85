"""Writing an export so that it replaces the previous one all at once, or not at all.

Every output (a folder such as `annotated/` or a file such as `detections.csv`) is first built in
one hidden staging folder inside dest (`.isaac-export-<token>/`, on the same file system, so the
final moves are renames). Only when every format has been written are the outputs swapped in: the
previous output is renamed aside, the new one renamed in, then the old one deleted. A failure or a
cancellation before that deletes the staging folder and leaves dest as it was; a failing rename
during the swap is rolled back.

Output folders carry a `.isaac-export` marker file: an existing folder without it (the user's own
`annotated/`, or the photos themselves) is never replaced. Paths are claimed before any writing so
that two photos wanting one output file (`a.jpg` and `a.png` both want `a.txt`), or a file wanting
the place of a folder, fail fast. Claims compare case-insensitively so an export made on Linux
still unpacks on macOS and Windows.

All file writes go through the module-level `write_file`, the seam tests use to simulate a full disk.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import threading
from pathlib import Path, PurePosixPath

from isaac_gui.core.exporters.report import ExportError, ReportBuilder

STAGING_PREFIX = ".isaac-export-"
MARKER = ".isaac-export"


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file at `path` (the seam for tests that simulate write failures)."""
    with open(path, "wb") as handle:
        handle.write(data)


def _problem(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


class Output:
    """One output of the export (a folder or a single file), staged until `Staging.commit`."""

    def __init__(self, staging: Staging, name: str, is_dir: bool) -> None:
        self.name = name
        self.is_dir = is_dir
        self.target = staging.dest / name  # where it ends up
        self.staged = staging.root / name  # where it is built
        self.files = 0
        self._staging = staging
        self._claimed_files: dict[str, str] = {}  # casefolded output path -> the photo that wants it
        self._claimed_dirs: dict[str, str] = {}
        self._made_dirs: set[Path] = set()
        self._lock = threading.Lock()

    def claim(self, rel: PurePosixPath, owner: str) -> None:
        """Reserve `rel` (inside this output folder) for the photo `owner`; raise on a collision."""
        key = str(rel).casefold()
        parents = [str(p).casefold() for p in rel.parents if str(p) != "."]
        clash = self._claimed_files.get(key) or self._claimed_dirs.get(key)
        clash_parent = next((self._claimed_files[p] for p in parents if p in self._claimed_files), None)
        if clash is not None or clash_parent is not None:
            other = clash if clash is not None else clash_parent
            raise ExportError(
                f"Cannot export {other} and {owner} together: both need {self.target / rel} "
                "(a file and a folder, or two files, of the same name). "
                "Rename one photo or export them separately."
            )
        self._claimed_files[key] = owner
        for parent in parents:
            self._claimed_dirs.setdefault(parent, owner)

    def write(self, rel: PurePosixPath | None, data: bytes) -> None:
        """Write one file of this output: `rel` inside a folder output, None for a single-file output."""
        path = self.staged if rel is None else self.staged.joinpath(*rel.parts)
        shown = self.target if rel is None else self.target.joinpath(*rel.parts)
        try:
            if path.parent not in self._made_dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                with self._lock:
                    self._made_dirs.add(path.parent)
            write_file(path, data)
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            raise ExportError(f"Cannot write {shown}: {_problem(exc)}") from exc
        with self._lock:
            self.files += 1


class Staging:
    """The hidden staging folder of one export and the outputs built in it."""

    def __init__(self, dest: Path, report: ReportBuilder) -> None:
        self.dest = dest
        self._report = report
        self.outputs: list[Output] = []
        token = secrets.token_hex(4)
        self.root = dest / f"{STAGING_PREFIX}{token}"
        self._aside = dest / f"{STAGING_PREFIX}{token}-old"
        self._keep_aside = False  # set when a rollback failed: the previous export is still in there
        self._prepare_dest()

    def _prepare_dest(self) -> None:
        if self.dest.exists() and not self.dest.is_dir():
            raise ExportError(f"Cannot export to {self.dest}: it is a file, not a folder")
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
            for leftover in self.dest.glob(f"{STAGING_PREFIX}*"):  # from an export that was killed
                _remove(leftover)
            self.root.mkdir()
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename and str(exc.filename) != str(self.dest) else ""
            raise ExportError(f"Cannot export to {self.dest}: {where}{_problem(exc)}") from exc

    def output(self, name: str, *, is_dir: bool) -> Output:
        """Stage a new output `name`, after checking that its target can be replaced."""
        target = self.dest / name
        if target.is_symlink():
            raise ExportError(
                f"Cannot replace {target}: it is a symbolic link; remove it or choose another folder"
            )
        if target.exists():
            if is_dir and not target.is_dir():
                raise ExportError(
                    f"Cannot write {target}: a file of that name exists where a folder is needed"
                )
            if not is_dir and target.is_dir():
                raise ExportError(
                    f"Cannot write {target}: a folder of that name exists where a file is needed"
                )
            if is_dir and not (target / MARKER).is_file() and any(target.iterdir()):
                raise ExportError(
                    f"Cannot replace {target}: the folder was not written by an isaac-gui export; "
                    "move it away or choose another destination"
                )
        out = Output(self, name, is_dir)
        if is_dir:
            out.write(PurePosixPath(MARKER), b"isaac-gui export\n")
            out.files = 0
        self.outputs.append(out)
        return out

    def commit(self) -> None:
        """Swap every staged output in place of the previous one; on a failure roll the swap back."""
        swapped: list[tuple[Output, bool]] = []  # (output, whether an old one was moved aside)
        try:
            self._aside.mkdir()
            for out in self.outputs:
                had_old = os.path.lexists(out.target)
                if had_old:
                    os.rename(out.target, self._aside / out.name)
                swapped.append((out, had_old))
                os.rename(out.staged, out.target)
        except OSError as exc:
            self._rollback(swapped)
            raise ExportError(f"Cannot move the export into {self.dest}: {_problem(exc)}") from exc
        self.discard()

    def _rollback(self, swapped: list[tuple[Output, bool]]) -> None:
        for out, had_old in reversed(swapped):
            try:
                if not os.path.lexists(out.staged) and os.path.lexists(out.target):
                    os.rename(out.target, out.staged)
                if had_old:
                    os.rename(self._aside / out.name, out.target)
            except OSError as exc:  # pragma: no cover - the file system failed twice in a row
                self._keep_aside = True
                self._report.warn(
                    "cleanup", f"Could not restore {out.target} (it is in {self._aside}): {_problem(exc)}"
                )

    def discard(self) -> None:
        """Delete the staging folder and anything set aside (the previous outputs after a commit)."""
        for path in (self.root,) if self._keep_aside else (self.root, self._aside):
            try:
                _remove(path)
            except OSError as exc:
                self._report.warn("cleanup", f"Could not delete the temporary folder {path}: {_problem(exc)}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
