"""A run's output files, rebuilt from the journal: results.jsonl and summary.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from isaac_gui.core.files import atomic_writer, write_atomic
from isaac_gui.core.journal import Journal
from isaac_gui.core.stats import Snapshot


def write_outputs(journal: Journal, out_dir: Path, snapshot: Snapshot, outcome: str) -> dict[str, Any]:
    """results.jsonl and summary.json, rebuilt from the journal (streamed, a record at a time) and
    swapped in atomically. Returns the summary."""
    latencies: list[float] = []
    errors_by_kind: dict[str, int] = {}
    images = ok = with_detections = 0
    target = out_dir / "results.jsonl"
    with atomic_writer(target) as fh:
        for record in journal.records():
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
        "outcome": outcome,
        "images": images,
        "ok": ok,
        "error": images - ok,
        "with_detections": with_detections,
        "errors_by_kind": errors_by_kind,
        "wall_time_s": round(snapshot.elapsed_s, 3),
        "images_per_hour": round(snapshot.overall_per_hour, 1),
        "latency_ms": {
            name: None if v is None else round(v, 1) for name, v in zip(("p50", "p90", "p99"), p, strict=True)
        },
        "retries": snapshot.retries,
        "rate_limited": snapshot.rate_limited,
        "this_session": asdict(snapshot),
    }
    write_atomic(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
