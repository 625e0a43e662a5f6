"""Check a folder of satellite frames against the series of times it should hold.

:func:`scan_folder` walks the folder (optionally recursively), reads each frame's time from
its name (:mod:`goesvfi.core.timeindex`), works out the interval and its phase (or takes the
user's), builds the expected series for the range, and matches files to slots within a
tolerance. It reports missing slots, duplicates (several files for one slot), files outside
the range or off the schedule, unparsed and ambiguous names, zero-byte files (reported under
``empty`` and as unreadable; their times still shape the expected series, and their slots
count as missing), unreadable folders and broken links.

Unchanged files (same size and mtime) are not parsed again: their parse result comes from the
SQLite index in :mod:`goesvfi.core.cache`, loaded in one query. A cache that is corrupt is
rebuilt; one that is locked is bypassed with a warning in the report.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from datetime import datetime, timedelta
from itertools import repeat
from operator import itemgetter
from pathlib import Path

from goesvfi.core.cache import CacheUnavailable, FileEntry, FolderIndex, ScanCache, storable
from goesvfi.core.config import ScanSettings, load_settings
from goesvfi.core.framefiles import frame_format
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.jobs.progress import ProgressCallback, ProgressEvent
from goesvfi.core.satellites import SATELLITES, UnknownSatelliteError, resolve_satellite
from goesvfi.core.scanmatch import Frame, match_frames
from goesvfi.core.scanreport import ScanInputError, ScanReport, printable
from goesvfi.core.timeindex import (
    AmbiguousNameError,
    IntervalError,
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
            raise ScanInputError(str(exc), setting="satellite", value=name) from None

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
        self.frames: list[Frame] = []
        self.empty_times: list[int] = []  # zero-byte frames: their times still shape the series


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
            report.unreadable_files.append((prefix + name, "empty file (0 bytes)"))
            listing.empty_times.append(ts_us)
        else:
            frames.append((ts_us, prefix + name, row[5]))
    if fresh or len(known) != len(rows):
        listing.changed[folder] = rows
    listing.reused += len(rows) - fresh
    listing.files += len(rows)
    listing.seen.add(folder)
    return subfolders


def _parse_row(
    name: str, parents: tuple[str, ...]
) -> tuple[int | None, str | None, int | None, int | None, str | None, str | None]:
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
    ext: str | None = None,
) -> ScanReport:
    """Scan ``folder`` against the expected series; see the module docstring for what is reported.

    ``start``/``end`` default to the first/last frame found, and then the series spans exactly
    those frames; ``interval`` defaults to the one detected from the frames (the product's
    cadence when the names give the sector and the gaps fit it); ``tolerance`` to
    ``settings.tolerance_fraction`` of the interval. Each file format is its own series:
    ``ext`` (``png``, ``tif``, ``nc``...) picks one, else the most common is checked and the
    others are named in the report.
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
        store, frames, empty_times = _index_with_cache(root, recursive, store, report, cancel, progress, ext)
        _classify(report, frames, start, end, interval, tolerance, scan_settings, sat_filter, empty_times)
        report.elapsed_s = time.perf_counter() - clock
        if store is not None:
            _save(report, store, start, end, interval, tolerance)
    finally:
        if owned is not None:
            owned.close()
    log.info(
        "scanned %s: %d expected, %d found, %d missing, %d duplicates, %d unparsed in %.2f s",
        printable(root),
        report.expected_count,
        report.found_count,
        len(report.missing),
        len(report.duplicates),
        len(report.unparsed),
        report.elapsed_s,
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
    ext: str | None = None,
) -> tuple[ScanCache | None, list[Frame], list[int]]:
    """Walk and index ``root`` using the cache.

    Returns the cache (None once bypassed), the frames of the checked format: (time µs, path,
    satellite or None), and the times of zero-byte frames.
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
    return store, _choose_format(listing, report, ext), listing.empty_times


def _choose_format(listing: _Listing, report: ScanReport, ext: str | None) -> list[Frame]:
    """The frames of one format: ``ext`` when given, else the most common; the others are named."""
    counts = _format_counts(listing.frames)
    if ext is not None:
        chosen = frame_format("frame." + ext.strip().lstrip("."))
        if not chosen or not chosen.isalnum():
            raise ScanInputError(
                "the file format is not a file extension",
                setting="ext",
                value=ext,
                hint="give e.g. png, tif or nc",
            )
        if chosen not in counts and counts:
            found = ", ".join(f"{fmt or '(none)'} ({n})" for fmt, n in sorted(counts.items()))
            report.warnings.append(f"no dated {chosen} files; formats found: {found}")
    elif counts:
        chosen = max(sorted(counts), key=counts.__getitem__)  # the most common; on a tie the first by name
    else:
        return []
    report.format = chosen
    report.other_formats = {fmt: n for fmt, n in sorted(counts.items()) if fmt != chosen}
    frames = listing.frames
    if report.other_formats or chosen not in counts:
        frames = [frame for frame in frames if _path_format(frame[1]) == chosen]
    report.sector = _sector_of(frames)
    return frames


def _path_format(path: str) -> str:
    return frame_format(path[path.rfind(os.sep) + 1 :])


def _format_counts(frames: list[Frame]) -> dict[str, int]:
    """Frames per format. Most folders hold one: checked with one C-level pass over the paths."""
    if not frames:
        return {}
    paths = list(map(itemgetter(1), frames))
    sample = Counter(path[path.rfind(".") :] for path in paths[:: max(1, len(paths) // 64)])
    suffix = sample.most_common(1)[0][0]  # ".nc" as written
    if "." in suffix and os.sep not in suffix and sum(map(str.endswith, paths, repeat(suffix))) == len(paths):
        return {_path_format(paths[0]): len(paths)}
    return dict(Counter(map(_path_format, paths)))


def _sector_of(frames: list[Frame]) -> str | None:
    """The sector (FD, CONUS, M1, M2) most of a sample of the frames' names give, if any."""
    sectors: Counter[str] = Counter()
    for frame in frames[:: max(1, len(frames) // 256)]:
        try:
            parsed = parse_name(os.path.basename(frame[1]))
        except AmbiguousNameError:
            continue
        if parsed is not None and parsed.sector is not None:
            sectors[parsed.sector] += 1
    return sectors.most_common(1)[0][0] if sectors else None


def _check_arguments(
    start: datetime | None, end: datetime | None, interval: timedelta | None, tolerance: timedelta | None
) -> None:
    if start is not None and end is not None and end < start:
        raise ScanInputError(
            f"the end is before the start ({start:%Y-%m-%dT%H:%M:%SZ})",
            setting="end",
            value=f"{end:%Y-%m-%dT%H:%M:%SZ}",
        )
    if interval is not None and interval <= timedelta(0):
        raise ScanInputError(
            "the interval must be a positive number of minutes", setting="interval", value=interval
        )
    if tolerance is not None and tolerance < timedelta(0):
        raise ScanInputError(
            "the tolerance must be zero or a positive number of seconds", setting="tolerance", value=tolerance
        )


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
        "start": start,
        "end": end,
        "recursive": report.recursive,
        "satellite": report.satellite,
        "interval_s": interval.total_seconds() if interval else None,
        "tolerance_s": tolerance.total_seconds() if tolerance is not None else None,
    }
    try:
        store.save_scan(printable(str(report.folder)), params, report.to_json())
    except CacheUnavailable as exc:
        _bypass(report, store, exc)


def _classify(
    report: ScanReport,
    frames: list[Frame],
    start: datetime | None,
    end: datetime | None,
    interval: timedelta | None,
    tolerance: timedelta | None,
    settings: ScanSettings,
    sat_filter: _SatelliteFilter | None,
    empty_times: list[int] | None = None,
) -> None:
    """Apply the satellite filter, then match the frames to the expected series.

    ``empty_times`` (zero-byte frames) take part in building the series; their slots stay missing.
    """
    if sat_filter is None:
        kept = frames
    else:
        kept = [frame for frame in frames if sat_filter.keeps(frame[2], frame[0])]
        report.other_satellite = [p for t, p, sat in frames if not sat_filter.keeps(sat, t)]
    match_frames(report, kept, start, end, interval, tolerance, settings, empty_times or [])
    report.sort_lists()


def interval_from_minutes(text: str) -> timedelta | None:
    """``auto`` → None; a positive number of minutes → timedelta; anything else → ScanInputError."""
    if text.strip().lower() == "auto":
        return None
    try:
        minutes = float(text)
    except ValueError:
        raise ScanInputError(
            "the interval is not a number of minutes or 'auto'", setting="interval", value=text
        ) from None
    if not minutes > 0 or minutes == float("inf"):
        raise ScanInputError(
            "the interval must be a positive number of minutes", setting="interval", value=text
        )
    return timedelta(minutes=minutes)


def tolerance_from_seconds(text: str) -> timedelta:
    """A non-negative number of seconds → timedelta; anything else → ScanInputError."""
    try:
        seconds = float(text)
    except ValueError:
        raise ScanInputError(
            "the tolerance is not a number of seconds", setting="tolerance", value=text
        ) from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ScanInputError(
            "the tolerance must be zero or a positive number of seconds", setting="tolerance", value=text
        )
    return timedelta(seconds=seconds)
