import json
import os

import pytest

from isaac_gui.core.files import atomic_writer, save_atomic, write_atomic


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "summary.json"
    write_atomic(target, json.dumps({"v": 1}))
    write_atomic(target, json.dumps({"v": 2}))
    assert json.loads(target.read_text()) == {"v": 2}
    assert os.listdir(tmp_path) == ["summary.json"]


def test_write_atomic_writes_bytes(tmp_path):
    target = tmp_path / "x.bin"
    write_atomic(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "results.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("disk gone")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["results.jsonl"]


def test_save_atomic_hands_a_binary_file_to_the_saver(tmp_path):
    target = tmp_path / "thumb.jpg"
    save_atomic(target, lambda fh: fh.write(b"JPEG"))
    assert target.read_bytes() == b"JPEG"
    assert os.listdir(tmp_path) == ["thumb.jpg"]
