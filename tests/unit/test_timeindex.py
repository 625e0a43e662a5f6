"""Timestamps from file names, interval and phase detection, expected series, local display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goesvfi.core.errors import UserInputError
from goesvfi.core.timeindex import (
    AmbiguousNameError,
    IntervalError,
    canonical_name,
    detect_anchor,
    detect_interval,
    expected_series,
    format_local,
    parse_abi_filename,
    parse_name,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "pattern", "when", "satellite", "band", "sector"),
    [
        (
            "OR_ABI-L1b-RadC-M6C13_G18_s20241230001173_e20241230003546_c20241230003589.nc",
            "abi",
            utc(2024, 5, 2, 0, 1, 17, 300000),
            18,
            13,
            "CONUS",
        ),
        (
            "OR_ABI-L1b-RadF-M3C02_G16_s20190010000205_e20190010010205_c20190010010251.nc",
            "abi",
            utc(2019, 1, 1, 0, 0, 20, 500000),
            16,
            2,
            "FD",
        ),
        (
            "OR_ABI-L1b-RadM2-M6C13_G19_s20251001200283_e20251001200340_c20251001200390.nc",
            "abi",
            utc(2025, 4, 10, 12, 0, 28, 300000),
            19,
            13,
            "M2",
        ),
        (
            "OR_ABI-L2-CMIPF-M6C13_G19_s20251280000205_e20251280009513_c20251280009573.nc",
            "abi",
            utc(2025, 5, 8, 0, 0, 20, 500000),
            19,
            13,
            "FD",
        ),
        ("20241230001_GOES18-ABI-CONUS-13-1250x750.jpg", "cdn", utc(2024, 5, 2, 0, 1), 18, 13, "CONUS"),
        ("20250010000_GOES19-ABI-FD-GEOCOLOR-678x678.jpg", "cdn", utc(2025, 1, 1), 19, None, "FD"),
        ("20241230006_GOES18-ABI-pnw-13-600x600.jpg", "cdn", utc(2024, 5, 2, 0, 6), 18, 13, "PNW"),
        ("GOES19_FD_CH13_20250508T000020Z.jpg", "goestools", utc(2025, 5, 8, 0, 0, 20), 19, 13, "FD"),
        ("GOES16_FD_CH13_20200830T033031Z-FC.png", "goestools", utc(2020, 8, 30, 3, 30, 31), 16, 13, "FD"),
        ("GOES18_CONUS_CH02_20241231T235617Z.nc", "goestools", utc(2024, 12, 31, 23, 56, 17), 18, 2, "CONUS"),
        ("GOES16_FD_FC_20200830T033031Z.jpg", "goestools", utc(2020, 8, 30, 3, 30, 31), 16, None, "FD"),
        ("GOES17_M1_CH07_20210101T000028Z.png", "goestools", utc(2021, 1, 1, 0, 0, 28), 17, 7, "M1"),
        ("export_20250508T000020Z.png", "compact", utc(2025, 5, 8, 0, 0, 20), None, None, None),
        ("frame-20250508T120102.png", "compact", utc(2025, 5, 8, 12, 1, 2), None, None, None),
        ("20250508_000020.png", "ymd_hms", utc(2025, 5, 8, 0, 0, 20), None, None, None),
        ("ir_20250508_235959.jpg", "ymd_hms", utc(2025, 5, 8, 23, 59, 59), None, None, None),
        ("2025-05-08_00-00-20.png", "dashed", utc(2025, 5, 8, 0, 0, 20), None, None, None),
        ("2025-05-08T00:00:20Z.png", "calendar", utc(2025, 5, 8, 0, 0, 20), None, None, None),
        ("img 2025.05.08 00.00.20 UTC.png", "calendar", utc(2025, 5, 8, 0, 0, 20), None, None, None),
        ("2025-05-08 12:30.jpg", "calendar", utc(2025, 5, 8, 12, 30), None, None, None),
        ("sat_2025_05_08_1230.jpg", "calendar", utc(2025, 5, 8, 12, 30), None, None, None),
        ("2025.05.08-12.30.15Z.tif", "calendar", utc(2025, 5, 8, 12, 30, 15), None, None, None),
        ("2025-05-08T12:30:15.250Z.png", "calendar", utc(2025, 5, 8, 12, 30, 15), None, None, None),
        ("13-08-2025 12:00.png", "calendar", utc(2025, 8, 13, 12, 0), None, None, None),
    ],
)
def test_every_pattern(
    name: str, pattern: str, when: datetime, satellite: int | None, band: int | None, sector: str | None
) -> None:
    parsed = parse_name(name)
    assert parsed is not None
    assert (parsed.pattern, parsed.timestamp, parsed.satellite, parsed.band, parsed.sector) == (
        pattern,
        when,
        satellite,
        band,
        sector,
    )
    assert parsed.timestamp.tzinfo is not None


@pytest.mark.parametrize(
    ("name", "parents", "when"),
    [
        ("120000.png", ("data", "2024", "366"), utc(2024, 12, 31, 12)),
        ("12-00-00.png", ("data", "2024-12-31"), utc(2024, 12, 31, 12)),
        ("frame_09-30.jpg", ("x", "20250101"), utc(2025, 1, 1, 9, 30)),
        ("ir_093000.jpg", ("x", "20250101"), utc(2025, 1, 1, 9, 30)),
        ("1200.png", ("x", "2025-01-01"), utc(2025, 1, 1, 12)),
        ("T0117Z.png", ("2024", "060"), utc(2024, 2, 29, 1, 17)),
        ("0117.png", ("2024", "001", "05"), utc(2024, 1, 1, 5, 1, 17)),
        ("050117.png", ("2024", "001", "05"), utc(2024, 1, 1, 5, 1, 17)),
    ],
)
def test_dated_folder_layouts(name: str, parents: tuple[str, ...], when: datetime) -> None:
    parsed = parse_name(name, parents)
    assert parsed is not None
    assert (parsed.pattern, parsed.timestamp) == ("folder", when)


def test_time_only_name_needs_a_dated_folder() -> None:
    assert parse_name("120000.png") is None
    assert parse_name("120000.png", ("frames", "misc")) is None
    assert parse_name("120000.png", ("2023", "366")) is None  # 2023 has no day 366
    assert (
        parse_name(
            "0117.png",
            ("2024", "001", "06"),
        )
        is not None
    )
    assert parse_name("050117.png", ("2024", "001", "06")) is None  # hour contradicts its folder
    assert parse_name("frame_0001.png", ("2024", "001")) is None  # a counter, not 00:01


def test_full_name_wins_over_folder() -> None:
    parsed = parse_name("GOES19_FD_CH13_20250508T000020Z.jpg", ("2024", "001"))
    assert parsed is not None
    assert parsed.timestamp == utc(2025, 5, 8, 0, 0, 20)


@pytest.mark.parametrize(
    "name",
    [
        "a_20250508_000020_to_20250508_001020.png",
        "05-08-2025 12:00.png",
        "2025-05-08T00:00:00Z_2025-05-09T00:00:00Z.png",
    ],
)
def test_ambiguous_names_raise(name: str) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        parse_name(name)
    assert name in str(info.value)
    assert isinstance(info.value, UserInputError)


def test_same_timestamp_twice_is_not_ambiguous() -> None:
    parsed = parse_name("20250508_000020_copy_20250508_000020.png")
    assert parsed is not None
    assert parsed.timestamp == utc(2025, 5, 8, 0, 0, 20)


@pytest.mark.parametrize(
    "name",
    [
        "random.png",
        "2025-05-08.png",
        "notes.txt",
        "frame_0001.png",
        "2025-13-01_10-00-00.png",
        "IMG_20240501_123456789.jpg",
        "2025-02-30 10:00.png",
    ],
)
def test_unparsable_names(name: str) -> None:
    assert parse_name(name) is None


def test_day_of_year_leap_years_and_boundaries() -> None:
    leap = parse_name("OR_ABI-L1b-RadC-M6C13_G16_s20243662359173_e20243662359546_c20243662359589.nc")
    assert leap is not None
    assert leap.timestamp == utc(2024, 12, 31, 23, 59, 17, 300000)
    assert parse_name("OR_ABI-L1b-RadC-M6C13_G16_s20233660001173_e20233660003546_c20233660003589.nc") is None
    feb29 = parse_name("20240600000_GOES16-ABI-CONUS-13-625x375.jpg")
    assert feb29 is not None
    assert feb29.timestamp == utc(2024, 2, 29)
    march1 = parse_name("20230600000_GOES16-ABI-CONUS-13-625x375.jpg")
    assert march1 is not None
    assert march1.timestamp == utc(2023, 3, 1)
    new_year = parse_name("20250010001_GOES19-ABI-CONUS-13-625x375.jpg")
    assert new_year is not None
    assert new_year.timestamp == utc(2025, 1, 1, 0, 1)
    assert parse_name("20240000000_GOES16-ABI-CONUS-13-625x375.jpg") is None  # day 000


def test_parse_abi_filename_fields() -> None:
    abi = parse_abi_filename("OR_ABI-L1b-RadM1-M6C02_G19_s20243660000283_e20243660000340_c20250010000390.nc")
    assert abi is not None
    assert (abi.satellite, abi.product, abi.meso, abi.mode, abi.band, abi.sector) == (
        19,
        "ABI-L1b-RadM",
        "M1",
        6,
        2,
        "M1",
    )
    assert abi.start == utc(2024, 12, 31, 0, 0, 28, 300000)
    assert abi.end == utc(2024, 12, 31, 0, 0, 34)
    assert abi.created == utc(2025, 1, 1, 0, 0, 39)
    conus = parse_abi_filename("OR_ABI-L2-CMIPC-M3C13_G17_s20220010001173_e20220010003546_c20220010003589.nc")
    assert conus is not None
    assert (conus.product, conus.mode, conus.sector) == ("ABI-L2-CMIPC", 3, "CONUS")
    bandless = "OR_ABI-L2-ACMC-M6_G16_s20241230001173_e20241230003546_c20241230003589.nc"
    assert parse_abi_filename(bandless) is None
    assert parse_abi_filename("GOES19_FD_CH13_20250508T000020Z.nc") is None


def test_canonical_name_round_trips() -> None:
    start = utc(2025, 5, 8, 0, 0, 20, 500000)
    name = canonical_name(19, "FD", 13, start, "nc")
    assert name == "GOES19_FD_CH13_20250508T000020Z.nc"
    parsed = parse_name(name)
    assert parsed is not None
    assert (parsed.satellite, parsed.sector, parsed.band) == (19, "FD", 13)
    assert parsed.timestamp == start.replace(microsecond=0)
    assert canonical_name(18, "conus", 2, utc(2024, 1, 1), ".png") == "GOES18_CONUS_CH02_20240101T000000Z.png"
    assert canonical_name(18, "M2", 2, utc(2024, 1, 1), "jpg").startswith("GOES18_M2_CH02_")


@pytest.mark.parametrize(
    ("args", "word"),
    [((19, "PNW", 13, "nc"), "sector"), ((19, "FD", 17, "nc"), "band"), ((19, "FD", 13, ""), "extension")],
)
def test_canonical_name_rejects_bad_parts(args: tuple[int, str, int, str], word: str) -> None:
    sat, sector, band, ext = args
    with pytest.raises(UserInputError, match=word):
        canonical_name(sat, sector, band, utc(2025, 1, 1), ext)


def _series(start: datetime, step: timedelta, count: int) -> list[datetime]:
    return [start + i * step for i in range(count)]


CONUS_START = utc(2024, 5, 1, 12, 1, 17)
FIVE = timedelta(minutes=5)


def test_interval_clean_and_with_gaps() -> None:
    times = _series(CONUS_START, FIVE, 50)
    assert detect_interval(times) == FIVE
    gappy = [t for i, t in enumerate(times) if i % 3 != 1 and i not in range(20, 30)]
    assert detect_interval(gappy) == FIVE


def test_interval_with_duplicates_and_jitter() -> None:
    base = _series(CONUS_START, FIVE, 60)
    jitter = [t + timedelta(milliseconds=(i * 137) % 900 - 450) for i, t in enumerate(base)]
    doubled = jitter + [t + timedelta(seconds=2) for t in jitter[::2]] + jitter[:10]
    assert detect_interval(doubled) == FIVE


def test_interval_of_mesoscale_and_full_disk() -> None:
    meso = _series(utc(2024, 1, 1, 0, 0, 28), timedelta(seconds=30), 40)
    assert detect_interval(meso) == timedelta(seconds=30)
    full_disk = _series(utc(2024, 1, 1, 0, 0, 20), timedelta(minutes=10), 30)
    sparse = [t for i, t in enumerate(full_disk) if i % 4 != 3]
    assert detect_interval(sparse) == timedelta(minutes=10)


def _every_other_missing(count: int = 120, full_from: int = 96) -> list[datetime]:
    """A 5-minute series with real scan-start jitter, every other frame missing before ``full_from``."""
    times = _series(CONUS_START, FIVE, count)
    jittered = [t + timedelta(milliseconds=(i * 173) % 800 - 400) for i, t in enumerate(times)]
    return [t for i, t in enumerate(jittered) if i >= full_from or i % 2 == 0]


def test_interval_is_the_cadence_the_gaps_are_multiples_of() -> None:
    # most gaps are 10 minutes (every other frame missing over 80 % of the span): still 5 minutes
    assert detect_interval(_every_other_missing()) == FIVE
    # and with gaps of 10, 15 and 20 minutes around a few complete stretches
    times = _series(CONUS_START, FIVE, 200)
    sparse = [t for i, t in enumerate(times) if i % 7 in (0, 2, 5) or 100 <= i < 110]
    assert detect_interval(sparse) == FIVE


def test_interval_tolerates_a_few_odd_files() -> None:
    times = _series(CONUS_START, FIVE, 60)
    odd = [
        *times,
        CONUS_START + 10 * FIVE + timedelta(minutes=2),
        CONUS_START + 40 * FIVE - timedelta(seconds=100),
    ]
    assert detect_interval(odd) == FIVE
    short = [*times[:7], CONUS_START + 2 * FIVE - timedelta(minutes=1)]  # one odd file in eight
    assert detect_interval(short) == FIVE
    assert detect_interval([CONUS_START, CONUS_START + FIVE, CONUS_START + 3 * FIVE]) == FIVE


def test_interval_prior_from_the_product() -> None:
    ten = timedelta(minutes=10)
    every_ten = _series(CONUS_START, ten, 30)  # CONUS files, every other one missing throughout
    assert detect_interval(every_ten) == ten
    assert detect_interval(every_ten, prior=FIVE) == FIVE
    # a prior the gaps do not fit loses: full disk in mode 3 (15 min), or mode 4 (5 min)
    fifteen = _series(utc(2019, 1, 1, 0, 0, 20), timedelta(minutes=15), 20)
    assert detect_interval(fifteen, prior=ten) == timedelta(minutes=15)
    assert detect_interval(_series(CONUS_START, FIVE, 20), prior=ten) == FIVE


def test_time_only_in_the_folder_name() -> None:
    parsed = parse_name("frame.png", ("goes", "2024-12-21_18-00-22"))
    assert parsed is not None
    assert (parsed.pattern, parsed.timestamp) == ("folder", utc(2024, 12, 21, 18, 0, 22))
    assert parse_name("frame.png", ("goes", "frames")) is None
    own = parse_name("frame_20240101T000000Z.png", ("2024-12-21_18-00-22",))
    assert own is not None
    assert own.timestamp == utc(2024, 1, 1)  # the file's own time wins


def test_interval_needs_two_distinct_times() -> None:
    with pytest.raises(IntervalError):
        detect_interval([CONUS_START])
    with pytest.raises(IntervalError):
        detect_interval([CONUS_START, CONUS_START])


def test_anchor_keeps_observed_phase() -> None:
    base = _series(CONUS_START, FIVE, 40)
    jitter = [t + timedelta(milliseconds=(i * 311) % 600 - 300) for i, t in enumerate(base)]
    noisy = [*jitter, utc(2024, 5, 1, 12, 3, 0)]  # one off-schedule file
    anchor = detect_anchor(noisy, FIVE)
    assert abs(anchor - CONUS_START) < timedelta(seconds=1)
    assert anchor.minute % 5 == 1
    assert anchor.second in (16, 17)


def test_expected_series_keeps_phase() -> None:
    series = expected_series(utc(2024, 5, 1, 12, 0), utc(2024, 5, 1, 12, 30), FIVE, CONUS_START)
    assert [f"{t:%M:%S}" for t in series] == ["01:17", "06:17", "11:17", "16:17", "21:17", "26:17"]
    # an anchor far from the range still gives the same phase
    far = expected_series(utc(2024, 5, 1, 12, 0), utc(2024, 5, 1, 12, 10), FIVE, utc(2020, 1, 1, 0, 1, 17))
    assert [f"{t:%H:%M:%S}" for t in far] == ["12:01:17", "12:06:17"]
    assert expected_series(utc(2024, 5, 2), utc(2024, 5, 1), FIVE, CONUS_START) == []
    with pytest.raises(IntervalError):
        expected_series(utc(2024, 5, 1), utc(2024, 5, 2), timedelta(0), CONUS_START)


def test_expected_series_across_year_boundary_and_leap_day() -> None:
    series = expected_series(
        utc(2024, 12, 31, 23, 50), utc(2025, 1, 1, 0, 10), timedelta(minutes=10), utc(2024, 1, 1, 0, 0, 20)
    )
    assert [f"{t:%Y-%j %H:%M:%S}" for t in series] == ["2024-366 23:50:20", "2025-001 00:00:20"]
    leap = expected_series(utc(2024, 2, 28, 23, 55), utc(2024, 2, 29, 0, 5), FIVE, CONUS_START)
    assert [f"{t:%m-%d %H:%M}" for t in leap] == ["02-28 23:56", "02-29 00:01"]


def test_format_local_around_dst_changes() -> None:
    zone = "America/New_York"
    # spring forward: 02:00 EST jumps to 03:00 EDT on 2024-03-10
    assert format_local(utc(2024, 3, 10, 6, 59), zone) == "2024-03-10 01:59:00 EST (-0500)"
    assert format_local(utc(2024, 3, 10, 7, 0), zone) == "2024-03-10 03:00:00 EDT (-0400)"
    # fall back: 01:30 happens twice on 2024-11-03, told apart by the zone
    first = format_local(utc(2024, 11, 3, 5, 30), zone)
    second = format_local(utc(2024, 11, 3, 6, 30), zone)
    assert first == "2024-11-03 01:30:00 EDT (-0400)"
    assert second == "2024-11-03 01:30:00 EST (-0500)"
    assert format_local(utc(2024, 7, 1, 12), "UTC") == "2024-07-01 12:00:00 UTC (+0000)"
    with pytest.raises(UserInputError, match="time zone"):
        format_local(utc(2024, 1, 1), "Mars/Olympus_Mons")
