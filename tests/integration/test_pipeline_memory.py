"""Streaming: the decode-ahead queue is bounded by the memory budget; frames are never all held."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.pipeline.memory import MemoryBudget, Prefetcher


def test_budget_gives_at_least_one_and_at_most_max_ahead() -> None:
    budget = MemoryBudget(limit_bytes=80 * 2**20, fraction=0.5, max_ahead=8)
    assert budget.ahead_depth(frame_bytes=1024 * 1024 * 3, multiplier=4) == 1  # 3 MB frames, 80 MB budget
    assert budget.ahead_depth(frame_bytes=64 * 48 * 3, multiplier=4) == 8
    assert budget.check_fits(512 * 512 * 3, 4) is None
    warning = budget.check_fits(4096 * 4096 * 3, 4)
    assert warning is not None
    assert "memory budget" in warning


@pytest.mark.parametrize("workers", [1, 3])
def test_prefetcher_keeps_at_most_depth_frames_waiting(workers: int) -> None:
    loaded: list[int] = []
    threads: set[int] = set()

    def load(index: int) -> np.ndarray:
        loaded.append(index)
        threads.add(threading.get_ident())
        return np.full((4, 4, 3), index, np.uint8)

    prefetch = Prefetcher(range(50), load, lambda: 3, CancelToken(), workers=workers)
    try:
        for index in range(50):
            assert int(prefetch.get(index)[0, 0, 0]) == index
            assert len(loaded) <= index + 1 + 3
    finally:
        prefetch.close()
    assert sorted(loaded) == list(range(50))
    assert prefetch.peak_waiting <= 3
    assert threading.get_ident() not in threads


def test_several_loaders_work_at_once() -> None:
    """Frame 0's load waits until frame 1 is loaded: only possible with two loader threads."""
    second = threading.Event()

    def load(index: int) -> np.ndarray:
        if index == 0:
            assert second.wait(30), "frame 1 was not loaded beside frame 0"
        if index == 1:
            second.set()
        return np.full((2, 2, 3), index, np.uint8)

    prefetch = Prefetcher(range(4), load, lambda: 4, CancelToken(), workers=2)
    try:
        assert [int(prefetch.get(i)[0, 0, 0]) for i in range(4)] == [0, 1, 2, 3]
    finally:
        prefetch.close()


@pytest.mark.parametrize("workers", [1, 3])
def test_loader_errors_surface_at_their_frame(workers: int) -> None:
    def load(index: int) -> np.ndarray:
        if index == 2:
            raise ValueError("frame 2 is broken")
        return np.zeros((2, 2, 3), np.uint8)

    prefetch = Prefetcher(range(5), load, lambda: 2, CancelToken(), workers=workers)
    try:
        prefetch.get(0)
        prefetch.get(1)
        with pytest.raises(ValueError, match="frame 2 is broken"):
            prefetch.get(2)
    finally:
        prefetch.close()


def test_cancel_ends_a_wait_for_a_frame() -> None:
    token = CancelToken()
    release = threading.Event()

    def load(index: int) -> np.ndarray:
        release.wait(10)
        return np.zeros((2, 2, 3), np.uint8)

    prefetch = Prefetcher(range(3), load, lambda: 1, token)
    token.cancel("test")
    try:
        with pytest.raises(CancelledByUser):
            prefetch.get(0)
    finally:
        release.set()
        prefetch.close()
