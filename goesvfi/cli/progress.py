"""The CLI's progress bar: one self-overwriting line on a terminal, a line every few seconds on a
pipe or in a log file (or nothing there, for commands whose summary says it all).

``goesvfi run`` and ``demo`` draw the frames of the pipeline (``item`` events); ``fetch`` draws
its files (``job`` events, which carry the bytes fetched and the speed).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from goesvfi.core.jobs.progress import Level, ProgressEvent

WIDTH = 30
TTY_EVERY_S = 0.1  # redraws on a terminal
PLAIN_EVERY_S = 5.0  # lines on a pipe or in a log


class ProgressBar:
    """Draw the ``level`` events of a job as ``[####....] done/total unit speed ETA m:ss``.

    ``off_tty=False`` keeps the bar silent when the stream is not a terminal. Stage starts are
    shown on a terminal (``interpolate ...``) until the first bar replaces them.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        level: Level = "item",
        unit: str = "frames",
        rate_unit: str = "fr/s",
        off_tty: bool = True,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.level, self.unit, self.rate_unit = level, unit, rate_unit
        self.active = self.tty or off_tty
        self._last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if not self.active:
            return
        if event.level != self.level:
            if event.level == "stage" and event.done == 0 and self.tty:
                self._line(f"{event.name} ...")
            return
        now = time.monotonic()
        if now - self._last < (TTY_EVERY_S if self.tty else PLAIN_EVERY_S) and event.done != event.total:
            return
        self._last = now
        self._line(self.describe(event))

    def describe(self, event: ProgressEvent) -> str:
        """The bar's text for one event."""
        filled = int(WIDTH * (event.fraction or 0.0))
        total = "?" if event.total is None else str(event.total)
        if "bytes" in event.extra:
            megabytes = float(event.extra["bytes"]) / 1e6
            speed = float(event.extra.get("speed_bps", 0.0)) / 1e6
            rate = f"{megabytes:.1f} MB {speed:.2f} MB/s"
        else:
            rate = f"{event.rate:.1f} {self.rate_unit}" if event.rate else f"-- {self.rate_unit}"
        eta = f"ETA {int(event.eta_s) // 60}:{int(event.eta_s) % 60:02d}" if event.eta_s is not None else ""
        bar = "#" * filled + "." * (WIDTH - filled)
        return f"[{bar}] {event.done}/{total} {self.unit} {rate} {eta}".rstrip()

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.tty and self.active:
            self.stream.write("\n")
            self.stream.flush()
