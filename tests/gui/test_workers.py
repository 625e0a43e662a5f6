"""The one worker shape: signals in order, structured errors, cancellation, strong references."""

from __future__ import annotations

from typing import Any

import pytest

from goesvfi.core.errors import ConfigError
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.viewmodels.workers import Worker, active_workers, start_worker


def _record(worker: Worker[Any]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    signals = worker.signals
    signals.started.connect(lambda: seen.append(("started", None)))
    signals.progress.connect(lambda event: seen.append(("progress", event.done)))
    signals.finished.connect(lambda result: seen.append(("finished", result)))
    signals.errored.connect(lambda error: seen.append(("errored", error)))
    signals.cancelled.connect(lambda: seen.append(("cancelled", None)))
    return seen


def test_result_and_progress_arrive_in_order(qtbot: Any) -> None:
    def work(token: CancelToken, progress: Any) -> int:
        for done in range(1, 4):
            progress(ProgressEvent("item", "things", done, 3))
        return 42

    worker: Worker[int] = Worker(work)
    seen = _record(worker)
    with qtbot.waitSignal(worker.signals.released, timeout=10_000):
        start_worker(worker)
    assert seen == [("started", None), ("progress", 1), ("progress", 2), ("progress", 3), ("finished", 42)]
    assert worker not in active_workers()


def test_core_error_becomes_structured_fields(qtbot: Any) -> None:
    def work(token: CancelToken, progress: Any) -> None:
        raise ConfigError("must be at most 51", setting="encode.crf", value=99, hint="choose 0 to 51")

    worker: Worker[None] = Worker(work)
    with qtbot.waitSignal(worker.signals.errored, timeout=10_000) as blocker:
        start_worker(worker)
    error = blocker.args[0]
    assert error["kind"] == "ConfigError"
    assert (error["setting"], error["value"], error["hint"]) == ("encode.crf", "99", "choose 0 to 51")
    assert "must be at most 51" in error["details"]


def test_a_bug_becomes_an_error_with_details(qtbot: Any) -> None:
    def work(token: CancelToken, progress: Any) -> None:
        raise ZeroDivisionError("division by zero")

    worker: Worker[None] = Worker(work)
    with qtbot.waitSignal(worker.signals.errored, timeout=10_000) as blocker:
        start_worker(worker)
    error = blocker.args[0]
    assert error["kind"] == "ZeroDivisionError"
    assert "bug" in error["hint"]
    assert "ZeroDivisionError" in error["details"]


def test_cancel_sets_the_token_and_emits_cancelled(qtbot: Any) -> None:
    def work(token: CancelToken, progress: Any) -> None:
        token.wait(60)  # until cancelled
        token.raise_if_cancelled()

    worker: Worker[None] = Worker(work)
    seen = _record(worker)
    with qtbot.waitSignal(worker.signals.started, timeout=10_000):
        start_worker(worker)
    assert worker in active_workers()  # kept alive while it runs
    with qtbot.waitSignal(worker.signals.cancelled, timeout=10_000):
        worker.cancel()
    assert seen[-1] == ("cancelled", None)
    qtbot.waitUntil(lambda: worker not in active_workers())


@pytest.mark.parametrize("count", [8])
def test_many_workers_all_released(qtbot: Any, count: int) -> None:
    workers = [Worker(lambda token, progress, n=n: n * n) for n in range(count)]
    results: list[int] = []
    for worker in workers:
        worker.signals.finished.connect(results.append)
        start_worker(worker)
    qtbot.waitUntil(lambda: not active_workers(), timeout=10_000)
    assert sorted(results) == [n * n for n in range(count)]
