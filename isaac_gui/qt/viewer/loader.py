"""Decoding the viewer's photo off the GUI thread: a quick preview first, then full resolution.

The photo is decoded with `core.images.decode_upright`, the function the engine prepares photos
with, so EXIF orientation (and therefore every box) matches what Isaac was sent. Each load runs on
a short-lived Python thread (never the global QThreadPool, which the runner may fill with detection
jobs), at most two decoding at once, and comes back through a signal of a QObject owned by the GUI
side. Each request carries a token; a job whose token is no longer the latest stops before its next
expensive step, so flicking through photos never queues full decodes nobody will see.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PIL import Image, UnidentifiedImageError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from isaac_gui.core.images import ImageError, decode_upright

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


def to_qimage(img: Image.Image) -> QImage:
    """A QImage that owns its pixels (32-bit, the format the raster engine paints fastest)."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    data = rgb.tobytes()
    view = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return view.convertToFormat(QImage.Format.Format_RGB32)


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


class _PostOffice(QObject):
    """Where decode jobs report; created on the GUI thread once and never deleted.

    Jobs hold no reference to a viewer or to a QObject it owns (a wrapper freed on a worker thread
    while the GUI thread uses Qt corrupts memory); they name their loader by number, and the GUI
    side looks it up and drops the loader when it is deleted.
    """

    delivered = Signal(int, int, object)  # loader, token, Decoded
    failed = Signal(int, int, str)  # loader, token, the reason in words

    def __init__(self) -> None:
        super().__init__()
        self._loaders: dict[int, PhotoLoader] = {}
        self._next = 0
        self.delivered.connect(self._on_delivered)
        self.failed.connect(self._on_failed)

    def register(self, loader: PhotoLoader) -> int:
        # Drop loaders Qt has deleted since (their Python shells only; done here, on the GUI thread).
        for number in [n for n, known in self._loaders.items() if not shiboken6.isValid(known)]:
            del self._loaders[number]
        self._next += 1
        self._loaders[self._next] = loader
        return self._next

    def _loader(self, number: int) -> PhotoLoader | None:
        loader = self._loaders.get(number)
        if loader is not None and not shiboken6.isValid(loader):
            self._loaders.pop(number, None)
            return None
        return loader

    def _on_delivered(self, number: int, token: int, decoded: Decoded) -> None:
        loader = self._loader(number)
        if loader is not None:
            loader._on_delivered(token, decoded)

    def _on_failed(self, number: int, token: int, reason: str) -> None:
        loader = self._loader(number)
        if loader is not None:
            loader._on_failed(token, reason)


_office: _PostOffice | None = None


def _post_office() -> _PostOffice:
    global _office  # noqa: PLW0603
    if _office is None:
        _office = _PostOffice()
    return _office


class PhotoLoader(QObject):
    """Loads one photo at a time; a new `load()` supersedes the previous one."""

    previewReady = Signal(object)  # Decoded (final=False)
    loaded = Signal(object)  # Decoded (final=True)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tokens = _Tokens()
        self._number = _post_office().register(self)
        self._busy = False

    def is_busy(self) -> bool:
        return self._busy

    def load(self, path: Path) -> None:
        self._busy = True
        job = _DecodeJob(path, self._tokens.next(), self._tokens, self._number, _post_office())
        threading.Thread(target=job.run, name="isaac-viewer-decode", daemon=True).start()

    def cancel(self) -> None:
        """Forget the current load (its job stops at its next step; nothing more is delivered)."""
        self._tokens.next()
        self._busy = False

    def _on_delivered(self, token: int, decoded: Decoded) -> None:
        if token != self._tokens.latest():
            return
        if decoded.final:
            self._busy = False
            self.loaded.emit(decoded)
        else:
            self.previewReady.emit(decoded)

    def _on_failed(self, token: int, reason: str) -> None:
        if token != self._tokens.latest():
            return
        self._busy = False
        self.failed.emit(reason)


class _DecodeJob:
    def __init__(self, path: Path, token: int, tokens: _Tokens, loader: int, office: _PostOffice) -> None:
        self.path = path
        self.token = token
        self.tokens = tokens
        self.loader = loader
        self.office = office  # lives for the whole process: never freed here

    def _stale(self) -> bool:
        return self.tokens.latest() != self.token

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
        self.office.failed.emit(self.loader, self.token, reason)

    def _run(self) -> None:
        if self._stale():
            return
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            self._fail(f"cannot be read: {exc.strerror or exc}")
            return
        try:
            if self._stale():
                return
            # A cheap preview first when the photo is large enough for the full decode to be felt.
            if max(_stored_size(data)) > PREVIEW_SIDE * 1.5:
                small, width, height, _, _ = decode_upright(data, PREVIEW_SIDE)
                if self._stale():
                    return
                preview = Decoded(width, height, (to_qimage(small),), False)
                self.office.delivered.emit(self.loader, self.token, preview)
                del small
            if self._stale():
                return
            full, width, height, _, _ = decode_upright(data, FULL_MAX_SIDE)
            del data
            if self._stale():
                return
            levels = mipmap(full)
            del full
            if self._stale():
                return
            self.office.delivered.emit(self.loader, self.token, Decoded(width, height, levels, True))
        except ImageError as exc:
            self._fail(exc.message)
        except UnidentifiedImageError:
            self._fail("is not an image isaac_gui can read")
        except (OSError, ValueError, MemoryError) as exc:
            self._fail(f"cannot be decoded: {exc}")


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
