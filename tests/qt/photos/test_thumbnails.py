"""Thumbnails: decoded off the GUI thread, upright, announced in batches, cached on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

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
