"""Thumbnails: decoded off the GUI thread, upright, announced in batches, cached on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from isaac_gui.core.thumb_cache import cache_usage
from isaac_gui.qt.photos import thumbnails
from isaac_gui.qt.photos.thumbnails import THUMB_H, THUMB_W, ThumbKey, ThumbnailCache


def _key(path: Path) -> ThumbKey:
    st = path.stat()
    return ThumbKey(str(path), st.st_size, st.st_mtime_ns)


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    paths = []
    for i, (size, orientation) in enumerate([((800, 600), 1), ((600, 800), 1), ((800, 600), 6)]):
        path = tmp_path / f"p{i}.jpg"
        img = Image.new("RGB", size, (200, 30, 30))
        exif = Image.Exif()
        if orientation != 1:
            exif[0x0112] = orientation
        img.save(path, "JPEG", exif=exif.tobytes())
        paths.append(path)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    paths.append(tmp_path / "broken.jpg")
    return paths


def test_thumbnails_load_fit_upright_and_come_in_batches(
    qtbot: Any, tmp_path: Path, photos: list[Path]
) -> None:
    cache = ThumbnailCache(tmp_path / "disk")
    batches: list[list[ThumbKey]] = []
    cache.thumbnailsReady.connect(batches.append)
    keys = [_key(p) for p in photos]
    assert all(cache.get(k) is None for k in keys)
    qtbot.waitUntil(lambda: sum(len(b) for b in batches) == len(keys), timeout=10_000)
    landscape, portrait, rotated, broken = (cache.get(k) for k in keys)
    assert (landscape.width(), landscape.height()) == (THUMB_W, THUMB_H)
    assert portrait.height() == THUMB_H and portrait.width() < THUMB_W
    assert (
        rotated.height() > rotated.width() or rotated.height() == THUMB_H
    )  # EXIF 6: shown upright (portrait)
    assert broken is None and cache.failed(keys[3])
    assert len(batches) < len(keys) + 1
    cache.close()


def test_reopening_reads_the_disk_cache_instead_of_decoding(
    qtbot: Any, tmp_path: Path, photos: list[Path], monkeypatch: Any
) -> None:
    first = ThumbnailCache(tmp_path / "disk")
    key = _key(photos[0])
    first.get(key)
    qtbot.waitUntil(lambda: first.get(key) is not None, timeout=10_000)
    first.close()

    def no_decoding(*_args: Any) -> Any:
        raise AssertionError("decoded again despite the disk cache")

    monkeypatch.setattr(thumbnails, "decode_thumbnail", no_decoding)
    second = ThumbnailCache(tmp_path / "disk")
    second.get(key)
    qtbot.waitUntil(lambda: second.get(key) is not None, timeout=10_000)
    assert not second.failed(key)
    second.close()


def test_newest_requests_first_and_stale_ones_dropped(
    qtbot: Any, tmp_path: Path, photos: list[Path], monkeypatch: Any
) -> None:
    cache = ThumbnailCache(None, workers=1, max_pending=3)
    cache.close()  # no decoder: look at the queue alone
    cache._stopping = False
    for i in range(10):
        cache.request(ThumbKey(f"/x/{i}.jpg", 1, 1))
    cache.request(ThumbKey("/x/7.jpg", 1, 1))
    assert [k.path for k in cache._pending] == ["/x/8.jpg", "/x/9.jpg", "/x/7.jpg"]


def test_memory_is_bounded(qtbot: Any, tmp_path: Path, photos: list[Path]) -> None:
    one = THUMB_W * THUMB_H * 4
    cache = ThumbnailCache(None, memory_bytes=one * 2)
    keys = [_key(p) for p in photos[:3]]
    for k in keys:
        cache.get(k)
    qtbot.waitUntil(
        lambda: sum(1 for k in keys if k in cache._images) >= 2 and not cache._pending and not cache._busy,
        timeout=10_000,
    )
    assert cache.memory_used <= one * 2
    cache.close()


def _noisy_photos(folder: Path, n: int) -> list[Path]:
    """Photos whose thumbnails do not compress to nothing (a few KB each, as real ones)."""
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"n{i}.jpg"
        Image.effect_noise((800, 600), 60 + i).convert("RGB").save(path, "JPEG")
        paths.append(path)
    return paths


def test_the_disk_cache_is_pruned_to_its_cap_as_thumbnails_are_stored(qtbot: Any, tmp_path: Path) -> None:
    photos = _noisy_photos(tmp_path / "photos", 8)
    disk = tmp_path / "disk"
    cap = 40_000
    cache = ThumbnailCache(disk, disk_cap_bytes=cap, workers=1)
    ready: list[ThumbKey] = []
    cache.thumbnailsReady.connect(ready.extend)
    keys = [_key(p) for p in photos]
    for k in keys:
        cache.request(k)
    qtbot.waitUntil(lambda: len(ready) == len(keys), timeout=20_000)
    qtbot.waitUntil(lambda: not cache._pruning, timeout=10_000)
    usage = cache_usage(disk)
    assert 0 < usage.bytes <= cap
    assert usage.files < len(keys)  # written, then the least recently used went
    assert all(cache.get(k) is not None for k in keys)  # still shown: from memory
    cache.close()


def test_an_oversized_disk_cache_is_pruned_when_the_cache_starts(qtbot: Any, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    for i in range(10):
        path = disk / f"{i:02x}" / f"{i:02x}old.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10_000)
    cache = ThumbnailCache(disk, disk_cap_bytes=50_000)
    qtbot.waitUntil(lambda: not cache._pruning, timeout=10_000)
    assert cache_usage(disk).bytes <= 45_000  # down to 90% of the cap
    cache.close()


def test_pixels_reach_qt_unchanged_and_opaque(qapp: Any) -> None:
    from PySide6.QtGui import QColor, QImage  # noqa: PLC0415

    from isaac_gui.qt.photos.thumbnails import to_qimage  # noqa: PLC0415

    img = Image.new("RGB", (3, 2), (10, 20, 30))
    img.putpixel((2, 1), (250, 128, 1))
    image = to_qimage(img)
    assert image.format() == QImage.Format.Format_RGB32 and (image.width(), image.height()) == (3, 2)
    assert image.pixelColor(0, 0) == QColor(10, 20, 30, 255)
    assert image.pixelColor(2, 1) == QColor(250, 128, 1, 255)
    del img  # the QImage keeps its own buffer alive
    assert image.copy().pixelColor(2, 1) == QColor(250, 128, 1, 255)
