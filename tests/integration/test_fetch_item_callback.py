"""``fetch_range_sync(on_item=...)``: each frame reported as it settles, its file already whole."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from remote_servers import Moto, abi_key, netcdf_bytes, publish, start_moto

from goesvfi.core.config import RemoteSettings
from goesvfi.core.remote import FetchRequest, fetch_range_sync
from goesvfi.core.remote.composite import ItemResult

T0 = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    tmp = tmp_path_factory.mktemp("objects")
    objects = {
        abi_key(19, "ABI-L1b-RadC", 13, T0 + timedelta(minutes=5 * k)): netcdf_bytes(tmp, k) for k in range(3)
    }
    server = start_moto()
    try:
        publish(server.url, "noaa-goes19", objects)
        yield server
    finally:
        server.stop()


def test_each_frame_reported_once_with_its_file_in_place(moto: Moto, tmp_path: Path) -> None:
    settings = RemoteSettings.model_validate({"source": "s3", "s3_endpoint": moto.url, "retries": 0})
    seen: list[tuple[ItemResult, bool]] = []
    request = FetchRequest("GOES-19", "ABI-L1b-RadC", 13, tmp_path, start=T0 - timedelta(minutes=1),
                           end=T0 + timedelta(minutes=16), settings=settings)  # fmt: skip
    result = fetch_range_sync(
        request, on_item=lambda item: seen.append((item, bool(item.path and item.path.is_file())))
    )
    assert sorted(item.wanted.time for item, _ in seen) == [item.wanted.time for item in result.items]
    assert len(seen) == 4  # three scans and one slot with nothing published
    assert sorted(item.status for item, _ in seen) == ["absent", "downloaded", "downloaded", "downloaded"]
    assert all(on_disk for item, on_disk in seen if item.status == "downloaded")
    again: list[ItemResult] = []
    fetch_range_sync(request, on_item=again.append)
    assert sorted(item.status for item in again) == [
        "absent",
        "skipped_existing",
        "skipped_existing",
        "skipped_existing",
    ]
