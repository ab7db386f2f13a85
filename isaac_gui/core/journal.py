"""The run's journal: one SQLite file in the output folder, the single source of truth.

Written so that `kill -9` at any moment loses at most the requests in flight: WAL mode, one
transaction per finished image (synchronous=NORMAL survives a process crash; only a power cut can
lose the last commits). An image's work is identified by `job_key` = its content hash together
with the classes, model and preparation settings, so a rerun skips what is done, and a changed
photo (new hash) is detected again. Two identical photos share one request.
`results.jsonl` and `summary.json` are produced from here, never appended to, so nothing is ever
written twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_NAME = "journal.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS photos (
    rel TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    job_key TEXT NOT NULL,
    run_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS photos_job ON photos(job_key);
CREATE INDEX IF NOT EXISTS photos_run_seq ON photos(run_id, seq);
CREATE TABLE IF NOT EXISTS results (
    job_key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    retryable INTEGER NOT NULL,
    record TEXT NOT NULL,
    finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_sha ON results(json_extract(record, '$.sha256'));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    settings TEXT NOT NULL,
    outcome TEXT
);
"""


def job_key(sha256: str, model: str, classes: Sequence[str], preparation: str) -> str:
    """What identifies one piece of work: the same photo asked the same question the same way."""
    ident = json.dumps([sha256, model, list(classes), preparation], separators=(",", ":"))
    return hashlib.sha256(ident.encode()).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer the journal holds for a photo's content: the question (model, classes) is in the record."""

    job_key: str
    record: dict[str, Any]
    finished_at: float


@dataclass(frozen=True, slots=True)
class Known:
    """What the journal remembers of a path: its content hash, valid while size and mtime match."""

    sha256: str
    size: int
    mtime_ns: int


class Journal:
    """Thread-safe access to one output folder's journal."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.out_dir / JOURNAL_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
        self.run_id: int | None = None

    # -- runs -------------------------------------------------------------------------------
    def begin_run(self, settings: dict[str, Any]) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO runs(started_at, settings) VALUES (?, ?)", (time.time(), json.dumps(settings))
            )
            self.run_id = int(cur.lastrowid or 0)
            return self.run_id

    def end_run(self, outcome: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE id = ?",
                (time.time(), outcome, self.run_id),
            )

    def last_settings(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT settings FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def last_outcome(self) -> str | None:
        """How the latest run ended (None while it runs, or when there was none)."""
        with self._lock:
            row = self._db.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    # -- photos -----------------------------------------------------------------------------
    def known(self, rel: str) -> Known | None:
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, size, mtime_ns FROM photos WHERE rel = ?", (rel,)
            ).fetchone()
        return Known(row[0], row[1], row[2]) if row else None

    def see_photo(self, rel: str, seq: int, size: int, mtime_ns: int, sha256: str, key: str) -> None:
        """Record that this run found `rel` with this content, in scan position `seq`."""
        with self._lock:
            self._db.execute(
                "INSERT INTO photos(rel, seq, size, mtime_ns, sha256, job_key, run_id) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(rel) DO UPDATE SET seq=excluded.seq, size=excluded.size, "
                "mtime_ns=excluded.mtime_ns, sha256=excluded.sha256, job_key=excluded.job_key, "
                "run_id=excluded.run_id",
                (rel, seq, size, mtime_ns, sha256, key, self.run_id),
            )

    def carry_forward(self) -> None:
        """Every photo seen before belongs to this run too, with the answer it has: a run of a
        selection (`RunSettings.only`) then re-answers only its photos, and the run's records
        (results.jsonl) are still the whole folder."""
        with self._lock:
            self._db.execute("UPDATE photos SET run_id = ?", (self.run_id,))

    def seq_of(self, rel: str) -> int | None:
        """The photo's place in the folder's last full scan, or None for a photo never seen."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM photos WHERE rel = ?", (rel,)).fetchone()
        return None if row is None else int(row[0])

    def max_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT max(seq) FROM photos").fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    # -- results ----------------------------------------------------------------------------
    def answers(self, sha256: str) -> list[Answer]:
        """Every answer held for this content (each question asked of it), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_key, record, finished_at FROM results "
                "WHERE json_extract(record, '$.sha256') = ? ORDER BY finished_at",
                (sha256,),
            ).fetchall()
        return [Answer(row[0], json.loads(row[1]), float(row[2])) for row in rows]

    def result(self, key: str) -> tuple[str, bool, dict[str, Any]] | None:
        """(status, retryable, record) of a finished job, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, retryable, record FROM results WHERE job_key = ?", (key,)
            ).fetchone()
        return (row[0], bool(row[1]), json.loads(row[2])) if row else None

    def save_result(self, key: str, record: dict[str, Any], *, retryable: bool = False) -> None:
        """One finished image, committed at once. `record` has no `image` (paths come from `photos`)."""
        body = {k: v for k, v in record.items() if k != "image"}
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results(job_key, status, retryable, record, finished_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, body["status"], int(retryable), json.dumps(body), time.time()),
            )

    def records(self, run_id: int | None = None) -> Iterator[dict[str, Any]]:
        """Every finished image of a run (the latest by default), in scan order, with its path."""
        run = self.run_id if run_id is None else run_id
        if run is None:
            with self._lock:
                row = self._db.execute("SELECT max(id) FROM runs").fetchone()
            run = row[0] if row else None
        last_seq = -1
        while True:  # in pages, so a 100,000-photo run never sits in memory at once
            with self._lock:
                rows = self._db.execute(
                    "SELECT p.seq, p.rel, r.record FROM photos p JOIN results r ON r.job_key = p.job_key "
                    "WHERE p.run_id = ? AND p.seq > ? ORDER BY p.seq LIMIT 1000",
                    (run, last_seq),
                ).fetchall()
            if not rows:
                return
            for seq, rel, record in rows:
                last_seq = seq
                yield {"image": rel, **json.loads(record)}

    def close(self) -> None:
        with self._lock:
            self._db.close()
