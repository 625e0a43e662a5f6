"""S3 fetches against a real moto server (child process) and a fault-injecting proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from remote_servers import (
    FaultPlan,
    FaultProxy,
    LoopThread,
    Moto,
    abi_key,
    big_object,
    netcdf_bytes,
    publish,
    publish_multipart,
    start_moto,
)

from goesvfi.core.config import RemoteSettings
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.remote import FetchRequest, fetch_range_sync
from goesvfi.core.timeindex import canonical_name

T0 = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)  # CONUS scans start about :01:17
COUNT = 100
BUCKET = "noaa-goes19"


@dataclass
class Archive:
    moto: Moto
    loop: LoopThread
    expected: dict[str, bytes]  # canonical name -> bytes published


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("objects")
    moto = start_moto()
    loop = LoopThread()
    objects: dict[str, bytes] = {}
    expected: dict[str, bytes] = {}
    for k in range(COUNT):
        start = T0 + timedelta(minutes=5 * k)
        data = netcdf_bytes(tmp, k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = data
        expected[canonical_name(19, "CONUS", 13, start, "nc")] = data
        if k % 6 == 0:  # other bands and sectors share the hour prefixes
            objects[abi_key(19, "ABI-L1b-RadC", 2, start)] = netcdf_bytes(tmp, 1000 + k)
            objects[abi_key(18, "ABI-L1b-RadC", 13, start)] = netcdf_bytes(tmp, 2000 + k)
    # 08:20 to 09:59 is an outage: the 09 hour prefix does not exist at all.
    for k in range(2):
        start = datetime(2025, 6, 1, 10, 1, 17, 300_000, tzinfo=UTC) + timedelta(minutes=5 * k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = netcdf_bytes(tmp, 3000 + k)
    meso = datetime(2025, 6, 1, 3, 4, 28, 100_000, tzinfo=UTC)
    for sector, seed in (("M1", 4000), ("M2", 4001)):
        objects[abi_key(19, "ABI-L1b-RadM", 13, meso, sector)] = data = netcdf_bytes(tmp, seed)
        expected[canonical_name(19, sector, 13, meso, "nc")] = data
    full_disk = datetime(2025, 6, 1, 3, 10, 20, 600_000, tzinfo=UTC)
    objects[abi_key(19, "ABI-L2-CMIPF", 13, full_disk)] = data = netcdf_bytes(tmp, 4002)
    expected[canonical_name(19, "FD", 13, full_disk, "nc")] = data
    publish(moto.url, BUCKET, objects)
    try:
        yield Archive(moto, loop, expected)
    finally:
        loop.stop()
        moto.stop()


def settings(endpoint: str, **extra: object) -> RemoteSettings:
    values: dict[str, object] = {
        "source": "s3",
        "s3_endpoint": endpoint,
        "retries": 8,
        "backoff_initial_s": 0.005,
        "backoff_max_s": 0.02,
        "read_timeout_s": 0.25,
        "connect_timeout_s": 2.0,
    }
    values.update(extra)
    return RemoteSettings.model_validate(values)


def request(dest: Path, cfg: RemoteSettings, start: datetime, end: datetime) -> FetchRequest:
    return FetchRequest("GOES-19", "ABI-L1b-RadC", 13, dest, start=start, end=end, settings=cfg)


@dataclass
class HoldingProxy(FaultProxy):
    """Holds every listing request until ``expected`` of them are in flight at once (or, when
    no more come, ``fallback_s`` passed), recording the most that were in flight together."""

    expected: int = 1
    fallback_s: float = 3.0
    listings: int = 0
    in_flight: int = 0
    peak: int = 0
    _all_in: asyncio.Event = dataclass_field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("list-type") != "2":
            return await super().handle(request)
        self.listings += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.in_flight >= self.expected:
                self._all_in.set()
            try:
                await asyncio.wait_for(self._all_in.wait(), self.fallback_s)
            except TimeoutError:
                self._all_in.set()  # the rest are not coming: hold nothing more
            return await super().handle(request)
        finally:
            self.in_flight -= 1


def assert_identical(dest: Path, expected: dict[str, bytes]) -> list[str]:
    names = sorted(p.name for p in dest.iterdir())
    assert not [n for n in names if n.startswith(".") or n.endswith(".part")], names
    for name in names:
        assert (dest / name).read_bytes() == expected[name], name
    return names


def test_range_fetch_matches_real_start_seconds_and_reuses_files(archive: Archive, tmp_path: Path) -> None:
    cfg = settings(archive.moto.url)
    start, end = datetime(2025, 6, 1, 0, 0, tzinfo=UTC), datetime(2025, 6, 1, 0, 55, tzinfo=UTC)
    result = fetch_range_sync(request(tmp_path, cfg, start, end))
    payload = result.to_json()
    assert payload["requested"] == 12
    assert payload["downloaded"] == 12
    assert payload["failed"] == []
    names = assert_identical(tmp_path, archive.expected)
    assert names[0] == "GOES19_CONUS_CH13_20250601T000117Z.nc"
    assert len(names) == 12

    again = fetch_range_sync(request(tmp_path, cfg, start, end)).to_json()
    assert again["skipped_existing"] == 12
    assert again["downloaded"] == 0
    # Known files are only checked against the hour listings (their sizes), never downloaded.
    assert again["stats"]["s3"]["attempts"] <= 2


def test_explicit_times_pick_nearest_scan(archive: Archive, tmp_path: Path) -> None:
    wanted = (datetime(2025, 6, 1, 1, 2, tzinfo=UTC), datetime(2025, 6, 1, 1, 59, 50, tzinfo=UTC))
    req = FetchRequest(
        "east", "ABI-L1b-RadC", 13, tmp_path, times=wanted, settings=settings(archive.moto.url)
    )
    result = fetch_range_sync(req)
    assert [item.path.name for item in result.items if item.path] == [
        "GOES19_CONUS_CH13_20250601T010117Z.nc",
        "GOES19_CONUS_CH13_20250601T020117Z.nc",  # across the hour boundary
    ]
    assert_identical(tmp_path, archive.expected)


@pytest.mark.parametrize(
    ("product", "meso", "name"),
    [
        ("ABI-L1b-RadM", "M2", "GOES19_M2_CH13_20250601T030428Z.nc"),
        ("ABI-L1b-RadM", "M1", "GOES19_M1_CH13_20250601T030428Z.nc"),
        ("ABI-L2-CMIPF", None, "GOES19_FD_CH13_20250601T031020Z.nc"),
    ],
)
def test_mesoscale_and_l2_products(
    archive: Archive, tmp_path: Path, product: str, meso: str | None, name: str
) -> None:
    wanted = (
        datetime(2025, 6, 1, 3, 4, 10, tzinfo=UTC) if meso else datetime(2025, 6, 1, 3, 10, tzinfo=UTC),
    )
    req = FetchRequest(
        "GOES-19", product, 13, tmp_path, times=wanted, meso=meso, settings=settings(archive.moto.url)
    )
    result = fetch_range_sync(req)
    assert [p.name for p in result.files] == [name]
    assert_identical(tmp_path, archive.expected)


def test_missing_hour_prefix_means_no_data(archive: Archive, tmp_path: Path) -> None:
    start, end = datetime(2025, 6, 1, 9, 0, tzinfo=UTC), datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    payload = fetch_range_sync(request(tmp_path, settings(archive.moto.url), start, end)).to_json()
    assert payload["failed"] == []
    assert len(payload["absent"]) == 7
    assert (
        "no file for GOES-19 ABI-L1b-RadC band 13 at 2025-06-01 09:00:00Z (s3)"
        in payload["absent"][0]["message"]
    )
    assert "NOAA CLASS" in payload["absent"][0]["message"]
    assert list(tmp_path.iterdir()) == []


def test_hundred_files_through_thirty_percent_faults(archive: Archive, tmp_path: Path) -> None:
    # A stall far longer than the read timeout, and a timeout a busy machine's moto server meets
    # (0.25 s timed out whole files on 2 cores running two CPU burners).
    proxy = FaultProxy(archive.moto.url, FaultPlan(rate=0.3, seed=7, stall_s=3.0))
    url = archive.loop.serve(proxy.app())
    start = T0 - timedelta(seconds=77)
    result = fetch_range_sync(
        request(
            tmp_path, settings(url, read_timeout_s=1.0), start, start + timedelta(minutes=5 * (COUNT - 1))
        )
    )
    payload = result.to_json()
    assert payload["failed"] == []
    assert payload["downloaded"] == COUNT
    assert len(assert_identical(tmp_path, archive.expected)) == COUNT
    assert payload["stats"]["s3"]["retries"] > 0
    assert {"slowdown", "reset", "stall", "truncate", "cut", "ignore_range"} <= set(proxy.injected)
    assert proxy.statuses[206] > 0  # broken transfers were resumed with a range request


def test_multipart_object_without_md5_through_faults(archive: Archive, tmp_path: Path) -> None:
    """No MD5 in a multipart ETag: botocore checks the object's full CRC32 while it is read."""
    scan = datetime(2025, 6, 1, 12, 1, 17, 300_000, tzinfo=UTC)
    data = big_object(7, 5 * 1024 * 1024 + 300_000)
    etag = publish_multipart(archive.moto.url, BUCKET, abi_key(19, "ABI-L1b-RadC", 13, scan), data)
    assert etag.strip('"').endswith("-2")
    proxy = FaultProxy(archive.moto.url, FaultPlan(rate=0.5, seed=2, kinds=("flip", "truncate")))
    cfg = settings(archive.loop.serve(proxy.app()))
    req = FetchRequest("GOES-19", "ABI-L1b-RadC", 13, tmp_path, times=(scan,), settings=cfg)
    payload = fetch_range_sync(req).to_json()
    assert payload["failed"] == []
    assert_identical(tmp_path, {"GOES19_CONUS_CH13_20250601T120117Z.nc": data})
    assert proxy.injected["flip"] > 0
    assert payload["stats"]["s3"]["errors_by_kind"].get("verify", 0) >= 1  # caught, then retried


