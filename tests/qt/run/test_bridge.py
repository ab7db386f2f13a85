"""The bridge: worker threads post, the GUI thread gets typed, coalesced signals in short batches."""

from __future__ import annotations

import threading
from typing import Any

from isaac_gui.core.events import (
    PhotoFinished,
    PhotoQueued,
    PhotoStarted,
    RunFinished,
    ScanProblem,
    StatsTick,
)
from isaac_gui.core.stats import RunStats
from isaac_gui.qt.photos.model import PhotoState
from isaac_gui.qt.run.bridge import EventBridge


def test_events_from_many_threads_arrive_coalesced_per_photo(qtbot: Any) -> None:
    bridge = EventBridge()
    updates: list[list[Any]] = []
    bridge.photosUpdated.connect(updates.append)
    record = {"status": "ok", "width": 10, "height": 10, "detections": []}

    def work(n: int) -> None:
        for i in range(200):
            rel = f"t{n}/p{i}.jpg"
            bridge.post(PhotoQueued(rel, i))
            bridge.post(PhotoStarted(rel))
            bridge.post(PhotoFinished(rel, i, {"image": rel, **record}))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(
        lambda: (
            sum(len(batch) for batch in updates) >= 800 or len({u.rel for b in updates for u in b}) == 800
        ),
        timeout=5000,
    )
    latest: dict[str, Any] = {}
    for batch in updates:
        assert len({u.rel for u in batch}) == len(batch)  # one entry per photo per batch
        for update in batch:
            latest[update.rel] = update
    assert len(latest) == 800
    assert all(u.state is PhotoState.OK for u in latest.values())
    assert len(updates) < 800  # batched, not one signal per event
    bridge.close()


def test_stats_keep_only_the_latest_and_run_events_follow_photos(qtbot: Any) -> None:
    bridge = EventBridge()
    ticks: list[Any] = []
    order: list[str] = []
    bridge.statsTick.connect(ticks.append)
    bridge.photosUpdated.connect(lambda _u: order.append("photos"))
    bridge.runFinished.connect(lambda outcome, message, snapshot, kind: order.append(outcome))
    problems: list[Any] = []
    bridge.scanProblems.connect(problems.extend)
    stats = RunStats()
    snapshots = [stats.snapshot() for _ in range(5)]
    for s in snapshots:
        bridge.post(StatsTick(s))
    bridge.post(ScanProblem(__import__("pathlib").Path("x"), "is a broken link"))
    bridge.post(PhotoStarted("a.jpg"))
    bridge.post(RunFinished("completed", "done", snapshots[-1]))
    with qtbot.waitSignal(bridge.runFinished, timeout=5000):
        pass
    assert ticks[0] is snapshots[-1]
    assert order == ["photos", "completed"]
    assert len(problems) == 1
    bridge.close()


def test_closed_bridge_ignores_late_events(qtbot: Any) -> None:
    bridge = EventBridge()
    seen: list[Any] = []
    bridge.photosUpdated.connect(seen.append)
    bridge.close()
    bridge.post(PhotoStarted("late.jpg"))
    with qtbot.assertNotEmitted(bridge.photosUpdated, wait=100):
        pass
    assert not seen
