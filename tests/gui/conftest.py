"""GUI tests: offscreen Qt, private user folders and QSettings, and no worker left behind."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))  # pipeline_support: frame makers

from PyQt6.QtCore import QCoreApplication, QSettings, QThreadPool

WORKER_WAIT_MS = 120_000


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QSettings (window geometry, recent folders) in a private folder per test."""
    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_leaked_workers(qapp: object) -> Iterator[None]:
    """Fail a test that ends while one of its workers is still working.

    A worker whose function has returned may still have its last signals queued; those are
    delivered here. One still working is cancelled and waited for, then the test fails.
    """
    from goesvfi.viewmodels.workers import active_workers

    yield
    working = [w.name for w in active_workers() if not w.returned]
    for worker in active_workers():
        worker.cancel()
    pool = QThreadPool.globalInstance()
    assert pool is not None
    finished = pool.waitForDone(WORKER_WAIT_MS)
    QCoreApplication.processEvents()
    left = [w.name for w in active_workers()]
    assert finished, "workers were still running long after the test"
    assert not working, f"the test ended while workers were still working: {working}"
    assert not left, f"workers never released: {left}"


@pytest.fixture
def wait_workers(qtbot: object) -> object:
    """Call to wait until every worker started so far has finished and been released."""
    from goesvfi.viewmodels.workers import active_workers

    def wait(timeout_ms: int = 60_000) -> None:
        qtbot.waitUntil(lambda: not active_workers(), timeout=timeout_ms)  # type: ignore[attr-defined]

    return wait
