import os
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

from isaac_gui.core.discovery import natural_key, natural_order, scan, scan_paths


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def rels(root: Path, **kw) -> list[str]:
    return [p.rel for p in scan(root, **kw)]


def test_natural_order_files_first_then_subfolders(tmp_path):
    for name in ["part_10.jpg", "part_2.JPG", "part_1.png", "b/x.webp", "a/y.tiff", "a/sub/z.gif"]:
        touch(tmp_path / name)
    assert rels(tmp_path) == [
        "part_1.png",
        "part_2.JPG",
        "part_10.jpg",
        "a/y.tiff",
        "a/sub/z.gif",
        "b/x.webp",
    ]


def test_hidden_and_non_images_are_ignored(tmp_path):
    for name in ["ok.bmp", ".hidden.jpg", ".cache/in_hidden.jpg", "notes.txt", "raw.cr2", "noext"]:
        touch(tmp_path / name)
    assert rels(tmp_path) == ["ok.bmp"]


def test_not_recursive(tmp_path):
    touch(tmp_path / "top.jpg")
    touch(tmp_path / "sub" / "deep.jpg")
    assert rels(tmp_path, recursive=False) == ["top.jpg"]


def test_symlink_loops_and_broken_links_are_reported_not_followed(tmp_path):
    touch(tmp_path / "a" / "one.jpg")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "missing.jpg", tmp_path / "broken.jpg")
    problems: list[tuple[Path, str]] = []
    found = rels(tmp_path, on_problem=lambda p, m: problems.append((p, m)))
    assert found == ["a/one.jpg"]
    messages = {p.name: m for p, m in problems}
    assert "broken link" in messages["broken.jpg"]
    assert "already scanned" in messages["loop"]


def test_folder_that_vanishes_mid_scan_is_reported(tmp_path):
    touch(tmp_path / "a" / "x.jpg")
    touch(tmp_path / "b" / "y.jpg")
    problems = []
    it = scan(tmp_path, on_problem=lambda p, m: problems.append((p.name, m)))
    assert next(it).rel == "a/x.jpg"
    shutil.rmtree(tmp_path / "b")  # listed already, gone before it is read
    assert list(it) == []
    assert problems and problems[0][0] == "b" and "cannot read the folder" in problems[0][1]


def test_missing_root_is_a_problem_not_a_crash(tmp_path):
    problems = []
    assert list(scan(tmp_path / "nope", on_problem=lambda p, m: problems.append(m))) == []
    assert problems


def test_scan_is_streaming(tmp_path):
    for i in range(50):
        touch(tmp_path / f"d{i}" / "p.jpg")
    it = scan(tmp_path)
    first = next(it)
    assert first.rel == "d0/p.jpg"  # produced before the other folders are read


def test_dropped_files_and_folders_share_a_root(tmp_path):
    a = touch(tmp_path / "line1" / "a.jpg")
    touch(tmp_path / "line2" / "b.jpg")
    touch(tmp_path / "line2" / "c.png")
    root, photos = scan_paths([a, tmp_path / "line2"])
    assert root == tmp_path
    assert [p.rel for p in photos] == ["line1/a.jpg", "line2/b.jpg", "line2/c.png"]


def test_natural_key_orders_numbers_numerically():
    names = ["img10", "IMG9", "img100", "img9a"]
    assert sorted(names, key=natural_key) == ["IMG9", "img9a", "img10", "img100"]


def test_natural_order_in_steps_equals_one_sort_and_lets_go_of_each_item_it_yields():
    """The scan orders a folder's entries without one long sort or one long free (each holds the
    GIL, and a 100,000-photo folder froze the window for 50-100 ms): the order must be exactly a
    stable sort by natural key, and every entry is released once yielded."""
    rng = random.Random(5)
    names = [f"img{rng.randrange(3000)}{rng.choice(['', 'a', 'B'])}.jpg" for _ in range(10_000)]
    items = [SimpleNamespace(name=n, tag=i) for i, n in enumerate(names)]
    expected = sorted(items, key=lambda e: natural_key(e.name))
    entries = list(items)
    ordered = []
    for item in natural_order(entries, chunk=64):
        ordered.append(item)
        if len(ordered) % 1000 == 0:  # released: the scan's list holds none of those yielded
            assert sum(e is None for e in entries) == len(ordered)
    assert [e.tag for e in ordered] == [e.tag for e in expected]
    assert list(natural_order([], chunk=64)) == []
