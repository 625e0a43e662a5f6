"""The plain GET of a whole S3 object (no botocore request building): bytes and S3 error codes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from remote_servers import Moto, publish, s3_download, start_moto

from goesvfi.core.remote.base import Candidate, NoSuchBucketError, NotFoundError

KEY = "ABI-L1b-RadC/2025/152/00/OR_ABI-L1b-RadC-M6C13_G19_s20251520001173_e1_c2.nc"
DATA = b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 64


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = start_moto()
    try:
        publish(server.url, "noaa-goes19", {KEY: DATA, "odd name+x.nc": DATA})
        yield server
    finally:
        server.stop()


def candidate(key: str, bucket: str = "noaa-goes19") -> Candidate:
    md5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()
    return Candidate("s3", key, datetime(2025, 6, 1, tzinfo=UTC), "nc", len(DATA), f'"{md5}"', md5, bucket)


@pytest.mark.parametrize("key", [KEY, "odd name+x.nc"])
def test_whole_object_arrives_verified(moto: Moto, tmp_path: Path, key: str) -> None:
    target = tmp_path / "frame.nc"
    assert s3_download(moto.url, candidate(key), target) == len(DATA)
    assert target.read_bytes() == DATA


@pytest.mark.parametrize(
    ("bucket", "key", "error"),
    [("noaa-goes19", "gone.nc", NotFoundError), ("noaa-goes11", KEY, NoSuchBucketError)],
)
def test_s3_error_codes_classify_like_botocore(
    moto: Moto, tmp_path: Path, bucket: str, key: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        s3_download(moto.url, candidate(key, bucket), tmp_path / "frame.nc")
    assert list(tmp_path.iterdir()) == []
