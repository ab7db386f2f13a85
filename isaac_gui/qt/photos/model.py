"""Every photo of the open folder as one list model row: compact Python, no item objects.

A row is a small slotted object (path relative to the folder, file size and mtime for the
thumbnail cache, state, boxes in pixels, error text). 100,000 rows cost ~25 MB. Rows arrive in
batches from the folder loader (a background scan, then the journal's earlier results) and are
updated in batches from the engine's events; each batch is one `dataChanged`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from isaac_gui.core.geometry import PixelBox, boxes_of
from isaac_gui.core.review.corrections import Review


class PhotoState(IntEnum):
    PENDING = 0  # found, not (yet) part of a run
    QUEUED = 1
    RUNNING = 2
    RETRYING = 3
    OK = 4
    ERROR = 5


@dataclass(frozen=True, slots=True)
class PhotoUpdate:
    """The latest thing known about one photo, as the GUI needs it."""

    rel: str
    state: PhotoState
    record: dict[str, Any] | None = None  # for OK and ERROR
    detail: str = ""  # the reason of a retry


Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the PhotoRow itself
REL_ROLE = Qt.ItemDataRole.UserRole + 2

STATE_WORDS = {
    PhotoState.PENDING: "not run",
    PhotoState.QUEUED: "queued",
    PhotoState.RUNNING: "running",
    PhotoState.RETRYING: "retrying",
    PhotoState.OK: "done",
    PhotoState.ERROR: "error",
}


@dataclass(slots=True, eq=False)
class PhotoRow:
    rel: str
    size: int = 0
    mtime_ns: int = 0
    state: PhotoState = PhotoState.PENDING
    width: int = 0  # the photo as displayed (upright, full size); 0 until a result says
    height: int = 0
    boxes: tuple[PixelBox, ...] = ()
    error_kind: str = ""
    error: str = ""  # an error's message, or the reason of the current retry
    latency_ms: float | None = None
    attempts: int = 0
    mentions: frozenset[str] = field(default_factory=frozenset)  # casefolded classes of its boxes
    verdict: str = ""  # the inspector's: pass, fail, hold, or "" while undecided
    overridden: bool = False  # the verdict differs from what the rules proposed
    rejected: tuple[PixelBox, ...] = ()  # boxes the inspector rejected (kept out of `boxes`)

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    def apply_record(self, record: dict[str, Any]) -> None:
        """Take a finished record (a line of results.jsonl) into the row."""
        ok = record.get("status") == "ok"
        self.state = PhotoState.OK if ok else PhotoState.ERROR
        self.width = int(record.get("width") or 0)
        self.height = int(record.get("height") or 0)
        boxes = boxes_of(record)
        self.boxes = tuple(boxes)
        self.mentions = frozenset(b.mention.casefold() for b in boxes)
        error = record.get("error") or {}
        self.error_kind = str(error.get("kind", "")) if not ok else ""
        self.error = str(error.get("message", "")) if not ok else ""
        latency = record.get("latency_ms")
        self.latency_ms = float(latency) if isinstance(latency, int | float) else None
        self.attempts = int(record.get("attempts") or 0)
        self.verdict, self.overridden, self.rejected = "", False, ()  # a new answer is not reviewed yet

    def apply_review(self, review: Review) -> None:
        """The inspector's corrections: `boxes` become the kept ones, and the verdict is theirs."""
        if self.state is not PhotoState.OK and self.state is not PhotoState.ERROR:
            return
        if self.state is PhotoState.OK:
            self.boxes = tuple(b.box for b in review.boxes if b.status != "rejected")
            self.rejected = tuple(b.box for b in review.boxes if b.status == "rejected")
            self.mentions = frozenset(b.mention.casefold() for b in self.boxes)
        self.verdict = review.verdict.verdict or ""
        self.overridden = review.verdict.overridden

    def take_result(self, other: PhotoRow) -> None:
        self.state, self.width, self.height = other.state, other.width, other.height
        self.boxes, self.mentions = other.boxes, other.mentions
        self.error_kind, self.error = other.error_kind, other.error
        self.latency_ms, self.attempts = other.latency_ms, other.attempts
        self.verdict, self.overridden, self.rejected = other.verdict, other.overridden, other.rejected

    def clear_result(self) -> None:
        self.state = PhotoState.PENDING
        self.boxes = ()
        self.mentions = frozenset()
        self.error_kind = self.error = ""
        self.latency_ms = None
        self.verdict, self.overridden, self.rejected = "", False, ()

    def record(self) -> dict[str, Any] | None:
        """A results.jsonl-style record of what the row knows, or None while it has no result."""
        if self.state not in (PhotoState.OK, PhotoState.ERROR):
            return None
        record: dict[str, Any] = {
            "image": self.rel,
            "status": "ok" if self.state is PhotoState.OK else "error",
            "width": self.width or None,
            "height": self.height or None,
            "detections": [box.to_record() for box in self.boxes],
            "latency_ms": self.latency_ms,
            "attempts": self.attempts,
        }
        if self.state is PhotoState.ERROR:
            record["error"] = {"kind": self.error_kind, "message": self.error}
        return record

    def describe(self) -> str:
        """The badge's words."""
        if self.state is PhotoState.OK:
            n = len(self.boxes)
            return "No defects" if n == 0 else f"{n} defect{'s' if n != 1 else ''}"
        return STATE_WORDS[self.state].capitalize() if self.state is not PhotoState.PENDING else ""


