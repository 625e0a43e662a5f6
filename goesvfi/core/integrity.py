"""Check a folder of satellite frames against the series of times it should hold.

:func:`scan_folder` walks the folder (optionally recursively), reads each frame's time from
its name (:mod:`goesvfi.core.timeindex`), works out the interval and its phase (or takes the
user's), builds the expected series for the range, and matches files to slots within a
tolerance. It reports missing slots, duplicates (several files for one slot), files outside
the range or off the schedule, unparsed and ambiguous names, zero-byte files (reported under
``empty``; their slot counts as missing), unreadable folders and broken links.

Unchanged files (same size and mtime) are not parsed again: their parse result comes from the
SQLite index in :mod:`goesvfi.core.cache`, loaded in one query. A cache that is corrupt is
rebuilt; one that is locked is bypassed with a warning in the report.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from goesvfi.core.cache import CacheUnavailable, FileEntry, FolderIndex, ScanCache, storable
from goesvfi.core.config import ScanSettings, load_settings
from goesvfi.core.errors import UserInputError
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.jobs.progress import ProgressCallback, ProgressEvent
from goesvfi.core.satellites import SATELLITES, UnknownSatelliteError, resolve_satellite
from goesvfi.core.scanreport import ScanReport, printable
from goesvfi.core.timeindex import (
    AmbiguousNameError,
    IntervalError,
    detect_anchor_us,
    detect_interval_us,
    from_us,
    parse_name,
    to_us,
)

__all__ = [
    "IntervalError",
    "ScanInputError",
    "ScanReport",
    "interval_from_minutes",
    "scan_folder",
    "tolerance_from_seconds",
]

log = logging.getLogger(__name__)

_US = 1_000_000
MAX_SLOTS = 5_000_000


class ScanInputError(UserInputError):
    """A scan argument or the scanned folder itself is unusable."""


class _SatelliteFilter:
    """Keeps files whose name names no satellite or the wanted one (roles resolve by date)."""

    def __init__(self, name: str) -> None:
        self.number: int | None = None
        self.spans: list[tuple[int, int, int]] = []  # (from µs, until µs, satellite) in the role
        key = name.strip().lower().removeprefix("goes-")
        if key in ("east", "west"):
            self.spans = [
                (to_us(span.start), to_us(span.end) if span.end else 2**62, sat.number)
                for sat in SATELLITES
                for span in sat.roles
                if span.role == key
            ]
            return
        try:
            self.number = resolve_satellite(name).number
        except UnknownSatelliteError as exc:
            raise ScanInputError(f"--satellite: {exc}") from None

    def keeps(self, satellite: int | None, ts_us: int) -> bool:
        if satellite is None:
            return True
        if self.number is not None:
            return satellite == self.number
        return any(lo <= ts_us < hi and satellite == number for lo, hi, number in self.spans)


def _check_root(folder: Path) -> str:
    root = os.path.abspath(folder)
    if not os.path.exists(root):
        raise ScanInputError(f"folder '{printable(str(folder))}' does not exist; check the path")
    if not os.path.isdir(root):
        raise ScanInputError(f"'{printable(str(folder))}' is not a folder; give the folder of frames")
    return root


class _Listing:
    """What the walk found: index entries per folder, and the frames (time, path, satellite)."""

    def __init__(self, cached: dict[str, FolderIndex]) -> None:
        self.cached = cached
        self.changed: dict[str, list[FileEntry]] = {}  # folders whose index entries changed
        self.seen: set[str] = set()
        self.reused = 0
        self.files = 0
        self.frames: list[tuple[int, str, int | None]] = []


def _walk(
    root: str,
    recursive: bool,
    listing: _Listing,
    report: ScanReport,
    cancel: CancelToken | None,
    progress: ProgressCallback | None,
) -> None:
    """Visit ``root`` (and sub-folders once each when ``recursive``), indexing every file."""
    stat = os.stat(root)
    visited = {(stat.st_dev, stat.st_ino)}
    stack = [root]
    while stack:
        folder = stack.pop()
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError as exc:
            if folder == root:
                raise ScanInputError(
                    f"cannot read folder '{printable(root)}': {exc.strerror or exc}; check its permissions"
                ) from None
            report.skipped_dirs.append((folder, exc.strerror or str(exc)))
            continue
        if not folder.isascii() and not storable(folder):
            report.non_utf8.append(folder)  # its files are scanned, but not cached
        for path, key in _index_folder(folder, entries, recursive, listing, report):
            if key in visited:
                report.skipped_dirs.append((path, "symlink loop (folder already scanned)"))
            else:
                visited.add(key)
                stack.append(path)
        if progress is not None:
            progress(ProgressEvent("stage", "scan", listing.files, None, message=printable(folder)))


def _index_folder(
    folder: str, entries: list[os.DirEntry[str]], recursive: bool, listing: _Listing, report: ScanReport
) -> list[tuple[str, tuple[int, int]]]:
    """Index and sort the files of one folder, re-parsing only new or changed ones.

    Returns the sub-folders (path, (device, inode)) to visit next.
    """
    parents = tuple(folder.split(os.sep)[-3:])
    prefix = folder + os.sep if folder != os.sep else folder
    known = listing.cached.get(folder, {})
    get = known.get
    frames = listing.frames
    rows: list[FileEntry] = []
    subfolders: list[tuple[str, tuple[int, int]]] = []
    fresh = 0
    for entry in entries:
        name = entry.name
        if name[0] == ".":
            continue
        try:
            if entry.is_dir():
                if recursive:
                    info = entry.stat()
                    subfolders.append((entry.path, (info.st_dev, info.st_ino)))
                continue
            info = entry.stat()
        except OSError as exc:
            report.unreadable_files.append((entry.path, exc.strerror or str(exc)))
            continue
        size, mtime = info.st_size, info.st_mtime_ns
        row = get(name)
        if row is None or row[1] != size or row[2] != mtime:
            row = (name, size, mtime, *_parse_row(name, parents))
            fresh += 1
        rows.append(row)
        if not name.isascii() and not storable(name):
            report.non_utf8.append(prefix + name)
        ts_us = row[3]
        if ts_us is None:
            if row[8] is not None:
                report.ambiguous.append((prefix + name, row[8]))
            else:
                report.unparsed.append(prefix + name)
        elif size == 0:
            report.empty.append(prefix + name)
        else:
            frames.append((ts_us, prefix + name, row[5]))
    if fresh or len(known) != len(rows):
        listing.changed[folder] = rows
    listing.reused += len(rows) - fresh
    listing.files += len(rows)
    listing.seen.add(folder)
    return subfolders


def _parse_row(name: str, parents: tuple[str, ...]) -> tuple[int | None, str | None, int | None,
                                                             int | None, str | None, str | None]:
    """ts_us, pattern, satellite, band, sector, note (note = why an ambiguous name was refused)."""
    try:
        parsed = parse_name(name, parents)
    except AmbiguousNameError as exc:
        return None, "ambiguous", None, None, None, str(exc)
    if parsed is None:
        return None, None, None, None, None, None
    return to_us(parsed.timestamp), parsed.pattern, parsed.satellite, parsed.band, parsed.sector, None


def _open_cache(cache: ScanCache | None, use_cache: bool, settings: ScanSettings) -> ScanCache | None:
    if not use_cache or not settings.use_cache:
        return None
    return cache or ScanCache(busy_timeout_s=settings.cache_busy_timeout_s)


def scan_folder(
    folder: Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    interval: timedelta | None = None,
    tolerance: timedelta | None = None,
    recursive: bool = False,
    satellite: str | None = None,
    use_cache: bool = True,
    cancel: CancelToken | None = None,
    settings: ScanSettings | None = None,
    cache: ScanCache | None = None,
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Scan ``folder`` against the expected series; see the module docstring for what is reported.

    ``start``/``end`` default to the first/last frame found; ``interval`` defaults to the one
    detected from the frames; ``tolerance`` to ``settings.tolerance_fraction`` of the interval.
    ``settings`` defaults to the user's settings; ``cache`` to the user's cache file (pass one
    to share it between threads). ``progress`` gets a ``stage`` event ("scan", files so far)
    after each folder; ``cancel`` is checked between folders.
    """
    clock = time.perf_counter()
    scan_settings = settings or load_settings().scan
    _check_arguments(start, end, interval, tolerance)
    sat_filter = _SatelliteFilter(satellite) if satellite is not None else None
    root = _check_root(folder)
    report = ScanReport(folder=Path(root), recursive=recursive, satellite=satellite)
    store = _open_cache(cache, use_cache, scan_settings)
    owned = store if cache is None else None  # opened here, so closed here
    try:
        store, frames = _index_with_cache(root, recursive, store, report, cancel, progress)
        _classify(report, frames, start, end, interval, tolerance, scan_settings, sat_filter)
        report.elapsed_s = time.perf_counter() - clock
        if store is not None:
            _save(report, store, start, end, interval, tolerance)
    finally:
        if owned is not None:
            owned.close()
    log.info(
        "scanned %s: %d expected, %d found, %d missing, %d duplicates, %d unparsed in %.2f s",
        printable(root), report.expected_count, report.found_count, len(report.missing),
        len(report.duplicates), len(report.unparsed), report.elapsed_s,
        extra={"folder": printable(root), "cache": report.cache},
    )
    return report


