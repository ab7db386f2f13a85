"""Finding the photos in a folder: streaming, natural order, and safe on hostile trees.

The scan yields photos while it walks, so a 100,000-photo folder starts detecting before the scan
ends. Hidden entries and non-images are ignored; symlink loops, broken links and unreadable
folders are reported through `on_problem` and never hang or crash the scan.
"""

from __future__ import annotations

import heapq
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"})

ProblemCallback = Callable[[Path, str], None]

_DIGITS = re.compile(r"\d+")


def _number(match: re.Match[str]) -> str:
    digits = match.group().lstrip("0") or "0"
    return f"\x00{len(digits):02d}{digits}"


def natural_key(name: str) -> str:
    """Sort key putting part_2 before part_10, case-insensitively: each run of digits becomes its
    length then its digits, behind a NUL so numbers sort before letters. A plain string, because
    sorting 100,000 strings is ten times faster than sorting 100,000 tuples."""
    return _DIGITS.sub(_number, name.casefold())


@dataclass(frozen=True, slots=True)
class FoundPhoto:
    """One photo found by the scan."""

    path: Path
    rel: str  # relative to the scanned root, with "/" separators
    size: int
    mtime_ns: int


def is_image_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES


def _ignore(_path: Path, _message: str) -> None:
    return None


def natural_order[N: _HasName](entries: list[N], *, chunk: int = 2048) -> Iterator[N]:
    """`entries` in natural order of their names (a stable sort), each one let go of (its slot in
    `entries` set to None) as it is yielded.

    Why not `entries.sort(key=...)`: sorting and then freeing 100,000 entries are single C calls
    that hold the GIL for 50-100 ms each, and the window's thread waits that long. Here the keys
    are sorted in chunks (a few ms each) and merged one entry at a time, so other threads get the
    GIL between steps, and each key and entry is freed the moment it is used."""
    runs = []
    for start in range(0, len(entries), chunk):
        run = sorted((natural_key(e.name), i) for i, e in enumerate(entries[start : start + chunk], start))
        run.reverse()  # popped from the end, smallest first
        runs.append(run)
    heap = [(*run.pop(), n) for n, run in enumerate(runs)]
    heapq.heapify(heap)
    while heap:
        _key, i, n = heap[0]
        run = runs[n]
        if run:
            heapq.heapreplace(heap, (*run.pop(), n))
        else:
            heapq.heappop(heap)
        entry = entries[i]
        entries[i] = None  # type: ignore[call-overload]  # let go of it: a list of Nones frees fast
        yield entry


def scan(
    root: Path, *, recursive: bool = True, on_problem: ProblemCallback | None = None
) -> Iterator[FoundPhoto]:
    """Yield the photos under `root`: in each folder its photos first, then its subfolders, all in
    natural order. Symlinked folders are followed once each (a loop is reported, not walked)."""
    report = on_problem or _ignore
    root = Path(root)
    try:
        root_stat = root.stat()
    except OSError as exc:
        report(root, f"cannot open the folder: {exc.strerror or exc}")
        return
    if not stat.S_ISDIR(root_stat.st_mode):
        report(root, "is not a folder")
        return
    seen: set[tuple[int, int]] = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            report(folder, f"cannot read the folder: {exc.strerror or exc}")
            continue
        subfolders: list[tuple[Path, str]] = []
        for entry in natural_order(entries):
            if entry.name.startswith("."):
                continue
            entry_path = Path(entry.path)
            try:
                st = entry.stat()  # follows symlinks
            except OSError as exc:
                if entry.is_symlink():
                    report(entry_path, "is a broken link")
                else:
                    report(entry_path, f"cannot be read: {exc.strerror or exc}")
                continue
            if stat.S_ISDIR(st.st_mode):
                if not recursive:
                    continue
                ident = (st.st_dev, st.st_ino)
                if ident in seen:
                    report(entry_path, "links back to a folder already scanned (skipped)")
                    continue
                seen.add(ident)
                subfolders.append((entry_path, f"{prefix}{entry.name}/"))
            elif stat.S_ISREG(st.st_mode) and is_image_name(entry.name):
                yield FoundPhoto(entry_path, prefix + entry.name, st.st_size, st.st_mtime_ns)
        stack.extend(reversed(subfolders))


def scan_paths(
    paths: Iterable[Path], *, recursive: bool = True, on_problem: ProblemCallback | None = None
) -> tuple[Path, Iterator[FoundPhoto]]:
    """Photos from a mix of dropped files and folders: the common root, and the photos under it."""
    items = [Path(p).absolute() for p in paths]
    if not items:
        raise ValueError("nothing to scan")
    if len(items) == 1 and items[0].is_dir():
        return items[0], scan(items[0], recursive=recursive, on_problem=on_problem)
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in items]))

    def generate() -> Iterator[FoundPhoto]:
        report = on_problem or _ignore
        for item in sorted(items, key=lambda p: natural_key(p.name)):
            if item.is_dir():
                base = item.relative_to(root).as_posix()
                for found in scan(item, recursive=recursive, on_problem=on_problem):
                    rel = f"{base}/{found.rel}" if base != "." else found.rel
                    yield FoundPhoto(found.path, rel, found.size, found.mtime_ns)
            elif is_image_name(item.name):
                try:
                    st = item.stat()
                except OSError as exc:
                    report(item, f"cannot be read: {exc.strerror or exc}")
                    continue
                yield FoundPhoto(item, item.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns)
            else:
                report(item, "is not a photo isaac_gui reads (JPEG, PNG, WebP, TIFF, BMP or GIF)")

    return root, generate()
