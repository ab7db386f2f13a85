"""The audit trail: every verdict and box correction, appended to the run's journal as it happens.

Entries are only ever added (an undo is a new entry), each in its own committed transaction with
`synchronous=FULL`, so a `kill -9` (or a power cut) right after `append` returns loses nothing.
Each entry's `hash` is SHA-256 over a canonical JSON of its fields and the previous entry's hash;
a one-row `audit_head` table, updated in the same transaction, holds the last seq and hash, so a
deleted last entry is caught as well. `verify` names the first entry that was edited, deleted or
moved. The chain makes edits evident; it does not stop someone who rewrites the whole chain, which
is why `isaac-gui audit` prints the last hash: noted elsewhere, it pins the trail down.

The trail lives in `journal.sqlite` beside the engine's tables, which it leaves untouched, on a
connection of its own (WAL, busy timeout) so the engine can keep writing while an inspector works.
An entry names the photo (relative path) and the answer it applies to: the `job_key` of the result
(content hash + model + classes + preparation), so a rerun with other classes or another model is a
new answer and corrections stay with the answer they were made on.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from isaac_gui.core.journal import JOURNAL_NAME

GENESIS = "0" * 64
ACTIONS = (
    "confirm",  # the inspector accepts the proposed verdict
    "verdict",  # the inspector sets another verdict (an override, with a reason)
    "box_accept",
    "box_reject",
    "box_restore",
    "box_add",
    "box_move",
    "box_resize",
    "box_class",
    "undo",  # `ref` names the entry undone
    "redo",  # `ref` names the entry applied again
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    os_user TEXT NOT NULL,
    inspector TEXT,
    photo TEXT NOT NULL,
    answer TEXT NOT NULL,
    action TEXT NOT NULL,
    box TEXT,
    ref INTEGER,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_photo ON audit(photo, answer, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""
_COLUMNS = "seq, at, os_user, inspector, photo, answer, action, box, ref, old, new, reason, prev_hash, hash"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the trail. `old` and `new` are JSON values (None when there was none)."""

    seq: int
    at: str  # UTC, ISO 8601
    os_user: str
    inspector: str | None
    photo: str
    answer: str
    action: str
    box: str | None
    ref: int | None
    old: Any
    new: Any
    reason: str | None
    prev_hash: str
    hash: str

    @property
    def who(self) -> str:
        return f"{self.inspector} ({self.os_user})" if self.inspector else self.os_user


def _digest(row: Mapping[str, Any]) -> str:
    """The hash of a stored row: its columns (old/new as their stored JSON text) and prev_hash."""
    fields = {key: row[key] for key in _COLUMNS.split(", ") if key != "hash"}
    return hashlib.sha256(canonical_json(fields).encode("utf-8", "surrogatepass")).hexdigest()


