"""The mailbox: any thread posts, the GUI thread gets the items in order, in short slices."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from isaac_gui.qt.workers.mailbox import Mailbox


class _Emitter(QObject):
    value = Signal(object)


def test_ten_thousand_signal_emits_do_not_crash(qapp: Any) -> None:
    """Guards the PySide6 6.12 + Python 3.11 refcount bug (fatal after ~1,000 emits)."""
    emitter = _Emitter()
    seen = []
    emitter.value.connect(seen.append)
    for i in range(10_000):
        emitter.value.emit(None if i % 2 else True)
    assert len(seen) == 10_000


def test_a_flood_is_delivered_in_short_slices(qtbot: Any) -> None:
    """100,000 posts at once: delivered in order, in chunks, with the event loop running in between."""
    sizes: list[int] = []
    got: list[int] = []
    turns = [0]  # event-loop turns seen while the flood was being delivered

    def deliver(items: list[int]) -> None:
        sizes.append(len(items))
        got.extend(items)
        busy_until = time.perf_counter() + 0.0005  # real work per chunk: holds the GIL, as slots do
        while time.perf_counter() < busy_until:
            pass

    box = Mailbox(deliver, interval_ms=10, budget_ms=8, chunk=512)
    ticker = QTimer()
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1) if 0 < len(got) < 100_000 else None)
    ticker.start(0)
    thread = threading.Thread(target=lambda: [box.post(i) for i in range(100_000)])
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(got) == 100_000, timeout=20_000)
    ticker.stop()
    assert got == list(range(100_000))
    assert max(sizes) <= 512 and len(sizes) >= 100_000 // 512
    assert turns[0] > 0  # painting and input got their turns in the middle of the flood
    box.close()
    box.post(1)
    assert len(got) == 100_000
