import subprocess
import sys
import textwrap

from isaac_gui.core.journal import Journal, file_sha256, job_key


def test_job_key_changes_with_content_classes_model_and_preparation():
    base = job_key("abc", "isaac-0.1", ["scratch", "dent"], "p1")
    assert base == job_key("abc", "isaac-0.1", ["scratch", "dent"], "p1")
    others = [
        job_key("abd", "isaac-0.1", ["scratch", "dent"], "p1"),
        job_key("abc", "isaac-0.2", ["scratch", "dent"], "p1"),
        job_key("abc", "isaac-0.1", ["scratch"], "p1"),
        job_key("abc", "isaac-0.1", ["scratch", "dent"], "p2"),
    ]
    assert base not in others and len(set(others)) == 4


def test_results_are_listed_in_scan_order_with_their_paths(tmp_path):
    j = Journal(tmp_path)
    j.begin_run({"classes": ["a"]})
    j.see_photo("b.jpg", 1, 10, 1, "s2", "k2")
    j.see_photo("a.jpg", 0, 10, 1, "s1", "k1")
    j.see_photo("copy_of_a.jpg", 2, 10, 1, "s1", "k1")  # same content: shares the result
    j.see_photo("pending.jpg", 3, 10, 1, "s3", "k3")
    j.save_result("k1", {"image": "ignored", "status": "ok", "detections": []})
    j.save_result("k2", {"status": "error", "error": {"kind": "truncated", "message": "m"}})
    records = list(j.records())
    assert [r["image"] for r in records] == ["a.jpg", "b.jpg", "copy_of_a.jpg"]
    assert records[1]["status"] == "error"
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    j.close()


def test_a_new_run_lists_only_what_it_saw(tmp_path):
    j = Journal(tmp_path)
    j.begin_run({})
    j.see_photo("gone.jpg", 0, 1, 1, "s1", "k1")
    j.save_result("k1", {"status": "ok"})
    j.begin_run({})
    j.see_photo("new.jpg", 0, 1, 1, "s2", "k2")
    j.save_result("k2", {"status": "ok"})
    assert [r["image"] for r in j.records()] == ["new.jpg"]
    assert j.result("k1") is not None  # kept: the photo may come back
    j.close()


def test_known_hash_is_remembered_with_size_and_mtime(tmp_path):
    j = Journal(tmp_path)
    j.begin_run({})
    j.see_photo("a.jpg", 0, 123, 456, "sha", "k")
    known = j.known("a.jpg")
    assert known is not None and (known.sha256, known.size, known.mtime_ns) == ("sha", 123, 456)
    assert j.known("b.jpg") is None
    j.close()


def test_reopening_keeps_everything(tmp_path):
    j = Journal(tmp_path)
    j.begin_run({"classes": ["x"]})
    j.set_meta("source_root", "/photos")
    j.see_photo("a.jpg", 0, 1, 1, "s", "k")
    j.save_result("k", {"status": "error", "error": {"kind": "gave_up", "message": "m"}}, retryable=True)
    j.close()
    again = Journal(tmp_path)
    assert again.meta("source_root") == "/photos"
    assert again.result("k") == (
        "error",
        True,
        {"status": "error", "error": {"kind": "gave_up", "message": "m"}},
    )
    assert again.last_settings() == {"classes": ["x"]}
    again.close()


def test_a_killed_writer_loses_nothing_it_committed(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from isaac_gui.core.journal import Journal
        j = Journal({str(tmp_path)!r})
        j.begin_run({{}})
        for i in range(200):
            j.see_photo(f"p{{i}}.jpg", i, 1, 1, f"s{{i}}", f"k{{i}}")
            j.save_result(f"k{{i}}", {{"status": "ok", "n": i}})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert proc.returncode == -9
    j = Journal(tmp_path)
    j.run_id = 1
    assert [r["n"] for r in j.records()] == list(range(200))
    j.close()


def test_file_sha256(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    assert file_sha256(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
