"""Timestamps from frame file names (and dated folder names), always in UTC.

Recognised, most specific first (the ``pattern`` name is what :class:`ParsedName` reports):

``abi``        ``OR_ABI-L1b-RadC-M6C13_G18_s20241230001173_e..._c....nc`` (``s`` = YYYYDDDHHMMSSt)
``cdn``        ``20241230001_GOES18-ABI-CONUS-13-1250x750.jpg`` (NOAA STAR CDN, YYYYDDDHHMM)
``goestools``  ``GOES19_FD_CH13_20250508T000020Z.jpg`` (goestools / Sanchez, also ``-FC`` outputs
               and composites such as ``GOES16_FD_FC_20200830T033031Z.jpg``)
``compact``    ``anything_20250508T000020Z.png``
``ymd_hms``    ``20250508_000020``
``dashed``     ``2025-05-08_00-00-20``
``calendar``   a calendar date and time of day with any of ``- _ . space T :`` between the
               parts, optional seconds, optional ``Z``/``UTC``
``folder``     a name holding only a time of day (``000020``, ``1200``, ``00-00-20``, ``ir_T0000Z``)
               inside a dated folder: ``YYYY/DDD/[HH/]`` or ``YYYY-MM-DD/[HH/]`` (or ``YYYYMMDD``);
               four bare digits after a prefix (``frame_0001``) look like a counter and are refused;
               also any name without a time inside a folder whose own name holds a full timestamp
               (``2024-12-21_18-00-22/frame.png``)

Names whose date is written day/month-first (``05-08-2025``) are reported as ambiguous when
both numbers could be a month; names with two different timestamps are ambiguous too. Both
raise :class:`AmbiguousNameError`. Names with no usable timestamp give ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from goesvfi.core.errors import UserInputError
from goesvfi.core.satellites import MESO_SECTORS, sector_code


class AmbiguousNameError(UserInputError):
    """A file name holds a timestamp that cannot be read without guessing."""


@dataclass(frozen=True, slots=True)
class ParsedName:
    """What a file name says about its frame."""

    timestamp: datetime  # UTC, tz-aware
    pattern: str
    satellite: int | None = None
    band: int | None = None
    sector: str | None = None


@dataclass(frozen=True, slots=True)
class AbiFileName:
    """The fields of an ABI L1b/L2 NetCDF file name."""

    satellite: int
    product: str  # bucket product: "ABI-L1b-RadC", meso M1/M2 folded into "ABI-L1b-RadM"
    meso: str | None
    mode: int
    band: int
    start: datetime
    end: datetime
    created: datetime

    @property
    def sector(self) -> str:
        """``FD``, ``CONUS``, ``M1`` or ``M2``."""
        return sector_code(self.product[-1], self.meso)


_ABI_RE = re.compile(
    r"^O[RE]_ABI-(L1b|L2)-([A-Za-z]+?)(F|C|M1|M2)-M(\d)(?:C(\d\d))?_G(\d\d)"
    r"_s(\d{4})(\d{3})(\d\d)(\d\d)(\d\d)(\d)(?:_e(\d{14}))?(?:_c(\d{14}))?"
)
_CDN_RE = re.compile(r"^(\d{4})(\d{3})(\d\d)(\d\d)_GOES(\d\d)-ABI-([A-Za-z0-9]+)-([A-Za-z0-9]+)")
_GOESTOOLS_RE = re.compile(
    r"^GOES(\d\d)_([A-Za-z0-9]+)_(?:CH|C|B)?(\d\d|[A-Za-z]+)_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z"
)
_COMPACT_RE = re.compile(r"(?<![0-9])(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z?(?![0-9])")
_YMD_HMS_RE = re.compile(r"(?<![0-9])(\d{4})(\d\d)(\d\d)_(\d\d)(\d\d)(\d\d)(?![0-9])")
_DASHED_RE = re.compile(r"(?<![0-9])(\d{4})-(\d\d)-(\d\d)_(\d\d)-(\d\d)-(\d\d)(?![0-9])")
# Year-first calendar date + time of day, separators optional and mixed.
_CALENDAR_RE = re.compile(
    r"(?<![0-9])(\d{4})[-_. ]?(\d\d)[-_. ]?(\d\d)(?:[-_. T:]|\s*T\s*)?(\d\d)[-_.: ]?(\d\d)"
    r"(?:[-_.: ]?(\d\d))?(?:\.\d{1,6})?\s*(?:Z|UTC)?(?![0-9])",
    re.IGNORECASE,
)
# Day- or month-first dates (05-08-2025 12:00): only read when unambiguous.
_DMY_RE = re.compile(
    r"(?<![0-9])(\d\d)[-_. /](\d\d)[-_. /](\d{4})[-_. T:]+(\d\d)[-_.:]?(\d\d)(?:[-_.:]?(\d\d))?(?![0-9])"
)
_TIME_ONLY_RE = re.compile(
    r"^(?P<prefix>.*?[-_. ])??(?P<t>T)?(?P<a>\d\d)(?P<sep>[-_.:]?)(?P<b>\d\d)(?:[-_.:]?(?P<c>\d\d))?"
    r"(?:\.\d{1,6})?(?P<z>Z|UTC)?$",
    re.IGNORECASE,
)
_DOY_DIR_RE = re.compile(r"^\d{4}$")
_DATE_DIR_RE = re.compile(r"^(\d{4})-?(\d\d)-?(\d\d)$")
_HOUR_DIR_RE = re.compile(r"^\d\d$")


def _doy(year: int, doy: int, hour: int, minute: int, second: int = 0, micro: int = 0) -> datetime | None:
    """Day-of-year time, or None when the day does not exist in that year (2023-366)."""
    if not 1 <= doy <= 366 or hour > 23 or minute > 59 or second > 60:
        return None
    base = datetime(year, 1, 1, hour, minute, min(second, 59), micro, tzinfo=UTC)
    moment = base + timedelta(days=doy - 1)
    return moment if moment.year == year else None


def _ymd(y: str, mo: str, d: str, h: str, mi: str, s: str | None) -> datetime | None:
    try:
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=UTC)
    except ValueError:
        return None


def _abi_time(field: str) -> datetime | None:
    return _doy(
        int(field[:4]),
        int(field[4:7]),
        int(field[7:9]),
        int(field[9:11]),
        int(field[11:13]),
        int(field[13]) * 100_000,
    )


def parse_abi_filename(name: str) -> AbiFileName | None:
    """Fields of an ABI NetCDF name with a band (``...-M6C13_G18_s..._e..._c...``), else None."""
    match = _ABI_RE.match(name)
    if match is None or match.group(5) is None:
        return None
    level, kind, sector, mode, band, sat = match.group(1, 2, 3, 4, 5, 6)
    start = _abi_time("".join(match.group(7, 8, 9, 10, 11, 12)))
    end = _abi_time(match.group(13)) if match.group(13) else start
    created = _abi_time(match.group(14)) if match.group(14) else end
    if start is None or end is None or created is None:
        return None
    meso = sector if sector in MESO_SECTORS else None
    return AbiFileName(
        satellite=int(sat),
        product=f"ABI-{level}-{kind}{sector[0]}",
        meso=meso,
        mode=int(mode),
        band=int(band),
        start=start,
        end=end,
        created=created,
    )


def _from_abi(match: re.Match[str]) -> ParsedName | None:
    start = _abi_time("".join(match.group(7, 8, 9, 10, 11, 12)))
    if start is None:
        return None
    sector = match.group(3)
    band = match.group(5)
    return ParsedName(start, "abi", int(match.group(6)), int(band) if band else None, _abi_sector(sector))


@lru_cache(maxsize=8)
def _abi_sector(field: str) -> str:
    """``F`` → ``FD``, ``C`` → ``CONUS``, ``M1``/``M2`` as they are."""
    return sector_code(field[0], field if field in MESO_SECTORS else None)


def _from_cdn(match: re.Match[str]) -> ParsedName | None:
    y, doy, h, mi, sat, sector, band = match.groups()
    moment = _doy(int(y), int(doy), int(h), int(mi))
    if moment is None:
        return None
    return ParsedName(moment, "cdn", int(sat), int(band) if band.isdigit() else None, sector.upper())


def _from_goestools(match: re.Match[str]) -> ParsedName | None:
    sat, sector, band, y, mo, d, h, mi, s = match.groups()
    moment = _ymd(y, mo, d, h, mi, s)
    if moment is None:
        return None
    return ParsedName(moment, "goestools", int(sat), int(band) if band.isdigit() else None, sector.upper())


_GENERIC = (
    ("compact", _COMPACT_RE),
    ("ymd_hms", _YMD_HMS_RE),
    ("dashed", _DASHED_RE),
)


def _generic(name: str) -> ParsedName | None:
    """The unstructured patterns; raises AmbiguousNameError for conflicting timestamps."""
    for label, regex in _GENERIC:
        found = {_ymd(*m.groups()) for m in regex.finditer(name)} - {None}
        if found:
            return _single(name, found, label)
    found = set()
    for match in _CALENDAR_RE.finditer(name):
        moment = _ymd(*match.groups())
        if moment is not None:
            found.add(moment)
    if found:
        return _single(name, found, "calendar")
    return _day_first(name)


def _single(name: str, found: set[datetime | None], label: str) -> ParsedName:
    if len(found) > 1:
        times = ", ".join(sorted(f"{t:%Y-%m-%d %H:%M:%S}" for t in found if t is not None))
        raise AmbiguousNameError(f"'{name}' holds several timestamps ({times}); rename it")
    moment = next(iter(found))
    assert moment is not None
    return ParsedName(moment, label)


def _day_first(name: str) -> ParsedName | None:
    match = _DMY_RE.search(name)
    if match is None:
        return None
    a, b, year, h, mi, s = match.groups()
    if int(a) <= 12 and int(b) <= 12 and a != b:
        raise AmbiguousNameError(
            f"'{name}': date {a}-{b}-{year} could be day-month or month-day; "
            "rename it with the year first (YYYY-MM-DD)"
        )
    day, month = (a, b) if int(a) > 12 else (b, a)
    moment = _ymd(year, month, day, h, mi, s)
    return ParsedName(moment, "calendar") if moment is not None else None


@lru_cache(maxsize=4096)
def folder_date(parents: tuple[str, ...]) -> tuple[datetime, bool] | None:
    """Date (midnight UTC) from the last folders, and whether they also give the hour.

    ``(..., "2024", "366")``, ``(..., "2024", "366", "05")``, ``(..., "2024-12-31")``,
    ``(..., "20241231", "05")``.
    """
    parts = list(parents[-3:])
    hour: int | None = None
    if len(parts) >= 2 and _HOUR_DIR_RE.match(parts[-1]) and int(parts[-1]) < 24:
        # An hour folder only counts when a dated folder sits above it.
        above = _folder_day(parts[:-1])
        if above is not None:
            hour = int(parts[-1])
            return above + timedelta(hours=hour), True
    day = _folder_day(parts)
    return (day, False) if day is not None else None


def _folder_day(parts: Sequence[str]) -> datetime | None:
    if not parts:
        return None
    last = parts[-1]
    if len(parts) >= 2 and _DOY_DIR_RE.match(parts[-2]) and len(last) == 3 and last.isdigit():
        return _doy(int(parts[-2]), int(last), 0, 0)
    match = _DATE_DIR_RE.match(last)
    if match:
        year, month, day = match.groups()
        return _ymd(year, month, day, "0", "0", "0")
    return None


def _parse_in_folder(name: str, parents: tuple[str, ...]) -> ParsedName | None:
    dated = folder_date(parents)
    if dated is None:
        return None
    day, has_hour = dated
    stem = name.rsplit(".", 1)[0] if "." in name else name
    match = _TIME_ONLY_RE.match(stem)
    if match is None:
        return None
    a, b, c = match.group("a", "b", "c")
    marked = match.group("sep") or match.group("t") or match.group("z")
    if match.group("prefix") and c is None and not marked:
        return None  # "frame_0001": a counter as likely as a time of day; not guessed
    if has_hour:  # HH folder: the name gives minute and second (MMSS) or HHMMSS
        if c is None:
            h, mi, s = day.hour, int(a), int(b)
        else:
            h, mi, s = int(a), int(b), int(c)
            if h != day.hour:
                return None
    else:
        h, mi, s = int(a), int(b), int(c or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    moment = day.replace(hour=h, minute=mi, second=s)
    return ParsedName(moment, "folder")


def parse_name(name: str, parents: Sequence[str] = ()) -> ParsedName | None:
    """Read the timestamp of a frame from its file name (and dated parent folders).

    Returns None when the name has no usable timestamp; raises :class:`AmbiguousNameError`
    when it has one that could be read more than one way.
    """
    # Fast path: a structured name decides alone (a bad day such as 2023-366 gives None).
    first = name[:1]
    if first == "O" and (match := _ABI_RE.match(name)):
        return _from_abi(match)
    if first == "G" and (match := _GOESTOOLS_RE.match(name)):
        return _from_goestools(match)
    if "_GOES" in name and (match := _CDN_RE.match(name)):
        return _from_cdn(match)
    parsed = _generic(name)
    if parsed is None and parents:
        parsed = _parse_in_folder(name, tuple(parents)) or _folder_stamp(parents[-1])
    return parsed


@lru_cache(maxsize=4096)
def _folder_stamp(folder: str) -> ParsedName | None:
    """The time a folder's own name holds (``2024-12-21_18-00-22``), for an undated file inside it."""
    parsed = parse_name(folder)
    if parsed is None:
        return None
    return ParsedName(parsed.timestamp, "folder", parsed.satellite, parsed.band, parsed.sector)