def _entry(row: Mapping[str, Any]) -> Entry:
    return Entry(
        seq=row["seq"],
        at=row["at"],
        os_user=row["os_user"],
        inspector=row["inspector"],
        photo=row["photo"],
        answer=row["answer"],
        action=row["action"],
        box=row["box"],
        ref=row["ref"],
        old=json.loads(row["old"]),
        new=json.loads(row["new"]),
        reason=row["reason"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


Problem = Literal["edited", "deleted", "moved"]


@dataclass(frozen=True, slots=True)
class Check:
    """What `verify` found: intact, or the first bad entry, what happened to it, and in words."""

    entries: int
    last_hash: str
    bad_seq: int | None = None
    problem: Problem | None = None
    message: str = ""

    @property
    def intact(self) -> bool:
        return self.problem is None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditTrail:
    """The trail of one output folder. Thread-safe; other processes may write the journal meanwhile."""

    def __init__(self, out_dir: Path, *, read_only: bool = False) -> None:
        path = Path(out_dir) / JOURNAL_NAME
        if not path.exists():
            raise FileNotFoundError(f"{out_dir}: not a run's output folder (no {JOURNAL_NAME})")
        self._lock = threading.Lock()
        if read_only:
            self._db = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False
            )
        else:
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # this connection only: an entry survives a power cut
            self._db.executescript(_SCHEMA)
        self._db.row_factory = sqlite3.Row
        self.read_only = read_only

    def _has_trail(self) -> bool:
        row = self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='audit'").fetchone()
        return row is not None

    def append(
        self,
        *,
        photo: str,
        answer: str,
        action: str,
        old: Any,
        new: Any,
        os_user: str | None = None,
        inspector: str | None = None,
        box: str | None = None,
        ref: int | None = None,
        reason: str | None = None,
    ) -> Entry:
        """Add one entry, committed before this returns."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the last hash and the new entry, one writer at a time
            try:
                head = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                row: dict[str, Any] = {
                    "seq": head["seq"] + 1 if head else 1,
                    "at": utc_now(),
                    "os_user": os_user or getpass.getuser(),
                    "inspector": inspector or None,
                    "photo": photo,
                    "answer": answer,
                    "action": action,
                    "box": box,
                    "ref": ref,
                    "old": canonical_json(old),
                    "new": canonical_json(new),
                    "reason": reason,
                    "prev_hash": head["hash"] if head else GENESIS,
                }
                row["hash"] = _digest(row)
                self._db.execute(
                    f"INSERT INTO audit({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                    [row[key] for key in _COLUMNS.split(", ")],
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO audit_head(one, seq, hash) VALUES (1, ?, ?)",
                    (row["seq"], row["hash"]),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return _entry(row)

    def entries(self, photo: str | None = None, answer: str | None = None) -> Iterator[Entry]:
        """The entries in order: all, or one photo's, or one photo's for one answer."""
        with self._lock:
            if not self._has_trail():
                return
            query, params = f"SELECT {_COLUMNS} FROM audit", []
            if photo is not None:
                query += " WHERE photo = ?" + (" AND answer = ?" if answer is not None else "")
                params = [photo] if answer is None else [photo, answer]
            rows = self._db.execute(query + " ORDER BY seq", params).fetchall()
        for row in rows:
            yield _entry(row)

    def answer_of(self, photo: str) -> str | None:
        """The answer the photo now shows: its `job_key` in the engine's `photos` table."""
        with self._lock:
            row = self._db.execute("SELECT job_key FROM photos WHERE rel = ?", (photo,)).fetchone()
        return None if row is None else str(row[0])

    def record_of(self, answer: str) -> dict[str, Any] | None:
        """The model's answer as the engine saved it (without `image`), or None."""
        with self._lock:
            row = self._db.execute("SELECT record FROM results WHERE job_key = ?", (answer,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def current_entries(self, photos: Sequence[str] | None = None) -> dict[str, list[Entry]]:
        """Every photo's entries (or those of `photos` only) for the answer it now shows, keyed by
        photo (for summaries and uploads)."""
        query = (
            f"SELECT {', '.join('a.' + c for c in _COLUMNS.split(', '))} FROM audit a "
            "JOIN photos p ON p.rel = a.photo AND p.job_key = a.answer"
        )
        with self._lock:
            if not self._has_trail():
                return {}
            if photos is None:
                rows = self._db.execute(query + " ORDER BY a.seq").fetchall()
            else:
                rows = []
                wanted = list(dict.fromkeys(photos))
                for start in range(0, len(wanted), 500):  # SQLite's bound on parameters
                    chunk = wanted[start : start + 500]
                    rows += self._db.execute(
                        query + f" WHERE a.photo IN ({', '.join('?' * len(chunk))}) ORDER BY a.seq", chunk
                    ).fetchall()
        found: dict[str, list[Entry]] = {}
        for row in rows:
            found.setdefault(row["photo"], []).append(_entry(row))
        return found

    def verify(self) -> Check:
        """Whether the trail is as it was written; else the first bad entry and what was done to it."""
        with self._lock:
            if not self._has_trail():
                return Check(0, GENESIS)
            rows = [dict(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY seq")]
            head = self._db.execute("SELECT seq, hash FROM audit_head").fetchone()
        return _check(rows, (head["seq"], head["hash"]) if head else None)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def current_entries(out_dir: Path, photos: Sequence[str] | None = None) -> dict[str, list[Entry]]:
    """Every photo's entries (or those of `photos`) for the answer it shows now, read only (writing
    outputs or opening a folder never creates the trail); {} when the folder has no journal yet."""
    try:
        trail = AuditTrail(out_dir, read_only=True)
    except FileNotFoundError:
        return {}
    try:
        return trail.current_entries(photos)
    finally:
        trail.close()


def _check(rows: list[dict[str, Any]], head: tuple[int, str] | None) -> Check:
    by_hash = {row["hash"]: row for row in rows}
    expected_seq, prev_hash = 1, GENESIS
    for row in rows:
        seq = row["seq"]
        if _digest(row) != row["hash"]:
            moved_from = _moved_from(row, by_hash)
            if moved_from is not None:
                return Check(
                    len(rows),
                    prev_hash,
                    seq,
                    "moved",
                    f"entry #{seq} was moved: it was written as #{moved_from}",
                )
            return Check(
                len(rows), prev_hash, seq, "edited", f"entry #{seq} was edited: it no longer matches its hash"
            )
        if seq != expected_seq:
            moved_to = next(
                (r["seq"] for r in rows if _digest({**r, "seq": expected_seq}) == r["hash"]), None
            )
            if moved_to is not None:
                return Check(
                    len(rows),
                    prev_hash,
                    expected_seq,
                    "moved",
                    f"entry #{expected_seq} was moved: it is now #{moved_to}",
                )
            missing = _missing(expected_seq, seq - 1)
            return Check(len(rows), prev_hash, expected_seq, "deleted", f"{missing} deleted (before #{seq})")
        if row["prev_hash"] != prev_hash:
            if row["prev_hash"] in by_hash:
                return Check(
                    len(rows),
                    prev_hash,
                    seq,
                    "moved",
                    f"entry #{seq} was moved: it followed #{by_hash[row['prev_hash']]['seq']} when written",
                )
            return Check(
                len(rows),
                prev_hash,
                seq - 1,
                "edited",
                f"entry #{seq - 1} was edited and re-hashed: #{seq} no longer links to it",
            )
        expected_seq, prev_hash = seq + 1, row["hash"]
    if head is not None:
        head_seq, head_hash = head
        if head_seq >= expected_seq:
            missing = _missing(expected_seq, head_seq)
            return Check(
                len(rows), prev_hash, expected_seq, "deleted", f"{missing} deleted (the end of the trail)"
            )
        if head_seq == expected_seq - 1 and head_hash != prev_hash:
            return Check(
                len(rows),
                prev_hash,
                head_seq,
                "edited",
                f"entry #{head_seq} was edited and re-hashed (the last entry)",
            )
    elif rows:
        return Check(len(rows), prev_hash, rows[-1]["seq"], "deleted", "the trail's head record was deleted")
    return Check(len(rows), prev_hash)


def _missing(first: int, last: int) -> str:
    return f"entry #{first} was" if first == last else f"entries #{first}-#{last} were"


def _moved_from(row: Mapping[str, Any], by_hash: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The seq an unchanged entry was written under, when only its seq was changed."""
    before = by_hash.get(row["prev_hash"])
    original = before["seq"] + 1 if before is not None else (1 if row["prev_hash"] == GENESIS else None)
    if original is None or original == row["seq"]:
        return None
    return original if _digest({**row, "seq": original}) == row["hash"] else None
