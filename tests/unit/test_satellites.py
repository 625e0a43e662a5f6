"""The satellite registry: roles by date, names, products and cadences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goesvfi.core.errors import UserInputError
from goesvfi.core.satellites import (
    GOES_EAST_SWITCH,
    MESO_SECTORS,
    SECTOR_CODES,
    UnknownSatelliteError,
    cadence,
    default_scan_mode,
    get_product,
    get_sector,
    resolve_satellite,
    role_spans,
    satellite_for_role,
    sector_cadence,
    sector_code,
    sector_product,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("role", "when", "number"),
    [
        ("east", utc(2025, 4, 7, 15, 9, 59), 16),
        ("east", utc(2025, 4, 7, 15, 10), 19),
        ("East", utc(2020, 1, 1), 16),
        ("goes-east", utc(2026, 1, 1), 19),
        ("west", utc(2023, 1, 9, 23, 59), 17),
        ("west", utc(2023, 1, 10), 18),
        ("WEST", utc(2025, 6, 1), 18),
    ],
)
def test_roles_resolve_by_date(role: str, when: datetime, number: int) -> None:
    assert resolve_satellite(role, when).number == number


def test_naive_times_are_utc() -> None:
    assert resolve_satellite("east", datetime(2025, 4, 7, 15, 10)).number == 19


def test_no_satellite_in_role_before_service() -> None:
    with pytest.raises(UnknownSatelliteError, match="GOES-East"):
        satellite_for_role("east", utc(2016, 1, 1))


@pytest.mark.parametrize("name", ["GOES-19", "goes19", "GOES_19", "G19", "19", " goes 19 "])
def test_names_resolve(name: str) -> None:
    sat = resolve_satellite(name)
    assert (sat.number, sat.bucket, sat.short, sat.cdn_name, sat.name) == (
        19,
        "noaa-goes19",
        "G19",
        "GOES19",
        "GOES-19",
    )


@pytest.mark.parametrize("name", ["GOES-7", "north", "", "goes-1900", "himawari"])
def test_unknown_names(name: str) -> None:
    with pytest.raises(UnknownSatelliteError) as info:
        resolve_satellite(name)
    assert isinstance(info.value, UserInputError)
    assert "east" in str(info.value)


def test_role_spans_across_the_east_switch() -> None:
    pieces = role_spans("east", utc(2025, 4, 7, 12), utc(2025, 4, 7, 18))
    assert [(sat.number, s, e) for sat, s, e in pieces] == [
        (16, utc(2025, 4, 7, 12), GOES_EAST_SWITCH),
        (19, GOES_EAST_SWITCH, utc(2025, 4, 7, 18)),
    ]
    assert [sat.number for sat, _, _ in role_spans("east", utc(2025, 5, 1), utc(2025, 5, 2))] == [19]
    west = role_spans("west", utc(2023, 1, 9), utc(2023, 1, 11))
    assert [(sat.number, e - s) for sat, s, e in west] == [(17, timedelta(days=1)), (18, timedelta(days=1))]


def test_role_at() -> None:
    goes16 = resolve_satellite("GOES-16")
    assert goes16.role_at(utc(2024, 1, 1)) == "east"
    assert goes16.role_at(utc(2025, 6, 1)) is None


@pytest.mark.parametrize(
    ("product", "mode", "minutes"),
    [
        ("ABI-L1b-RadF", 6, 10),
        ("ABI-L1b-RadF", 3, 15),
        ("ABI-L1b-RadF", 4, 5),
        ("ABI-L1b-RadC", 6, 5),
        ("ABI-L1b-RadC", 3, 5),
        ("ABI-L1b-RadM", 6, 1),
        ("ABI-L2-CMIPF", 6, 10),
        ("abi-l2-cmipc", 6, 5),
    ],
)
def test_cadence_per_mode(product: str, mode: int, minutes: int) -> None:
    assert cadence(product, mode) == timedelta(minutes=minutes)


def test_cadence_errors_and_default_mode() -> None:
    with pytest.raises(UnknownSatelliteError, match="not scanned"):
        cadence("ABI-L1b-RadC", 4)
    with pytest.raises(UnknownSatelliteError, match="mode 5"):
        cadence("ABI-L1b-RadF", 5)
    assert default_scan_mode(utc(2019, 4, 1)) == 3
    assert default_scan_mode(utc(2024, 1, 1)) == 6
    assert cadence("ABI-L1b-RadF", when=utc(2018, 6, 1)) == timedelta(minutes=15)
    assert cadence(get_product("ABI-L1b-RadF"), when=utc(2024, 6, 1)) == timedelta(minutes=10)


def test_products() -> None:
    radm = get_product("abi-l1b-radm")
    assert (radm.name, radm.sector, radm.variable, radm.cdn_sector) == ("ABI-L1b-RadM", "M", "Rad", None)
    assert get_product("ABI-L2-CMIPF").variable == "CMI"
    with pytest.raises(UnknownSatelliteError, match="unknown product"):
        get_product("ABI-L1b-RadX")


def test_sectors_are_registry_rows() -> None:
    assert SECTOR_CODES == ("FD", "CONUS", "M1", "M2")
    assert MESO_SECTORS == ("M1", "M2")
    assert [sector_code(letter) for letter in "FCM"] == ["FD", "CONUS", "M1"]
    assert sector_code("M", "m2") == "M2"
    assert sector_code("C", "M2") == "CONUS"  # a mesoscale choice does not change another sector
    assert get_sector("conus").scan_seconds < get_sector("FD").scan_seconds
    assert sector_product("M2").name == "ABI-L1b-RadM"
    assert sector_product("FD", "L2").name == "ABI-L2-CMIPF"
    assert sector_cadence("CONUS", utc(2024, 1, 1)) == timedelta(minutes=5)
    assert sector_cadence("FD", utc(2018, 1, 1)) == timedelta(minutes=15)
    assert sector_cadence("M1", mode=6) == timedelta(minutes=1)
    assert sector_cadence("pnw") is None  # a CDN sub-sector has no known cadence
    with pytest.raises(UnknownSatelliteError, match="unknown sector"):
        get_sector("M3")
