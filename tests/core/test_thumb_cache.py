"""The thumbnail disk cache's size: counted, pruned least recently used first, emptied."""

from __future__ import annotations

import os
from pathlib import Path

from isaac_gui.core.settings import cache_dir
from isaac_gui.core.thumb_cache import MB, Usage, cache_usage, clear, default_dir, prune, touch


def _thumb(root: Path, name: str, size: int, mtime: float) -> Path:
    path = root / name[:2] / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (mtime, mtime))
    return path


def test_usage_counts_every_file_in_every_subfolder(tmp_path: Path) -> None:
    _thumb(tmp_path, "aa01", 100, 1000)
    _thumb(tmp_path, "aa02", 200, 1000)
    _thumb(tmp_path, "bb01", 300, 1000)
    assert cache_usage(tmp_path) == Usage(600, 3)
    assert cache_usage(tmp_path / "missing") == Usage(0, 0)


def test_prune_removes_the_least_recently_used_first_down_to_ninety_percent(tmp_path: Path) -> None:
    paths = [_thumb(tmp_path, f"{i:02x}{i:02x}", 100, 1000 + i) for i in range(10)]  # 1,000 bytes
    assert prune(tmp_path, 1000) == Usage(1000, 10)  # at the cap: nothing goes
    after = prune(tmp_path, 950)
    assert after == Usage(800, 8)  # over 950: down to 855 bytes or less, so the two oldest go
    assert [p.exists() for p in paths] == [False, False] + [True] * 8
    assert cache_usage(tmp_path) == after


def test_a_thumbnail_read_again_is_kept_over_newer_unused_ones(tmp_path: Path) -> None:
    old = _thumb(tmp_path, "aa01", 100, 1000)
    newer = _thumb(tmp_path, "bb01", 100, 2000)
    touch(old)  # read back from the cache: used now
    assert prune(tmp_path, 150) == Usage(100, 1)
    assert old.exists() and not newer.exists()


def test_clear_empties_the_cache(tmp_path: Path) -> None:
    for i in range(5):
        _thumb(tmp_path, f"{i:02x}00", 10, 1000)
    assert clear(tmp_path) == Usage(0, 0)
    assert cache_usage(tmp_path) == Usage(0, 0)
    assert clear(tmp_path / "missing") == Usage(0, 0)


def test_usage_in_words() -> None:
    assert Usage(0, 0).describe() == "Empty"
    assert Usage(312 * MB + 5, 41_203).describe() == "312 MB in 41,203 thumbnails"
    assert Usage(MB // 2, 1).describe() == "0.5 MB in 1 thumbnail"


def test_the_cache_lives_in_the_app_cache_folder() -> None:
    assert default_dir() == cache_dir() / "thumbnails"
