"""Decoding the viewer's photo off the GUI thread: a quick preview first, then full resolution.

The photo is decoded with `core.images.decode_upright`, the function the engine prepares photos
with, so EXIF orientation (and therefore every box) matches what Isaac was sent. Each load runs on
a short-lived Python thread (never the global QThreadPool, which the runner may fill with detection
jobs), at most two decoding at once, and comes back to the GUI thread through one `Mailbox`.
Each request carries a token; a job whose token is no longer the latest stops before its next
expensive step, so flicking through photos never queues full decodes nobody will see.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PIL import Image, UnidentifiedImageError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from isaac_gui.core.images import ImageError, decode_upright
from isaac_gui.qt.photos.thumbnails import to_qimage
from isaac_gui.qt.workers.mailbox import Mailbox

PREVIEW_SIDE = 1024  # libjpeg decodes at 1/2..1/8 scale for this: ~30 ms for 12 MP
FULL_MAX_SIDE = 16384  # beyond this a QImage would not be worth its memory
MIN_LEVEL_SIDE = 768  # the smallest level of the mipmap

_decoding = threading.BoundedSemaphore(2)  # two cores: more parallel decodes only add memory
_jobs_lock = threading.Lock()
_jobs = 0


def active_jobs() -> int:
    """Decode threads still running (tests wait for 0; the app never needs to)."""
    with _jobs_lock:
        return _jobs


@dataclass(frozen=True, slots=True)
class Decoded:
    """One step of a load: the photo's upright size and its pixels at one or several scales."""

    width: int  # displayed (upright) full-resolution size
    height: int
    levels: tuple[QImage, ...]  # largest first; the last is the smallest
    final: bool  # False for the preview, True once full resolution has arrived
    path: Path = Path()  # the photo decoded


def mipmap(img: Image.Image, min_side: int = MIN_LEVEL_SIDE) -> tuple[QImage, ...]:
    """`img` and successive halvings of it, so a zoomed-out view never smooth-scales 12 MP per paint."""
    levels = [to_qimage(img)]
    current = img
    while max(current.size) >= 2 * min_side:
        current = current.reduce(2)
        levels.append(to_qimage(current))
    return tuple(levels)


class _Tokens:
    """The latest load of one loader; shared with its jobs (a plain object, not a QObject)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def next(self) -> int:
        with self._lock:
            self._value += 1
            return self._value

    def latest(self) -> int:
        with self._lock:
            return self._value


class _Wanted:
    """The photos a loader still wants prefetched; shared with its jobs (a plain object)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: frozenset[Path] = frozenset()

    def set(self, paths: list[Path]) -> None:
        with self._lock:
            self._paths = frozenset(paths)

    def has(self, path: Path) -> bool:
        with self._lock:
            return path in self._paths

    def token_for(self, path: Path) -> Callable[[], int]:
        """What a prefetch job of `path` compares its token with: PREFETCH while wanted."""
        return lambda: PREFETCH if self.has(path) else -1


class _Office:
    """Where decode jobs post; one `Mailbox` for the whole process, created on the GUI thread.

    Jobs hold no reference to a viewer or to a QObject it owns (a wrapper freed on a worker thread
    while the GUI thread uses Qt corrupts memory); they name their loader by number, and the GUI
    side looks it up and drops the loader when it is deleted.
    """

    def __init__(self) -> None:
        self._loaders: dict[int, PhotoLoader] = {}
        self._next = 0
        self.mailbox = Mailbox(self._deliver, interval_ms=0)

    def register(self, loader: PhotoLoader) -> int:
        # Drop loaders Qt has deleted since (their Python shells only; done here, on the GUI thread).
        for number in [n for n, known in self._loaders.items() if not shiboken6.isValid(known)]:
            del self._loaders[number]
        self._next += 1
        self._loaders[self._next] = loader
        return self._next

    def post(self, loader: int, token: int, outcome: Decoded | str) -> None:
        """From a job: a `Decoded` step, or the reason in words why the photo cannot be shown."""
        self.mailbox.post((loader, token, outcome))

    def _deliver(self, items: list[tuple[int, int, Decoded | str]]) -> None:
        for number, token, outcome in items:
            loader = self._loaders.get(number)
            if loader is None or not shiboken6.isValid(loader):
                self._loaders.pop(number, None)
                continue
            if isinstance(outcome, Decoded):
                loader._on_delivered(token, outcome)
            else:
                loader._on_failed(token, outcome)


_office: _Office | None = None


def _post_office() -> _Office:
    global _office  # noqa: PLW0603
    if _office is None:
        _office = _Office()
    return _office


PREFETCH = 0  # the token of prefetches: never a load's (loads count from 1)
KEEP = 3  # decoded photos kept: the one shown and its two neighbours (a 12 MP photo is ~64 MB)


