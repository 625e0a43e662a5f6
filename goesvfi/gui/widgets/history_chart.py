"""The history chart: duration per kind over time, and each kind's success rate, drawn with pyqtgraph.

pyqtgraph (and numpy with it) is imported when the chart is first shown, not when the window starts:
until then ``set_data`` only keeps the data. Left: one line of points per kind, start time across on
a date axis (UTC), duration in seconds up; failed runs are drawn hollow. Right: one bar per kind, the
percentage of finished operations that succeeded. A legend names the kinds; both plots share colours.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QShowEvent
from PyQt6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


class HistoryChart(QWidget):
    """``set_data(points, metrics)``: points are (kind, start epoch, duration s, status)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyChart")
        self.setAccessibleName("Duration per kind over time and success rate")
        self.setToolTip("Duration of each operation over time, by kind (hollow: failed), and each kind's "
                        "success rate")  # fmt: skip
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.points: list[tuple[str, float, float, str]] = []
        self.rates: list[tuple[str, float | None]] = []
        self.durations: Any = None  # pyqtgraph PlotWidgets and items, made on first show
        self.success: Any = None
        self.bars: Any = None
        self.series: dict[str, Any] = {}  # kind -> its PlotDataItem in the duration plot
        self.bar_labels: list[Any] = []  # the percentage above each bar
        self._box = QHBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)

    def set_data(self, points: list[tuple[str, float, float, str]], metrics: list[dict[str, Any]]) -> None:
        self.points = list(points)
        self.rates = [(m["kind"], m.get("success_rate")) for m in metrics]
        if self.durations is not None:
            self._draw()

    def colour(self, kind: str) -> str:
        kinds = sorted({k for k, *_ in self.points} | {k for k, _ in self.rates})
        return PALETTE[kinds.index(kind) % len(PALETTE)] if kind in kinds else "#777777"

    def showEvent(self, event: QShowEvent | None) -> None:
        super().showEvent(event)
        if self.durations is None:
            self._build()
            self._draw()

    def _build(self) -> None:
        import pyqtgraph as pg  # heavy (numpy): only once the tab is shown

        palette = self.palette()
        pg.setConfigOptions(antialias=True, background=palette.base().color(),
                            foreground=palette.text().color())  # fmt: skip
        self.durations = pg.PlotWidget(
            axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)}
        )
        self.durations.setObjectName("historyDurationChart")
        self.durations.setAccessibleName("Duration per kind over time")
        self.durations.setToolTip("Duration of each finished operation by start time (UTC), one line per "
                                  "kind; hollow points failed. Drag to pan, wheel to zoom")  # fmt: skip
        plot = self.durations.getPlotItem()
        plot.setLabel("left", "duration", units="s")
        plot.setLabel("bottom", "start (UTC)")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.addLegend(offset=(8, 8))
        self.success = pg.PlotWidget()
        self.success.setObjectName("historySuccessChart")
        self.success.setAccessibleName("Success rate per kind")
        self.success.setToolTip("Share of each kind's finished operations that succeeded, in percent")
        rates = self.success.getPlotItem()
        rates.setLabel("left", "success", units="%")
        rates.setYRange(0, 110, padding=0)
        rates.setMouseEnabled(x=False, y=False)
        rates.hideButtons()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        rates.addItem(self.bars)
        self._box.addWidget(self.durations, 7)
        self._box.addWidget(self.success, 3)

    def _draw(self) -> None:
        import pyqtgraph as pg  # already loaded by _build

        plot = self.durations.getPlotItem()
        for item in self.series.values():
            plot.removeItem(item)  # also drops its legend entry
        self.series = {}
        by_kind: dict[str, list[tuple[float, float, str]]] = {}
        for kind, start, seconds, status in self.points:
            by_kind.setdefault(kind, []).append((start, seconds, status))
        for kind, rows in sorted(by_kind.items()):
            colour = self.colour(kind)
            brushes = [pg.mkBrush(colour if status == "ok" else None) for _, _, status in rows]
            self.series[kind] = plot.plot([r[0] for r in rows], [r[1] for r in rows], name=kind,
                                          pen=pg.mkPen(colour, width=1.5), symbol="o", symbolSize=7,
                                          symbolPen=pg.mkPen(colour), symbolBrush=brushes)  # fmt: skip
        plot.enableAutoRange()
        heights = [0.0 if rate is None else rate * 100 for _, rate in self.rates]
        self.bars.setOpts(x=list(range(len(self.rates))), height=heights, width=0.6,
                          brushes=[pg.mkBrush(self.colour(kind)) for kind, _ in self.rates])  # fmt: skip
        rates = self.success.getPlotItem()
        rates.getAxis("bottom").setTicks([[(i, kind) for i, (kind, _) in enumerate(self.rates)]])
        for label in self.bar_labels:
            rates.removeItem(label)
        self.bar_labels = []
        text = self.palette().text().color()
        for i, ((_, rate), height) in enumerate(zip(self.rates, heights, strict=True)):
            label = pg.TextItem("–" if rate is None else f"{rate:.0%}", anchor=(0.5, 1.0), color=text)
            label.setPos(i, height)
            rates.addItem(label)
            self.bar_labels.append(label)
        rates.setXRange(-0.5, max(len(self.rates), 1) - 0.5, padding=0.05)
