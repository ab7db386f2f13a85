"""The thumbnail disk cache's size: what it holds, pruning it to a cap, emptying it.

Thumbnails are small files under one folder (`<cache>/thumbnails/ab/ab….jpg`). "Least recently
used" goes by modification time: whoever reads a thumbnail back calls `touch` on it, because access
times are not kept on filesystems mounted noatime (and at most daily with relatime).
Every function here tolerates files that vanish meanwhile: the decoders and a prune may overlap.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from isaac_gui.core.settings import cache_dir

MB = 1024 * 1024
PRUNE_TO = 0.9  # a prune leaves headroom below the cap, so the next one is many thumbnails away


def default_dir() -> Path:
    return cache_dir() / "thumbnails"


@dataclass(frozen=True, slots=True)
class Usage:
    bytes: int
    files: int

    def describe(self) -> str:
        """'312 MB in 41,203 thumbnails'."""
        if self.files == 0:
            return "Empty"
        mb = self.bytes / MB
        size = f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"
        return f"{size} in {self.files:,} thumbnail{'s' if self.files != 1 else ''}"


def _files(directory: Path) -> list[tuple[float, int, str]]:
    """(mtime, size, path) of every file under `directory`; nothing when it does not exist."""
    out: list[tuple[float, int, str]] = []
    pending = [str(directory)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            st = entry.stat(follow_symlinks=False)
                            out.append((st.st_mtime, st.st_size, entry.path))
                    except FileNotFoundError:
                        continue
        except (FileNotFoundError, NotADirectoryError):
            continue
    return out


def cache_usage(directory: Path) -> Usage:
    files = _files(directory)
    return Usage(sum(size for _, size, _ in files), len(files))


def prune(directory: Path, cap_bytes: int) -> Usage:
    """Over `cap_bytes`: remove the least recently used files down to `PRUNE_TO` of it. The usage after."""
    files = _files(directory)
    total = sum(size for _, size, _ in files)
    count = len(files)
    if total <= cap_bytes:
        return Usage(total, count)
    target = int(cap_bytes * PRUNE_TO)
    files.sort()  # oldest first
    for _mtime, size, path in files:
        if total <= target:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            continue  # not ours to remove (permissions): it stays counted
        total -= size
        count -= 1
    return Usage(total, count)


def clear(directory: Path) -> Usage:
    """Remove every thumbnail (the folders stay); the usage after (files that could not go)."""
    for _mtime, _size, path in _files(directory):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return cache_usage(directory)


def touch(path: Path) -> None:
    """Mark `path` as just used (its mtime is now), so a prune removes it last."""
    with contextlib.suppress(OSError):
        os.utime(path)
