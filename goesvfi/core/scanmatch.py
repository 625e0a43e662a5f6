"""Match frame times to the expected series: the interval, its phase, the range and the slots.

:func:`match_frames` is the second half of :func:`goesvfi.core.integrity.scan_folder`: given the
frames of one format (time µs, path, satellite), it decides the interval (given; else the one
the gaps are multiples of, or the product's cadence when the names give the sector and the
gaps fit it), finds the schedule's phase, bounds the series (by default exactly the first to
the last frame) and fills the report's slots, duplicates, off-schedule and out-of-range lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from goesvfi.core.config import ScanSettings
from goesvfi.core.satellites import sector_cadence
from goesvfi.core.scanreport import ScanInputError, ScanReport
from goesvfi.core.timeindex import detect_anchor_us, detect_interval_us, from_us, to_us

__all__ = ["MAX_SLOTS", "Frame", "match_frames"]

_US = 1_000_000
MAX_SLOTS = 5_000_000
Frame = tuple[int, str, int | None]  # time (µs), path, the satellite the name gives


def match_frames(
    report: ScanReport,
    frames: list[Frame],
    start: datetime | None,
    end: datetime | None,
    interval: timedelta | None,
    tolerance: timedelta | None,
    settings: ScanSettings,
    empty_times: list[int] | None = None,
) -> None:
    """Detect the interval and phase, build the expected series and match frames to slots."""
    distinct = sorted({frame[0] for frame in frames} | set(empty_times or []))
    _decide_interval(report, interval, distinct)
    step = report.interval // timedelta(microseconds=1)
    if step <= 0:
        _match_times(report, frames, start, end)
        return
    fraction_tol = report.interval * settings.tolerance_fraction
    tol = (tolerance if tolerance is not None else fraction_tol) // timedelta(microseconds=1)
    if tol * 2 >= step:
        raise ScanInputError(
            f"the tolerance must be less than half the interval ({step / _US / 2:g} s)",
            setting="tolerance",
            value=f"{tol / _US:g} s",
            hint="give a smaller tolerance",
        )
    report.tolerance = timedelta(microseconds=tol)
    anchor = detect_anchor_us(distinct, step) if distinct else (to_us(start) if start else 0)
    report.anchor = from_us(anchor)
    first, last = _bounds(anchor, step, tol, distinct, start, end)
    count = max(0, (last - first) // step + 1)
    if count > MAX_SLOTS:
        raise ScanInputError(
            f"the range holds {count:,} expected frames at this interval (limit {MAX_SLOTS:,})",
            hint="give a narrower start and end or a longer interval",
        )
    grid = range(first, first + count * step, step)
    # With the default range, a first or last frame off the schedule is the end of the series.
    lead = distinct[0] if start is None and distinct and _off(distinct[0], anchor, step, tol) else None
    trail = distinct[-1] if end is None and distinct and _off(distinct[-1], anchor, step, tol) else None
    _assign(report, frames, anchor, tol, grid, lead, trail)


def _decide_interval(report: ScanReport, interval: timedelta | None, distinct: list[int]) -> None:
    """The given interval, else the one the frames show (the product's cadence when they fit it)."""
    prior = _product_cadence(report.sector, distinct)
    if interval is not None:
        report.interval, report.interval_source = interval, "given"
    elif len(distinct) >= 2:
        detected = detect_interval_us(distinct, prior)
        report.interval = timedelta(microseconds=detected)
        report.interval_source = "product" if detected == prior else "detected"
    elif prior is not None:
        report.interval, report.interval_source = timedelta(microseconds=prior), "product"
    else:
        report.warnings.append(
            "fewer than two frame times found: cannot detect the interval; give the interval"
        )


def _off(ts_us: int, anchor: int, step: int, tol: int) -> bool:
    """Whether ``ts_us`` is further than ``tol`` from every slot of the schedule."""
    return abs(ts_us - (anchor + ((ts_us - anchor + step // 2) // step) * step)) > tol


def _assign(
    report: ScanReport,
    frames: list[Frame],
    anchor: int,
    tol: int,
    grid: range,
    lead: int | None,
    trail: int | None,
) -> None:
    """Match each frame to its nearest slot of ``grid``, or to the series' off-schedule ends."""
    step = grid.step
    half = step // 2
    first, last = grid.start, grid.start + (len(grid) - 1) * step
    slots: dict[int, str] = {}  # slot -> its first file
    extra: dict[int, list[str]] = {}  # slot -> its further files (duplicates)
    for ts_us, path, _ in frames:
        slot = anchor + ((ts_us - anchor + half) // step) * step  # the nearest slot
        if abs(ts_us - slot) > tol:
            if lead is not None and abs(ts_us - lead) <= tol:
                slot = lead
            elif trail is not None and abs(ts_us - trail) <= tol:
                slot = trail
            else:
                report.off_schedule.append((path, ts_us))
                continue
        elif slot < first or slot > last:
            report.out_of_range.append(path)
            continue
        if slot in slots:
            extra.setdefault(slot, []).append(path)
        else:
            slots[slot] = path
    if lead is None and trail is None:
        report.set_found(slots, extra, grid)
    else:
        before, after = [lead] if lead is not None else [], [trail] if trail is not None else []
        report.set_found(slots, extra, [*before, *grid, *after])


def _product_cadence(sector: str | None, distinct: list[int]) -> int | None:
    """The cadence (µs) of the sector the file names give, in the scan mode of the first frame."""
    if sector is None or not distinct:
        return None
    cadence = sector_cadence(sector, from_us(distinct[0]))
    return None if cadence is None else cadence // timedelta(microseconds=1)


def _match_times(
    report: ScanReport,
    frames: list[Frame],
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
    anchor: int, step: int, tol: int, distinct: list[int], start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    """First and last expected slot: inside ``start``/``end``, else inside the first and last frame.

    A slot within ``tol`` before the first frame (or after the last) is the one that frame fills.
    """
    if not distinct and (start is None or end is None):
        return anchor, anchor - step  # nothing to anchor an open range on: expect nothing

    def slot_of(ts_us: int) -> int:
        return anchor + ((ts_us - anchor + step // 2) // step) * step

    low = to_us(start) if start is not None else distinct[0] - tol
    high = to_us(end) if end is not None else distinct[-1] + tol
    first = slot_of(low)
    first = first if first >= low else first + step
    last = slot_of(high)
    last = last if last <= high else last - step
    return first, last
