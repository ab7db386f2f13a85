"""The review as the run's outputs carry it: a photo the inspector has worked on is written as its
`corrected_record` (kept boxes in `detections`, the model's own under `model_detections`, the
rejected ones under `rejected`, the verdict under `review`); every other photo as the model answered
it. Meanwhile the pass / fail / hold counts (the inspector's verdict, else the rules' proposal) and
the per-class agreement table are gathered, for summary.json.

Streamed: one record at a time, and only the reviewed photos' states are kept for the agreement
table, so a 100,000-photo run never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from isaac_gui.core.review.agreement import agreement
from isaac_gui.core.review.audit import Entry, current_entries
from isaac_gui.core.review.corrections import Review, corrected_record, fold
from isaac_gui.core.review.rules import RuleSet, rules_identity


def reviewed_record(record: Mapping[str, Any], entries: Sequence[Entry], rules: RuleSet) -> dict[str, Any]:
    """The record as results.jsonl and S3 carry it: corrected when the inspector worked on it."""
    return corrected_record(record, entries, rules) if entries else dict(record)


def reviewed_records(
    out_dir: Path, records: Iterable[tuple[str, Mapping[str, Any]]], rules: RuleSet
) -> list[tuple[str, dict[str, Any]]]:
    """A batch of (photo, record) as `reviewed_record` says, reading the trail for those photos only."""
    batch = list(records)
    entries = current_entries(Path(out_dir), [rel for rel, _record in batch]) if batch else {}
    return [(rel, reviewed_record(record, entries.get(rel, []), rules)) for rel, record in batch]


class ReviewedOutputs:
    """`records()` the lines of results.jsonl for `out_dir`'s records under `rules`, then `summary()`."""

    def __init__(self, out_dir: Path, rules: RuleSet) -> None:
        self.rules = rules
        self._entries = current_entries(Path(out_dir))
        self._verdicts = {"pass": 0, "fail": 0, "hold": 0, "undecided": 0}
        self._reviewed: list[Review] = []

    def records(self, records: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            entries = self._entries.get(str(record.get("image")), [])
            review = fold(record, entries, self.rules)
            verdict = review.verdict
            self._verdicts[verdict.verdict or verdict.proposed] += 1
            if review.reviewed:
                self._reviewed.append(review)
            else:
                self._verdicts["undecided"] += 1
            yield reviewed_record(record, entries, self.rules)

    def summary(self) -> dict[str, Any]:
        """What summary.json gains, over the records streamed so far: the rule set in force (file and
        hash), the verdict counts, and the agreement table of the reviewed photos."""
        return {
            "rules": rules_identity(self.rules),
            "verdicts": dict(self._verdicts),
            "agreement": {row.cls: row.to_json() for row in agreement(self._reviewed)},
        }
