"""`isaac-gui audit OUT`, run as a user runs it: the trail, then intact (exit 0) or the bad entry (exit 4)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from isaac_gui.core.geometry import PixelBox
from isaac_gui.core.journal import JOURNAL_NAME
from isaac_gui.core.review.session import ReviewSession


def audit(out) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isaac_gui.launcher", "audit", str(out)],  # as `isaac-gui audit OUT`
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def review(run_dir) -> None:
    session = ReviewSession(run_dir, inspector="Ana", os_user="ana")
    session.reject_box("a.jpg", "m1", reason="dust")
    session.add_box("a.jpg", PixelBox("dent", 50, 50, 59, 59))
    session.confirm("a.jpg")
    session.undo("a.jpg")
    session.close()


def test_an_intact_trail_is_printed_and_exits_0(run_dir):
    review(run_dir)
    proc = audit(run_dir)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith("#1 ") and "Ana (ana) a.jpg [key-a]" in lines[0]
    assert 'box_reject m1: {"status":"pending"} -> {"status":"rejected"}  reason: dust' in lines[0]
    assert "box_add: - -> " in lines[1] and "undo #3: " in lines[3]
    assert lines[4].startswith("intact (4 entries, last hash ") and len(lines[4].split()[-1]) == 65


def test_an_edited_and_a_deleted_entry_are_named_and_exit_4(run_dir):
    review(run_dir)
    db = sqlite3.connect(run_dir / JOURNAL_NAME, isolation_level=None)
    db.execute("""UPDATE audit SET new = '{"status":"pending"}' WHERE seq = 1""")
    proc = audit(run_dir)
    assert proc.returncode == 4
    assert (
        proc.stdout.splitlines()[-1]
        == "BROKEN: entry #1 was edited: it no longer matches its hash (4 entries left)"
    )
    db.execute("""UPDATE audit SET new = '{"status":"rejected"}' WHERE seq = 1""")
    assert audit(run_dir).returncode == 0  # put back as it was: intact again
    db.execute("DELETE FROM audit WHERE seq = 2")
    db.close()
    proc = audit(run_dir)
    assert proc.returncode == 4
    assert proc.stdout.splitlines()[-1] == "BROKEN: entry #2 was deleted (before #3) (3 entries left)"


def test_a_folder_that_is_no_run_is_a_usage_error(tmp_path):
    proc = audit(tmp_path)
    assert proc.returncode == 2 and "not a run's output folder" in proc.stderr
