"""The latency panel: p50/p90/p99 per one-second bucket, throughput, and the run's numbers.

The slots (`add_buckets`, `set_snapshot`) only store and mark dirty; one QTimer redraws at most
~16 times a second, and only when something changed, with `setData` on curves created once
(1 px pens, no antialiasing: the measured notes show antialiased or wide pens cost 10-100x).
x is the run's elapsed time, so points stay put between frames instead of sliding every tick;
the view shows the last ten minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401 - imported before pyqtgraph so its Qt shim picks PySide6
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from isaac_gui.core.stats import Bucket, Snapshot, format_duration, format_ms
from isaac_gui.qt.style import theme

WINDOW_S = 600  # the plot shows (and the panel keeps) the last ten minutes
FRAME_MS = 60  # ~16 redraws per second at most
GAP_S = 5  # a pause longer than this breaks the lines instead of joining across it
THROUGHPUT_SMOOTHING_S = 30  # images per hour over a sliding half-minute

_CURVES = ("p50", "p90", "p99")
_LIGHT_COLOURS = {"p50": "#2f6fde", "p90": "#d98a00", "p99": "#d2453b", "rate": "#2e8540"}
_DARK_COLOURS = {"p50": "#5b9bff", "p90": "#f2b33d", "p99": "#f0645a", "rate": "#5cb870"}


def curve_colours() -> dict[str, str]:
    return _DARK_COLOURS if theme.is_dark() else _LIGHT_COLOURS


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `value` (axis limits that read well)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power + 1e-9:
            return step * power
    return 10.0 * power


def y_ticks(top: float, *, few: bool = False) -> list[float]:
    """Ticks from 0 to `top` (a `nice_ceiling`) at round values: four or five, or with `few` two."""
    if top <= 0 or not math.isfinite(top):
        return [0.0]
    lead = top / 10.0 ** math.floor(math.log10(top))
    steps = 2 if few else 5 if lead in (2.5, 5.0) else 4
    return [top * i / steps for i in range(steps + 1)]


HEADROOM = 1.08  # the y range ends this much above the top tick, so its label is not cut off


def format_rate(per_hour: float | None) -> str:
    if per_hour is None or not math.isfinite(per_hour) or per_hour <= 0:
        return "–"
    if per_hour >= 10_000:
        return f"{per_hour / 1000:,.1f}k"
    return f"{per_hour:,.0f}"


class _ElapsedAxis(pg.AxisItem):  # type: ignore[misc]
    """m:ss of the run, ticked on whole minutes (or 10/15/30 s) rather than pyqtgraph's decimals."""

    STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N803
        span = max(maxVal - minVal, 1e-9)
        labels = max(size / 70.0, 2.0)  # a label needs about 70 px
        major = next((step for step in self.STEPS if span / step <= labels), self.STEPS[-1])
        return [(float(major), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            seconds = max(round(v), 0)
            hours, rest = divmod(seconds, 3600)
            minutes, secs = divmod(rest, 60)
            out.append(f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}")
        return out


def ms_labels(values: Sequence[float]) -> list[str]:
    """Milliseconds, written "250 ms" or "1.5 s" so the unit is on every tick."""
    if values and max(abs(v) for v in values) >= 1000:
        return [f"{v / 1000:g} s" if v else "0" for v in values]
    return [f"{v:g} ms" if v else "0" for v in values]


def count_labels(values: Sequence[float]) -> list[str]:
    return [f"{v / 1000:g}k" if abs(v) >= 1000 else f"{v:g}" for v in values]


class StatTile(QWidget):
    """A caption above a big number (and an optional small line under it)."""

    def __init__(self, caption: str, parent: QWidget | None = None, *, tip: str = "") -> None:
        super().__init__(parent)
        self._caption = caption.upper()
        self.caption = QLabel(self._caption, self)
        self.value = QLabel("–", self)
        self.detail = QLabel("", self)
        caption_font = QFont(self.font())
        caption_font.setPointSizeF(max(caption_font.pointSizeF() * 0.78, 7.0))
        caption_font.setWeight(QFont.Weight.DemiBold)
        caption_font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        self.caption.setFont(caption_font)
        value_font = QFont(self.font())
        value_font.setPointSizeF(value_font.pointSizeF() * 1.55)
        value_font.setWeight(QFont.Weight.DemiBold)
        self.value.setFont(value_font)
        detail_font = QFont(self.font())
        detail_font.setPointSizeF(max(detail_font.pointSizeF() * 0.85, 7.0))
        self.detail.setFont(detail_font)
        # The same height with and without text: a line appearing must not relayout the panel (the
        # plot below would be resized, which re-lays out every pyqtgraph item).
        self.detail.setFixedHeight(self.detail.fontMetrics().height())
        self.value.setFixedHeight(self.value.fontMetrics().height())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        if tip:
            self.setToolTip(tip)
        self._value_colour: str | None = None
        self.apply_colours()

    def set(self, value: str, detail: str | None = None, colour: str | None = None) -> None:
        if self.value.text() != value:
            self.value.setText(value)
        if detail is not None and self.detail.text() != detail:
            self.detail.setText(detail)
        if colour != self._value_colour:
            self._value_colour = colour
            self.apply_colours()

    def set_swatch(self, colour: str) -> None:
        """Show the colour of this number's line in the plot beside the caption (the plot's legend)."""
        self.caption.setText(f'<span style="color:{colour}">━━</span>&nbsp;{self._caption}')

    def apply_colours(self) -> None:
        c = theme.colours()
        self.caption.setStyleSheet(f"color: {c.text_muted};")
        self.detail.setStyleSheet(f"color: {c.text_muted};")
        self.value.setStyleSheet(f"color: {self._value_colour or c.text};")


class LatencyPanel(QWidget):
    """Live latency and throughput of a run; feed it buckets and snapshots from the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._buckets: dict[int, tuple[int, float, float, float]] = {}
        self._snapshot: Snapshot | None = None
        self._data_dirty = False
        self._numbers_dirty = False
        self._x_range: tuple[float, float] | None = None
        self._y_max: float | None = None
        self._rate_max: float | None = None
        self.redraw_count = 0  # how many redraws ran (tests and benchmarks)

        self._build_tiles()
        self._build_plots()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addWidget(self._tiles_box)
        layout.addWidget(self.plot_widget, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.timeout.connect(self._on_frame)
        self.reset()

    # --- building ----------------------------------------------------------------------------

    def _build_tiles(self) -> None:
        self._tiles_box = QFrame(self)
        grid = QGridLayout(self._tiles_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(8)
        self.tiles = {
            "p50": StatTile("p50", tip="Median latency of all answers in this run"),
            "p90": StatTile("p90", tip="90% of answers came faster than this"),
            "p99": StatTile("p99", tip="99% of answers came faster than this"),
            "rate": StatTile("Images / hour", tip="Photos finished per hour over the last minute"),
            "done": StatTile("Done", tip="Photos finished in this run (skipped ones count as done)"),
            "eta": StatTile("Time left", tip="At the current pace"),
            "retries": StatTile("Retries", tip="Requests sent again after a failure"),
            "rate_limited": StatTile("429s", tip="Times the API answered 429 Too Many Requests"),
        }
        # Room for the widest value each tile will show, so numbers never push each other around.
        widest = {"done": "88,888 / 88,888", "eta": "88:88:88", "rate": "88,888", "p99": "88.88 s"}
        for column, key in enumerate(self.tiles):
            tile = self.tiles[key]
            sample = widest.get(key, "888 ms" if key.startswith("p") else "8,888")
            tile.value.setMinimumWidth(tile.value.fontMetrics().horizontalAdvance(sample) + 4)
            grid.addWidget(tile, 0, column)
            grid.setColumnStretch(column, 2 if key == "done" else 1)

    def _build_plots(self) -> None:
        pg.setConfigOptions(antialias=False)
        self.plot_widget = pg.GraphicsLayoutWidget(self)
        self.plot_widget.setMinimumHeight(160)
        self.plot_widget.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.plot_widget.ci.layout.setVerticalSpacing(4)
        self.plot = self.plot_widget.addPlot(row=0, col=0, axisItems={"bottom": _ElapsedAxis("bottom")})
        self.rate_plot = self.plot_widget.addPlot(row=1, col=0, axisItems={"bottom": _ElapsedAxis("bottom")})
        self.rate_plot.setMaximumHeight(80)
        self.rate_plot.setXLink(self.plot)
        self.plot.getAxis("bottom").setStyle(showValues=False)
        for plot in (self.plot, self.rate_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.disableAutoRange()
            plot.getAxis("left").setWidth(52)
            # An axis (with its grid lines, the costliest thing to paint here) changes only when its
            # range does, about once a second for x: cached, a frame repaints just the curves.
            for side in ("left", "bottom"):
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Horizontal grid lines at the left axis' ticks, as one item per plot. pyqtgraph's own grid
        # (drawn by the axis) cost 40 ms of painting whenever the y range changed.
        self.grids: dict[str, pg.PlotCurveItem] = {}
        for key, plot in (("latency", self.plot), ("rate", self.rate_plot)):
            grid = pg.PlotCurveItem(antialias=False, connect="pairs")
            grid.setZValue(-10)
            plot.addItem(grid, ignoreBounds=True)
            self.grids[key] = grid
        # No legend in the plot: the tiles above carry each line's colour (scene items cost paint time).
        self.curves: dict[str, pg.PlotCurveItem] = {}
        for name in _CURVES:
            curve = pg.PlotCurveItem(antialias=False, connect="finite", skipFiniteCheck=False)
            self.plot.addItem(curve)
            self.curves[name] = curve
        self.rate_curve = pg.PlotCurveItem(antialias=False, connect="finite")
        self.rate_plot.addItem(self.rate_curve)
        self.empty_text = pg.TextItem("Waiting for the first answers…", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty_text, ignoreBounds=True)
        self._apply_colours()

    def _apply_colours(self) -> None:
        c = theme.colours()
        colours = curve_colours()
        self.plot_widget.setBackground(c.surface)
        for plot in (self.plot, self.rate_plot):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(c.border_strong, width=1))
                axis.setTextPen(pg.mkPen(c.text_muted))
        line = QColor(c.border_strong)
        line.setAlphaF(0.35)
        for grid in self.grids.values():
            grid.setPen(pg.mkPen(line, width=1))
        for name, curve in self.curves.items():
            curve.setPen(pg.mkPen(colours[name], width=1))
        self.rate_curve.setPen(pg.mkPen(colours["rate"], width=1))
        fill = QColor(colours["rate"])
        fill.setAlphaF(0.18)
        self.rate_curve.setFillLevel(0.0)
        self.rate_curve.setBrush(fill)
        self.empty_text.setColor(c.text_muted)
        for key in ("p50", "p90", "p99"):
            self.tiles[key].set(self.tiles[key].value.text(), colour=colours[key])
        for key in ("p50", "p90", "p99", "rate"):
            self.tiles[key].set_swatch(colours[key])
        for tile in self.tiles.values():
            tile.apply_colours()

    # --- the shell's API ---------------------------------------------------------------------

    def add_buckets(self, rows: Sequence[Bucket]) -> None:
        """Store rows (a row for a second already held replaces it); redrawn at the next frame."""
        if not rows:
            return
        for row in rows:
            self._buckets[row.second] = (row.count, row.p50, row.p90, row.p99)
        latest = max(self._buckets)
        if len(self._buckets) > WINDOW_S + 60:
            for second in [s for s in self._buckets if s < latest - WINDOW_S]:
                del self._buckets[second]
        self._data_dirty = True
        self._schedule()

    def set_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._numbers_dirty = True
        self._schedule()

    def reset(self) -> None:
        """Forget everything (a new run)."""
        self._buckets.clear()
        self._snapshot = None
        self._x_range = None
        self._y_max = None
        self._rate_max = None
        self._data_dirty = True
        self._numbers_dirty = True
        self._schedule()

    def redraw_now(self) -> None:
        """Apply whatever is pending to the plot items and numbers (what one frame costs)."""
        self.redraw_count += 1
        if self._data_dirty:
            self._data_dirty = False
            self._redraw_curves()
        if self._numbers_dirty:
            self._numbers_dirty = False
            self._redraw_numbers()

    def is_dirty(self) -> bool:
        return self._data_dirty or self._numbers_dirty

    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    # --- drawing -----------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._timer.isActive() and self.isVisible():
            self._timer.start()

    def _on_frame(self) -> None:
        if self.is_dirty():
            self.redraw_now()
        else:
            self._timer.stop()  # idle: no timer ticking until the next change

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What the curves should show: x (elapsed s) and y per curve, NaN breaking long gaps."""
        if not self._buckets:
            empty = np.empty(0)
            return {name: (empty, empty) for name in (*_CURVES, "rate")}
        seconds = np.fromiter(sorted(self._buckets), dtype=np.int64, count=len(self._buckets))
        latest = int(seconds[-1])
        seconds = seconds[seconds >= latest - WINDOW_S]
        values = np.array([self._buckets[int(s)] for s in seconds], dtype=np.float64)
        x = seconds.astype(np.float64)
        gaps = np.nonzero(np.diff(seconds) > GAP_S)[0]
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for column, name in enumerate(_CURVES, start=1):
            y = values[:, column]
            if gaps.size:
                out[name] = (np.insert(x, gaps + 1, np.nan), np.insert(y, gaps + 1, np.nan))
            else:
                out[name] = (x, y)
        # Throughput: answers per second on a dense timeline, smoothed, in images per hour.
        first = int(seconds[0])
        dense = np.zeros(latest - first + 1)
        dense[seconds - first] = values[:, 0]
        width = min(THROUGHPUT_SMOOTHING_S, dense.size)
        cumulative = np.concatenate(([0.0], np.cumsum(dense)))
        window = np.minimum(np.arange(1, dense.size + 1), width)
        rate = (
            (cumulative[1:] - cumulative[np.maximum(np.arange(1, dense.size + 1) - width, 0)]) / window * 3600
        )
        out["rate"] = (np.arange(first, latest + 1, dtype=np.float64), rate)
        return out

    def _redraw_curves(self) -> None:
        data = self.series()
        for name, curve in self.curves.items():
            x, y = data[name]
            curve.setData(x, y)
        rx, ry = data["rate"]
        self.rate_curve.setData(rx, ry)
        has_data = bool(self._buckets)
        self.empty_text.setVisible(not has_data)
        latest = float(max(self._buckets)) if has_data else 0.0
        x_range = (max(0.0, latest - WINDOW_S), max(latest, 60.0) + 1.0)
        regrid = x_range != self._x_range  # the grid lines span the x range and sit at the ticks
        if regrid:
            self._x_range = x_range
            self.plot.setXRange(*x_range, padding=0)
        p99 = data["p99"][1]
        peak = float(np.nanmax(p99)) if p99.size and np.isfinite(p99).any() else 0.0
        y_max = nice_ceiling(peak * 1.1) if peak > 0 else 1000.0
        if y_max != self._y_max:
            self._y_max = y_max
            self.plot.setYRange(0, y_max * HEADROOM, padding=0)
            self._set_ticks(self.plot, y_ticks(y_max), ms_labels)
            regrid = True
        rate_peak = float(ry.max()) if ry.size else 0.0
        rate_max = nice_ceiling(rate_peak * 1.1) if rate_peak > 0 else 100.0
        if rate_max != self._rate_max:
            self._rate_max = rate_max
            self.rate_plot.setYRange(0, rate_max * HEADROOM * 1.1, padding=0)
            self._set_ticks(self.rate_plot, y_ticks(rate_max, few=True), count_labels)
            regrid = True
        if regrid:
            self._grid_lines(self.grids["latency"], y_ticks(y_max))
            self._grid_lines(self.grids["rate"], y_ticks(rate_max, few=True))
        if not has_data:
            self.empty_text.setPos((x_range[0] + x_range[1]) / 2, y_max / 2)

    @staticmethod
    def _set_ticks(
        plot: pg.PlotItem, values: list[float], labels: Callable[[Sequence[float]], list[str]]
    ) -> None:
        plot.getAxis("left").setTicks([list(zip(values, labels(values), strict=True))])

    def _grid_lines(self, grid: pg.PlotCurveItem, values: list[float]) -> None:
        """A line across the shown x range at each tick but 0 (the x axis is that one)."""
        x0, x1 = self._x_range or (0.0, 60.0)
        lines = [v for v in values if v > 0]
        grid.setData(np.tile([x0, x1], len(lines)), np.repeat(lines, 2))

    def _redraw_numbers(self) -> None:
        s = self._snapshot
        colours = curve_colours()
        c = theme.colours()
        if s is None:
            for key, tile in self.tiles.items():
                tile.set("–", "", colours.get(key))
            return
        self.tiles["p50"].set(format_ms(s.p50_ms), "", colours["p50"])
        self.tiles["p90"].set(format_ms(s.p90_ms), "", colours["p90"])
        self.tiles["p99"].set(format_ms(s.p99_ms), "", colours["p99"])
        overall = f"{format_rate(s.overall_per_hour)} on average" if s.overall_per_hour > 0 else ""
        self.tiles["rate"].set(format_rate(s.images_per_hour), overall)
        finished = s.finished
        if s.total:
            percent = 100.0 * finished / s.total
            done = f"{finished:,} / {s.total:,}"
            detail = f"{percent:.0f}%"
        else:
            done = f"{finished:,}"
            detail = "counting photos…" if s.total is None else ""
        if s.errors:
            detail = f"{detail}  ·  {s.errors:,} failed" if detail else f"{s.errors:,} failed"
        self.tiles["done"].set(done, detail)
        finished_all = s.total is not None and finished >= s.total
        self.tiles["eta"].set(
            "done" if finished_all else format_duration(s.eta_s), f"{format_duration(s.elapsed_s)} elapsed"
        )
        self.tiles["retries"].set(f"{s.retries:,}", "")
        self.tiles["rate_limited"].set(
            f"{s.rate_limited:,}",
            "rate limited" if s.rate_limited else "",
            c.warning if s.rate_limited else None,
        )

    # --- Qt events ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.is_dirty():
            self._timer.start()

    def hideEvent(self, event: QEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)
