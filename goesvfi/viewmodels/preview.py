"""Frames of the input folder for the view: thumbnails (made in workers, cached) and the pair preview."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.config import Settings
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.pipeline.frames import Crop
from goesvfi.viewmodels.workers import Worker, start_worker

CACHE_SIZE = 64


class PreviewModel(QObject):
    """Thumbnails by frame index and the pair preview (A, in-betweens, B) at a slider position."""

    thumbnailReady = pyqtSignal(int, int, object)  # frame index, max side, HxWx3 uint8 array
    thumbnailFailed = pyqtSignal(int, object)  # frame index, structured error
    pairReady = pyqtSignal(int, object)  # pair index, list of arrays
    pairFailed = pyqtSignal(object)
    pairBusyChanged = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._paths: list[Path] = []
        self._cache: OrderedDict[tuple[str, str, int], Any] = OrderedDict()
        self._pending: set[tuple[str, str, int]] = set()
        self._workers: list[Worker[Any]] = []
        self._pair_worker: Worker[Any] | None = None

    def set_frames(self, paths: list[Path]) -> None:
        self._paths = list(paths)

    @property
    def pair_busy(self) -> bool:
        return self._pair_worker is not None

    def cached(self, index: int, max_side: int, colour: str) -> Any:
        if not 0 <= index < len(self._paths):
            return None
        return self._cache.get((str(self._paths[index]), colour, max_side))

    def request_thumbnail(self, index: int, max_side: int, colour: str, settings: Settings) -> None:
        """Emit ``thumbnailReady`` for frame ``index`` now (cached) or when a worker made it."""
        if not 0 <= index < len(self._paths):
            return
        path = self._paths[index]
        key = (str(path), colour, max_side)
        if key in self._cache:
            self._cache.move_to_end(key)
            self.thumbnailReady.emit(index, max_side, self._cache[key])
            return
        if key in self._pending:
            return
        self._pending.add(key)

        def make(token: CancelToken, progress: Any) -> Any:
            from goesvfi.core.pipeline.preview import thumbnail

            token.raise_if_cancelled()
            return thumbnail(path, max_side, colour, settings)

        worker: Worker[Any] = Worker(make, name="thumbnail")
        worker.signals.finished.connect(lambda image: self._on_thumbnail(key, index, image))
        worker.signals.errored.connect(lambda error: self._on_thumbnail_failed(key, index, error))
        worker.signals.cancelled.connect(lambda: self._pending.discard(key))
        worker.signals.released.connect(lambda: self._forget(worker))
        self._workers.append(worker)
        start_worker(worker)

    def _forget(self, worker: Worker[Any]) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if worker is self._pair_worker:
            self._pair_worker = None
            self.pairBusyChanged.emit(False)

    def _on_thumbnail(self, key: tuple[str, str, int], index: int, image: Any) -> None:
        self._pending.discard(key)
        self._cache[key] = image
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        if index < len(self._paths) and str(self._paths[index]) == key[0]:
            self.thumbnailReady.emit(index, key[2], image)

    def _on_thumbnail_failed(self, key: tuple[str, str, int], index: int, error: dict[str, Any]) -> None:
        self._pending.discard(key)
        self.thumbnailFailed.emit(index, error)

    def preview_pair(self, index: int, settings: Settings, crop: Crop | None) -> None:
        """Interpolate the pair (frame ``index``, ``index + 1``) in a worker; ``pairReady`` when done."""
        if self._pair_worker is not None or not 0 <= index < len(self._paths) - 1:
            return
        first, second = self._paths[index], self._paths[index + 1]

        params = {"first": str(first), "second": str(second), "crop": crop.text if crop else None,
                  "multiplier": settings.pipeline.multiplier,
                  "interpolator": settings.vfi.backend}  # fmt: skip

        def make(token: CancelToken, progress: Any) -> Any:
            from goesvfi.core.history import record
            from goesvfi.core.jobs.child import call_in_child
            from goesvfi.core.pipeline.preview import interpolate_pair

            with record("preview", params, settings=settings.history) as operation:
                # in a child process, like a job: a RIFE preview never loads torch in the window's process
                frames = call_in_child(
                    interpolate_pair,
                    first,
                    second,
                    settings,
                    kwargs={"crop": crop},
                    cancel=token,
                    name="pair preview",
                )
                operation.results["frames"] = len(frames)
                return frames

        worker: Worker[Any] = Worker(make, name="pair preview")
        worker.signals.finished.connect(lambda frames: self.pairReady.emit(index, frames))
        worker.signals.errored.connect(self.pairFailed)
        worker.signals.released.connect(lambda: self._forget(worker))
        self._pair_worker = worker
        self._workers.append(worker)
        self.pairBusyChanged.emit(True)
        start_worker(worker)

    def cancel_all(self) -> None:
        for worker in list(self._workers):
            worker.cancel()
