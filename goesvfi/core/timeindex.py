"""Time index of a frame sequence: names → times, the interval, the expected series.

File-name parsing lives in :mod:`goesvfi.core.timeparse` and is re-exported here, so callers
import everything time-related from this module. All times are UTC; :func:`format_local` is
for display only.

The project writes every frame it creates under one name scheme (:func:`canonical_name`),
the goestools/Sanchez style ``GOES19_FD_CH13_20250508T000020Z.nc``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from goesvfi.core.errors import UserInputError
from goesvfi.core.timeparse import (
    AbiFileName,
    AmbiguousNameError,
    ParsedName,
    folder_date,
    parse_abi_filename,
    parse_name,
)

__all__ = [
    "EPOCH",
    "AbiFileName",
    "AmbiguousNameError",
    "IntervalError",
    "ParsedName",
    "canonical_name",
    "detect_anchor",
    "detect_anchor_us",
    "detect_interval",
    "detect_interval_us",
    "expected_series",
    "folder_date",
    "format_local",
    "from_us",
    "parse_abi_filename",
    "parse_name",
    "to_us",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CANONICAL_SECTORS = ("FD", "CONUS", "M1", "M2")
_US = 1_000_000
_SAMPLE = 5000  # frames sampled for interval and phase detection


class IntervalError(UserInputError):
    """The frame interval cannot be worked out (too few frames, or a bad value)."""


def to_us(when: datetime) -> int:
    """Microseconds since the Unix epoch (naive times are UTC)."""
    moment = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(micros: int) -> datetime:
    """The UTC datetime ``micros`` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=micros)


def canonical_name(satellite: int, sector: str, band: int, start: datetime, ext: str) -> str:
    """``GOES19_FD_CH13_20250508T000020Z.nc``: the one name scheme for frames GOES-VFI writes.

    ``start`` is the scan start; fractions of a second are dropped (the ABI ``s`` field has
    tenths, the name keeps whole seconds). ``ext`` is given without the dot.
    """
    if not 1 <= satellite <= 99:
        raise UserInputError(f"satellite number {satellite} is not a GOES number such as 19")
    key = sector.upper()
    if key not in CANONICAL_SECTORS:
        raise UserInputError(f"sector '{sector}' is not one of {', '.join(CANONICAL_SECTORS)}")
    if not 1 <= band <= 16:
        raise UserInputError(f"band {band} is not an ABI band (1-16)")
    suffix = ext.lstrip(".")
    if not suffix or "/" in suffix:
        raise UserInputError(f"file extension '{ext}' is not valid; use nc, jpg or png")
    moment = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return f"GOES{satellite:02d}_{key}_CH{band:02d}_{moment:%Y%m%dT%H%M%S}Z.{suffix}"


def _snap(seconds: float) -> float:
    """Snap a measured interval to a multiple of 30 s when within jitter, else to whole seconds."""
    nearest = round(seconds / 30.0) * 30.0
    if nearest > 0 and abs(seconds - nearest) <= max(1.0, 0.01 * seconds):
        return nearest
    return float(max(1, round(seconds))) if seconds >= 1.5 else round(seconds, 3)


def detect_interval(times: Sequence[datetime]) -> timedelta:
    """The frame interval of ``times``, robust to gaps, duplicates and a few seconds of jitter.

    Near-duplicates (steps under a quarter of the 75th-percentile step) are ignored; steps are
    grouped when within 5 % (or 2 s) of each other; the largest group wins (the shorter step on
    a tie). The result is snapped to a multiple of 30 s when within jitter of one.
    """
    return timedelta(microseconds=detect_interval_us([to_us(t) for t in times]))


def detect_interval_us(micros: Sequence[int]) -> int:
    """:func:`detect_interval` on epoch microseconds (the scan's fast path); returns microseconds."""
    if len(micros) < 2:
        raise IntervalError("need at least two frames to detect the interval; give --interval")
    ordered = sorted(micros)
    stride = max(1, len(ordered) // _SAMPLE)  # a few thousand steps decide as well as all
    steps = [
        (ordered[i + 1] - ordered[i]) / _US
        for i in range(0, len(ordered) - 1, stride)
        if ordered[i + 1] - ordered[i] > _US
    ]
    if not steps:
        raise IntervalError(
            "all frames share one time (duplicates only); cannot detect the interval, give --interval"
        )
    steps.sort()
    p75 = steps[min(len(steps) - 1, (len(steps) * 3) // 4)]
    kept = [s for s in steps if s >= 0.25 * p75]
    groups: list[list[float]] = [[kept[0]]]
    for step in kept[1:]:
        centre = groups[-1][0]
        if step - centre <= max(2.0, 0.05 * centre):
            groups[-1].append(step)
        else:
            groups.append([step])
    best = max(groups, key=lambda g: (len(g), -g[0]))
    return round(_snap(statistics.median(best)) * _US)


def detect_anchor(times: Sequence[datetime], interval: timedelta) -> datetime:
    """A time on the observed schedule (e.g. ``12:01:17``), near the earliest of ``times``.

    The phase is the median offset of the frames from the most common phase, so a few
    off-schedule files or jitter do not move it.
    """
    step = interval // timedelta(microseconds=1)
    return from_us(detect_anchor_us([to_us(t) for t in times], step))


def detect_anchor_us(micros: Sequence[int], step: int) -> int:
    """:func:`detect_anchor` on epoch microseconds."""
    if not micros:
        raise IntervalError("no frames to take the schedule phase from")
    if step <= 0:
        raise IntervalError(f"interval must be positive, got {step} µs")
    phases = [m % step for m in micros[:: max(1, len(micros) // _SAMPLE)]]
    ref = Counter(p // _US for p in phases).most_common(1)[0][0] * _US
    half = step // 2
    offsets = sorted(((p - ref + half) % step) - half for p in phases)
    phase = (ref + offsets[len(offsets) // 2]) % step
    k = round((min(micros) - phase) / step)
    return phase + k * step


def expected_series(
    start: datetime, end: datetime, interval: timedelta, anchor: datetime
) -> list[datetime]:
    """Every time ``anchor + k * interval`` inside ``[start, end]`` (keeps the anchor's phase)."""
    step = interval // timedelta(microseconds=1)
    if step <= 0:
        raise IntervalError(f"interval must be positive, got {interval}")
    lo, hi, base = to_us(start), to_us(end), to_us(anchor)
    if hi < lo:
        return []
    k = -((base - lo) // step)  # ceil((lo - base) / step)
    first = base + k * step
    return [from_us(t) for t in range(first, hi + 1, step)]


def format_local(when: datetime, tz: str | ZoneInfo) -> str:
    """Show a UTC time in a local zone: ``2024-03-10 03:00:00 EDT (-0400)``."""
    try:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserInputError(f"unknown time zone '{tz}'; use a name like America/New_York") from None
    moment = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z (%z)")
