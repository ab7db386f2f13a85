from __future__ import annotations

from pathlib import Path

import pytest

from isaac_gui.core.journal import Journal


def det(mention: str, x1: int, y1: int, x2: int, y2: int) -> dict:
    return {"mention": mention, "top_left": {"x": x1, "y": y1}, "bottom_right": {"x": x2, "y": y2}}


def save(journal: Journal, rel: str, key: str, detections: list[dict], *, seq: int = 0) -> None:
    journal.see_photo(rel, seq, 1, 1, "sha-" + rel, key)
    journal.save_result(key, {"status": "ok", "width": 100, "height": 100, "detections": detections})


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """An output folder whose journal holds two answered photos: a.jpg (a scratch and a crack), b.jpg (none)."""
    journal = Journal(tmp_path)
    journal.begin_run({"classes": ["scratch", "crack"]})
    save(journal, "a.jpg", "key-a", [det("scratch", 0, 0, 9, 9), det("crack", 20, 20, 29, 29)])
    save(journal, "b.jpg", "key-b", [], seq=1)
    journal.end_run("finished")
    journal.close()
    return tmp_path
