"""The processing tab's cluster address (``pipeline.cluster``) and its connection test.

The address lives in the shared settings, so the job the tab starts (and ``goesvfi run``) uses it;
the test reaches it in a worker: ``local:N`` reports N without starting a LocalCluster, and a
scheduler is asked for its workers.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.jobs.control import CancelToken
from goesvfi.viewmodels.settings import SettingsModel
from goesvfi.viewmodels.workers import Worker, error_fields, start_worker

KEY = "pipeline.cluster"


class ClusterViewModel(QObject):
    """The address and its test; ``tested`` carries the workers reached, ``failed`` the core's error."""

    tested = pyqtSignal(int)
    failed = pyqtSignal(object)

    def __init__(self, settings: SettingsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._worker: Worker[int] | None = None

    @property
    def address(self) -> str:
        """A Dask scheduler address, ``local:N``, or "" for this computer."""
        return str(self.settings.value(KEY) or "")

    def set_address(self, address: str) -> dict[str, Any] | None:
        """Store the address; the structured error when the core refuses it."""
        try:
            self.settings.set_value(KEY, address.strip())
        except GoesVfiError as exc:
            return error_fields(exc)
        return None

    def test(self) -> None:
        """Reach the address in a worker: ``tested`` (workers) or ``failed``."""
        from goesvfi.core.jobs.cluster import ClusterAddressError

        address = self.address
        self.cancel()

        def check(token: CancelToken, progress: Any) -> int:
            from goesvfi.core.jobs.cluster import connect, local_workers, worker_count

            if not address:
                raise ClusterAddressError(
                    "no cluster address: the job runs in this process", setting=KEY,
                    hint="enter a scheduler address such as tcp://host:8786, or local:N",
                )  # fmt: skip
            workers = local_workers(address)
            if workers is not None:
                return workers
            with connect(address) as client:
                return worker_count(client)

        worker: Worker[int] = Worker(check, name="cluster test")
        worker.signals.finished.connect(lambda count: self._on_result(worker, count, None))
        worker.signals.errored.connect(lambda error: self._on_result(worker, None, error))
        self._worker = worker
        start_worker(worker)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _on_result(self, worker: Worker[int], count: int | None, error: dict[str, Any] | None) -> None:
        if worker is not self._worker:
            return  # an earlier test, overtaken
        self._worker = None
        if error is not None:
            self.failed.emit(error)
        else:
            self.tested.emit(int(count or 0))
