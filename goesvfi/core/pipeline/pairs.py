"""Interpolating the input pairs ahead of the encoder, several at once where that pays.

OpenCV's DIS flow does not scale past about two cores inside one pair (on a 16-core machine a
multi-threaded call is no faster than on two cores, and burns three times the CPU), while
independent pairs scale with the cores. So for ``flow`` the job runs up to ``workers`` pairs at
once, each in its own thread with its own single-threaded interpolator, and hands the results
back strictly in order. Backends that use the cores (or a GPU) well inside one pair, like RIFE
under PyTorch, run one pair at a time in the job's thread, computed when the result is asked for.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

PARALLEL_BACKENDS = ("flow",)
MAX_WORKERS = 8


class _Later:
    """A pair computed in the caller's thread when its result is asked for."""

    def __init__(self, work: Callable[[], list[np.ndarray]]) -> None:
        self._work = work

    def result(self) -> list[np.ndarray]:
        return self._work()

    def cancel(self) -> bool:
        return True


class PairInterpolation:
    """Interpolates pairs in submission order with ``workers`` threads (1: in the job's thread).

    ``make()`` creates one interpolator; it is called once per worker thread (each worker keeps
    its own), or once in total for one worker. ``make=None`` interpolates nothing (multiplier 1).
    """

    def __init__(self, make: Callable[[], Any] | None, workers: int = 1) -> None:
        self.workers = max(1, workers) if make is not None else 1
        self._make = make
        self._local = threading.local()
        self._made: list[Any] = []
        self._lock = threading.Lock()
        self._pool = (
            ThreadPoolExecutor(self.workers, thread_name_prefix="interpolate") if self.workers > 1 else None
        )

    def _interpolator(self) -> Any:
        made = getattr(self._local, "interpolator", None)
        if made is None:
            assert self._make is not None
            made = self._make()
            self._local.interpolator = made
            with self._lock:
                self._made.append(made)
        return made

    def _run(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        if self._make is None or not times:
            return []
        result: list[np.ndarray] = self._interpolator().interpolate(frame0, frame1, times)
        return result

    def submit(
        self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]
    ) -> Future[list[np.ndarray]] | _Later:
        if self._pool is None:
            return _Later(lambda: self._run(frame0, frame1, times))
        return self._pool.submit(self._run, frame0, frame1, times)

    def close(self) -> None:
        """Drop the pairs not started, wait for the running ones, close every interpolator."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            made, self._made = self._made, []
        for interpolator in made:
            interpolator.close()


def interpolated_pairs(
    pairs: Sequence[int],
    frame: Callable[[int], np.ndarray],
    interpolation: PairInterpolation,
    times: Sequence[float],
) -> Generator[tuple[int, np.ndarray, np.ndarray, list[np.ndarray]], None, None]:
    """``(pair, frame0, frame1, in-between frames)`` for each pair, in order.

    Frames are fetched with ``frame(index)`` in order (at most ``workers`` pairs ahead of the one
    handed out); closing the iterator early cancels the pairs not started yet.
    """
    upcoming = iter(pairs)
    pending: deque[tuple[int, np.ndarray, np.ndarray, Future[list[np.ndarray]] | _Later]] = deque()

    def submit_next() -> None:
        pair = next(upcoming, None)
        if pair is not None:
            frame0, frame1 = frame(pair), frame(pair + 1)
            pending.append((pair, frame0, frame1, interpolation.submit(frame0, frame1, times)))

    try:
        for _ in range(interpolation.workers):
            submit_next()
        while pending:
            pair, frame0, frame1, work = pending.popleft()
            middles = work.result()
            submit_next()
            yield pair, frame0, frame1, middles
    finally:
        for *_, work in pending:
            work.cancel()