def test_cancel_mid_fetch_leaves_nothing_partial(archive: Archive, tmp_path: Path) -> None:
    proxy = FaultProxy(archive.moto.url, FaultPlan(latency_s=0.02))
    url = archive.loop.serve(proxy.app())
    token = CancelToken()

    def on_progress(event: ProgressEvent) -> None:
        if event.level == "job" and event.done >= 3:  # files settled, not a file's bytes
            token.cancel("test stop")

    start = T0 - timedelta(seconds=77)
    req = request(tmp_path, settings(url, concurrency=4), start, start + timedelta(minutes=5 * (COUNT - 1)))
    with pytest.raises(CancelledByUser):
        fetch_range_sync(req, progress=on_progress, cancel=token)
    names = assert_identical(tmp_path, archive.expected)
    assert 3 <= len(names) < COUNT


@pytest.mark.parametrize(
    ("satellite", "fault", "kind"),
    [("GOES-19", "forbidden", "access_denied"), ("GOES-17", None, "no_bucket")],
)
def test_permanent_errors_are_not_retried(
    archive: Archive, tmp_path: Path, satellite: str, fault: str | None, kind: str
) -> None:
    proxy = FaultProxy(archive.moto.url, FaultPlan(always=fault))
    url = archive.loop.serve(proxy.app())
    moment = datetime(2022, 6, 1, 0, 1, tzinfo=UTC) if satellite == "GOES-17" else T0
    req = FetchRequest(satellite, "ABI-L1b-RadC", 13, tmp_path, times=(moment,), settings=settings(url))
    payload = fetch_range_sync(req).to_json()
    assert len(payload["failed"]) == 1
    assert payload["failed"][0]["reasons"][0]["kind"] == kind
    # 00:01 ± 2.5 minutes: the listings of 23:00 and 00:00, requested together, each once.
    assert payload["stats"]["s3"]["attempts"] == 2
    assert payload["stats"]["s3"]["retries"] == 0
    assert proxy.requests == 2