class PhotoLoader(QObject):
    """Loads one photo at a time; a new `load()` supersedes the previous one.

    `prefetch(paths)` decodes the neighbours ahead, after the photo shown, so stepping to the next
    photo shows it sharp at once. The last `KEEP` photos decoded stay in memory.
    """

    previewReady = Signal(object)  # Decoded (final=False)
    loaded = Signal(object)  # Decoded (final=True)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tokens = _Tokens()
        self._number = _post_office().register(self)
        self._busy = False
        self._kept: OrderedDict[Path, Decoded] = OrderedDict()
        self._wanted = _Wanted()  # prefetches still worth finishing (read by the jobs: a plain object)
        self._prefetching: set[Path] = set()
        self._waiting: Path | None = None  # the photo shown, decoded by a prefetch still under way

    def is_busy(self) -> bool:
        return self._busy

    def load(self, path: Path) -> None:
        token = self._tokens.next()
        kept = self._kept.get(path)
        if kept is not None:
            self._kept.move_to_end(path)
            self._busy = False
            self._waiting = None
            self.loaded.emit(kept)
            return
        self._busy = True
        if path in self._prefetching:
            self._waiting = path  # its prefetch delivers it
            return
        self._waiting = None
        job = _DecodeJob(path, token, self._tokens.latest, self._number, _post_office())
        threading.Thread(target=job.run, name="isaac-viewer-decode", daemon=True).start()

    def prefetch(self, paths: list[Path]) -> None:
        """Decode `paths` ahead (the neighbours of the photo shown); earlier prefetches not among them
        stop at their next step."""
        self._wanted.set(paths)
        for path in paths:
            if path in self._kept or path in self._prefetching:
                continue
            self._prefetching.add(path)
            job = _DecodeJob(
                path, PREFETCH, self._wanted.token_for(path), self._number, _post_office(), preview=False
            )
            threading.Thread(target=job.run, name="isaac-viewer-prefetch", daemon=True).start()

    def cancel(self) -> None:
        """Forget the current load (its job stops at its next step; nothing more is delivered)."""
        self._tokens.next()
        self._busy = False
        self._waiting = None

    def _keep(self, decoded: Decoded) -> None:
        self._kept[decoded.path] = decoded
        self._kept.move_to_end(decoded.path)
        while len(self._kept) > KEEP:
            self._kept.popitem(last=False)

    def _on_delivered(self, token: int, decoded: Decoded) -> None:
        if token == PREFETCH:
            self._prefetching.discard(decoded.path)
            self._keep(decoded)
            if self._waiting == decoded.path:
                self._waiting = None
                self._busy = False
                self.loaded.emit(decoded)
            return
        if token != self._tokens.latest():
            return
        if decoded.final:
            self._busy = False
            self._keep(decoded)
            self.loaded.emit(decoded)
        else:
            self.previewReady.emit(decoded)

    def _on_failed(self, token: int, reason: str) -> None:
        if token == PREFETCH:
            # the reason is for the path alone; shown only if that photo is asked for (then decoded again)
            self._prefetching = {p for p in self._prefetching if self._wanted.has(p)}
            if self._waiting is not None and self._waiting not in self._prefetching:
                path, self._waiting = self._waiting, None
                self._busy = False
                self.load(path)
            return
        if token != self._tokens.latest():
            return
        self._busy = False
        self.failed.emit(reason)


class _DecodeJob:
    def __init__(
        self,
        path: Path,
        token: int,
        latest: Callable[[], int],
        loader: int,
        office: _Office,
        *,
        preview: bool = True,
    ) -> None:
        self.path = path
        self.token = token
        self.latest = latest  # the token still wanted: when it is no longer this job's, the job stops
        self.loader = loader
        self.office = office  # lives for the whole process: never freed here
        self.preview = preview

    def _stale(self) -> bool:
        return self.latest() != self.token

    def run(self) -> None:
        global _jobs  # noqa: PLW0603
        with _jobs_lock:
            _jobs += 1
        try:
            with _decoding:
                self._run()
        except Exception as exc:  # never let a decode error escape the thread
            self._fail(f"cannot be shown: {exc}")
        finally:
            with _jobs_lock:
                _jobs -= 1

    def _fail(self, reason: str) -> None:
        self.office.post(self.loader, self.token, reason)

    def _run(self) -> None:
        if self._stale():
            return self._give_up()
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            self._fail(f"cannot be read: {exc.strerror or exc}")
            return
        try:
            if self._stale():
                return self._give_up()
            # A cheap preview first when the photo is large enough for the full decode to be felt.
            if self.preview and max(_stored_size(data)) > PREVIEW_SIDE * 1.5:
                small, width, height, _, _ = decode_upright(data, PREVIEW_SIDE)
                if self._stale():
                    return self._give_up()
                self.office.post(
                    self.loader, self.token, Decoded(width, height, (to_qimage(small),), False, self.path)
                )
                del small
            if self._stale():
                return self._give_up()
            full, width, height, _, _ = decode_upright(data, FULL_MAX_SIDE)
            del data
            if self._stale():
                return self._give_up()
            levels = mipmap(full)
            del full
            if self._stale():
                return self._give_up()
            self.office.post(self.loader, self.token, Decoded(width, height, levels, True, self.path))
        except ImageError as exc:
            self._fail(exc.message)
        except UnidentifiedImageError:
            self._fail("is not an image isaac_gui can read")
        except (OSError, ValueError, MemoryError) as exc:
            self._fail(f"cannot be decoded: {exc}")

    def _give_up(self) -> None:
        if self.token == PREFETCH:  # the loader must learn the prefetch ended, to forget it
            self._fail("no longer wanted")


def _stored_size(data: bytes) -> tuple[int, int]:
    """The stored size from the header alone; (0, 0) when unknown (decode_upright will say why)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                return int(width), int(height)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return (0, 0)
