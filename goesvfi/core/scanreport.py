"""The result of an integrity scan: counts, lists, JSON and CSV forms, a human summary.

Paths are kept as ``str`` internally (the scan handles 100,000 files; building ``Path`` objects
for each would cost more than the scan) and turned into :class:`~pathlib.Path` on access.
Names that are not valid UTF-8 are shown with :func:`printable` (undecodable bytes as
``\\xNN``), so JSON, CSV and the terminal never choke on them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from goesvfi.core.atomic import atomic_path
from goesvfi.core.errors import UserInputError
from goesvfi.core.timeindex import from_us

SLOT_FOUND, SLOT_MISSING, SLOT_DUPLICATE = "found", "missing", "duplicate"


class ScanInputError(UserInputError):
    """A scan argument or the scanned folder itself is unusable."""


def printable(text: str) -> str:
    """``text`` with undecodable file-system bytes written as ``\\xNN`` (safe for JSON/terminal)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def iso(when: datetime) -> str:
    """``2024-05-01T12:01:17Z`` (``.300Z`` kept when the time has fractions of a second)."""
    moment = when.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds") + "Z"


@dataclass
class ScanReport:
    """What :func:`goesvfi.core.integrity.scan_folder` found. ``to_json()`` is the CLI's JSON."""

    folder: Path
    recursive: bool = False
    satellite: str | None = None
    interval: timedelta = timedelta(0)
    interval_source: str = "unknown"  # "given" | "detected" | "unknown"
    tolerance: timedelta = timedelta(0)
    anchor: datetime | None = None
    format: str | None = None  # the file format checked ("png"); each format is its own series
    other_formats: dict[str, int] = field(default_factory=dict)  # the formats not checked: files
    sector: str | None = None  # the sector most names give (FD, CONUS, M1, M2), if any
    missing: list[datetime] = field(default_factory=list)
    duplicates: list[tuple[datetime, list[Path]]] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)
    out_of_range: list[str] = field(default_factory=list)
    off_schedule: list[tuple[str, int]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    other_satellite: list[str] = field(default_factory=list)
    skipped_dirs: list[tuple[str, str]] = field(default_factory=list)
    unreadable_files: list[tuple[str, str]] = field(default_factory=list)
    non_utf8: list[str] = field(default_factory=list)  # names that are not valid UTF-8
    files_seen: int = 0
    cache: str = "off"  # "used" | "bypassed" | "off"
    cache_reused: int = 0
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    _slots: dict[int, str] = field(default_factory=dict, repr=False)  # slot (µs) -> first file
    _extra: dict[int, list[str]] = field(default_factory=dict, repr=False)  # slot -> more files
    _series: list[int] | range = field(default_factory=list, repr=False)

    # -- filled by the scan -----------------------------------------------------------------

    def set_found(
        self, slots: dict[int, str], extra: dict[int, list[str]], series: list[int] | range
    ) -> None:
        """Record the first file per slot, further files per slot, and the expected slots (µs)."""
        self._slots, self._extra, self._series = slots, extra, series
        self.missing = [from_us(t) for t in series if t not in slots]
        self.duplicates = [(from_us(t), [Path(p) for p in self._paths(t)]) for t in sorted(extra)]

    def _paths(self, slot: int) -> list[str]:
        """The files matched to ``slot``, sorted."""
        first = self._slots.get(slot)
        if first is None:
            return []
        more = self._extra.get(slot)
        return sorted([first, *more]) if more else [first]

    def sort_lists(self) -> None:
        """Put every file list in path order (the walk sees files in directory order)."""
        for items in (self.unparsed, self.empty, self.out_of_range, self.other_satellite, self.non_utf8):
            items.sort()
        for pairs in (self.ambiguous, self.skipped_dirs, self.unreadable_files):
            pairs.sort()
        self.off_schedule.sort()

    # -- views ------------------------------------------------------------------------------

    @property
    def expected(self) -> list[datetime]:
        return [from_us(t) for t in self._series]

    @property
    def expected_count(self) -> int:
        return len(self._series)

    @property
    def found(self) -> dict[datetime, list[Path]]:
        """Slot time → files matched to it (several = duplicates)."""
        return {from_us(t): [Path(p) for p in self._paths(t)] for t in sorted(self._slots)}

    @property
    def found_count(self) -> int:
        return len(self._slots)

    def to_json(self) -> dict[str, Any]:
        """The ``goesvfi check --json`` object (times as ISO 8601 UTC ending in ``Z``)."""
        series = self._series
        return {
            "folder": printable(str(self.folder)),
            "recursive": self.recursive,
            "satellite": self.satellite,
            "interval_minutes": self.interval.total_seconds() / 60.0,
            "interval_source": self.interval_source,
            "tolerance_seconds": self.tolerance.total_seconds(),
            "anchor": iso(self.anchor) if self.anchor else None,
            "format": self.format,
            "other_formats": dict(self.other_formats),
            "sector": self.sector,
            "start": iso(from_us(series[0])) if series else None,
            "end": iso(from_us(series[-1])) if series else None,
            "expected": self.expected_count,
            "found": self.found_count,
            "missing_count": len(self.missing),
            "missing": [iso(t) for t in self.missing],
            "duplicates": [
                {"time": iso(t), "files": [printable(str(p)) for p in paths]} for t, paths in self.duplicates
            ],
            "unparsed": [printable(p) for p in self.unparsed],
            "ambiguous": [{"file": printable(p), "reason": printable(r)} for p, r in self.ambiguous],
            "out_of_range": [printable(p) for p in self.out_of_range],
            "off_schedule": [{"file": printable(p), "time": iso(from_us(t))} for p, t in self.off_schedule],
            "empty": [printable(p) for p in self.empty],
            "other_satellite": [printable(p) for p in self.other_satellite],
            "skipped_dirs": [{"path": printable(p), "reason": r} for p, r in self.skipped_dirs],
            "unreadable_files": [{"path": printable(p), "reason": r} for p, r in self.unreadable_files],
            "non_utf8_names": [printable(p) for p in self.non_utf8],
            "files_seen": self.files_seen,
            "cache": self.cache,
            "cache_reused": self.cache_reused,
            "warnings": list(self.warnings),
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def _others(self) -> str:
        if not self.other_formats:
            return ""
        return (
            " (not checked: "
            + ", ".join(f"{n} {fmt or 'no extension'}" for fmt, n in self.other_formats.items())
            + ")"
        )

    def slot_rows(self) -> list[tuple[str, str, str]]:
        """One ``(timestamp, status, paths)`` row per expected slot (paths joined with ``;``)."""
        rows = []
        for t in self._series:
            paths = self._paths(t)
            if not paths:
                rows.append((iso(from_us(t)), SLOT_MISSING, ""))
            else:
                status = SLOT_DUPLICATE if len(paths) > 1 else SLOT_FOUND
                rows.append((iso(from_us(t)), status, ";".join(printable(p) for p in paths)))
        return rows

    def write_csv(self, path: Path) -> Path:
        """Write :meth:`slot_rows` with a header to ``path`` atomically (temp file + rename)."""
        target = Path(path)
        folder = target.parent if str(target.parent) else Path(".")
        if target.is_dir():
            raise UserInputError(
                "this is a folder", setting="csv", value=target, hint="give a file name for the CSV report"
            )
        if not folder.is_dir():
            raise UserInputError(
                f"the folder '{folder}' does not exist", setting="csv", value=target, hint="create it first"
            )
        with atomic_path(target, tag="tmp") as tmp:
            try:
                handle = tmp.open("x", newline="", encoding="utf-8")
            except OSError as exc:
                raise UserInputError(
                    f"cannot write in '{folder}': {exc.strerror or exc}",
                    setting="csv",
                    value=target,
                    hint="choose a folder you can write to",
                ) from None
            with handle:
                writer = csv.writer(handle)
                writer.writerow(("timestamp", "status", "path"))
                writer.writerows(self.slot_rows())
        return target

    def summary_lines(self, show: int = 10) -> list[str]:
        """A short human-readable summary for the terminal (the first ``show`` items of each list)."""
        data = self.to_json()
        tolerance = f", tolerance {self.tolerance.total_seconds():g} s" if self.tolerance else ""
        lines = [
            f"{'folder':16}{data['folder']}" + (" (recursive)" if self.recursive else ""),
            f"{'interval':16}{data['interval_minutes']:g} min ({self.interval_source}){tolerance}",
            f"{'format':16}{self.format or '-'}{self._others()}",
            f"{'range':16}{data['start'] or '-'} .. {data['end'] or '-'}",
            f"{'expected':16}{self.expected_count}",
            f"{'found':16}{self.found_count}",
            f"{'missing':16}{len(self.missing)}",
        ]
        lines += [f"  {iso(t)}" for t in self.missing[:show]]
        if len(self.missing) > show:
            lines.append(f"  ... and {len(self.missing) - show} more (the JSON and CSV reports list all)")
        details: list[tuple[str, list[str]]] = [
            ("duplicates", [f"{iso(t)}: {len(paths)} files" for t, paths in self.duplicates]),
            ("unparsed", [printable(p) for p in self.unparsed]),
            ("ambiguous", [printable(reason) for _, reason in self.ambiguous]),
            ("out of range", [printable(p) for p in self.out_of_range]),
            ("off schedule", [printable(p) for p, _ in self.off_schedule]),
            ("empty files", [printable(p) for p in self.empty]),
            ("other satellite", [printable(p) for p in self.other_satellite]),
            ("skipped folders", [f"{printable(p)}: {reason}" for p, reason in self.skipped_dirs]),
            ("unreadable", [f"{printable(p)}: {reason}" for p, reason in self.unreadable_files]),
        ]
        for label, items in details:
            if items:
                lines.append(f"{label:16}{len(items)}")
                lines += [f"  {item}" for item in items[:show]]
                if len(items) > show:
                    lines.append(f"  ... and {len(items) - show} more")
        reused = f" ({self.cache_reused} files reused)" if self.cache_reused else ""
        lines.append(f"{'cache':16}{self.cache}{reused}")
        lines += [f"warning: {w}" for w in self.warnings]
        return lines
