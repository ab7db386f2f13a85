"""A run's `results.jsonl` and `summary.json`, rebuilt from its journal (streamed, a record at a time)
and swapped in atomically: by the engine at the end of a run (`write_outputs`), and again whenever
review decisions change them (`rebuild_outputs`, which the window calls after a batch of decisions
and `isaac-gui export` before exporting). No SDK here: the window's process imports this.

Photos the inspector worked on are written as corrected records (`core.review.outputs`); summary.json
adds the rule set in force, the pass / fail / hold counts and the per-class agreement table.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from isaac_gui.core.files import atomic_writer, write_atomic
from isaac_gui.core.journal import Journal
from isaac_gui.core.review.outputs import ReviewedOutputs
from isaac_gui.core.review.rules import DEFAULT_RULES, RuleSet
from isaac_gui.core.stats import Snapshot

RESULTS_NAME = "results.jsonl"
SUMMARY_NAME = "summary.json"
# What only the run itself knows (its outcome, timings, counters); a rebuild keeps them as written.
_RUN_FIGURES = ("outcome", "wall_time_s", "images_per_hour", "retries", "rate_limited", "this_session")
_NO_SESSION = Snapshot(0.0, None, 0, 0, 0, 0, 0, 0, 0, None, None, None, 0.0, 0.0, None)


def _run_figures(snapshot: Snapshot, outcome: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "wall_time_s": round(snapshot.elapsed_s, 3),
        "images_per_hour": round(snapshot.overall_per_hour, 1),
        "retries": snapshot.retries,
        "rate_limited": snapshot.rate_limited,
        "this_session": asdict(snapshot),
    }


def write_outputs(
    journal: Journal, out_dir: Path, snapshot: Snapshot, outcome: str, rules: RuleSet = DEFAULT_RULES
) -> dict[str, Any]:
    """results.jsonl and summary.json for the journal's latest run. Returns the summary."""
    return _write(journal, out_dir, rules, _run_figures(snapshot, outcome))


def rebuild_outputs(out_dir: Path, rules: RuleSet) -> dict[str, Any]:
    """results.jsonl and summary.json again, with the review as it is now; the run's own figures are
    kept from the summary.json the run wrote (the journal's outcome when there is none)."""
    out_dir = Path(out_dir)
    try:
        earlier = json.loads((out_dir / SUMMARY_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = None
    journal = Journal(out_dir)
    try:
        run = _run_figures(_NO_SESSION, journal.last_outcome() or "unknown")
        if isinstance(earlier, dict):
            run.update({key: earlier[key] for key in _RUN_FIGURES if key in earlier})
        return _write(journal, out_dir, rules, run)
    finally:
        journal.close()


def _write(journal: Journal, out_dir: Path, rules: RuleSet, run: dict[str, Any]) -> dict[str, Any]:
    latencies: list[float] = []
    errors_by_kind: dict[str, int] = {}
    images = ok = with_detections = 0
    review = ReviewedOutputs(out_dir, rules)
    with atomic_writer(out_dir / RESULTS_NAME) as fh:
        for record in review.records(journal.records()):
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            images += 1
            if record["status"] == "ok":
                ok += 1
                with_detections += bool(record.get("detections"))
            else:
                kind = record["error"]["kind"]
                errors_by_kind[kind] = errors_by_kind.get(kind, 0) + 1
            if record.get("latency_ms") is not None:
                latencies.append(float(record["latency_ms"]))
    p = np.percentile(np.asarray(latencies), (50, 90, 99)).tolist() if latencies else [None, None, None]
    summary = {
        "outcome": run["outcome"],
        "images": images,
        "ok": ok,
        "error": images - ok,
        "with_detections": with_detections,
        "errors_by_kind": errors_by_kind,
        "wall_time_s": run["wall_time_s"],
        "images_per_hour": run["images_per_hour"],
        "latency_ms": {
            name: None if v is None else round(v, 1) for name, v in zip(("p50", "p90", "p99"), p, strict=True)
        },
        "retries": run["retries"],
        "rate_limited": run["rate_limited"],
        "this_session": run["this_session"],
        **review.summary(),
    }
    write_atomic(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    return summary
