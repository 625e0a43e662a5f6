"""The integrity tab's slots: what each expected time of a scanned folder holds (found, missing,
duplicate, or fetched or failed by this app), the gaps and their analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from goesvfi.core.scanreport import SLOT_DUPLICATE, SLOT_FOUND, SLOT_MISSING, ScanReport

SLOT_FETCHED, SLOT_FAILED = "fetched", "failed"


@dataclass(frozen=True)
class Slot:
    """One expected time: its status (found, missing, duplicate, fetched, failed) and files."""

    time: datetime
    status: str
    paths: tuple[str, ...] = ()
    source: str = ""
    message: str = ""

    @property
    def is_gap(self) -> bool:
        return self.status in (SLOT_MISSING, SLOT_FAILED)


def gaps_of(slots: list[Slot]) -> list[tuple[int, int]]:
    """The runs of missing slots as (first index, last index)."""
    runs: list[tuple[int, int]] = []
    for index, slot in enumerate(slots):
        if not slot.is_gap:
            continue
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def summary_of(slots: list[Slot], interval: timedelta) -> dict[str, Any]:
    """Counts and gap analytics: completeness %, longest gap, gaps per day."""
    counts = {name: 0 for name in (SLOT_FOUND, SLOT_MISSING, SLOT_DUPLICATE, SLOT_FETCHED, SLOT_FAILED)}
    for slot in slots:
        counts[slot.status] += 1
    gaps = gaps_of(slots)
    longest = max((last - first + 1 for first, last in gaps), default=0)
    span_days = (slots[-1].time - slots[0].time).total_seconds() / 86400 if len(slots) > 1 else 0.0
    missing = counts[SLOT_MISSING] + counts[SLOT_FAILED]
    return {
        "expected": len(slots),
        **counts,
        "completeness": 100.0 * (len(slots) - missing) / len(slots) if slots else 100.0,
        "gaps": len(gaps),
        "longest_gap_slots": longest,
        "longest_gap": interval * longest,
        "gaps_per_day": len(gaps) / span_days if span_days else float(len(gaps)),
    }


def slots_from(report: ScanReport, fetched: dict[str, str]) -> list[Slot]:
    """The report's slots; a slot whose file this app fetched (``fetched``: path -> source) is
    ``fetched``."""
    found = report.found
    slots = []
    for moment in report.expected:
        paths = tuple(str(p) for p in found.get(moment, []))
        source = next((fetched[p] for p in paths if p in fetched), "")
        if not paths:
            status = SLOT_MISSING
        elif source:
            status = SLOT_FETCHED
        else:
            status = SLOT_DUPLICATE if len(paths) > 1 else SLOT_FOUND
        slots.append(Slot(moment, status, paths, source or ("local" if paths else "")))
    return slots


def minute_text(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def iso_text(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).isoformat()
