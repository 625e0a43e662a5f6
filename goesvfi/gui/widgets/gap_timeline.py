"""The gap timeline: every expected slot of a scan as a coloured bar on a time axis.

Found, missing, duplicate, fetched and failed slots have their own colours. The wheel zooms around
the pointer (from about ten minutes to eight weeks across the widget), a drag pans, hovering shows
the slot under the pointer, a click selects it (``slotClicked``), and :meth:`next_gap` /
:meth:`previous_gap` (N and P, window actions) select the first slot of the next or previous gap.

The widget knows only times (seconds since the epoch) and status words, never the core's types.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime

from PyQt6.QtCore import QPoint, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PyQt6.QtWidgets import QSizePolicy, QToolTip, QWidget

COLOURS = {
    "found": QColor("#3a9d4a"),
    "missing": QColor("#d64541"),
    "duplicate": QColor("#e0a526"),
    "fetched": QColor("#2f7fd1"),
    "failed": QColor("#7d3c98"),
}
GAP_STATUSES = ("missing", "failed")
MIN_SPAN_S = 10 * 60.0
MAX_SPAN_S = 8 * 7 * 86400.0
ZOOM_STEP = 1.25  # per wheel notch


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


class GapTimeline(QWidget):
    slotClicked = pyqtSignal(int)  # index into the slots given to set_slots

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gapTimeline")
        self.setAccessibleName("Gap timeline")
        self.setToolTip(
            "Found, missing, duplicate and fetched slots; wheel zooms, drag pans, N/P next/previous gap"
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumHeight(48)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._times: list[float] = []
        self._statuses: list[str] = []
        self._step = 60.0
        self.view_start = 0.0
        self.view_end = 1.0
        self.selected = -1
        self._drag: tuple[float, float] | None = None  # press x, view start at press
        self._moved = False

    # -- data ------------------------------------------------------------------------------------

    def set_slots(self, times: list[float], statuses: list[str], step_s: float) -> None:
        """Replace the slots (sorted times in seconds, one status each) and show the whole range."""
        self._times, self._statuses = list(times), list(statuses)
        self._step = step_s if step_s > 0 else 60.0
        self.selected = -1
        self.show_all()

    def set_status(self, index: int, status: str) -> None:
        if 0 <= index < len(self._statuses):
            self._statuses[index] = status
            self.update()

    def show_all(self) -> None:
        if self._times:
            self.view_start = self._times[0] - self._step / 2
            self.view_end = self._times[-1] + self._step / 2
            if self.view_end - self.view_start < MIN_SPAN_S:
                middle = (self.view_start + self.view_end) / 2
                self.view_start, self.view_end = middle - MIN_SPAN_S / 2, middle + MIN_SPAN_S / 2
        self.update()

    @property
    def span_s(self) -> float:
        return self.view_end - self.view_start

    def gap_starts(self) -> list[int]:
        return [i for i, s in enumerate(self._statuses) if s in GAP_STATUSES
                and (i == 0 or self._statuses[i - 1] not in GAP_STATUSES)]  # fmt: skip

    # -- coordinates -----------------------------------------------------------------------------

    def x_of(self, seconds: float) -> float:
        return (seconds - self.view_start) / self.span_s * max(1, self.width())

    def time_at(self, x: float) -> float:
        return self.view_start + x / max(1, self.width()) * self.span_s

    def index_at(self, x: float) -> int:
        """The slot nearest to ``x`` (-1 when there are none)."""
        if not self._times:
            return -1
        moment = self.time_at(x)
        i = bisect_left(self._times, moment)
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self._times)]
        return min(candidates, key=lambda j: abs(self._times[j] - moment))

    # -- navigation ------------------------------------------------------------------------------

    def select(self, index: int) -> None:
        """Select slot ``index``, scroll it into view and emit ``slotClicked``."""
        if not 0 <= index < len(self._times):
            return
        self.selected = index
        moment = self._times[index]
        if not self.view_start <= moment <= self.view_end:
            half = self.span_s / 2
            self.view_start, self.view_end = moment - half, moment + half
        self.update()
        self.slotClicked.emit(index)

    def next_gap(self) -> None:
        later = [i for i in self.gap_starts() if i > self.selected]
        if later:
            self.select(later[0])

    def previous_gap(self) -> None:
        first_of_current = self.selected
        while first_of_current > 0 and self._statuses[first_of_current - 1] in GAP_STATUSES:
            first_of_current -= 1
        earlier = [i for i in self.gap_starts() if i < first_of_current]
        if earlier:
            self.select(earlier[-1])

    def zoom(self, factor: float, around_x: float) -> None:
        """Scale the visible span by ``factor`` keeping the time under ``around_x`` in place."""
        anchor = self.time_at(around_x)
        span = min(MAX_SPAN_S, max(MIN_SPAN_S, self.span_s * factor))
        fraction = around_x / max(1, self.width())
        self.view_start = anchor - fraction * span
        self.view_end = self.view_start + span
        self.update()

    # -- events ----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        height = self.height()
        width = max(1.0, self._step / self.span_s * self.width())
        first = bisect_left(self._times, self.view_start - self._step)
        last = bisect_left(self._times, self.view_end + self._step)
        for i in range(first, last):
            x = self.x_of(self._times[i]) - width / 2
            colour = COLOURS.get(self._statuses[i], QColor("grey"))
            painter.fillRect(QRectF(x, 4, width + 0.5, height - 8), colour)  # + 0.5: no seams between slots
        if 0 <= self.selected < len(self._times):
            painter.setPen(QPen(self.palette().text().color(), 2))
            x = self.x_of(self._times[self.selected])
            painter.drawRect(QRectF(x - width / 2 - 1, 2, width + 2, height - 4))
        painter.end()

    def wheelEvent(self, event: QWheelEvent | None) -> None:
        if event is None:
            return
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom(ZOOM_STEP ** (-notches), event.position().x())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = (event.position().x(), self.view_start)
            self._moved = False

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        if event is None:
            return
        x = event.position().x()
        if self._drag is not None and abs(x - self._drag[0]) > 3:
            self._moved = True
            span = self.span_s
            self.view_start = self._drag[1] - (x - self._drag[0]) / max(1, self.width()) * span
            self.view_end = self.view_start + span
            self.update()
            return
        index = self.index_at(x)
        if index >= 0:
            text = f"{_when(self._times[index])}: {self._statuses[index]}"
            QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        if event is None or self._drag is None:
            return
        self._drag = None
        if not self._moved:
            self.select(self.index_at(event.position().x()))

    def slot_point(self, index: int) -> QPoint:
        """Where slot ``index`` is drawn (for tests and scripts that click it)."""
        return QPoint(round(self.x_of(self._times[index])), self.height() // 2)


__all__ = ["COLOURS", "GapTimeline"]
