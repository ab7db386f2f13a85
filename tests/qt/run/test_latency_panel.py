"""The latency panel: curves from buckets, big numbers from snapshots, redraws batched by a timer."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from isaac_gui.core.stats import Bucket, Snapshot
from isaac_gui.qt.run.latency_panel import HEADROOM, WINDOW_S, LatencyPanel, nice_ceiling, y_ticks

pytestmark = pytest.mark.usefixtures("in_the_app_theme")


def snapshot(**overrides: Any) -> Snapshot:
    values: dict[str, Any] = {
        "elapsed_s": 721.0,
        "total": 12_000,
        "done": 3_410,
        "ok": 3_390,
        "errors": 20,
        "skipped": 0,
        "in_flight": 16,
        "retries": 42,
        "rate_limited": 7,
        "p50_ms": 612.0,
        "p90_ms": 930.0,
        "p99_ms": 1480.0,
        "images_per_hour": 18_250.0,
        "overall_per_hour": 17_030.0,
        "eta_s": 1717.0,
    }
    values.update(overrides)
    return Snapshot(**values)


def buckets(seconds: range | list[int], base: float = 500.0) -> list[Bucket]:
    return [Bucket(s, 4, base + s, 1.5 * (base + s), 2 * (base + s)) for s in seconds]


@pytest.fixture
def panel(qtbot: Any) -> LatencyPanel:
    widget = LatencyPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 380)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_curves_show_p50_p90_p99_per_second(panel: LatencyPanel) -> None:
    rows = buckets(range(10, 70))
    panel.add_buckets(rows)
    panel.redraw_now()
    for name, attr in (("p50", "p50"), ("p90", "p90"), ("p99", "p99")):
        x, y = panel.curves[name].getData()
        assert list(x) == [float(r.second) for r in rows]
        assert list(y) == pytest.approx([getattr(r, attr) for r in rows])
    assert not panel.empty_text.isVisible()
    # y fits the slowest p99 with a round top tick (and room for its label); x shows at least a minute
    top = nice_ceiling(max(r.p99 for r in rows) * 1.1)
    (x0, x1), (y0, y1) = panel.plot.viewRange()
    assert y0 == 0 and y1 == pytest.approx(top * HEADROOM)
    assert x0 == 0 and x1 >= 60
    # the left axis is labelled at round values up to that top, and a grid line spans x at each
    ticks = panel.plot.getAxis("left")._tickLevels[0]
    assert [v for v, _label in ticks] == y_ticks(top) and ticks[-1][1] == "2 s"
    gx, gy = panel.grids["latency"].getData()
    assert list(gy) == [v for v in y_ticks(top) if v > 0 for _ in (0, 1)]
    assert set(gx) == {x0, x1}


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (1000, [0, 250, 500, 750, 1000]),
        (2000, [0, 500, 1000, 1500, 2000]),
        (2500, [0, 500, 1000, 1500, 2000, 2500]),
        (50, [0, 10, 20, 30, 40, 50]),
        (10, [0, 2.5, 5, 7.5, 10]),
    ],
)
def test_y_ticks_are_round_and_end_at_the_top(top: float, ticks: list[float]) -> None:
    assert y_ticks(top) == ticks
    assert y_ticks(top, few=True) == [0, top / 2, top]


def test_a_later_row_for_the_same_second_replaces_it(panel: LatencyPanel) -> None:
    panel.add_buckets([Bucket(5, 1, 100, 100, 100)])
    panel.add_buckets([Bucket(5, 3, 200, 300, 400)])
    panel.redraw_now()
    x, y = panel.curves["p99"].getData()
    assert list(x) == [5.0] and list(y) == [400.0]


def test_long_pauses_break_the_lines(panel: LatencyPanel) -> None:
    panel.add_buckets(buckets([1, 2, 3, 30, 31]))
    panel.redraw_now()
    x, y = panel.curves["p50"].getData()
    assert len(x) == 6 and math.isnan(x[3]) and math.isnan(y[3])


def test_only_the_last_ten_minutes_are_kept_and_shown(panel: LatencyPanel) -> None:
    panel.add_buckets(buckets(range(0, 2000)))
    panel.redraw_now()
    x, _ = panel.curves["p50"].getData()
    assert x[0] >= 1999 - WINDOW_S and x[-1] == 1999
    (x0, x1), _ = panel.plot.viewRange()
    assert x0 == pytest.approx(1999 - WINDOW_S) and x1 == pytest.approx(2000)


def test_throughput_is_images_per_hour(panel: LatencyPanel) -> None:
    panel.add_buckets([Bucket(s, 2, 100, 100, 100) for s in range(100)])
    panel.redraw_now()
    _, rate = panel.rate_curve.getData()
    assert rate[-1] == pytest.approx(2 * 3600)


def test_numbers_show_the_snapshot(panel: LatencyPanel) -> None:
    panel.set_snapshot(snapshot())
    panel.redraw_now()
    texts = {key: tile.value.text() for key, tile in panel.tiles.items()}
    assert texts == {
        "p50": "612 ms",
        "p90": "930 ms",
        "p99": "1.48 s",
        "rate": "18.2k",
        "done": "3,410 / 12,000",
        "eta": "28:37",
        "retries": "42",
        "rate_limited": "7",
    }
    assert panel.tiles["done"].detail.text() == "28%  ·  20 failed"
    assert panel.tiles["eta"].detail.text() == "12:01 elapsed"
    shoot(panel, "latency-panel", buckets(range(0, 600)))


def test_numbers_before_anything_is_known(panel: LatencyPanel) -> None:
    panel.set_snapshot(
        snapshot(
            total=None,
            done=0,
            ok=0,
            errors=0,
            p50_ms=None,
            p90_ms=None,
            p99_ms=None,
            eta_s=None,
            images_per_hour=0.0,
            overall_per_hour=0.0,
            retries=0,
            rate_limited=0,
        )
    )
    panel.redraw_now()
    assert panel.tiles["p50"].value.text() == "–"
    assert panel.tiles["done"].detail.text() == "counting photos…"
    assert panel.tiles["eta"].value.text() == "--:--"
    assert panel.tiles["rate"].value.text() == "–"


def test_reset_forgets_the_run(panel: LatencyPanel) -> None:
    panel.add_buckets(buckets(range(50)))
    panel.set_snapshot(snapshot())
    panel.redraw_now()
    panel.reset()
    panel.redraw_now()
    x, _ = panel.curves["p50"].getData()
    assert x is None or len(x) == 0
    assert panel.tiles["p50"].value.text() == "–"
    assert panel.empty_text.isVisible()


def test_a_thousand_updates_cost_a_few_redraws(qtbot: Any, panel: LatencyPanel) -> None:
    start = panel.redraw_count
    for second in range(1000):
        panel.add_buckets([Bucket(second, 3, 400, 600, 900)])
        panel.set_snapshot(snapshot(done=second))
    assert panel.redraw_count == start  # the slots only store
    qtbot.waitUntil(lambda: not panel.is_dirty(), timeout=2000)
    assert panel.redraw_count - start <= 3
    x, _ = panel.curves["p50"].getData()
    assert x[-1] == 999
    # and the timer goes quiet once there is nothing to draw
    qtbot.waitUntil(lambda: not panel._timer.isActive(), timeout=2000)


def test_hidden_panel_does_not_redraw_until_shown(qtbot: Any, panel: LatencyPanel) -> None:
    panel.hide()
    start = panel.redraw_count
    panel.add_buckets(buckets(range(5)))
    assert not panel._timer.isActive()
    panel.show()
    qtbot.waitUntil(lambda: panel.redraw_count > start, timeout=2000)


def test_one_redraw_of_600_points_is_cheap(qtbot: Any, panel: LatencyPanel) -> None:
    panel.add_buckets(buckets(range(600)))
    panel.redraw_now()
    times = []
    for _ in range(10):
        panel._data_dirty = True
        begun = time.perf_counter()
        panel.redraw_now()
        panel.plot_widget.grab()
        times.append(time.perf_counter() - begun)
    assert float(np.median(times)) < 0.25  # generous: shared CI machines; the report has the real figure


def shoot(panel: LatencyPanel, name: str, rows: list[Bucket]) -> None:
    folder = os.environ.get("ISAAC_GUI_SHOTS")
    if folder:
        panel.add_buckets(rows)
        panel.redraw_now()
        Path(folder).mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(Path(folder) / f"{name}.png"))
