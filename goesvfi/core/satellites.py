"""The satellite registry, as data.

A new satellite is one row in :data:`SATELLITES`; a new product one row in :data:`PRODUCTS`.
"East" and "West" are roles that resolve by date (GOES-East is GOES-16 until
2025-04-07 15:10 UTC and GOES-19 after), never a hard-wired satellite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from goesvfi.core.errors import UserInputError


class UnknownSatelliteError(UserInputError):
    """A satellite, role or product name is not in the registry."""


@dataclass(frozen=True, slots=True)
class RoleSpan:
    """A satellite served ``role`` from ``start`` (inclusive) to ``end`` (exclusive, None = now)."""

    role: str
    start: datetime
    end: datetime | None

    def covers(self, when: datetime) -> bool:
        return self.start <= when and (self.end is None or when < self.end)


@dataclass(frozen=True, slots=True)
class Satellite:
    """One GOES-R series satellite."""

    number: int
    bucket: str
    roles: tuple[RoleSpan, ...]
    longitude: float | None  # operational sub-satellite longitude (degrees east)

    @property
    def name(self) -> str:
        """``GOES-19``."""
        return f"GOES-{self.number}"

    @property
    def short(self) -> str:
        """``G19`` as in ABI file names."""
        return f"G{self.number}"

    @property
    def cdn_name(self) -> str:
        """``GOES19`` as in NOAA STAR CDN paths and goestools/Sanchez names."""
        return f"GOES{self.number}"

    def role_at(self, when: datetime) -> str | None:
        """``east``/``west`` at ``when``, or ``None`` (checkout, storage or archive only)."""
        for span in self.roles:
            if span.covers(_utc(when)):
                return span.role
        return None


@dataclass(frozen=True, slots=True)
class Product:
    """An ABI product as laid out in the NOAA buckets (``ABI-L1b-RadC``)."""

    name: str
    level: str  # "L1b" or "L2"
    variable: str  # "Rad" or "CMI"
    sector: str  # "F", "C" or "M"
    cdn_sector: str | None  # "FD", "CONUS"; None where the CDN has no such imagery

    @property
    def file_product(self) -> str:
        """The product as written in the file name (``ABI-L1b-RadC``, ``ABI-L2-CMIPF``)."""
        return self.name


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


GOES_EAST_SWITCH = _dt("2025-04-07T15:10:00")
GOES_WEST_SWITCH = _dt("2023-01-10T00:00:00")
MODE6_START = _dt("2019-04-02T16:00:00")

SATELLITES: tuple[Satellite, ...] = (
    Satellite(16, "noaa-goes16", (RoleSpan("east", _dt("2017-12-18"), GOES_EAST_SWITCH),), -75.2),
    Satellite(17, "noaa-goes17", (RoleSpan("west", _dt("2019-02-12"), GOES_WEST_SWITCH),), -137.2),
    Satellite(18, "noaa-goes18", (RoleSpan("west", GOES_WEST_SWITCH, None),), -137.0),
    Satellite(19, "noaa-goes19", (RoleSpan("east", GOES_EAST_SWITCH, None),), -75.2),
)

PRODUCTS: tuple[Product, ...] = (
    Product("ABI-L1b-RadF", "L1b", "Rad", "F", "FD"),
    Product("ABI-L1b-RadC", "L1b", "Rad", "C", "CONUS"),
    Product("ABI-L1b-RadM", "L1b", "Rad", "M", None),
    Product("ABI-L2-CMIPF", "L2", "CMI", "F", "FD"),
    Product("ABI-L2-CMIPC", "L2", "CMI", "C", "CONUS"),
    Product("ABI-L2-CMIPM", "L2", "CMI", "M", None),
)

# Scan interval per (sector, scan mode); None means the mode does not scan that sector.
CADENCE: dict[tuple[str, int], timedelta | None] = {
    ("F", 6): timedelta(minutes=10),
    ("C", 6): timedelta(minutes=5),
    ("M", 6): timedelta(minutes=1),
    ("F", 3): timedelta(minutes=15),
    ("C", 3): timedelta(minutes=5),
    ("M", 3): timedelta(minutes=1),
    ("F", 4): timedelta(minutes=5),
    ("C", 4): None,
    ("M", 4): None,
}


@dataclass(frozen=True, slots=True)
class Sector:
    """A scan sector as named in canonical, goestools and CDN file names (``FD``, ``CONUS``, ``M1``)."""

    code: str
    letter: str  # the product's sector letter: "F", "C" or "M"
    scan_seconds: float  # about how long one scan of the sector takes


SECTORS: tuple[Sector, ...] = (
    Sector("FD", "F", 590.0),
    Sector("CONUS", "C", 142.0),
    Sector("M1", "M", 25.0),
    Sector("M2", "M", 25.0),
)
SECTOR_CODES = tuple(sector.code for sector in SECTORS)
MESO_SECTORS = tuple(sector.code for sector in SECTORS if sector.letter == "M")
BANDS = tuple(range(1, 17))
# Codes and product letters, upper case; a bare "M" is the first mesoscale sector.
_SECTOR_LOOKUP = {
    **{sector.letter: sector for sector in reversed(SECTORS)},
    **{sector.code: sector for sector in SECTORS},
}


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _by_number(number: int) -> Satellite:
    for sat in SATELLITES:
        if sat.number == number:
            return sat
    known = ", ".join(s.name for s in SATELLITES)
    raise UnknownSatelliteError(f"unknown satellite GOES-{number}; known: {known}, east, west")


_NAME_RE = re.compile(r"^(?:goes[-_ ]?|g)?(\d{2})$", re.IGNORECASE)


def satellite_for_role(role: str, when: datetime) -> Satellite:
    """The satellite serving ``role`` (``east``/``west``) at ``when``."""
    key = role.strip().lower()
    moment = _utc(when)
    for sat in SATELLITES:
        if sat.role_at(moment) == key:
            return sat
    raise UnknownSatelliteError(
        f"no GOES-{key.capitalize()} satellite was operational at {moment:%Y-%m-%d %H:%M} UTC; "
        "name a satellite such as GOES-16 instead"
    )


def resolve_satellite(name: str, when: datetime | None = None) -> Satellite:
    """Resolve ``GOES-19``, ``goes19``, ``G19``, ``19``, ``east`` or ``west`` (roles by date).

    ``when`` defaults to now; pass the time you are asking about so a role resolves to the
    satellite that held it then.
    """
    key = name.strip().lower()
    if key in ("east", "goes-east", "west", "goes-west"):
        return satellite_for_role(key.removeprefix("goes-"), when or datetime.now(UTC))
    match = _NAME_RE.match(key)
    if not match:
        raise UnknownSatelliteError(f"unknown satellite '{name}'; use east, west, or a name like GOES-19")
    return _by_number(int(match.group(1)))


def role_spans(role: str, start: datetime, end: datetime) -> list[tuple[Satellite, datetime, datetime]]:
    """Split ``[start, end]`` into pieces, each served by one satellite in ``role``."""
    key = role.strip().lower()
    lo, hi = _utc(start), _utc(end)
    pieces: list[tuple[Satellite, datetime, datetime]] = []
    for sat in SATELLITES:
        for span in sat.roles:
            if span.role != key:
                continue
            s = max(lo, span.start)
            e = hi if span.end is None else min(hi, span.end)
            if s <= e and (span.end is None or s < span.end):
                pieces.append((sat, s, e))
    return sorted(pieces, key=lambda piece: piece[1])


def get_product(name: str) -> Product:
    """Look up a product by its bucket name (``ABI-L1b-RadC``), case-insensitively."""
    for prod in PRODUCTS:
        if prod.name.lower() == name.strip().lower():
            return prod
    known = ", ".join(p.name for p in PRODUCTS)
    raise UnknownSatelliteError(f"unknown product '{name}'; known: {known}")


def default_scan_mode(when: datetime) -> int:
    """Mode 6 since 2019-04-02; mode 3 before."""
    return 6 if _utc(when) >= MODE6_START else 3


def cadence(product: Product | str, mode: int | None = None, when: datetime | None = None) -> timedelta:
    """The scan interval of ``product`` in scan ``mode`` (default: the mode in use at ``when``)."""
    prod = get_product(product) if isinstance(product, str) else product
    scan_mode = mode if mode is not None else default_scan_mode(when or datetime.now(UTC))
    if (prod.sector, scan_mode) not in CADENCE:
        raise UnknownSatelliteError(f"unknown scan mode {scan_mode}; ABI uses modes 3, 4 and 6")
    value = CADENCE[(prod.sector, scan_mode)]
    if value is None:
        raise UnknownSatelliteError(f"{prod.name} is not scanned in mode {scan_mode}")
    return value


def get_sector(code: str) -> Sector:
    """The sector for ``FD``, ``CONUS``, ``M1``, ``M2`` or a product letter (``F``, ``C``, ``M`` = M1)."""
    sector = _SECTOR_LOOKUP.get(code.strip().upper())
    if sector is None:
        raise UnknownSatelliteError(f"unknown sector '{code}'; known: {', '.join(SECTOR_CODES)}")
    return sector


def sector_code(letter: str, meso: str | None = None) -> str:
    """``FD``/``CONUS`` for a product's sector letter; the mesoscale sector (default M1) for ``M``."""
    sector = get_sector(letter)
    if sector.letter == "M" and meso is not None:
        return get_sector(meso).code
    return sector.code


def sector_product(code: str, level: str = "L1b") -> Product:
    """The bucket product holding sector ``code`` (``CONUS`` → ``ABI-L1b-RadC``; M1/M2 → ``...RadM``)."""
    letter = get_sector(code).letter
    for prod in PRODUCTS:
        if prod.level == level and prod.sector == letter:
            return prod
    raise UnknownSatelliteError(f"unknown product level '{level}'; use L1b or L2")


def sector_cadence(code: str, when: datetime | None = None, mode: int | None = None) -> timedelta | None:
    """How often sector ``code`` is scanned in ``mode`` (default: the mode in use at ``when``).

    None when the sector is unknown (a CDN sub-sector such as ``pnw``) or not scanned in that mode.
    """
    sector = _SECTOR_LOOKUP.get(code.strip().upper())
    if sector is None:
        return None
    scan_mode = mode if mode is not None else default_scan_mode(when or datetime.now(UTC))
    return CADENCE.get((sector.letter, scan_mode))