@dataclass(slots=True)
class Counts:
    total: int = 0
    defects: int = 0
    clean: int = 0
    errors: int = 0
    done: int = 0
    decided: int = 0  # photos with the inspector's verdict

    def add(self, row: PhotoRow, sign: int) -> None:
        if row.verdict:
            self.decided += sign
        if row.state is PhotoState.OK:
            self.done += sign
            if row.boxes:
                self.defects += sign
            else:
                self.clean += sign
        elif row.state is PhotoState.ERROR:
            self.done += sign
            self.errors += sign


class PhotoListModel(QAbstractListModel):
    """All photos of the open folder, in scan order."""

    countsChanged = Signal()
    rowsUpdated = Signal(object)  # sorted list of the row numbers an update batch changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        self._rows: list[PhotoRow] = []
        self._by_rel: dict[str, int] = {}
        self._early: dict[str, PhotoUpdate] = {}  # news of photos the scan has not delivered yet
        self.counts = Counts()

    # -- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role == REL_ROLE:
            return row.rel
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(row)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- reading ----------------------------------------------------------------------------
    def row_at(self, row: int) -> PhotoRow:
        return self._rows[row]

    def rows(self) -> Sequence[PhotoRow]:
        return self._rows

    def row_of(self, rel: str) -> int | None:
        return self._by_rel.get(rel)

    def path_of(self, row: PhotoRow) -> Path:
        assert self.root is not None
        return self.root / row.rel

    # -- writing (GUI thread) ---------------------------------------------------------------
    def clear(self, root: Path | None = None) -> None:
        self.beginResetModel()
        self.root = root
        self._rows = []
        self._by_rel = {}
        self._early = {}
        self.counts = Counts()
        self.endResetModel()
        self.countsChanged.emit()

    def append_rows(self, rows: Sequence[PhotoRow], index: dict[str, int] | None = None) -> None:
        """Add rows at the end. `index` (rel -> row number, built by the caller off the GUI thread for
        rows it knows to be new and to start at the current end) spares the per-row work here."""
        first = len(self._rows)
        if index is None or not rows or index.get(rows[0].rel) != first or len(index) != len(rows):
            rows = [r for r in rows if r.rel not in self._by_rel]
            index = {row.rel: i for i, row in enumerate(rows, first)}
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._by_rel.update(index)
        self._rows.extend(rows)
        if self._early:
            for row in rows:
                early = self._early.pop(row.rel, None)
                if early is not None:
                    _apply(row, early)
                    self.counts.add(row, +1)
        self.counts.total = len(self._rows)
        self.endInsertRows()
        self.countsChanged.emit()

    def apply_updates(self, updates: Iterable[PhotoUpdate]) -> None:
        changed: list[int] = []
        for update in updates:
            i = self._by_rel.get(update.rel)
            if i is None:
                self._early[update.rel] = update
                continue
            row = self._rows[i]
            self.counts.add(row, -1)
            _apply(row, update)
            self.counts.add(row, +1)
            changed.append(i)
        self._announce(changed)

    def apply_results(self, results: Iterable[PhotoRow]) -> None:
        """Earlier results (from the journal), already parsed into rows off the GUI thread."""
        changed: list[int] = []
        for result in results:
            i = self._by_rel.get(result.rel)
            if i is None:
                continue
            row = self._rows[i]
            self.counts.add(row, -1)
            row.take_result(result)
            self.counts.add(row, +1)
            changed.append(i)
        self._announce(changed)

    def apply_reviews(self, reviews: Iterable[tuple[str, Review]]) -> None:
        """The inspector's corrections and verdicts (from the review writer, or the trail on opening)."""
        changed: list[int] = []
        for rel, review in reviews:
            i = self._by_rel.get(rel)
            if i is None:
                continue
            row = self._rows[i]
            self.counts.add(row, -1)
            row.apply_review(review)
            self.counts.add(row, +1)
            changed.append(i)
        self._announce(changed)

    def reset_states(self, *, keep_results: bool, rels: set[str] | None = None) -> None:
        """Before a run: photos still in flight from a stopped run become "not run"; with
        `keep_results=False` (other classes or model) every earlier result is dropped too; with
        `rels` (a selection asked again) those photos' results too, and only theirs."""
        changed = []
        for i, row in enumerate(self._rows):
            if (
                row.state in (PhotoState.QUEUED, PhotoState.RUNNING, PhotoState.RETRYING)
                or (not keep_results and row.state is not PhotoState.PENDING)
                or (rels is not None and row.rel in rels and row.state is not PhotoState.PENDING)
            ):
                self.counts.add(row, -1)
                row.clear_result()
                changed.append(i)
        self._early.clear()
        self._announce(changed)

    def _announce(self, changed: list[int]) -> None:
        if not changed:
            return
        changed.sort()
        self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))
        self.rowsUpdated.emit(changed)
        self.countsChanged.emit()


