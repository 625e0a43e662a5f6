"""scan_folder on real folders: gaps, duplicates, ranges, odd files, the cache, CSV and JSON."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from goesvfi.core.cache import ScanCache
from goesvfi.core.config import ScanSettings
from goesvfi.core.integrity import ScanInputError, scan_folder
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.scanreport import ScanReport
from goesvfi.core.timeindex import canonical_name

START = datetime(2024, 5, 1, 12, 1, 17, tzinfo=UTC)
FIVE = timedelta(minutes=5)
SETTINGS = ScanSettings()


def write_frames(
    folder: Path, times: Iterable[datetime], *, satellite: int = 18, ext: str = "nc"
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for moment in times:
        path = folder / canonical_name(satellite, "CONUS", 13, moment, ext)
        path.write_bytes(b"frame")
        paths.append(path)
    return paths


def conus(count: int, skip: Iterable[int] = ()) -> list[datetime]:
    missing = set(skip)
    return [START + i * FIVE for i in range(count) if i not in missing]


def scan(folder: Path, **kwargs: Any) -> ScanReport:
    """scan_folder without the cache and with default settings."""
    kwargs.setdefault("settings", SETTINGS)
    kwargs.setdefault("use_cache", False)
    return scan_folder(folder, **kwargs)


def test_gaps_duplicates_unparsed_and_phase(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(24, skip=(3, 10, 11)))
    (tmp_path / "copy_20240501T120620Z.nc").write_bytes(b"x")  # second file for 12:06:17 (3 s late)
    (tmp_path / "readme.txt").write_text("notes")
    (tmp_path / ".hidden_20240501T120117Z.png").write_bytes(b"x")  # dot files are ignored
    report = scan_folder(tmp_path, settings=SETTINGS, use_cache=False)
    assert report.interval == FIVE
    assert report.interval_source == "product"  # CONUS names: its 5 min cadence, which the gaps fit
    assert report.expected_count == 24
    assert report.found_count == 21
    assert report.missing == [START + 3 * FIVE, START + 10 * FIVE, START + 11 * FIVE]
    assert all(f"{t:%S}" == "17" for t in report.missing)  # phase kept, not snapped to :00
    assert [t for t, _ in report.duplicates] == [START + FIVE]
    assert sorted(p.name for p in report.duplicates[0][1])[0] == "GOES18_CONUS_CH13_20240501T120617Z.nc"
    assert [Path(p).name for p in report.unparsed] == ["readme.txt"]
    assert report.files_seen == 23
    assert report.tolerance == FIVE * SETTINGS.tolerance_fraction
    assert len(report.expected) == 24
    assert report.expected[0] == START
    assert len(report.found[START + FIVE]) == 2


def test_user_interval_overrides_detection(tmp_path: Path) -> None:
    # Ten-minute data with most frames missing: most gaps are 20 minutes, the cadence is 10.
    ten = timedelta(minutes=10)
    times = [START + i * ten for i in range(0, 40) if i % 2 == 0 or i in (5, 17)]
    for moment in times:
        (tmp_path / f"frame_{moment:%Y%m%dT%H%M%S}Z.png").write_bytes(b"x")
    detected = scan(tmp_path)
    assert (detected.interval, detected.interval_source) == (ten, "detected")
    given = scan(tmp_path, interval=timedelta(minutes=20))
    assert given.interval_source == "given"
    assert given.expected_count == 20
    assert len(given.off_schedule) == 2
    given = scan(tmp_path, interval=ten)
    assert given.interval_source == "given"
    assert given.expected_count == 39
    assert len(given.missing) == 39 - len(times)


def test_range_out_of_range_and_leading_gap(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(12))
    report = scan_folder(
        tmp_path,
        start=START - 2 * FIVE - timedelta(seconds=77),
        end=START + 5 * FIVE,
        settings=SETTINGS,
        use_cache=False,
    )
    # 11:51:17 and 11:56:17 are expected before the first frame; phase :01:17 is kept
    assert report.missing == [START - 2 * FIVE, START - FIVE]
    assert report.expected_count == 8
    assert len(report.out_of_range) == 6
    assert report.to_json()["start"] == "2024-05-01T11:51:17Z"


def test_end_before_start_and_bad_values(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(4))
    with pytest.raises(ScanInputError, match="before"):
        scan(tmp_path, start=START, end=START - FIVE)
    with pytest.raises(ScanInputError, match="positive"):
        scan(tmp_path, interval=timedelta(0))
    with pytest.raises(ScanInputError, match="tolerance"):
        scan(tmp_path, tolerance=timedelta(seconds=-1))
    with pytest.raises(ScanInputError, match="half the interval"):
        scan(tmp_path, tolerance=timedelta(minutes=3))


def test_missing_and_unusable_root(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError, match="does not exist"):
        scan(tmp_path / "nope")
    afile = tmp_path / "file.nc"
    afile.write_bytes(b"x")
    with pytest.raises(ScanInputError, match="not a folder"):
        scan(afile)


def test_tolerance_sorts_off_schedule_files(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(6))
    (tmp_path / "early_20240501T121017Z.nc").write_bytes(b"x")  # 60 s before 12:11:17
    default = scan(tmp_path)
    assert len(default.duplicates) == 1
    assert not default.off_schedule
    strict = scan(tmp_path, tolerance=timedelta(seconds=30))
    assert not strict.duplicates
    assert [Path(p).name for p, _ in strict.off_schedule] == ["early_20240501T121017Z.nc"]
    exact = scan(tmp_path, tolerance=timedelta(0))
    assert exact.tolerance == timedelta(0)
    assert len(exact.off_schedule) == 1


def test_zero_byte_files_count_as_missing(tmp_path: Path) -> None:
    paths = write_frames(tmp_path, conus(6))
    paths[2].write_bytes(b"")
    report = scan_folder(tmp_path, settings=SETTINGS, use_cache=False)
    assert report.empty == [str(paths[2])]
    assert report.missing == [START + 2 * FIVE]
    assert report.to_json()["empty"] == [str(paths[2])]


def test_recursive_dated_folders_and_flat_scan(tmp_path: Path) -> None:
    for day, doy in ((datetime(2024, 12, 31, tzinfo=UTC), "366"), (datetime(2025, 1, 1, tzinfo=UTC), "001")):
        folder = tmp_path / f"{day:%Y}" / doy
        folder.mkdir(parents=True)
        for hour in range(0, 24, 6):
            if (doy, hour) != ("001", 6):
                (folder / f"{hour:02d}0020.png").write_bytes(b"x")
    flat = scan(tmp_path)
    assert flat.files_seen == 0
    assert flat.expected_count == 0
    deep = scan_folder(tmp_path, recursive=True, settings=SETTINGS, use_cache=False)
    assert deep.interval == timedelta(hours=6)
    assert deep.expected_count == 8
    assert deep.missing == [datetime(2025, 1, 1, 6, 0, 20, tzinfo=UTC)]


def test_symlink_loop_is_reported_not_followed_forever(tmp_path: Path) -> None:
    write_frames(tmp_path / "a", conus(3))
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a" / "self")  # ELOOP on stat
    (tmp_path / "a" / "broken.nc").symlink_to(tmp_path / "nowhere")
    report = scan_folder(tmp_path, recursive=True, settings=SETTINGS, use_cache=False)
    assert report.found_count == 3
    assert [(Path(p).name, "loop" in r) for p, r in report.skipped_dirs] == [("loop", True)]
    assert sorted(Path(p).name for p, _ in report.unreadable_files) == ["broken.nc", "self"]


def test_unreadable_subfolder_is_skipped_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_frames(tmp_path / "good", conus(4))
    write_frames(tmp_path / "locked", [*conus(4, skip=range(4)), START + 10 * FIVE])
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> object:
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = scan_folder(tmp_path, recursive=True, settings=SETTINGS, use_cache=False)
    assert report.skipped_dirs == [(locked, "Permission denied")]
    assert report.found_count == 4
    assert not report.missing
    assert report.to_json()["skipped_dirs"] == [{"path": locked, "reason": "Permission denied"}]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_chmod_000_subfolder(tmp_path: Path) -> None:
    write_frames(tmp_path / "good", conus(4))
    locked = tmp_path / "locked"
    write_frames(locked, conus(2))
    locked.chmod(0)
    try:
        report = scan_folder(tmp_path, recursive=True, settings=SETTINGS, use_cache=False)
    finally:
        locked.chmod(0o755)
    assert [p for p, _ in report.skipped_dirs] == [str(locked)]


def test_non_utf8_names(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(3))
    raw = os.fsencode(tmp_path) + b"/caf\xe9_20240501T121617Z.nc"
    with open(raw, "wb") as handle:
        handle.write(b"x")
    with open(os.fsencode(tmp_path) + b"/\xff\xfe.txt", "wb") as handle:
        handle.write(b"x")
    report = scan_folder(tmp_path, settings=SETTINGS)  # cache on: such names must not break it
    assert report.found_count == 4
    data = report.to_json()
    text = json.dumps(data, ensure_ascii=False).encode("utf-8")  # must not raise
    assert b"caf\\\\xe9_20240501T121617Z.nc" in text
    assert sorted(data["non_utf8_names"]) == sorted(
        [f"{tmp_path}/caf\\xe9_20240501T121617Z.nc", f"{tmp_path}/\\xff\\xfe.txt"]
    )
    again = scan_folder(tmp_path, settings=SETTINGS)
    assert again.found_count == 4
    assert again.warnings == []


def test_non_utf8_folder_is_scanned_without_cache(tmp_path: Path) -> None:
    odd = os.fsencode(tmp_path) + b"/d\xff"
    os.mkdir(odd)
    for minute in (0, 5, 15):
        with open(odd + b"/f_20240501T12%02d00Z.png" % minute, "wb") as handle:
            handle.write(b"x")
    for _ in range(2):
        report = scan_folder(tmp_path, recursive=True, settings=SETTINGS)
        assert report.missing == [datetime(2024, 5, 1, 12, 10, tzinfo=UTC)]
        assert report.to_json()["non_utf8_names"] == [f"{tmp_path}/d\\xff"]
        assert report.cache_reused == 0
        assert report.warnings == []


def test_satellite_filter_by_name_and_role(tmp_path: Path) -> None:
    switch = datetime(2025, 4, 7, 15, 10, tzinfo=UTC)
    before = [switch - timedelta(minutes=10) * i for i in range(1, 4)]
    after = [switch + timedelta(minutes=10) * i for i in range(0, 3)]
    write_frames(tmp_path, before + after, satellite=16)
    write_frames(tmp_path, after, satellite=19)
    only19 = scan_folder(tmp_path, satellite="GOES-19", settings=SETTINGS, use_cache=False)
    assert only19.found_count == 3
    assert len(only19.other_satellite) == 6
    east = scan_folder(tmp_path, satellite="east", settings=SETTINGS, use_cache=False)
    assert east.found_count == 6
    assert not east.duplicates
    assert sorted(Path(p).name[:6] for p in east.other_satellite) == ["GOES16"] * 3
    with pytest.raises(ScanInputError, match="satellite"):
        scan(tmp_path, satellite="GOES-99")


def test_empty_folder_and_single_frame(tmp_path: Path) -> None:
    empty = scan_folder(tmp_path, settings=SETTINGS, use_cache=False)
    assert (empty.expected_count, empty.found_count, empty.interval_source) == (0, 0, "unknown")
    assert empty.to_json()["interval_minutes"] == 0
    (tmp_path / "frame_20240501T120117Z.png").write_bytes(b"x")
    single = scan_folder(tmp_path, settings=SETTINGS, use_cache=False)
    assert (single.expected_count, single.found_count) == (1, 1)
    assert any("interval" in w for w in single.warnings)
    given = scan_folder(tmp_path, interval=FIVE, end=START + 2 * FIVE, settings=SETTINGS, use_cache=False)
    assert given.missing == [START + FIVE, START + 2 * FIVE]
    write_frames(tmp_path / "conus", conus(1))  # a single CONUS frame: the product's cadence
    product = scan_folder(tmp_path / "conus", end=START + FIVE, settings=SETTINGS, use_cache=False)
    assert (product.interval, product.interval_source, product.sector) == (FIVE, "product", "CONUS")
    assert product.missing == [START + FIVE]


def test_json_keys_and_types(tmp_path: Path) -> None:
    write_frames(tmp_path, [START + timedelta(milliseconds=300) + i * FIVE for i in range(5) if i != 2])
    data = scan_folder(tmp_path, settings=SETTINGS, use_cache=False).to_json()
    assert isinstance(data["interval_minutes"], float)
    assert data["interval_minutes"] == 5.0
    assert isinstance(data["expected"], int)
    assert isinstance(data["found"], int)
    assert (data["expected"], data["found"]) == (5, 4)
    assert data["missing"] == ["2024-05-01T12:11:17Z"]
    assert all(isinstance(data[key], list) for key in ("duplicates", "unparsed", "missing"))
    json.dumps(data)


def test_csv_one_row_per_slot_written_atomically(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    paths = write_frames(frames, conus(5, skip=(1,)))
    (frames / "dup_20240501T121117Z.nc").write_bytes(b"x")
    report = scan_folder(frames, settings=SETTINGS, use_cache=False)
    out = tmp_path / "report.csv"
    out.write_text("old contents")
    report.write_csv(out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["timestamp", "status", "path"]
    assert [r[1] for r in rows[1:]] == ["found", "missing", "duplicate", "found", "found"]
    assert rows[1] == ["2024-05-01T12:01:17Z", "found", str(paths[0])]
    assert rows[3][2] == f"{paths[1]};{frames / 'dup_20240501T121117Z.nc'}"  # sorted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames", "report.csv"]  # no temp left


def test_cache_reuses_unchanged_entries(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    paths = write_frames(frames, conus(10))
    cache = ScanCache(tmp_path / "cache.sqlite3")
    first = scan_folder(frames, settings=SETTINGS, cache=cache)
    assert (first.cache, first.cache_reused) == ("used", 0)
    second = scan_folder(frames, settings=SETTINGS, cache=cache)
    assert second.cache_reused == 10
    assert second.found_count == 10
    paths[3].write_bytes(b"")  # size changes: re-read, now an empty file
    paths[4].unlink()
    write_frames(frames, [START + 10 * FIVE])
    third = scan_folder(frames, settings=SETTINGS, cache=cache)
    assert third.cache_reused == 8
    assert third.missing == [START + 3 * FIVE, START + 4 * FIVE]
    assert cache.count_files() == 10
    assert cache.scans(str(frames))[0]["report"]["missing"] == third.to_json()["missing"]


def test_corrupt_cache_is_rebuilt_with_warning(tmp_path: Path) -> None:
    write_frames(tmp_path / "frames", conus(6, skip=(2,)))
    db = tmp_path / "cache.sqlite3"
    db.write_bytes(b"this is not an SQLite database " * 64)
    report = scan_folder(tmp_path / "frames", settings=SETTINGS, cache=ScanCache(db))
    assert report.cache == "used"
    assert report.found_count == 5
    assert any("corrupt" in w and "rebuilt" in w for w in report.warnings)
    assert len(list(tmp_path.glob("cache.sqlite3.corrupt-*"))) == 1
    again = scan_folder(tmp_path / "frames", settings=SETTINGS, cache=ScanCache(db))
    assert again.cache_reused == 5
    assert again.warnings == []


def test_locked_cache_is_bypassed_with_warning(tmp_path: Path) -> None:
    write_frames(tmp_path / "frames", conus(6, skip=(2,)))
    db = tmp_path / "cache.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        report = scan_folder(tmp_path / "frames", settings=SETTINGS, cache=ScanCache(db, busy_timeout_s=0.05))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report.cache == "bypassed"
    assert report.found_count == 5
    assert report.missing == [START + 2 * FIVE]
    assert any("locked" in w for w in report.warnings)


def test_locked_wal_cache_still_scans(tmp_path: Path) -> None:
    write_frames(tmp_path / "frames", conus(6))
    db = tmp_path / "cache.sqlite3"
    scan_folder(tmp_path / "frames", settings=SETTINGS, cache=ScanCache(db))
    write_frames(tmp_path / "frames", [START + 6 * FIVE])
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        report = scan_folder(tmp_path / "frames", settings=SETTINGS, cache=ScanCache(db, busy_timeout_s=0.05))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report.found_count == 7
    assert report.cache == "bypassed"
    assert any("locked" in w for w in report.warnings)


def test_cache_setting_off(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(3))
    report = scan_folder(tmp_path, settings=ScanSettings(use_cache=False))
    assert report.cache == "off"


def test_progress_events_per_folder(tmp_path: Path) -> None:
    write_frames(tmp_path / "a", conus(3))
    write_frames(tmp_path / "b", conus(2))
    events: list[ProgressEvent] = []
    scan_folder(tmp_path, recursive=True, settings=SETTINGS, use_cache=False, progress=events.append)
    assert [(e.level, e.name) for e in events] == [("stage", "scan")] * 3
    assert events[-1].done == 5
    assert sorted(Path(e.message).name for e in events) == ["a", "b", tmp_path.name]


def test_cancelled_scan_raises(tmp_path: Path) -> None:
    write_frames(tmp_path, conus(3))
    token = CancelToken()
    token.cancel("test")
    with pytest.raises(CancelledByUser):
        scan_folder(tmp_path, settings=SETTINGS, use_cache=False, cancel=token)


def test_scans_from_several_threads_share_one_cache(tmp_path: Path) -> None:
    cache = ScanCache(tmp_path / "cache.sqlite3", busy_timeout_s=30)
    folders = [tmp_path / f"f{n}" for n in range(4)]
    for n, folder in enumerate(folders):
        write_frames(folder, conus(20, skip=(n + 1,)))
    results: dict[int, ScanReport] = {}
    errors: list[Exception] = []

    def work(n: int) -> None:
        try:
            for _ in range(3):
                results[n] = scan_folder(folders[n], settings=SETTINGS, cache=cache)
        except Exception as exc:  # noqa: BLE001 - collected and asserted empty
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for n in range(4):
        assert results[n].missing == [START + (n + 1) * FIVE]
        assert results[n].cache_reused == 19
        assert results[n].warnings == []
    assert cache.count_files() == 4 * 19


def test_every_other_frame_missing_is_a_five_minute_series(tmp_path: Path) -> None:
    # most gaps are 10 minutes; the last stretch is complete, so the cadence is 5 minutes
    times = conus(100, skip=[i for i in range(80) if i % 2])
    for moment in times:
        (tmp_path / f"img_{moment:%Y%m%dT%H%M%S}Z.png").write_bytes(b"x")
    report = scan(tmp_path)
    assert (report.interval, report.interval_source) == (FIVE, "detected")
    assert report.expected_count == 100
    assert len(report.missing) == 40
    assert not report.off_schedule


def test_product_cadence_is_the_prior(tmp_path: Path) -> None:
    ten = timedelta(minutes=10)
    write_frames(tmp_path / "conus", [START + i * ten for i in range(12)])  # CONUS every 10 min
    conus_report = scan(tmp_path / "conus")
    assert (conus_report.interval, conus_report.interval_source, conus_report.sector) == (
        FIVE,
        "product",
        "CONUS",
    )
    assert len(conus_report.missing) == 11
    full_disk = tmp_path / "fd"
    full_disk.mkdir()
    for i in range(8):  # full disk every 20 minutes: the 10-minute cadence, every other one missing
        moment = datetime(2024, 5, 1, 12, 0, 20, tzinfo=UTC) + 2 * i * ten
        (full_disk / canonical_name(19, "FD", 13, moment, "jpg")).write_bytes(b"x")
    fd_report = scan(full_disk)
    assert (fd_report.interval, fd_report.sector, len(fd_report.missing)) == (ten, "FD", 7)


def test_default_range_is_first_to_last_frame(tmp_path: Path) -> None:
    times = conus(12)
    first = START - timedelta(seconds=200)  # off the :01:17/:06:17 phase, nearer 11:56:17
    last = START + 11 * FIVE + timedelta(seconds=200)  # nearer the slot after the series
    for moment in [*times, first, last]:
        (tmp_path / f"img_{moment:%Y%m%dT%H%M%S}Z.png").write_bytes(b"x")
    report = scan(tmp_path, interval=FIVE)
    assert report.missing == []
    assert report.off_schedule == []
    assert report.expected[0] == first
    assert report.expected[-1] == last
    assert report.expected_count == 14
    assert report.found_count == 14
    assert all(first <= t <= last for t in report.expected)
    # a given range still reports what falls outside the schedule
    ranged = scan(tmp_path, interval=FIVE, start=first, end=last)
    assert len(ranged.off_schedule) == 2
    assert ranged.missing == []


def test_each_image_format_is_its_own_series(tmp_path: Path) -> None:
    for i, moment in enumerate(conus(6)):
        (tmp_path / f"img_{moment:%Y%m%dT%H%M%S}Z.png").write_bytes(b"x")
        if i < 4:
            (tmp_path / f"img_{moment:%Y%m%dT%H%M%S}Z.tiff").write_bytes(b"x")
    report = scan(tmp_path)
    assert report.duplicates == []
    assert (report.format, report.other_formats) == ("png", {"tif": 4})
    assert (report.expected_count, report.found_count) == (6, 6)
    assert report.to_json()["other_formats"] == {"tif": 4}
    assert any("not checked: 4 tif" in line for line in report.summary_lines())
    tif = scan(tmp_path, ext=".TIF")
    assert (tif.format, tif.other_formats, tif.found_count) == ("tif", {"png": 6}, 4)
    none = scan(tmp_path, ext="jpg")
    assert none.found_count == 0
    assert any("no dated jpg files" in w for w in none.warnings)
    with pytest.raises(ScanInputError, match="extension"):
        scan(tmp_path, ext="p/g")


def test_time_only_in_folder_names(tmp_path: Path) -> None:
    for i in range(6):
        if i != 3:
            folder = tmp_path / f"2024-12-21_18-{i * 10:02d}-22"
            folder.mkdir()
            (folder / "frame.png").write_bytes(b"x")
    report = scan_folder(tmp_path, recursive=True, settings=SETTINGS)  # with the cache
    assert report.interval == timedelta(minutes=10)
    assert report.missing == [datetime(2024, 12, 21, 18, 30, 22, tzinfo=UTC)]
    assert report.unparsed == []
