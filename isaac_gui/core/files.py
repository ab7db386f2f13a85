"""Writing files so that a reader (or a crash) sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


def _temporary_name(path: Path) -> Path:
    # Unique per process and thread, hidden, beside the target (os.replace needs the same file system).
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")


@contextlib.contextmanager
def _replacing(path: Path, mode: str) -> Iterator[IO[Any]]:
    tmp = _temporary_name(path)
    kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_writer(path: Path) -> contextlib.AbstractContextManager[IO[str]]:
    """A text file (UTF-8, "\\n") beside `path`; on a clean exit flushed, fsynced and moved over `path`.

    On an exception the temporary file is removed and `path` is left as it was."""
    return _replacing(path, "w")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8)."""
    with _replacing(path, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)


def save_atomic(path: Path, save: Callable[[IO[bytes]], object]) -> None:
    """Replace `path` with what `save` writes into a binary file (e.g. `image.save(fh, "JPEG")`)."""
    with _replacing(path, "wb") as fh:
        save(fh)
