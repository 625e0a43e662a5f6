"""Which checksum a download is held to: S3's stored full-object CRC32 when the server sends it
(a fifth of MD5's CPU), else the MD5 of a single-part ETag; a range is checked by MD5 (S3 sends no
checksum with one)."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from remote_servers import LoopThread, big_object, s3_download

from goesvfi.core.remote.base import Candidate, VerificationError
from goesvfi.core.remote.s3 import full_object_crc32

KEY = "ABI-L1b-RadC/2025/152/00/OR_ABI-L1b-RadC-M6C13_G19_s20251520001173_e1_c2.nc"
DATA = b"\x89HDF\r\n\x1a\n" + big_object(3, 2_500_000)[8:]
MD5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()
CRC = base64.b64encode(zlib.crc32(DATA).to_bytes(4, "big")).decode()
WRONG_MD5 = "0" * 32
WRONG_CRC = base64.b64encode((zlib.crc32(DATA) ^ 1).to_bytes(4, "big")).decode()


def test_the_full_object_crc32_header_is_read_as_hex() -> None:
    assert full_object_crc32({"x-amz-checksum-crc32": CRC}) == f"{zlib.crc32(DATA):08x}"
    assert full_object_crc32({"x-amz-checksum-crc32": CRC, "x-amz-checksum-type": "FULL_OBJECT"}) is not None
    assert full_object_crc32({"x-amz-checksum-crc32": "AAAAAA==-3"}) is None  # a multipart's composite
    assert full_object_crc32({"x-amz-checksum-crc32": CRC, "x-amz-checksum-type": "COMPOSITE"}) is None
    assert full_object_crc32({"x-amz-checksum-crc32": "not base64!"}) is None
    assert full_object_crc32({}) is None


def serve(loop: LoopThread, etag_md5: str, crc: str | None, asked: list[str]) -> str:
    async def handle(request: web.Request) -> web.Response:
        asked.append(request.headers.get("x-amz-checksum-mode", ""))
        headers = {"ETag": f'"{etag_md5}"'}
        if crc is not None and request.headers.get("x-amz-checksum-mode") == "ENABLED":
            headers["x-amz-checksum-crc32"] = crc
        return web.Response(body=DATA, headers=headers)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return loop.serve(app)


def download(url: str, target: Path, etag_md5: str) -> int:
    candidate = Candidate("s3", KEY, datetime(2025, 6, 1, tzinfo=UTC), "nc", len(DATA), f'"{etag_md5}"',
                          etag_md5, "noaa-goes19")  # fmt: skip

    return s3_download(url, candidate, target)


def test_the_stored_crc32_is_checked_when_the_server_sends_it(
    loop_thread: LoopThread, tmp_path: Path
) -> None:
    asked: list[str] = []
    url = serve(loop_thread, etag_md5=MD5, crc=WRONG_CRC, asked=asked)
    with pytest.raises(VerificationError, match="CRC32"):
        download(url, tmp_path / "frame.nc", MD5)
    assert asked == ["ENABLED"]
    assert list(tmp_path.iterdir()) == []  # nothing under the final name, no .part left


def test_a_right_crc32_passes_and_the_bytes_are_whole(loop_thread: LoopThread, tmp_path: Path) -> None:
    url = serve(loop_thread, etag_md5=MD5, crc=CRC, asked=[])
    assert download(url, tmp_path / "frame.nc", MD5) == len(DATA)
    assert (tmp_path / "frame.nc").read_bytes() == DATA


def test_without_a_stored_checksum_the_etag_md5_is_checked(loop_thread: LoopThread, tmp_path: Path) -> None:
    url = serve(loop_thread, etag_md5=WRONG_MD5, crc=None, asked=[])
    with pytest.raises(VerificationError, match="MD5"):
        download(url, tmp_path / "frame.nc", WRONG_MD5)
    assert list(tmp_path.iterdir()) == []
