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
from goesvfi.core.satellites import SECTOR_CODES
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
    if key not in SECTOR_CODES:
        raise UserInputError(f"sector '{sector}' is not one of {', '.join(SECTOR_CODES)}")
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


def detect_interval(times: Sequence[datetime], prior: timedelta | None = None) -> timedelta:
    """The frame interval of ``times``: the cadence that the gaps between frames are multiples of.

    A 5-minute series with every other frame missing is a 5-minute series, even where most gaps
    are 10 minutes. Robust to duplicates, a few seconds of jitter (scan starts at :01:17, :06:17)
    and a few odd gaps (an off-schedule file). ``prior`` is the cadence the product is known to
    have (CONUS 5 min); it wins whenever the gaps are multiples of it. The result is snapped to a
    multiple of 30 s when within jitter of one.
    """
    prior_us = None if prior is None else prior // timedelta(microseconds=1)
    return timedelta(microseconds=detect_interval_us([to_us(t) for t in times], prior_us))


def detect_interval_us(micros: Sequence[int], prior_us: int | None = None) -> int:
    """:func:`detect_interval` on epoch microseconds (the scan's fast path); returns microseconds."""
    if len(micros) < 2:
        raise IntervalError("need at least two frames to detect the interval", hint="give the interval")
    ordered = sorted(micros)
    stride = max(1, len(ordered) // _SAMPLE)  # a few thousand steps decide as well as all
    steps = [
        (ordered[i + 1] - ordered[i]) / _US
        for i in range(0, len(ordered) - 1, stride)
        if ordered[i + 1] - ordered[i] > _US
    ]
    if not steps:
        raise IntervalError(
            "all frames share one time (duplicates only); cannot detect the interval",
            hint="give the interval",
        )
    steps.sort()
    p75 = steps[min(len(steps) - 1, (len(steps) * 3) // 4)]
    groups = _gap_groups([s for s in steps if s >= 0.25 * p75])  # shorter steps: near-duplicates
    total = sum(count for _, count in groups)
    allowed = 2 * _odd_frames_allowed(total + 1)  # an off-schedule file makes two odd gaps
    if prior_us is not None and prior_us > 0 and _unexplained(groups, prior_us / _US) <= allowed:
        return prior_us
    chosen = _cadence(groups, allowed)
    return round(_snap(_refine(groups, chosen)) * _US)


def _odd_frames_allowed(frames: int) -> int:
    """Off-schedule files tolerated among ``frames``: one in 20 (one in 6 or fewer files: none)."""
    return min(frames // 6, max(1, frames // 20))


def _gap_groups(steps: list[float]) -> list[tuple[float, int]]:
    """Sorted steps grouped when within 1 % (or 2 s) of a group's first: (median, count) each."""
    groups: list[list[float]] = [[steps[0]]]
    for step in steps[1:]:
        centre = groups[-1][0]
        if step - centre <= max(2.0, 0.01 * centre):
            groups[-1].append(step)
        else:
            groups.append([step])
    return [(statistics.median(group), len(group)) for group in groups]


def _tolerance(cadence: float) -> float:
    """How far a gap may be from a multiple of ``cadence`` (s): scan-start jitter, not a phase."""
    return min(max(2.0, 0.05 * cadence), 0.25 * cadence)


def _unexplained(groups: list[tuple[float, int]], cadence: float) -> int:
    """How many gaps are not (within jitter) a whole number of ``cadence`` steps."""
    tol = _tolerance(cadence)
    missed = 0
    for gap, count in groups:
        multiple = round(gap / cadence)
        if multiple < 1 or abs(gap - multiple * cadence) > tol:
            missed += count
    return missed


def _cadence(groups: list[tuple[float, int]], allowed: int) -> float:
    """The longest candidate cadence that all gaps but ``allowed`` are multiples of.

    Candidates are the recurring gaps and their halves, thirds ... sixths (a lone gap is more
    likely an odd file than a cadence). With no such candidate, the one explaining most gaps.
    """
    recurring = [gap for gap, count in groups if count >= 2] or [gap for gap, _ in groups]
    candidates = sorted({_snap(gap / k) for gap in recurring for k in range(1, 7)}, reverse=True)
    best, best_missed = candidates[0], _unexplained(groups, candidates[0])
    for candidate in candidates:
        missed = _unexplained(groups, candidate)
        if missed <= allowed:
            return candidate
        if missed < best_missed:
            best, best_missed = candidate, missed
    return best


def _refine(groups: list[tuple[float, int]], cadence: float) -> float:
    """The median of each explained gap divided by its multiple: ``cadence`` measured, not guessed."""
    tol = _tolerance(cadence)
    estimates: list[float] = []
    for gap, count in groups:
        multiple = round(gap / cadence)
        if multiple >= 1 and abs(gap - multiple * cadence) <= tol:
            estimates.extend([gap / multiple] * min(count, 1000))
    return statistics.median(estimates) if estimates else cadence


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


def expected_series(start: datetime, end: datetime, interval: timedelta, anchor: datetime) -> list[datetime]:
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
