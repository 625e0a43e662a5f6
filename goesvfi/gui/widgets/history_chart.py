"""A small painted chart of the history: duration per kind over time, and each kind's success rate.

Drawn with QPainter (no plotting dependency, nothing to load when the tab opens). Left: one
coloured line of points per kind, start time across, duration up (failed runs drawn hollow).
Right: one bar per kind, the share of finished operations that succeeded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MARGIN = 48


class HistoryChart(QWidget):
    """``set_data(points, metrics)``: points are (kind, start epoch, duration s, status)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyChart")
        self.setAccessibleName("Duration per kind over time and success rate")
        self.setToolTip("Duration of each operation over time, by kind (hollow: failed), and each kind's "
                        "success rate")  # fmt: skip
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.points: list[tuple[str, float, float, str]] = []
        self.rates: list[tuple[str, float | None]] = []

    def set_data(self, points: list[tuple[str, float, float, str]], metrics: list[dict[str, Any]]) -> None:
        self.points = list(points)
        self.rates = [(m["kind"], m.get("success_rate")) for m in metrics]
        self.update()

    def colour(self, kind: str) -> QColor:
        kinds = sorted({k for k, *_ in self.points} | {k for k, _ in self.rates})
        return QColor(PALETTE[kinds.index(kind) % len(PALETTE)] if kind in kinds else "#777777")

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        width = self.width()
        split = int(width * 0.7)
        self._paint_durations(painter, QRectF(MARGIN, 8, split - MARGIN - 8, self.height() - MARGIN - 8))
        self._paint_rates(painter, QRectF(split + 8, 8, width - split - 16, self.height() - MARGIN - 8))
        painter.end()

    def _paint_durations(self, painter: QPainter, area: QRectF) -> None:
        painter.setPen(self.palette().text().color())
        painter.drawRect(area)
        painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 16),
                         Qt.AlignmentFlag.AlignCenter, "duration per kind over time")  # fmt: skip
        if not self.points:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "no finished operations")
            return
        t0 = min(p[1] for p in self.points)
        t1 = max(p[1] for p in self.points)
        top = max(p[2] for p in self.points) or 1.0
        painter.drawText(QRectF(0, area.top(), MARGIN - 4, 14), Qt.AlignmentFlag.AlignRight, f"{top:.3g} s")
        painter.drawText(QRectF(0, area.bottom() - 14, MARGIN - 4, 14), Qt.AlignmentFlag.AlignRight, "0 s")
        for when, align in ((t0, Qt.AlignmentFlag.AlignLeft), (t1, Qt.AlignmentFlag.AlignRight)):
            stamp = datetime.fromtimestamp(when, UTC).strftime("%m-%d %H:%M:%S")
            painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 16), align, stamp)

        def place(start: float, seconds: float) -> QPointF:
            x = area.left() + (0.5 if t1 == t0 else (start - t0) / (t1 - t0)) * area.width()
            return QPointF(x, area.bottom() - seconds / top * area.height())

        by_kind: dict[str, list[tuple[QPointF, str]]] = {}
        for kind, start, seconds, status in self.points:
            by_kind.setdefault(kind, []).append((place(start, seconds), status))
        for kind, placed in by_kind.items():
            colour = self.colour(kind)
            painter.setPen(QPen(colour, 1.5))
            for (a, _), (b, _) in pairwise(placed):
                painter.drawLine(a, b)
            for point, status in placed:
                painter.setBrush(Qt.BrushStyle.NoBrush if status != "ok" else colour)
                painter.drawEllipse(point, 3.0, 3.0)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_rates(self, painter: QPainter, area: QRectF) -> None:
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 16),
                         Qt.AlignmentFlag.AlignCenter, "success rate")  # fmt: skip
        if not self.rates:
            return
        slot = area.width() / len(self.rates)
        for index, (kind, rate) in enumerate(self.rates):
            left = area.left() + index * slot
            height = (rate or 0.0) * (area.height() - 16)
            bar = QRectF(left + slot * 0.15, area.bottom() - height, slot * 0.7, height)
            painter.fillRect(bar, self.colour(kind))
            painter.setPen(self.palette().text().color())
            label = f"{kind} {rate:.0%}" if rate is not None else f"{kind} –"
            painter.drawText(QRectF(left, area.top(), slot, 14), Qt.AlignmentFlag.AlignCenter, label)
