"""Thumbnails: decoded off the GUI thread, only for what is on screen, cached in memory and on disk.

The grid's delegate calls `get(key)` while painting. A hit is a dictionary lookup. A miss queues a
request and returns None (the delegate paints a placeholder). Requests are deduplicated and served
newest first, and only the newest `max_pending` are kept, so flinging through 100,000 photos never
leaves thousands of stale decodes queued behind what is now on screen.

Decoding uses Pillow's `decode_upright` with libjpeg's draft scaling (JPEGs decode at 1/2..1/8
size directly) and applies EXIF orientation after shrinking. Measured here on 1600x1200 and
4000x3000 JPEGs: 7.0 and 31.7 ms, against 8.3 and 40.3 ms for `QImageReader.setScaledSize`;
Pillow also reads TIFF, 16-bit and CMYK the same way the engine does. Every decoded thumbnail is
also written to a disk cache keyed by path, size and mtime, so reopening a folder reads ~5 KB
JPEGs instead of decoding photos. The disk cache is kept under a cap: pruned (off the GUI thread,
least recently used first) when the cache starts and whenever the bytes written since push it over.

Loaded thumbnails are handed to the GUI thread through a `Mailbox` that delivers at most once per
~30 ms; the cache then emits `thumbnailsReady` once for the whole batch.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from isaac_gui.core.files import save_atomic
from isaac_gui.core.images import ImageError, decode_upright
from isaac_gui.core.thumb_cache import MB, Usage, prune, touch
from isaac_gui.qt.workers.mailbox import Mailbox
from isaac_gui.qt.workers.responsive import lower_this_thread
from isaac_gui.qt.workers.tasks import BackgroundTasks

log = logging.getLogger(__name__)

THUMB_W, THUMB_H = 176, 132
DISK_FORMAT_VERSION = 1


class ThumbKey(NamedTuple):
    path: str
    size: int
    mtime_ns: int


def disk_name(key: ThumbKey, box: tuple[int, int]) -> str:
    ident = f"{key.path}\0{key.size}\0{key.mtime_ns}\0{box[0]}x{box[1]}\0v{DISK_FORMAT_VERSION}"
    digest = hashlib.sha1(ident.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:2]}/{digest}.jpg"


def to_qimage(img: Image.Image) -> QImage:
    """A QImage over pixels already in Qt's 32-bit layout (the format the raster engine paints fastest).

    Pillow packs them (0xffRRGGBB in native byte order) while other threads run; Qt only wraps the
    buffer, which the QImage keeps alive. Building an RGB888 image and converting it in Qt instead
    held the GIL ~18 ms per 12 MP photo: the window stalled up to ~126 ms while neighbours decoded.
    """
    rgba = img.convert("RGBA") if img.mode != "RGBA" else img
    layout = "BGRA" if sys.byteorder == "little" else "ARGB"
    data = rgba.tobytes("raw", layout)
    return QImage(data, rgba.width, rgba.height, 4 * rgba.width, QImage.Format.Format_RGB32)


def decode_thumbnail(path: Path, box: tuple[int, int]) -> Image.Image:
    """The photo, upright, fitted inside `box`."""
    data = path.read_bytes()
    img = decode_upright(data, max(box))[0]
    if img.width > box[0] or img.height > box[1]:
        img.thumbnail(box, Image.Resampling.BICUBIC)
    return img


class ThumbnailCache(QObject):
    """Memory LRU + disk cache + a few decoder threads. `close()` ends the threads."""

    thumbnailsReady = Signal(object)  # list[ThumbKey] loaded (or failed) since the last emit

    def __init__(
        self,
        disk_dir: Path | None,
        *,
        box: tuple[int, int] = (THUMB_W, THUMB_H),
        disk_cap_bytes: int = 1024 * MB,
        memory_bytes: int = 128 * 1024 * 1024,
        workers: int = 2,
        max_pending: int = 256,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.box = box
        self.disk_dir = disk_dir
        self._memory_bytes = memory_bytes
        self._max_pending = max_pending
        self._images: OrderedDict[ThumbKey, QImage] = OrderedDict()  # GUI thread only
        self._used = 0
        self._failed: set[ThumbKey] = set()  # GUI thread only
        self._lock = threading.Condition()
        self._pending: OrderedDict[ThumbKey, None] = OrderedDict()  # newest last
        self._busy: set[ThumbKey] = set()
        self._stopping = False
        self._store_warned = False  # a disk cache that cannot be written is reported once
        self._mailbox = Mailbox(self._deliver, interval_ms=30, parent=self)
        self._disk_cap = disk_cap_bytes
        self._disk_lock = threading.Lock()
        self._disk_known: int | None = None  # GUI thread: bytes on disk at the last prune, once known
        self._disk_written = 0  # bytes the decoders stored since the last prune began (under _disk_lock)
        self._pruning = False
        self._tasks = BackgroundTasks(self)
        self._prune()
        self._threads = [
            threading.Thread(target=self._work, name=f"isaac-thumbs-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- GUI thread -------------------------------------------------------------------------
    def get(self, key: ThumbKey) -> QImage | None:
        """The thumbnail if it is in memory; otherwise None, and it is on its way (newest first)."""
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        if key not in self._failed:
            self.request(key)
        return None

    def failed(self, key: ThumbKey) -> bool:
        return key in self._failed

    def request(self, key: ThumbKey) -> None:
        with self._lock:
            if self._stopping or key in self._busy:
                return
            if key in self._pending:
                self._pending.move_to_end(key)
            else:
                self._pending[key] = None
                while len(self._pending) > self._max_pending:
                    self._pending.popitem(last=False)  # the oldest request is off screen by now
            self._lock.notify()

    def forget_requests(self) -> None:
        """Drop every queued request (a new folder was opened)."""
        with self._lock:
            self._pending.clear()

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, key: object) -> bool:
        return key in self._images

    @property
    def memory_used(self) -> int:
        return self._used

    def set_disk_cap(self, cap_bytes: int) -> None:
        self._disk_cap = cap_bytes
        self._prune_if_over()

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            self._pending.clear()
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(10)
        self._tasks.close()
        self._mailbox.close()

    def _prune_if_over(self) -> None:
        if self._pruning or self._disk_known is None:
            return
        with self._disk_lock:
            estimate = self._disk_known + self._disk_written
        if estimate > self._disk_cap:
            self._prune()

    def _prune(self) -> None:
        directory, cap = self.disk_dir, self._disk_cap
        if directory is None:
            return
        self._pruning = True
        with self._disk_lock:
            # What the decoders store from now on may be counted twice (seen by the prune, and here):
            # an overestimate only brings the next prune forward.
            self._disk_written = 0
        self._tasks.run(lambda: prune(directory, cap), self._on_pruned, self._on_prune_failed)

    def _on_pruned(self, usage: Usage) -> None:
        self._pruning = False
        self._disk_known = usage.bytes
        self._prune_if_over()

    def _on_prune_failed(self, exc: BaseException) -> None:
        self._pruning = False
        log.warning("the thumbnail cache in %s cannot be pruned: %s", self.disk_dir, exc)

    def _deliver(self, items: list[tuple[ThumbKey, QImage | None]]) -> None:
        keys = []
        for key, image in items:
            keys.append(key)
            if image is None:
                self._failed.add(key)
                continue
            old = self._images.pop(key, None)
            if old is not None:
                self._used -= old.sizeInBytes()
            self._images[key] = image
            self._used += image.sizeInBytes()
        while self._used > self._memory_bytes and len(self._images) > 1:
            _key, evicted = self._images.popitem(last=False)
            self._used -= evicted.sizeInBytes()
        self._prune_if_over()
        self.thumbnailsReady.emit(keys)

    # -- decoder threads --------------------------------------------------------------------
    def _work(self) -> None:
        lower_this_thread()
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                key, _ = self._pending.popitem(last=True)  # newest first
                self._busy.add(key)
            try:
                image = self._load(key)
            finally:
                with self._lock:
                    self._busy.discard(key)
            self._mailbox.post((key, image))

    def _load(self, key: ThumbKey) -> QImage | None:
        cached = self.disk_dir / disk_name(key, self.box) if self.disk_dir is not None else None
        if cached is not None:
            image = QImage(str(cached))
            if not image.isNull():
                touch(cached)  # used: the prune keeps it over thumbnails not seen for longer
                return image.convertToFormat(QImage.Format.Format_RGB32)
        try:
            img = decode_thumbnail(Path(key.path), self.box)
        except OSError as exc:
            log.warning("no thumbnail for %s: %s", key.path, exc.strerror or exc)
            return None
        except ImageError as exc:  # the run reports the photo's error in its record too
            log.warning("no thumbnail for %s: it %s", key.path, exc.message)
            return None
        except Exception as exc:  # a decoder bug must cost one thumbnail, not the decoder thread
            log.warning("no thumbnail for %s: %r", key.path, exc)
            return None
        if cached is not None:
            self._store(img, cached)
        return to_qimage(img)

    def _store(self, img: Image.Image, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            save_atomic(target, lambda fh: img.save(fh, "JPEG", quality=85))
            written = target.stat().st_size
        except OSError as exc:  # a cache that cannot be written only costs speed: say so once
            if not self._store_warned:
                self._store_warned = True
                log.warning(
                    "thumbnails cannot be cached in %s (%s); they are decoded again", target.parent, exc
                )
            return
        with self._disk_lock:
            self._disk_written += written
