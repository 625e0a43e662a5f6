"""The SQLite scan cache: many threads, corrupt files, locks, schema versions."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from goesvfi.core import cache as cache_module
from goesvfi.core.cache import CacheUnavailable, FileEntry, ScanCache, default_cache_path
from goesvfi.core.config import cache_dir


def entry(name: str, size: int = 1, ts_us: int | None = 0) -> FileEntry:
    return (name, size, 123, ts_us, "goestools", 19, 13, "FD", None)


def test_default_location_is_user_cache_folder() -> None:
    assert default_cache_path() == cache_dir() / "scan-index.sqlite3"
    cache = ScanCache()
    cache.update_index({"/data/a": [entry("f.nc")]})
    assert default_cache_path().is_file()
    cache.close()


def test_index_round_trip_and_recursive_load(tmp_path: Path) -> None:
    cache = ScanCache(tmp_path / "c.sqlite3")
    cache.update_index(
        {
            "/data": [entry("a.nc")],
            "/data/sub": [entry("b.nc"), entry("c.nc", ts_us=None)],
            "/data2": [entry("x.nc")],
            "/dat": [entry("y.nc")],
        }
    )
    flat = cache.load_index("/data", recursive=False)
    assert list(flat) == ["/data"]
    deep = cache.load_index("/data/", recursive=True)
    assert sorted(deep) == ["/data", "/data/sub"]  # not /data2 nor /dat
    assert deep["/data/sub"]["c.nc"] == entry("c.nc", ts_us=None)
    cache.update_index({}, removed=["/data/sub"])
    assert sorted(cache.load_index("/data", recursive=True)) == ["/data"]
    assert cache.count_files() == 3


def test_hammered_from_eight_threads(tmp_path: Path) -> None:
    cache = ScanCache(tmp_path / "c.sqlite3", busy_timeout_s=30)
    errors: list[BaseException] = []
    rounds = 40
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                folder = f"/w{worker}/d{i}"
                cache.update_index({folder: [entry(f"f{i}.nc", size=i + 1)]})
                assert cache.load_index(folder, recursive=False)[folder][f"f{i}.nc"][1] == i + 1
                cache.save_scan(f"/w{worker}", {"round": i}, {"found": i})
                cache.load_index(f"/w{(worker + 1) % 8}", recursive=True)
        except Exception as exc:  # noqa: BLE001 - every error is collected and must be none
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert cache.count_files() == 8 * rounds  # no lost write
    for worker in range(8):
        assert len(cache.load_index(f"/w{worker}", recursive=True)) == rounds
        scans = cache.scans(f"/w{worker}")
        assert len(scans) == cache_module.SCANS_KEPT_PER_FOLDER
        assert scans[0]["report"] == {"found": rounds - 1}
    cache.close()


def test_corrupt_database_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"\x00garbage, not SQLite\x00" * 200)
    cache = ScanCache(path)
    assert cache.load_index("/data", recursive=True) == {}
    warnings = cache.take_warnings()
    assert len(warnings) == 1
    assert "corrupt" in warnings[0]
    assert cache.take_warnings() == []
    aside = list(tmp_path.glob("c.sqlite3.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"\x00garbage")
    cache.update_index({"/data": [entry("a.nc")]})
    assert ScanCache(path).load_index("/data", recursive=False)["/data"]["a.nc"] == entry("a.nc")


def test_unreadable_folder_blob_is_ignored(tmp_path: Path) -> None:
    cache = ScanCache(tmp_path / "c.sqlite3")
    cache.update_index({"/data": [entry("a.nc")], "/data/b": [entry("b.nc")]})
    raw = sqlite3.connect(tmp_path / "c.sqlite3")
    raw.execute("UPDATE folders SET entries = x'00ff00' WHERE dir = '/data'")
    raw.commit()
    raw.close()
    assert sorted(cache.load_index("/data", recursive=True)) == ["/data/b"]


def test_locked_database_raises_cache_unavailable_quickly(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)  # rollback journal: locks readers too
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        cache = ScanCache(path, busy_timeout_s=0.05)
        with pytest.raises(CacheUnavailable, match="locked"):
            cache.load_index("/data", recursive=True)
        with pytest.raises(CacheUnavailable, match="locked"):
            cache.update_index({"/data": [entry("a.nc")]})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    cache.update_index({"/data": [entry("a.nc")]})  # works once the lock is gone
    assert cache.count_files() == 1


def test_old_index_version_is_discarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    ScanCache(path).update_index({"/data": [entry("a.nc")]})
    monkeypatch.setattr(cache_module, "INDEX_VERSION", "999")
    fresh = ScanCache(path)
    assert fresh.load_index("/data", recursive=True) == {}


def test_names_sqlite_cannot_store_are_skipped(tmp_path: Path) -> None:
    cache = ScanCache(tmp_path / "c.sqlite3")
    odd = "/data/caf\udce9"  # undecodable byte from the file system
    cache.update_index({odd: [entry("a.nc")], "/data/ok": [entry("n\udcff.nc")]})
    assert cache.load_index(odd, recursive=False) == {}
    assert "n\udcff.nc" in cache.load_index("/data/ok", recursive=False)["/data/ok"]


def test_unwritable_location_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ScanCache(blocker / "c.sqlite3")
    with pytest.raises(CacheUnavailable):
        cache.load_index("/data", recursive=False)
