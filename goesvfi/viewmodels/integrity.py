"""The integrity check tab's state: what to check, the scan's slots, and fetching the missing ones.

A scan calls the core's :func:`~goesvfi.core.integrity.scan_folder` (as ``goesvfi check`` does) in
a :class:`~goesvfi.viewmodels.workers.Worker`; a fetch builds its request with the core's
:func:`~goesvfi.core.remote.build.build_fetch_request` (as ``goesvfi fetch --fill`` does) and runs
:func:`~goesvfi.core.remote.job.fetch_range_sync`, reporting each frame as it settles. After a
fetch the folder is scanned again, so the table, the timeline and the exports show the folder as
it is; slots filled by this view-model keep the status ``fetched``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, pyqtSignal

from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.satellites import BANDS, PRODUCTS, SATELLITES, SECTOR_CODES, sector_product
from goesvfi.core.scanreport import SLOT_DUPLICATE, SLOT_FOUND, SLOT_MISSING, ScanReport
from goesvfi.viewmodels.settings import FieldSpec, SettingsModel
from goesvfi.viewmodels.slots import (
    SLOT_FAILED,
    SLOT_FETCHED,
    Slot,
    iso_text,
    minute_text,
    slots_from,
    summary_of,
)
from goesvfi.viewmodels.workers import Worker, start_worker

if TYPE_CHECKING:  # the remote package loads with the first fetch, not at start-up
    from goesvfi.core.remote.composite import ItemResult

log = logging.getLogger(__name__)

FILTERS = ("all", SLOT_MISSING, SLOT_FOUND, SLOT_DUPLICATE)
AUTO = "auto"  # satellite, product and band: what the folder's file names say
SATELLITE_CHOICES = (AUTO, "east", "west", *(sat.name for sat in SATELLITES))
PRODUCT_CHOICES = (AUTO, *(product.name for product in PRODUCTS))
BAND_CHOICES = (AUTO, *(str(band) for band in BANDS))
SECTOR_CHOICES = (AUTO, *SECTOR_CODES)
INT_MAX = 2**31 - 1
SOURCE_KEYS = ("source", "retries", "read_timeout_s", "connect_timeout_s", "concurrency", "max_rate")


class IntegrityViewModel(QObject):
    """See the module docstring. Views bind to the signals; every action is a method here."""

    folderChanged = pyqtSignal(str)
    rangeChanged = pyqtSignal(str, str)  # ISO start, end ("" when unset: detected from the folder)
    slotsChanged = pyqtSignal()  # the whole list was replaced (a scan)
    slotChanged = pyqtSignal(int)  # one slot changed (a file landed)
    summaryChanged = pyqtSignal(str)
    busyChanged = pyqtSignal(bool)  # a scan or fetch is running
    fetchProgress = pyqtSignal(object)  # {"done", "total", "fraction", "speed_bps", "eta_s", "current"}
    fileProgress = pyqtSignal(object)  # the file most recently updated: {"name", "done", "total"} in bytes
    diskSpaceLow = pyqtSignal(object, object)  # needed, free bytes: nothing was downloaded; see fetch_anyway
    failuresChanged = pyqtSignal(list)  # ["2025-06-01T12:05Z: message", ...]
    failed = pyqtSignal(object)  # a structured error (core fields)
    statusChanged = pyqtSignal(str)
    liveChanged = pyqtSignal(bool)
    useForProcessing = pyqtSignal(str, str, str)  # the folder, and the range's ISO start, end ("" unset)

    def __init__(self, settings: SettingsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.folder: Path | None = None
        self.satellite, self.product, self.band, self.sector = AUTO, AUTO, AUTO, AUTO
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.interval_minutes: float | None = None  # None: detect
        self.render = False
        self.colour = "grey"
        self.slots: list[Slot] = []
        self.report: ScanReport | None = None
        self.summary: dict[str, Any] = {}
        self.failures: dict[datetime, str] = {}
        self._fetched: dict[str, str] = {}  # path -> source, for the files this app fetched
        self.live = False
        self._index: dict[datetime, int] = {}
        self.worker: Worker[Any] | None = None
        self.last_fetch: dict[str, Any] | None = None
        self._refused: set[datetime] | None = None  # the times of the fetch the disk check refused

    # -- what to check ----------------------------------------------------------------------------

    def set_folder(self, folder: Path | str | None) -> None:
        self.folder = Path(folder) if folder else None
        self.folderChanged.emit(str(self.folder) if self.folder else "")

    def _product_and_meso(self) -> tuple[str | None, str | None]:
        """The product to fetch (chosen, else the chosen sector's, else the folder's) and the
        mesoscale sector (M1/M2) when one is chosen."""
        sector = None if self.sector == AUTO else self.sector
        product = None if self.product == AUTO else self.product
        if product is None and sector is not None:
            product = sector_product(sector).name
        return product, sector if sector in ("M1", "M2") else None

    def set_range(self, start: datetime | None, end: datetime | None) -> None:
        self.start, self.end = start, end
        self.rangeChanged.emit(minute_text(start), minute_text(end))

    def detect_range(self) -> None:
        """Forget the range and scan: the range becomes the folder's first and last frame."""
        self.set_range(None, None)
        self.scan()

    def source_specs(self) -> list[FieldSpec]:
        """The remote settings the Sources form shows (order, retries, timeouts, concurrency, rate)."""
        keys = {f"remote.{name}" for name in SOURCE_KEYS}
        specs = [spec for spec in self.settings.field_specs("remote") if spec.key in keys]
        # max_rate's bound is beyond a spin box's int range (Qt's limit, not the setting's)
        return [replace(spec, maximum=min(spec.maximum, INT_MAX)) if spec.maximum is not None else spec
                for spec in specs]  # fmt: skip

    def set_source_value(self, key: str, value: Any) -> dict[str, Any] | None:
        """Set a remote setting; returns the core error's fields when the value is refused."""
        from goesvfi.core.errors import GoesVfiError

        try:
            self.settings.set_value(key, value)
        except GoesVfiError as exc:
            return exc.fields()
        return None

    @property
    def busy(self) -> bool:
        return self.worker is not None

    # -- scan -------------------------------------------------------------------------------------

    def scan(self) -> bool:
        """Scan the folder in a worker; False (and ``failed``) when it cannot start."""
        if self.busy:
            return False
        if self.folder is None:
            self.failed.emit({"message": "no folder chosen", "setting": "folder", "value": None,
                              "hint": "choose the folder of frames to check"})  # fmt: skip
            return False
        from goesvfi.core.integrity import scan_folder

        folder, start, end = self.folder, self.start, self.end
        interval = timedelta(minutes=self.interval_minutes) if self.interval_minutes else None
        satellite = None if self.satellite == AUTO else self.satellite
        scan_settings = self.settings.settings.scan

        history = self.settings.settings.history
        params = {"folder": str(folder), "start": start, "end": end, "satellite": satellite,
                  "interval_minutes": self.interval_minutes}  # fmt: skip

        def job(token: CancelToken, progress: Any) -> ScanReport:
            from goesvfi.core.history import record

            with record("check", params, settings=history) as operation:  # as `goesvfi check`
                report = scan_folder(folder, start=start, end=end, interval=interval, satellite=satellite,
                                     settings=scan_settings, cancel=token, progress=progress)  # fmt: skip
                operation.results.update({"missing": len(report.missing), "found": len(report.found)})
                return report

        self.statusChanged.emit(f"Scanning {folder}…")
        self._start(Worker(job, name="integrity-scan"), self._on_scanned)
        return True

    def _on_scanned(self, report: ScanReport) -> None:
        self.report = report
        self.slots = slots_from(report, self._fetched)
        for moment in [t for t in self.failures if t not in {s.time for s in self.slots if s.is_gap}]:
            del self.failures[moment]
        self.slots = [replace(s, status=SLOT_FAILED, message=self.failures[s.time])
                      if s.time in self.failures else s for s in self.slots]  # fmt: skip
        self._index = {slot.time: index for index, slot in enumerate(self.slots)}
        self.slotsChanged.emit()
        self._summarise()
        self.statusChanged.emit(f"Scanned {report.folder}: {len(report.missing)} missing")

    def _summarise(self) -> None:
        interval = self.report.interval if self.report is not None else timedelta(0)
        self.summary = summary_of(self.slots, interval)
        s = self.summary
        text = (
            f"{s['expected']} expected · {s['found'] + s['fetched']} found · {s['missing']} missing · "
            f"{s['duplicate']} duplicate · {s['fetched']} fetched · {s['failed']} failed — "
            f"{s['completeness']:.1f}% complete, longest gap {s['longest_gap_slots']} slot(s) "
            f"({s['longest_gap']}), {s['gaps_per_day']:.2f} gaps/day"
        )
        self.summaryChanged.emit(text)

    def filtered(self, status: str) -> list[int]:
        """Indices of the slots shown under filter ``status`` (one of :data:`FILTERS`)."""
        if status == "all":
            return list(range(len(self.slots)))
        wanted = {SLOT_MISSING: (SLOT_MISSING, SLOT_FAILED), SLOT_FOUND: (SLOT_FOUND, SLOT_FETCHED)}
        statuses = wanted.get(status, (status,))
        return [i for i, slot in enumerate(self.slots) if slot.status in statuses]

    # -- fetch ------------------------------------------------------------------------------------

    def fetch_missing(self, selected: list[int] | None = None) -> bool:
        """Fetch the missing slots (only those among ``selected`` indices when given) in a worker.

        Frames already in the folder are never fetched again, so pressing it after a cancel
        continues where the last run stopped.
        """
        if self.busy or self.folder is None:
            return False
        times = None
        if selected:
            times = {
                self.slots[i].time for i in selected if 0 <= i < len(self.slots) and self.slots[i].is_gap
            }
            if not times:
                self.statusChanged.emit("Nothing to fetch: the selected slots are not missing")
                return False
        return self._fetch(times)

    def fetch_anyway(self) -> bool:
        """Run the fetch that ``diskSpaceLow`` stopped again, without the disk-space check."""
        if self.busy or self.folder is None:
            return False
        times, self._refused = self._refused, None
        return self._fetch(times, check_space=False)

    def retry_failed(self) -> bool:
        if self.busy or not self.failures:
            return False
        return self._fetch(set(self.failures))

    def _fetch(self, times: set[datetime] | None, *, check_space: bool = True) -> bool:
        from goesvfi.core.remote.base import DiskSpaceError
        from goesvfi.core.remote.build import build_fetch_request
        from goesvfi.core.remote.job import fetch_range_sync

        assert self.folder is not None
        folder, settings = self.folder, self.settings.settings
        satellite = None if self.satellite == AUTO else self.satellite
        product, meso = self._product_and_meso()
        band = None if self.band == AUTO else int(self.band)
        start, end, render, colour = self.start, self.end, self.render, self.colour

        params = {"fill": str(folder), "satellite": satellite, "product": product, "band": band,
                  "start": start, "end": end, "selected": len(times) if times is not None else None,
                  "render": render, "colour": colour}  # fmt: skip

        def job(token: CancelToken, progress: Any) -> dict[str, Any]:
            from goesvfi.core.history import record

            try:
                with record("fetch", params, settings=settings.history) as operation:
                    payload = fetch(token, progress)
                    operation.results.update({k: payload.get(k) for k in ("downloaded", "failed", "absent")})
                    return payload
            except DiskSpaceError as exc:  # before any download: the user decides (fetch_anyway)
                return {"disk_space": {"needed": exc.needed, "free": exc.free}}

        def fetch(token: CancelToken, progress: Any) -> dict[str, Any]:
            request = build_fetch_request(settings.remote, fill=folder, satellite=satellite,
                                          product=product, band=band, meso=meso, start=start, end=end,
                                          cancel=token)  # fmt: skip
            if times is not None:
                request = replace(request, times=tuple(t for t in request.times if t in times))
            result = fetch_range_sync(request, progress=progress, cancel=token, on_item=progress,
                                      check_space=check_space)  # fmt: skip
            payload = result.to_json()
            if render:
                payload["rendered"] = _render(settings.render, colour, result.files, folder / "png", token)
            return payload

        self.failures.clear()
        self.statusChanged.emit(f"Fetching the missing frames of {folder}…")
        self._start(Worker(job, name="integrity-fetch"), lambda payload: self._on_fetched(payload, times))
        return True

    def _on_item(self, item: ItemResult) -> None:
        if item.path is not None and item.status == "downloaded":
            self._fetched[str(item.path)] = item.source or "remote"
        index = self._index.get(item.wanted.time)
        if index is None:  # live mode: a new scan past the range; the scan after the poll shows it
            return
        slot = self.slots[index]
        if item.path is not None and item.status in ("downloaded", "skipped_existing"):
            slot = replace(slot, status=SLOT_FETCHED, paths=(str(item.path),), source=item.source or "")
        elif item.status in ("failed", "absent"):
            self.failures[slot.time] = item.message
            slot = replace(slot, status=SLOT_FAILED, message=item.message)
        self.slots[index] = slot
        self.slotChanged.emit(index)
        self._summarise()  # the counts follow the frames as they land
        if item.status == "failed" or item.status == "absent":
            self.failuresChanged.emit(self.failure_lines())

    def failure_lines(self) -> list[str]:
        return [f"{minute_text(t)}: {message}" for t, message in sorted(self.failures.items())]

    def _on_fetched(self, payload: dict[str, Any], times: set[datetime] | None) -> None:
        if "disk_space" in payload:
            self._refused = times
            needed, free = payload["disk_space"]["needed"], payload["disk_space"]["free"]
            self.statusChanged.emit(
                f"The files need {needed / 1e9:.1f} GB and {free / 1e9:.1f} GB is free: nothing fetched"
            )
            self.diskSpaceLow.emit(needed, free)
            return
        self.last_fetch = payload
        self.failuresChanged.emit(self.failure_lines())
        self.statusChanged.emit(
            f"{payload['downloaded']} downloaded, {len(payload['failed'])} failed, "
            f"{len(payload['absent'])} not available upstream"
        )
        self.scan()  # the folder as it is now (the worker slot is free: _finish ran first)

    # -- workers ----------------------------------------------------------------------------------

    def _start(self, worker: Worker[Any], on_done: Any) -> None:
        self.worker = worker
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(lambda result: self._finish(on_done, result))
        worker.signals.errored.connect(lambda error: self._finish(self.failed.emit, error))
        worker.signals.cancelled.connect(lambda: self._finish(self.statusChanged.emit, "Cancelled"))
        self.busyChanged.emit(True)
        start_worker(worker)

    def _finish(self, then: Any, value: Any) -> None:
        self.worker = None
        self.busyChanged.emit(False)
        if self.live:
            self.live = False
            self.liveChanged.emit(False)
        if self.slots:
            self._summarise()
        then(value)

    def _on_progress(self, event: object) -> None:
        from goesvfi.core.remote.composite import ItemResult  # loaded by the fetch that reports

        if isinstance(event, ItemResult):
            self._on_item(event)
            return
        if isinstance(event, ScanReport):  # live mode: the folder after a poll
            self._on_scanned(event)
            return
        if isinstance(event, ProgressEvent) and event.name == "fetch-file":
            self.fileProgress.emit({"name": event.message, "done": event.done, "total": event.total})
            return
        if not isinstance(event, ProgressEvent) or event.name != "fetch":
            return
        self.fetchProgress.emit({
            "done": event.done, "total": event.total, "fraction": event.fraction,
            "speed_bps": event.extra.get("speed_bps", 0.0), "eta_s": event.eta_s, "current": event.message,
        })  # fmt: skip

    def set_live(self, on: bool) -> bool:
        """Keep the folder up to date as new scans are published (the core's follow mode), scanning
        it after each poll; ``set_live(False)`` stops it. Satellite, product and band default to
        what the folder's file names say."""
        if not on:
            if self.live:
                self.cancel()
            return True
        if self.busy or self.folder is None:
            return False
        import asyncio

        from goesvfi.core.integrity import scan_folder
        from goesvfi.core.remote.build import build_fetch_request
        from goesvfi.core.remote.follow import follow
        from goesvfi.core.remote.job import FetchResult

        folder, settings = self.folder, self.settings.settings
        satellite = None if self.satellite == AUTO else self.satellite
        product, meso = self._product_and_meso()
        band = None if self.band == AUTO else int(self.band)

        def job(token: CancelToken, progress: Any) -> int:
            request = build_fetch_request(settings.remote, fill=folder, satellite=satellite, product=product,
                                          band=band, meso=meso, cancel=token)  # fmt: skip
            # the folder's satellite, product and band; times and tolerance as for any follow
            request = replace(request, times=(), start=None, end=None, tolerance=None)

            def on_cycle(result: FetchResult) -> None:
                for item in result.items:
                    progress(item)
                progress(scan_folder(folder, satellite=satellite, settings=settings.scan, cancel=token))

            return asyncio.run(follow(request, on_cycle=on_cycle, progress=progress, cancel=token))

        self.live = True
        self.statusChanged.emit(f"Live: keeping {folder} up to date…")
        self._start(Worker(job, name="integrity-live"), lambda polls: self._on_live_stopped(polls))
        self.liveChanged.emit(True)
        return True

    def _on_live_stopped(self, polls: int) -> None:
        self.statusChanged.emit(f"Live stopped after {polls} poll(s)")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    # -- export and hand-over ---------------------------------------------------------------------

    def export_csv(self, path: Path | str) -> dict[str, Any] | None:
        return self._export(lambda report: report.write_csv(Path(path)))

    def export_json(self, path: Path | str) -> dict[str, Any] | None:
        from goesvfi.core.atomic import write_json_atomic

        return self._export(lambda report: write_json_atomic(Path(path), report.to_json()))

    def _export(self, write: Any) -> dict[str, Any] | None:
        """Write the last report; the core error's fields when it cannot be written."""
        from goesvfi.core.errors import GoesVfiError

        if self.report is None:
            return {"message": "nothing to export yet", "hint": "scan a folder first"}
        try:
            write(self.report)
        except GoesVfiError as exc:
            return exc.fields()
        except OSError as exc:
            return {
                "message": f"cannot write the report: {exc.strerror or exc}",
                "hint": "choose another file",
            }
        return None

    def use_for_processing(self) -> None:
        """Hand the folder, and the range when one is set, to the processing view-model."""
        if self.folder is not None:
            self.useForProcessing.emit(str(self.folder), iso_text(self.start), iso_text(self.end))


def _render(render: Any, colour: str, files: list[Path], out_dir: Path, token: CancelToken) -> dict[str, Any]:
    """Render fetched NetCDF files to PNG through the core, as ``goesvfi fetch --render`` does."""
    from goesvfi.core.render import build_render_options
    from goesvfi.core.render.batch import render_batch

    netcdf = [path for path in files if path.suffix.lower() in (".nc", ".nc4")]
    if not netcdf:
        return {"outputs": [], "errors": []}
    out_dir.mkdir(parents=True, exist_ok=True)
    batch = render_batch(netcdf, out_dir, build_render_options(render, colour=colour), cancel=token)
    result: dict[str, Any] = batch.to_json()
    return result


__all__ = ["FILTERS", "IntegrityViewModel"]