def _index_with_cache(
    root: str,
    recursive: bool,
    store: ScanCache | None,
    report: ScanReport,
    cancel: CancelToken | None,
    progress: ProgressCallback | None,
) -> tuple[ScanCache | None, list[tuple[int, str, int | None]]]:
    """Walk and index ``root`` using the cache.

    Returns the cache (None once bypassed) and the frames: (time µs, path, satellite or None).
    """
    report.cache = "off" if store is None else "used"
    cached: dict[str, FolderIndex] = {}
    if store is not None:
        try:
            cached = store.load_index(root, recursive=recursive)
        except CacheUnavailable as exc:
            _bypass(report, store, exc)
            store = None
    listing = _Listing(cached)
    _walk(root, recursive, listing, report, cancel, progress)
    report.cache_reused = listing.reused
    report.files_seen = listing.files
    if store is not None:
        removed = [folder for folder in cached if folder not in listing.seen]
        try:
            store.update_index(listing.changed, removed)
        except CacheUnavailable as exc:
            _bypass(report, store, exc)
            store = None
    return store, listing.frames


def _check_arguments(
    start: datetime | None, end: datetime | None, interval: timedelta | None, tolerance: timedelta | None
) -> None:
    if start is not None and end is not None and end < start:
        raise ScanInputError(f"--end {end:%Y-%m-%dT%H:%M:%SZ} is before --start {start:%Y-%m-%dT%H:%M:%SZ}")
    if interval is not None and interval <= timedelta(0):
        raise ScanInputError(f"--interval must be a positive number of minutes, got {interval}")
    if tolerance is not None and tolerance < timedelta(0):
        raise ScanInputError("--tolerance must be zero or a positive number of seconds")


