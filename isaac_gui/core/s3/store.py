"""The upload queue that survives a crash: one table in the run's journal file (`journal.sqlite`).

The uploader reaches it through its own SQLite connection (WAL, like the journal), so the runner's
connection is never shared or held up for longer than one short write. A row per object key:

    s3_uploads(dest, key, kind, rel, content_sha256, record, state, attempts, last_error,
               body_sha256, size, etag, updated_at)

`content_sha256` identifies what the object is made from (for a record, the sha256 of its body;
for an annotated photo, of the record together with the drawing settings), so the same content
is never uploaded twice. `record` holds the record's JSON while the upload is pending, so a
pending upload needs nothing else to be sent after a restart. `body_sha256`, `size` and `etag`
describe the bytes last stored under the key, which is what the manifest lists. `state` is
`pending`, `uploaded` or `failed` (a problem with this one object, retried once per session).
`dest` (endpoint and bucket) keeps the uploads to one bucket from counting for another.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS s3_uploads (
    dest TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    rel TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    record BLOB,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    body_sha256 TEXT,
    size INTEGER,
    etag TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (dest, key)
);
CREATE INDEX IF NOT EXISTS s3_uploads_state ON s3_uploads(dest, state);
"""

PENDING, UPLOADED, FAILED = "pending", "uploaded", "failed"


@dataclass(frozen=True, slots=True)
class Item:
    """One object to upload: `record` is the record's JSON (the body itself for kind "record")."""

    kind: str  # "record" or "annotated"
    rel: str
    key: str
    content_sha256: str
    record: bytes


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object as last uploaded: one entry of the manifest."""

    key: str
    kind: str
    rel: str
    size: int
    sha256: str
    etag: str
    current: bool  # False while a newer content of this key waits to be uploaded


class UploadStore:
    """Thread-safe access to the upload table of one output folder, for one destination and run."""

    def __init__(self, path: Path, destination: str, base: str) -> None:
        self.path = Path(path)
        self._dest = destination
        self._prefix = base + "/"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.ProgrammingError("the upload store is closed")
        return self._db

    @property
    def closed(self) -> bool:
        return self._db is None

    def _mine(self) -> tuple[str, int, str]:
        """Bindings for `dest = ? AND substr(key, 1, ?) = ?`: this destination, this run's keys."""
        return self._dest, len(self._prefix), self._prefix

    # -- the journal's own tables, read only ----------------------------------------------
    def latest_run(self) -> int | None:
        """The journal's latest run id, or None before any run (or before the journal exists)."""
        with self._lock:
            try:
                row = self._conn().execute("SELECT max(id) FROM runs").fetchone()
            except sqlite3.OperationalError:  # no runs table yet
                return None
        return int(row[0]) if row and row[0] is not None else None

    def meta(self, key: str) -> str | None:
        with self._lock:
            try:
                row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:
                return None
        return str(row[0]) if row else None

    # -- queueing ---------------------------------------------------------------------------
    def admit(self, items: Iterable[Item]) -> list[str]:
        """Record that these objects should hold these contents; one transaction for all of them.

        Returns, per item: "queued" (to upload), "uploaded" (this content is already there) or
        "failed" (this content already failed in this session).
        """
        outcomes: list[str] = []
        now = time.time()
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")  # the write lock first: a read upgraded later can fail at once
            try:
                for item in items:
                    row = db.execute(
                        "SELECT content_sha256, state FROM s3_uploads WHERE dest = ? AND key = ?",
                        (self._dest, item.key),
                    ).fetchone()
                    if row is not None and row[0] == item.content_sha256:
                        outcomes.append("queued" if row[1] == PENDING else str(row[1]))
                        continue
                    db.execute(
                        "INSERT INTO s3_uploads(dest, key, kind, rel, content_sha256, record, state, attempts, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) "
                        "ON CONFLICT(dest, key) DO UPDATE SET kind = excluded.kind, rel = excluded.rel, "
                        "content_sha256 = excluded.content_sha256, record = excluded.record, "
                        "state = excluded.state, attempts = 0, last_error = NULL, updated_at = excluded.updated_at",
                        (
                            self._dest,
                            item.key,
                            item.kind,
                            item.rel,
                            item.content_sha256,
                            item.record,
                            PENDING,
                            now,
                        ),
                    )
                    outcomes.append("queued")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return outcomes

    def unfinished(self) -> list[str]:
        """Keys of this run still to upload, oldest first; failures of earlier sessions get another try."""
        with self._lock:
            db = self._conn()
            db.execute(
                "UPDATE s3_uploads SET state = ? WHERE dest = ? AND substr(key, 1, ?) = ? AND state = ?",
                (PENDING, *self._mine(), FAILED),
            )
            rows = db.execute(
                "SELECT key FROM s3_uploads WHERE dest = ? AND substr(key, 1, ?) = ? AND state = ? "
                "ORDER BY updated_at, key",
                (*self._mine(), PENDING),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def pending(self, key: str) -> Item | None:
        """The item to upload under `key`, or None when it has nothing pending."""
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT kind, rel, content_sha256, record FROM s3_uploads "
                    "WHERE dest = ? AND key = ? AND state = ? AND record IS NOT NULL",
                    (self._dest, key, PENDING),
                )
                .fetchone()
            )
        return Item(str(row[0]), str(row[1]), key, str(row[2]), bytes(row[3])) if row else None

    # -- outcomes ---------------------------------------------------------------------------
    def mark_uploaded(self, item: Item, body_sha256: str, size: int, etag: str) -> None:
        """`item` is stored; it is done unless a newer content of its key arrived meanwhile."""
        with self._lock:
            self._conn().execute(
                "UPDATE s3_uploads SET body_sha256 = ?, size = ?, etag = ?, attempts = attempts + 1, "
                "last_error = NULL, updated_at = ?, "
                "state = CASE WHEN content_sha256 = ? THEN ? ELSE state END, "
                "record = CASE WHEN content_sha256 = ? THEN NULL ELSE record END "
                "WHERE dest = ? AND key = ?",
                (
                    body_sha256,
                    size,
                    etag,
                    time.time(),
                    item.content_sha256,
                    UPLOADED,
                    item.content_sha256,
                    self._dest,
                    item.key,
                ),
            )

    def mark_attempt(self, item: Item, error: str, *, failed: bool = False) -> None:
        """One more unsuccessful attempt; `failed` gives up on this content for this session."""
        with self._lock:
            self._conn().execute(
                "UPDATE s3_uploads SET attempts = attempts + 1, last_error = ?, updated_at = ?, "
                "state = CASE WHEN ? THEN ? ELSE state END "
                "WHERE dest = ? AND key = ? AND content_sha256 = ?",
                (error, time.time(), failed, FAILED, self._dest, item.key, item.content_sha256),
            )

    # -- reporting --------------------------------------------------------------------------
    def stored_objects(self) -> list[StoredObject]:
        """Every object of this run uploaded at least once, by key."""
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT key, kind, rel, size, body_sha256, etag, state FROM s3_uploads "
                    "WHERE dest = ? AND substr(key, 1, ?) = ? AND body_sha256 IS NOT NULL ORDER BY key",
                    self._mine(),
                )
                .fetchall()
            )
        return [
            StoredObject(str(k), str(kind), str(rel), int(size), str(sha), str(etag), state == UPLOADED)
            for k, kind, rel, size, sha, etag, state in rows
        ]

    def count(self, state: str) -> int:
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT count(*) FROM s3_uploads WHERE dest = ? AND substr(key, 1, ?) = ? AND state = ?",
                    (*self._mine(), state),
                )
                .fetchone()
            )
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
