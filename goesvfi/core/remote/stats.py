"""Bounded per-source statistics and the circuit breaker that reads them.

Counters are plain integers; durations and speeds keep only the most recent ``window``
samples (a :class:`collections.deque` with ``maxlen``), so a long ``--follow`` run never grows.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW = 200


@dataclass
class SourceStats:
    """What one source did during a job."""

    name: str
    window: int = WINDOW
    attempts: int = 0  # requests started (listings and downloads, including retries)
    successes: int = 0  # frames delivered
    failures: int = 0  # frames this source gave up on
    retries: int = 0
    bytes: int = 0
    failures_by_kind: dict[str, int] = field(default_factory=dict)  # every failed request, by kind
    consecutive_failures: int = 0
    durations: deque[float] = field(init=False)
    first_byte: deque[float] = field(init=False)
    speeds: deque[float] = field(init=False)

    def __post_init__(self) -> None:
        self.durations = deque(maxlen=self.window)
        self.first_byte = deque(maxlen=self.window)
        self.speeds = deque(maxlen=self.window)

    def record_attempt(self) -> None:
        self.attempts += 1

    def record_retry(self, kind: str) -> None:
        self.retries += 1
        self.failures_by_kind[kind] = self.failures_by_kind.get(kind, 0) + 1

    def record_latency(self, seconds: float) -> None:
        """Time from sending a request to its first response byte."""
        self.first_byte.append(seconds)

    def record_success(self, nbytes: int, seconds: float) -> None:
        self.successes += 1
        self.consecutive_failures = 0
        self.bytes += nbytes
        self.durations.append(seconds)
        if seconds > 0:
            self.speeds.append(nbytes / seconds)

    def record_failure(self, kind: str) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        self.failures_by_kind[kind] = self.failures_by_kind.get(kind, 0) + 1

    @property
    def success_rate(self) -> float:
        """Successes over frames tried, with one imagined success and failure as a prior."""
        return (self.successes + 1) / (self.successes + self.failures + 2)

    @property
    def latency_s(self) -> float | None:
        return statistics.median(self.first_byte) if self.first_byte else None

    def to_dict(self) -> dict[str, Any]:
        def mean(values: deque[float]) -> float | None:
            return round(statistics.fmean(values), 4) if values else None

        return {
            "attempts": self.attempts,
            "successes": self.successes,
            "failures": self.failures,
            "retries": self.retries,
            "bytes": self.bytes,
            "errors_by_kind": dict(sorted(self.failures_by_kind.items())),
            "consecutive_failures": self.consecutive_failures,
            "success_rate": round(self.success_rate, 4),
            "mean_duration_s": mean(self.durations),
            "median_latency_s": round(self.latency_s, 4) if self.latency_s is not None else None,
            "mean_speed_bps": mean(self.speeds),
        }


class Breaker:
    """Closed → open after ``threshold`` consecutive failed frames → half-open after ``cooldown_s``.

    Half-open lets one trial through; its success closes the breaker, its failure opens it again.
    """

    def __init__(
        self,
        stats: SourceStats,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stats = stats
        self._threshold = threshold
        self._cooldown = cooldown_s
        self._clock = clock
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self._opened_at >= self._cooldown else "open"

    def allow(self) -> bool:
        """Whether a request may go to this source now (claims the half-open trial slot)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def success(self) -> None:
        self._opened_at = None
        self._trial_running = False

    def failure(self) -> None:
        self._trial_running = False
        if self._opened_at is not None or self._stats.consecutive_failures >= self._threshold:
            self._opened_at = self._clock()