def _bypass(report: ScanReport, store: ScanCache, exc: CacheUnavailable) -> None:
    """Record why the cache is not used; the caller then drops it."""
    log.warning("%s", exc)
    report.warnings.extend(store.take_warnings())
    report.warnings.append(str(exc))
    report.cache = "bypassed"


def _save(
    report: ScanReport,
    store: ScanCache,
    start: datetime | None,
    end: datetime | None,
    interval: timedelta | None,
    tolerance: timedelta | None,
) -> None:
    report.warnings.extend(store.take_warnings())
    params = {
        "start": start, "end": end, "recursive": report.recursive, "satellite": report.satellite,
        "interval_s": interval.total_seconds() if interval else None,
        "tolerance_s": tolerance.total_seconds() if tolerance is not None else None,
    }
    try:
        store.save_scan(printable(str(report.folder)), params, report.to_json())
    except CacheUnavailable as exc:
        _bypass(report, store, exc)


def _classify(
    report: ScanReport,
    frames: list[tuple[int, str, int | None]],
    start: datetime | None,
    end: datetime | None,
    interval: timedelta | None,
    tolerance: timedelta | None,
    settings: ScanSettings,
    sat_filter: _SatelliteFilter | None,
) -> None:
    """Apply the satellite filter, then match the frames to the expected series."""
    if sat_filter is None:
        kept = frames
    else:
        kept = [frame for frame in frames if sat_filter.keeps(frame[2], frame[0])]
        report.other_satellite = [p for t, p, sat in frames if not sat_filter.keeps(sat, t)]
    _match(report, kept, start, end, interval, tolerance, settings)
    report.sort_lists()


