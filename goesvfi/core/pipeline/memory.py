"""Memory budget and the decode-ahead thread.

Frames are streamed: the pipeline holds the current pair, the frames decoded ahead, and the
in-between frames of one pair. :class:`MemoryBudget` turns a share of the available RAM into how
many frames may be decoded ahead, and shrinks that number when the machine runs short.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from goesvfi.core.encode.ffmpeg import FrameWriter
from goesvfi.core.jobs.control import CancelToken

log = logging.getLogger(__name__)

WORKING_SET_FACTOR = 24 + FrameWriter.QUEUE_FRAMES
"""Bytes of working memory per byte of one RGB frame: the interpolator's (float copies, flows,
pyramids) and the frames queued for ffmpeg."""


@dataclass
class MemoryBudget:
    """``fraction`` of the RAM available at start, in bytes; re-checked while the job runs."""

    limit_bytes: int
    fraction: float
    max_ahead: int = 8

    @classmethod
    def from_system(cls, fraction: float, max_ahead: int = 8) -> MemoryBudget:
        import psutil

        available = int(psutil.virtual_memory().available)
        return cls(int(available * fraction), fraction, max_ahead)

    @staticmethod
    def pair_bytes(frame_bytes: int, multiplier: int) -> int:
        """Working memory of one pair being interpolated: its frames, in-between frames, flows."""
        return frame_bytes * (WORKING_SET_FACTOR + multiplier + 2)

    def pair_workers(self, frame_bytes: int, multiplier: int, wanted: int) -> int:
        """How many pairs may be interpolated at once within the budget (1 to ``wanted``)."""
        fits = self.limit_bytes // max(1, self.pair_bytes(frame_bytes, multiplier))
        return int(max(1, min(wanted, fits)))

    def ahead_depth(self, frame_bytes: int, multiplier: int, workers: int = 1) -> int:
        """How many decoded frames may wait in the queue now (at least 1)."""
        import psutil

        available = int(psutil.virtual_memory().available * self.fraction)
        budget = min(self.limit_bytes, available)
        fixed = self.pair_bytes(frame_bytes, multiplier) * workers
        depth = (budget - fixed) // max(1, frame_bytes)
        return int(max(1, min(self.max_ahead, depth)))

    def check_fits(self, frame_bytes: int, multiplier: int) -> str | None:
        """A warning when one pair's working set alone exceeds the budget (the job still runs)."""
        need = self.pair_bytes(frame_bytes, multiplier) + frame_bytes
        if need > self.limit_bytes:
            return (
                f"one frame pair needs about {need / 2**20:.0f} MB but the memory budget is "
                f"{self.limit_bytes / 2**20:.0f} MB; crop or downscale the frames, or raise "
                "pipeline.memory_fraction"
            )
        return None


class Prefetcher:
    """Loads frames in ``workers`` background threads, in order, keeping at most about
    ``depth()`` waiting.

    :meth:`get` returns frames in the order of ``indexes``; an error in the loader is raised
    from :meth:`get` at the frame where it happened. Use several workers only when ``load`` is
    safe to call from several threads at once (see ``FrameSource.thread_safe``).
    """

    def __init__(
        self,
        indexes: Sequence[int],
        load: Callable[[int], np.ndarray],
        depth: Callable[[], int],
        cancel: CancelToken,
        workers: int = 1,
    ) -> None:
        self._indexes = list(indexes)
        self._load = load
        self._depth = depth
        self._cancel = cancel
        self._ready: dict[int, np.ndarray | BaseException] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._failed = False
        self._next = 0
        self._loading = 0
        self.peak_waiting = 0
        self._threads = [
            threading.Thread(target=self._run, name=f"decode-ahead-{k}", daemon=True)
            for k in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def _claim(self) -> int | None:
        """The next index to load, once there is room; None when done, closed or failed."""
        with self._cond:
            while not self._closed and len(self._ready) + self._loading >= self._depth():
                self._cond.wait(timeout=0.5)
            if self._closed or self._failed or self._next >= len(self._indexes):
                return None
            index = self._indexes[self._next]
            self._next += 1
            self._loading += 1
            return index

    def _run(self) -> None:
        while (index := self._claim()) is not None:
            item: np.ndarray | BaseException
            try:
                item = self._load(index)
            except BaseException as exc:  # noqa: BLE001 - raised again in the consumer's thread
                item = exc
            with self._cond:
                self._loading -= 1
                self._ready[index] = item
                self._failed = self._failed or isinstance(item, BaseException)
                self.peak_waiting = max(self.peak_waiting, len(self._ready))
                self._cond.notify_all()

    def get(self, index: int) -> np.ndarray:
        with self._cond:
            while index not in self._ready:
                if self._cancel.cancelled or not any(t.is_alive() for t in self._threads):
                    break
                self._cond.wait(timeout=0.2)
            item = self._ready.pop(index, None)
            self._cond.notify_all()
        if item is None:
            self._cancel.raise_if_cancelled()
            raise RuntimeError(f"frame {index} was not loaded (decode-ahead thread ended)")
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
