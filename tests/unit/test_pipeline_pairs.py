"""Pairs interpolated several at once (flow) come back in order, one interpolator per worker."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pytest

from goesvfi.core.pipeline.memory import MemoryBudget
from goesvfi.core.pipeline.pairs import PairInterpolation, interpolated_pairs

FRAMES = [np.full((4, 4, 3), k, np.uint8) for k in range(6)]


class Recorder:
    """Averages the pair; pair 0 waits until pair 1 is done (only possible with two workers)."""

    instances: ClassVar[list[Recorder]] = []

    def __init__(self, second_done: threading.Event | None = None, fail_at: int | None = None) -> None:
        self.second_done = second_done
        self.fail_at = fail_at
        self.threads: set[int] = set()
        self.pairs: list[int] = []
        self.closed = 0
        Recorder.instances.append(self)

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        first = int(frame0[0, 0, 0])
        self.threads.add(threading.get_ident())
        self.pairs.append(first)
        if first == self.fail_at:
            raise ValueError(f"pair {first} is broken")
        if first == 0 and self.second_done is not None:
            assert self.second_done.wait(timeout=30), "pair 1 never ran beside pair 0"
        if first == 1 and self.second_done is not None:
            self.second_done.set()
        return [((frame0.astype(np.float32) + frame1) / 2).astype(np.uint8) for _ in times]

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(autouse=True)
def _fresh() -> None:
    Recorder.instances.clear()


def test_two_workers_run_pairs_at_once_and_hand_them_back_in_order() -> None:
    second_done = threading.Event()
    interpolation = PairInterpolation(lambda: Recorder(second_done), workers=2)
    got = list(interpolated_pairs(range(5), FRAMES.__getitem__, interpolation, [0.5]))
    interpolation.close()
    assert [pair for pair, *_ in got] == [0, 1, 2, 3, 4]
    for pair, frame0, frame1, middles in got:
        assert frame0[0, 0, 0] == pair
        assert frame1[0, 0, 0] == pair + 1
        assert [m[0, 0, 0] for m in middles] == [(2 * pair + 1) // 2]
    assert len(Recorder.instances) == 2  # one interpolator per worker thread
    assert all(len(made.threads) == 1 for made in Recorder.instances)
    assert sorted(p for made in Recorder.instances for p in made.pairs) == [0, 1, 2, 3, 4]
    assert [made.closed for made in Recorder.instances] == [1, 1]


def test_one_worker_interpolates_in_the_callers_thread_when_asked() -> None:
    interpolation = PairInterpolation(lambda: Recorder(), workers=1)
    ready = interpolated_pairs(range(3), FRAMES.__getitem__, interpolation, [0.25, 0.5, 0.75])
    assert Recorder.instances == []  # nothing computed before the first result is asked for
    pair, _, _, middles = next(ready)
    assert pair == 0
    assert len(middles) == 3
    assert Recorder.instances[0].threads == {threading.get_ident()}
    assert Recorder.instances[0].pairs == [0]
    ready.close()
    interpolation.close()
    assert Recorder.instances[0].closed == 1


def test_an_error_arrives_at_its_pair_after_the_earlier_ones() -> None:
    interpolation = PairInterpolation(lambda: Recorder(fail_at=2), workers=2)
    ready = interpolated_pairs(range(5), FRAMES.__getitem__, interpolation, [0.5])
    assert [next(ready)[0], next(ready)[0]] == [0, 1]
    with pytest.raises(ValueError, match="pair 2 is broken"):
        next(ready)
    interpolation.close()


def test_stopping_early_runs_no_more_than_the_pairs_in_flight() -> None:
    interpolation = PairInterpolation(lambda: Recorder(), workers=2)
    ready = interpolated_pairs(range(5), FRAMES.__getitem__, interpolation, [0.5])
    assert next(ready)[0] == 0
    ready.close()
    interpolation.close()
    ran = sorted(p for made in Recorder.instances for p in made.pairs)
    assert ran[0] == 0
    assert len(ran) <= 3
    assert all(made.closed == 1 for made in Recorder.instances)


def test_multiplier_one_interpolates_nothing() -> None:
    interpolation = PairInterpolation(None, workers=4)
    assert interpolation.workers == 1
    got = list(interpolated_pairs(range(2), FRAMES.__getitem__, interpolation, []))
    assert [middles for *_, middles in got] == [[], []]


def test_the_memory_budget_bounds_the_workers() -> None:
    frame = 1024 * 1024 * 3
    one_pair = MemoryBudget.pair_bytes(frame, 4)
    assert MemoryBudget(one_pair * 3, 0.5).pair_workers(frame, 4, wanted=8) == 3
    assert MemoryBudget(one_pair // 2, 0.5).pair_workers(frame, 4, wanted=8) == 1
    assert MemoryBudget(one_pair * 100, 0.5).pair_workers(frame, 4, wanted=2) == 2