def _match(
    report: ScanReport,
    frames: list[tuple[int, str, int | None]],
    start: datetime | None,
    end: datetime | None,
    interval: timedelta | None,
    tolerance: timedelta | None,
    settings: ScanSettings,
) -> None:
    """Detect the interval and phase, build the expected series and match frames to slots."""
    distinct = sorted({frame[0] for frame in frames})
    if interval is not None:
        report.interval, report.interval_source = interval, "given"
    elif len(distinct) >= 2:
        report.interval = timedelta(microseconds=detect_interval_us(distinct))
        report.interval_source = "detected"
    else:
        report.warnings.append(
            "fewer than two frame times found: cannot detect the interval; give --interval"
        )
    step = report.interval // timedelta(microseconds=1)
    if step <= 0:
        _match_times(report, frames, start, end)
        return
    fraction_tol = report.interval * settings.tolerance_fraction
    tol = (tolerance if tolerance is not None else fraction_tol) // timedelta(microseconds=1)
    if tol * 2 >= step:
        raise ScanInputError(
            f"--tolerance {tol / _US:g} s must be less than half the interval "
            f"({step / _US / 2:g} s); give a smaller tolerance"
        )
    report.tolerance = timedelta(microseconds=tol)
    anchor = detect_anchor_us(distinct, step) if distinct else (to_us(start) if start else 0)
    report.anchor = from_us(anchor)
    first, last = _bounds(anchor, step, distinct, start, end)
    count = max(0, (last - first) // step + 1)
    if count > MAX_SLOTS:
        raise ScanInputError(
            f"the range holds {count:,} expected frames at this interval (limit {MAX_SLOTS:,}); "
            "give a narrower --start/--end or a longer --interval"
        )
    slots: dict[int, str] = {}  # slot -> its first file
    extra: dict[int, list[str]] = {}  # slot -> its further files (duplicates)
    half = step // 2
    for ts_us, path, _ in frames:
        slot = anchor + ((ts_us - anchor + half) // step) * step  # the nearest slot
        if abs(ts_us - slot) > tol:
            report.off_schedule.append((path, ts_us))
        elif slot < first or slot > last:
            report.out_of_range.append(path)
        elif slot in slots:
            extra.setdefault(slot, []).append(path)
        else:
            slots[slot] = path
    report.set_found(slots, extra, range(first, first + count * step, step) if count else [])


def _match_times(
    report: ScanReport,
    frames: list[tuple[int, str, int | None]],
    start: datetime | None,
    end: datetime | None,
) -> None:
    """No interval known: the expected series is the distinct frame times inside the range."""
    lo = to_us(start) if start else -(2**62)
    hi = to_us(end) if end else 2**62
    slots: dict[int, str] = {}
    extra: dict[int, list[str]] = {}
    for ts_us, path, _ in frames:
        if not lo <= ts_us <= hi:
            report.out_of_range.append(path)
        elif ts_us in slots:
            extra.setdefault(ts_us, []).append(path)
        else:
            slots[ts_us] = path
    report.set_found(slots, extra, sorted(slots))


def _bounds(
    anchor: int, step: int, distinct: list[int], start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    """First and last expected slot: inside ``start``/``end``, else the first/last frame's slot."""
    if not distinct and (start is None or end is None):
        return anchor, anchor - step  # nothing to anchor an open range on: expect nothing

    def slot_of(ts_us: int) -> int:
        return anchor + ((ts_us - anchor + step // 2) // step) * step

    if start is not None:
        first = slot_of(to_us(start))
        first = first if first >= to_us(start) else first + step
    else:
        first = slot_of(distinct[0])
    if end is not None:
        last = slot_of(to_us(end))
        last = last if last <= to_us(end) else last - step
    else:
        last = slot_of(distinct[-1])
    return first, last


def interval_from_minutes(text: str) -> timedelta | None:
    """``auto`` → None; a positive number of minutes → timedelta; anything else → ScanInputError."""
    if text.strip().lower() == "auto":
        return None
    try:
        minutes = float(text)
    except ValueError:
        raise ScanInputError(f"--interval '{text}' is not a number of minutes or 'auto'") from None
    if not minutes > 0 or minutes == float("inf"):
        raise ScanInputError(f"--interval must be a positive number of minutes, got '{text}'")
    return timedelta(minutes=minutes)


def tolerance_from_seconds(text: str) -> timedelta:
    """A non-negative number of seconds → timedelta; anything else → ScanInputError."""
    try:
        seconds = float(text)
    except ValueError:
        raise ScanInputError(f"--tolerance '{text}' is not a number of seconds") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ScanInputError(f"--tolerance must be zero or a positive number of seconds, got '{text}'")
    return timedelta(seconds=seconds)

