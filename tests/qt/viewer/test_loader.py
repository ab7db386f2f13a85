"""The viewer's loader: neighbours decoded ahead are shown at once, superseded prefetches stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from isaac_gui.qt.viewer.loader import KEEP, PhotoLoader, active_jobs


def photo(folder: Path, name: str, size: tuple[int, int] = (2400, 1800)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", size, (120, 90, 60)).save(path, "JPEG")
    return path


def test_a_prefetched_photo_is_delivered_without_decoding_again(qtbot: Any, tmp_path: Path) -> None:
    loader = PhotoLoader()
    a, b = photo(tmp_path, "a.jpg"), photo(tmp_path, "b.jpg")
    with qtbot.waitSignal(loader.loaded, timeout=10_000):
        loader.load(a)
    loader.prefetch([b])
    qtbot.waitUntil(lambda: b in loader._kept and active_jobs() == 0, timeout=10_000)

    got: list[Any] = []
    loader.loaded.connect(got.append)
    loader.load(b)
    assert [d.path for d in got] == [b] and got[0].final  # at once: no thread, no event loop turn
    assert not loader.is_busy() and active_jobs() == 0


def test_asking_for_a_photo_still_prefetching_waits_for_that_decode(qtbot: Any, tmp_path: Path) -> None:
    loader = PhotoLoader()
    b = photo(tmp_path, "b.jpg", (4000, 3000))
    loader.prefetch([b])
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as shown:
        loader.load(b)
        assert loader.is_busy()
    assert shown.args[0].path == b
    qtbot.waitUntil(lambda: active_jobs() == 0, timeout=10_000)


def test_only_the_last_few_decoded_photos_are_kept(qtbot: Any, tmp_path: Path) -> None:
    loader = PhotoLoader()
    paths = [photo(tmp_path, f"p{i}.jpg", (800, 600)) for i in range(KEEP + 2)]
    for path in paths:
        with qtbot.waitSignal(loader.loaded, timeout=10_000):
            loader.load(path)
    assert list(loader._kept) == paths[-KEEP:]
