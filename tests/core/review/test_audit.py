"""The audit trail: appended, chained, durable, and tampering is named."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

from isaac_gui.core.journal import JOURNAL_NAME, Journal
from isaac_gui.core.review.audit import GENESIS, AuditTrail, canonical_json


def append(trail: AuditTrail, n: int = 1, photo: str = "a.jpg") -> None:
    for i in range(n):
        trail.append(
            photo=photo,
            answer="key-a",
            action="box_reject",
            box=f"m{i}",
            old={"status": "pending"},
            new={"status": "rejected"},
            reason="false detection",
        )


def test_an_entry_records_who_when_what_and_why_and_chains_to_the_previous(run_dir):
    trail = AuditTrail(run_dir)
    first = trail.append(
        photo="a.jpg",
        answer="key-a",
        action="confirm",
        old=None,
        new={"verdict": "fail"},
        inspector="Ana",
        os_user="ana",
    )
    second = trail.append(
        photo="a.jpg",
        answer="key-a",
        action="box_reject",
        box="m0",
        old={"status": "pending"},
        new={"status": "rejected"},
        reason="glare",
    )
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert first.who == "Ana (ana)" and second.os_user and second.inspector is None
    assert first.at.endswith("Z") and "T" in first.at
    fields = {
        "seq": 1,
        "at": first.at,
        "os_user": "ana",
        "inspector": "Ana",
        "photo": "a.jpg",
        "answer": "key-a",
        "action": "confirm",
        "box": None,
        "ref": None,
        "old": "null",
        "new": '{"verdict":"fail"}',
        "reason": None,
        "prev_hash": GENESIS,
    }
    assert first.hash == hashlib.sha256(canonical_json(fields).encode()).hexdigest()
    assert list(trail.entries()) == [first, second]
    assert trail.verify().intact and trail.verify().last_hash == second.hash
    trail.close()


def test_the_trail_leaves_the_journal_usable_and_its_tables_as_they_were(run_dir):
    db = sqlite3.connect(run_dir / JOURNAL_NAME)
    before = db.execute("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'audit%'").fetchall()
    db.close()
    trail = AuditTrail(run_dir)
    append(trail)
    trail.close()
    db = sqlite3.connect(run_dir / JOURNAL_NAME)
    assert db.execute("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'audit%'").fetchall() == before
    db.close()
    journal = Journal(run_dir)
    assert [r["image"] for r in journal.records()] == ["a.jpg", "b.jpg"]
    journal.close()


def test_a_folder_without_a_journal_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run's output folder"):
        AuditTrail(tmp_path)
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_an_empty_trail_is_intact_even_read_only(run_dir):
    trail = AuditTrail(run_dir, read_only=True)
    check = trail.verify()
    assert check.intact and check.entries == 0 and list(trail.entries()) == []
    trail.close()


def test_entries_are_filtered_by_photo_and_answer_and_current_entries_follow_the_photos_answer(run_dir):
    trail = AuditTrail(run_dir)
    append(trail, photo="a.jpg")
    trail.append(photo="a.jpg", answer="older-answer", action="confirm", old=None, new={"verdict": "pass"})
    append(trail, photo="b.jpg")
    assert [e.seq for e in trail.entries("a.jpg")] == [1, 2]
    assert [e.seq for e in trail.entries("a.jpg", "key-a")] == [1]
    current = trail.current_entries()
    assert [e.seq for e in current["a.jpg"]] == [1]
    assert trail.answer_of("a.jpg") == "key-a" and trail.answer_of("zz.jpg") is None
    assert trail.record_of("key-a")["width"] == 100
    trail.close()


def test_an_entry_appended_survives_a_kill_9_right_after(run_dir):
    child = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from isaac_gui.core.review.audit import AuditTrail
        trail = AuditTrail(Path({str(run_dir)!r}))
        trail.append(photo="a.jpg", answer="key-a", action="verdict", old=None,
                     new={{"verdict": "hold"}}, reason="second look")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == -9, proc.stderr
    trail = AuditTrail(run_dir, read_only=True)
    entries = list(trail.entries())
    assert [(e.action, e.new, e.reason) for e in entries] == [("verdict", {"verdict": "hold"}, "second look")]
    assert trail.verify().intact
    trail.close()


def test_entries_append_while_the_engine_writes_the_journal(run_dir):
    journal = Journal(run_dir)
    journal.begin_run({})
    trail = AuditTrail(run_dir)
    go = threading.Event()
    errors: list[BaseException] = []

    def engine() -> None:
        go.wait()
        try:
            for i in range(200):
                journal.see_photo(f"p{i}.jpg", i, 1, 1, f"s{i}", f"k{i}")
                journal.save_result(f"k{i}", {"status": "ok", "detections": []})
        except BaseException as exc:
            errors.append(exc)

    def inspector() -> None:
        go.wait()
        try:
            append(trail, 100)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=engine),
        threading.Thread(target=inspector),
        threading.Thread(target=inspector),
    ]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(list(journal.records())) == 200
    check = trail.verify()
    assert check.intact and check.entries == 200
    journal.close()
    trail.close()


# -- tampering, through sqlite3 as anyone with the file could -------------------------------------


@pytest.fixture
def trail_of_five(run_dir):
    trail = AuditTrail(run_dir)
    append(trail, 5)
    trail.close()
    db = sqlite3.connect(run_dir / JOURNAL_NAME, isolation_level=None)
    yield run_dir, db
    db.close()


def verify(run_dir):
    trail = AuditTrail(run_dir, read_only=True)
    try:
        return trail.verify()
    finally:
        trail.close()


def test_an_edited_value_is_named(trail_of_five):
    run_dir, db = trail_of_five
    db.execute("""UPDATE audit SET new = '{"status":"accepted"}' WHERE seq = 3""")
    check = verify(run_dir)
    assert (check.intact, check.bad_seq, check.problem) == (False, 3, "edited")
    assert "entry #3 was edited" in check.message


def test_an_edited_and_re_hashed_entry_is_named_by_its_broken_link(trail_of_five):
    run_dir, db = trail_of_five
    row = db.execute(
        "SELECT seq, at, os_user, inspector, photo, answer, action, box, ref, old, new, reason, "
        "prev_hash FROM audit WHERE seq = 2"
    ).fetchone()
    names = [
        "seq",
        "at",
        "os_user",
        "inspector",
        "photo",
        "answer",
        "action",
        "box",
        "ref",
        "old",
        "new",
        "reason",
        "prev_hash",
    ]
    fields = dict(zip(names, row, strict=True)) | {"reason": "nothing to see"}
    digest = hashlib.sha256(canonical_json(fields).encode()).hexdigest()
    db.execute("UPDATE audit SET reason = ?, hash = ? WHERE seq = 2", ("nothing to see", digest))
    check = verify(run_dir)
    assert (check.bad_seq, check.problem) == (2, "edited")
    assert "#3 no longer links to it" in check.message


@pytest.mark.parametrize(
    ("deleted", "message"),
    [
        (3, "entry #3 was deleted (before #4)"),
        (1, "entry #1 was deleted (before #2)"),
        (5, "entry #5 was deleted (the end of the trail)"),
    ],
)
def test_a_deleted_entry_is_named(trail_of_five, deleted, message):
    run_dir, db = trail_of_five
    db.execute("DELETE FROM audit WHERE seq = ?", (deleted,))
    check = verify(run_dir)
    assert (check.intact, check.bad_seq, check.problem) == (False, deleted, "deleted")
    assert check.message == message


def test_deleted_entries_renumbered_or_swapped_are_named_as_moved(trail_of_five):
    run_dir, db = trail_of_five
    db.execute("UPDATE audit SET seq = 100 WHERE seq = 2")
    db.execute("UPDATE audit SET seq = 2 WHERE seq = 4")
    db.execute("UPDATE audit SET seq = 4 WHERE seq = 100")
    check = verify(run_dir)
    assert (check.bad_seq, check.problem) == (2, "moved")
    assert check.message == "entry #2 was moved: it was written as #4"


def test_the_whole_trail_deleted_with_its_head_kept_is_named(trail_of_five):
    run_dir, db = trail_of_five
    db.execute("DELETE FROM audit")
    check = verify(run_dir)
    assert (check.bad_seq, check.problem, check.message) == (
        1,
        "deleted",
        "entries #1-#5 were deleted (the end of the trail)",
    )