def test_objects_of_several_receive_blocks_through_faults(archive: Archive, tmp_path: Path) -> None:
    """Objects larger than the receive block (two buffers in turn): each fault kind on the first
    request of one file, then 30 % faults; flipped bytes are caught, cut transfers resumed."""
    from goesvfi.core.remote.http1 import BLOCK

    first = datetime(2025, 6, 2, 0, 1, 17, 300_000, tzinfo=UTC)
    objects = {abi_key(19, "ABI-L1b-RadC", 13, first + timedelta(minutes=5 * k)): k for k in range(6)}
    datas = {
        key: b"\x89HDF\r\n\x1a\n" + big_object(100 + k, 2 * BLOCK + 12_345 * k) for key, k in objects.items()
    }
    publish(archive.moto.url, BUCKET, datas)
    kinds = ("flip", "truncate", "cut", "reset", "stall", "slowdown")
    plan = FaultPlan(rate=0.3, seed=3, kinds=(*kinds, "ignore_range"), stall_s=0.6, first=kinds)
    proxy = FaultProxy(archive.moto.url, plan)
    cfg = settings(archive.loop.serve(proxy.app()))
    start = first.replace(second=0, microsecond=0)
    payload = fetch_range_sync(request(tmp_path, cfg, start, start + timedelta(minutes=25))).to_json()
    assert payload["failed"] == []
    expected = {
        canonical_name(19, "CONUS", 13, first + timedelta(minutes=5 * k), "nc"): datas[key]
        for key, k in objects.items()
    }
    assert len(assert_identical(tmp_path, expected)) == 6
    errors = payload["stats"]["s3"]["errors_by_kind"]
    assert {"verify", "truncated", "timeout", "network", "throttled"} <= set(errors), errors
    assert proxy.statuses[206] > 0  # broken transfers were resumed with a range request


@pytest.mark.parametrize("concurrency", [32, 3])
def test_hour_listings_of_a_job_go_out_together(archive: Archive, tmp_path: Path, concurrency: int) -> None:
    """72 frames over six hours: every hour listing the job needs is requested at once (not only
    those of the first frames in time order, which once took all the slots), never more than
    the concurrency at a time, and each only once."""
    hours = 7  # 00 to 05, and 23 the day before (00:00 minus the tolerance of 2.5 minutes)
    # Held until as many as may be in flight are there: the old code never got there (2 of 3,
    # 4 of 7), so its listings waited out the fallback and the peak below tells.
    proxy = HoldingProxy(archive.moto.url, expected=min(hours, concurrency), fallback_s=5.0)
    cfg = settings(archive.loop.serve(proxy.app()), concurrency=concurrency, read_timeout_s=10.0)
    start = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    payload = fetch_range_sync(request(tmp_path, cfg, start, start + timedelta(minutes=355))).to_json()
    assert proxy.peak == min(hours, concurrency)
    assert proxy.listings == hours
    assert payload["failed"] == []
    assert payload["downloaded"] == 72
    assert len(assert_identical(tmp_path, archive.expected)) == 72
