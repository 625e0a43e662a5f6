"""The verified atomic writer: signatures, ETags, safe names, resume and clean-up."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from goesvfi.core.remote.base import (
    Candidate,
    DiskSpaceError,
    IncompleteBodyError,
    LocalWriteError,
    NotFoundError,
    UnsafeLocationError,
    VerificationError,
)
from goesvfi.core.remote.download import HDF5_MAGIC, Transfer, check_signature, etag_md5, part_path
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.safety import check_free_space, check_key, safe_target
from goesvfi.core.remote.stats import SourceStats

DATA = HDF5_MAGIC + random.Random(5).randbytes(600_000)
MD5 = hashlib.md5(DATA).hexdigest()


def test_etag_md5_single_part_only() -> None:
    assert etag_md5(f'"{MD5}"') == MD5
    assert etag_md5('"9b2cf535f27731c974343645a3985328-12"') is None
    assert etag_md5(None) is None
    assert etag_md5('W/"abc"') is None


@pytest.mark.parametrize(
    ("content", "ext", "good"),
    [
        (HDF5_MAGIC + b"rest", "nc", True),
        (b"CDF\x01rest", "nc", True),
        (b"CDF\x02rest", "nc", True),
        (b"<html>oops</html>", "nc", False),
        (b"\xff\xd8 jpeg body \xff\xd9", "jpg", True),
        (b"\xff\xd8 jpeg body cut", "jpg", False),
        (b"GIF89a...", "jpg", False),
    ],
)
def test_check_signature(tmp_path: Path, content: bytes, ext: str, good: bool) -> None:
    path = tmp_path / f"f.{ext}"
    path.write_bytes(content)
    if good:
        check_signature(path, ext)
    else:
        with pytest.raises(VerificationError):
            check_signature(path, ext)


@pytest.mark.parametrize("name", ["../evil.nc", "a/b.nc", "/etc/passwd", ".hidden", "x\x00.nc", "nc ..", ""])
def test_safe_target_rejects_odd_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafeLocationError):
        safe_target(tmp_path, name)


def test_safe_target_accepts_canonical_name(tmp_path: Path) -> None:
    name = "GOES19_CONUS_CH13_20250601T000117Z.nc"
    assert safe_target(tmp_path, name) == tmp_path / name


def test_safe_target_rejects_a_link_out_of_the_folder(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    name = "GOES19_CONUS_CH13_20250601T000117Z.nc"
    (dest / name).symlink_to(tmp_path / "elsewhere.nc")
    with pytest.raises(UnsafeLocationError):
        safe_target(dest, name)


def test_free_space_check_names_folder(tmp_path: Path) -> None:
    check_free_space(tmp_path, 1000)
    with pytest.raises(DiskSpaceError, match=str(tmp_path)):
        check_free_space(tmp_path, 10**18)


def test_check_key() -> None:
    prefix = "ABI-L1b-RadC/2025/152/00/OR_ABI-L1b-RadC"
    assert check_key(prefix + "-M6C13_G19_s20251520001173_e1_c2.nc", prefix)
    assert not check_key("ABI-L1b-RadC/2025/152/00/../../../x.nc", "ABI-L1b-RadC/2025/152/00/")
    assert not check_key("other/x.nc", prefix)
    assert not check_key(prefix + "x/ y.nc", prefix)


class Body:
    own_timeout = False
    crc32: str | None = None

    def __init__(self, data: bytes, partial: bool, fail_after: int | None, etag: str | None) -> None:
        self._data = data
        self.partial = partial
        self.length = len(data)
        self.etag = etag
        self._fail_after = fail_after

    async def chunks(self) -> AsyncIterator[bytes]:
        sent = 0
        for start in range(0, len(self._data), 65536):
            if self._fail_after is not None and sent >= self._fail_after:
                raise aiohttp.ClientPayloadError("Response payload is not completed")
            chunk = self._data[start : start + 65536]
            sent += len(chunk)
            yield chunk

    async def close(self) -> None:
        return None


class RangeServer:
    """Serves DATA honouring ranges; the first response breaks off after ``break_at`` bytes."""

    def __init__(self, break_at: int | None, honour_range: bool = True) -> None:
        self.requests: list[tuple[int, str | None]] = []
        self.break_at = break_at
        self.honour_range = honour_range

    async def open(self, candidate: Candidate, offset: int, validator: str | None) -> Body:
        self.requests.append((offset, validator))
        fail = self.break_at if len(self.requests) == 1 else None
        if offset and validator == candidate.etag and self.honour_range:
            return Body(DATA[offset:], True, fail, candidate.etag)
        return Body(DATA, False, fail, candidate.etag)


def transfer(retries: int = 3) -> Transfer:
    policy = RetryPolicy(retries=retries, initial_s=0.0, max_s=0.0)
    return Transfer("s3", policy, SourceStats("s3"), read_timeout_s=5.0, max_bytes=10_000_000)


def candidate(size: int | None = len(DATA), md5: str | None = MD5) -> Candidate:
    return Candidate("s3", "key.nc", start=None, ext="nc", size=size, etag=f'"{MD5}"', md5=md5)  # type: ignore[arg-type]


@pytest.mark.parametrize("honour_range", [True, False])
async def test_broken_transfer_resumes_with_range(tmp_path: Path, honour_range: bool) -> None:
    server = RangeServer(break_at=200_000, honour_range=honour_range)
    target = tmp_path / "GOES19_CONUS_CH13_20250601T000117Z.nc"
    seen: list[int] = []
    size = await transfer().download(server.open, candidate(), target, seen.append)
    assert size == len(DATA)
    assert target.read_bytes() == DATA
    assert not part_path(target).exists()
    assert server.requests[0] == (0, f'"{MD5}"')
    assert server.requests[1][0] >= 200_000  # the second request asked for the rest only
    assert sum(seen) == len(DATA) + (server.requests[1][0] if not honour_range else 0)


async def test_short_body_without_length_is_caught_and_cleaned(tmp_path: Path) -> None:
    async def short(candidate: Candidate, offset: int, validator: str | None) -> Body:
        body = Body(DATA[: len(DATA) // 2], False, None, None)
        body.length = None  # type: ignore[assignment]
        return body

    target = tmp_path / "GOES19_CONUS_CH13_20250601T000117Z.nc"
    with pytest.raises(IncompleteBodyError):
        await transfer(retries=1).download(short, candidate(), target, lambda n: None)
    assert list(tmp_path.iterdir()) == []


async def test_md5_mismatch_is_rejected(tmp_path: Path) -> None:
    server = RangeServer(break_at=None)
    target = tmp_path / "GOES19_CONUS_CH13_20250601T000117Z.nc"
    with pytest.raises(VerificationError):
        await transfer(retries=1).download(server.open, candidate(md5="0" * 32), target, lambda n: None)
    assert list(tmp_path.iterdir()) == []
    assert len(server.requests) == 2  # verification failures are retried


async def test_permanent_error_leaves_nothing(tmp_path: Path) -> None:
    async def gone(candidate: Candidate, offset: int, validator: str | None) -> Body:
        raise NotFoundError("NoSuchKey")

    target = tmp_path / "GOES19_CONUS_CH13_20250601T000117Z.nc"
    part_path(target).write_bytes(b"stale")
    with pytest.raises(NotFoundError):
        await transfer().download(gone, candidate(), target, lambda n: None)
    assert list(tmp_path.iterdir()) == []


async def test_local_write_failure_is_not_a_network_error(tmp_path: Path) -> None:
    server = RangeServer(break_at=None)
    target = tmp_path / "gone" / "GOES19_CONUS_CH13_20250601T000117Z.nc"  # folder does not exist
    with pytest.raises(LocalWriteError, match="cannot write"):
        await transfer().download(server.open, candidate(), target, lambda n: None)
    assert len(server.requests) == 1  # not retried: another try cannot fix the disk
