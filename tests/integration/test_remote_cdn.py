"""CDN fetches, the composite store and its circuit breaker, against loopback servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from remote_servers import (
    CdnApp,
    FaultPlan,
    FaultProxy,
    LoopThread,
    Moto,
    abi_key,
    cdn_path,
    closed_port_url,
    file_origin,
    jpeg_bytes,
    netcdf_bytes,
    publish,
    start_moto,
)

from goesvfi.core.config import RemoteSettings
from goesvfi.core.remote import FetchRequest, fetch_range_sync
from goesvfi.core.timeindex import canonical_name

COUNT = 24


@dataclass
class Sources:
    moto: Moto
    loop: LoopThread
    cdn_url: str
    first: datetime  # first scan start (whole minutes on the CDN, +17.3 s in S3)
    jpegs: dict[str, bytes]  # canonical name -> bytes
    netcdfs: dict[str, bytes]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    tmp = tmp_path_factory.mktemp("objects")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    first = now.replace(minute=1) - timedelta(hours=3)
    files, objects, jpegs, netcdfs = {}, {}, {}, {}
    for k in range(COUNT):
        minute = first + timedelta(minutes=5 * k)
        data = jpeg_bytes(k)
        files[cdn_path(19, "CONUS", 13, minute, "1250x750")] = data
        files[cdn_path(19, "CONUS", 13, minute, "625x375")] = jpeg_bytes(500 + k)
        jpegs[canonical_name(19, "CONUS", 13, minute, "jpg")] = data
        scan = minute + timedelta(seconds=17, microseconds=300_000)
        objects[abi_key(19, "ABI-L1b-RadC", 13, scan)] = netcdfs_bytes = netcdf_bytes(tmp, k)
        netcdfs[canonical_name(19, "CONUS", 13, scan, "nc")] = netcdfs_bytes
    moto = start_moto()
    publish(moto.url, "noaa-goes19", objects)
    loop = LoopThread()
    cdn_url = loop.serve(CdnApp(files).app)
    try:
        yield Sources(moto, loop, cdn_url, first, jpegs, netcdfs)
    finally:
        loop.stop()
        moto.stop()


def settings(**values: object) -> RemoteSettings:
    base: dict[str, object] = {
        "retries": 8,
        "backoff_initial_s": 0.005,
        "backoff_max_s": 0.02,
        "read_timeout_s": 0.25,
        "connect_timeout_s": 2.0,
    }
    return RemoteSettings.model_validate({**base, **values})


def fetch(sources: Sources, dest: Path, cfg: RemoteSettings, count: int = COUNT) -> dict[str, object]:
    start = sources.first - timedelta(minutes=1)
    req = FetchRequest(
        "GOES-19",
        "ABI-L1b-RadC",
        13,
        dest,
        start=start,
        end=start + timedelta(minutes=5 * (count - 1)),
        settings=cfg,
    )
    return fetch_range_sync(req).to_json()


def test_cdn_fetch_survives_faults_and_checks_jpeg_markers(sources: Sources, tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.3, seed=3, stall_s=0.6, first=("cut", "truncate", "ignore_range"))
    proxy = FaultProxy(sources.cdn_url, plan)
    url = sources.loop.serve(proxy.app())
    payload = fetch(sources, tmp_path, settings(source="cdn", cdn_base=url))
    assert payload["failed"] == []
    assert payload["downloaded"] == COUNT
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == COUNT
    for name in names:
        assert (tmp_path / name).read_bytes() == sources.jpegs[name]
    assert {"cut", "truncate", "ignore_range"} <= set(proxy.injected)
    # Whether a truncated body leaves bytes to resume from depends on timing (aiohttp drops the
    # buffered bytes when the close arrives with them); resuming is proven by the stall-only test.


def test_cdn_fetch_from_a_static_file_server(sources: Sources, tmp_path: Path) -> None:
    """The benchmark's origin: files sent with sendfile, aiohttp's own ETag / Range / If-Range."""
    root = tmp_path / "origin"
    for k in range(COUNT):
        minute = sources.first + timedelta(minutes=5 * k)
        path = root / cdn_path(19, "CONUS", 13, minute, "1250x750").lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sources.jpegs[canonical_name(19, "CONUS", 13, minute, "jpg")])
    origin = sources.loop.serve(file_origin(root))
    # Stalls after half the body: the part file keeps bytes, so every retry is a Range request.
    proxy = FaultProxy(origin, FaultPlan(rate=0.3, seed=5, kinds=("stall",), stall_s=0.6))
    dest = tmp_path / "dest"
    payload = fetch(sources, dest, settings(source="cdn", cdn_base=sources.loop.serve(proxy.app())))
    assert payload["failed"] == []
    assert payload["downloaded"] == COUNT
    for name in sorted(p.name for p in dest.iterdir()):
        assert (dest / name).read_bytes() == sources.jpegs[name]
    assert proxy.statuses[206] > 0  # broken transfers resumed against the file server


def test_cdn_is_not_asked_for_old_times(sources: Sources, tmp_path: Path) -> None:
    proxy = FaultProxy(sources.cdn_url)
    url = sources.loop.serve(proxy.app())
    old = datetime.now(UTC) - timedelta(days=8)
    req = FetchRequest(
        "GOES-19", "ABI-L1b-RadC", 13, tmp_path, times=(old,), settings=settings(source="cdn", cdn_base=url)
    )
    payload = fetch_range_sync(req).to_json()
    assert proxy.requests == 0
    assert payload["failed"] == []
    assert "no source covers that time" in payload["absent"][0]["message"]


def test_auto_prefers_cdn_for_recent_times(sources: Sources, tmp_path: Path) -> None:
    payload = fetch(sources, tmp_path, settings(s3_endpoint=sources.moto.url, cdn_base=sources.cdn_url), 3)
    assert payload["downloaded"] == 3
    assert all(name.endswith(".jpg") for name in (Path(f).name for f in payload["files"]))  # type: ignore[attr-defined]


def test_failing_source_trips_breaker_and_other_serves(sources: Sources, tmp_path: Path) -> None:
    broken = FaultProxy(sources.cdn_url, FaultPlan(always="slowdown"))
    cfg = settings(
        source="cdn,s3",
        cdn_base=sources.loop.serve(broken.app()),
        s3_endpoint=sources.moto.url,
        retries=1,
        concurrency=4,  # the first frames all meet the broken source at once
        breaker_failures=3,
        breaker_cooldown_s=600,
    )
    payload = fetch(sources, tmp_path, cfg)
    assert payload["failed"] == []
    assert payload["downloaded"] == COUNT
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(sources.netcdfs)
    for name in names:
        assert (tmp_path / name).read_bytes() == sources.netcdfs[name]
    stats = payload["stats"]
    assert isinstance(stats, dict)
    assert stats["cdn"]["breaker"] == "open"
    assert stats["s3"]["successes"] == COUNT
    # After the breaker opened, the CDN was left alone: far fewer requests than frames x tries.
    assert broken.requests <= 2 * (cfg.breaker_failures + cfg.concurrency)


def test_every_source_failing_lists_each_with_reason(sources: Sources, tmp_path: Path) -> None:
    cfg = settings(source="s3,cdn", s3_endpoint=closed_port_url(), cdn_base=closed_port_url(), retries=1)
    payload = fetch(sources, tmp_path, cfg, 1)
    failed = payload["failed"]
    assert isinstance(failed, list)
    assert len(failed) == 1
    assert [reason["source"] for reason in failed[0]["reasons"]] == ["s3", "cdn"]
    assert {reason["kind"] for reason in failed[0]["reasons"]} == {"network"}
    message = failed[0]["message"]
    assert "every source failed" in message
    assert "s3: " in message
    assert "cdn: " in message
    assert list(tmp_path.iterdir()) == []
