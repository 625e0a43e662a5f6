"""Hierarchical progress events (job → stage → item) passed from the core to its callers.

The core never prints: it calls a :data:`ProgressCallback` with :class:`ProgressEvent` objects.
The CLI draws a progress bar from them; the view-models turn them into Qt signals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["job", "stage", "item"]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One progress report. ``total`` is None when unknown; ``rate`` is items (or bytes) per second."""

    level: Level
    name: str
    done: int
    total: int | None = None
    rate: float | None = None
    eta_s: float | None = None
    message: str = ""
    extra: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[ProgressEvent], None]


class RateMeter:
    """Turns (done, total) updates into rate and ETA using wall time since the first update."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start: float | None = None
        self._start_done = 0

    def measure(self, done: int, total: int | None) -> tuple[float | None, float | None]:
        """Return ``(rate, eta_s)``; both None until there is something to measure."""
        now = self._clock()
        if self._start is None:
            self._start, self._start_done = now, done
            return None, None
        elapsed = now - self._start
        if elapsed <= 0 or done <= self._start_done:
            return None, None
        rate = (done - self._start_done) / elapsed
        eta = (total - done) / rate if total is not None and rate > 0 else None
        return rate, eta