def _apply(row: PhotoRow, update: PhotoUpdate) -> None:
    if update.record is not None:
        row.apply_record(update.record)
    elif update.state in (PhotoState.QUEUED, PhotoState.RUNNING, PhotoState.RETRYING, PhotoState.PENDING):
        row.state = update.state
        row.error = update.detail


def tooltip(row: PhotoRow) -> str:
    lines = [row.rel]
    if row.state is PhotoState.OK:
        lines.append(row.describe())
        if row.boxes:
            names: dict[str, int] = {}
            for box in row.boxes:
                names[box.mention] = names.get(box.mention, 0) + 1
            lines.append(", ".join(f"{n} × {m}" for m, n in names.items()))
        if row.latency_ms is not None:
            lines.append(f"answered in {row.latency_ms:.0f} ms")
        if row.rejected:
            lines.append(f"{len(row.rejected)} rejected by the inspector")
    elif row.state is PhotoState.ERROR:
        lines.append(f"Error: {row.error}")
    elif row.state is PhotoState.RETRYING:
        lines.append(f"Retrying: {row.error}")
    else:
        lines.append(STATE_WORDS[row.state].capitalize())
    if row.verdict:
        lines.append(f"Verdict: {row.verdict}{' (overridden)' if row.overridden else ''}")
    return "\n".join(lines)
