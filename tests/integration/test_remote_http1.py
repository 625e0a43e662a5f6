"""The small HTTP/1.1 client of the S3 store: slow and stalled bodies, kept connections, chunked
listings, and a fetch that imports neither aiohttp nor botocore."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from remote_servers import LoopThread, abi_key, big_object, publish, start_moto

from goesvfi.core.remote.base import Candidate, RemoteTimeoutError
from goesvfi.core.remote.download import Transfer
from goesvfi.core.remote.http1 import HttpPool
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.s3 import S3Store, parse_listing
from goesvfi.core.remote.stats import SourceStats

KEY = "ABI-L1b-RadC/2025/152/00/OR_ABI-L1b-RadC-M6C13_G19_s20251520001173_e1_c2.nc"
DATA = b"\x89HDF\r\n\x1a\n" + big_object(1, 1_000_000)[8:]
MD5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()
PIECE = 32 * 1024


class Origin:
    """``/noaa-goes19/<key>``: DATA in pieces, a pause after each; ``stall`` stops halfway."""

    def __init__(self, pause_s: float, stall: bool = False) -> None:
        self.pause_s = pause_s
        self.stall = stall
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"ETag": f'"{MD5}"'})
        response.content_length = len(DATA)
        await response.prepare(request)
        for start in range(0, len(DATA), PIECE):
            if self.stall and start >= len(DATA) // 2:
                await self.release.wait()  # set when the test ends
            await response.write(DATA[start : start + PIECE])
            await asyncio.sleep(self.pause_s)
        return response


def serve(loop: LoopThread, origin: Origin) -> str:
    async def make() -> None:
        origin.release = asyncio.Event()  # bound to the server's loop

    loop.run(make())
    app = web.Application()
    app.router.add_get("/{tail:.*}", origin.handle)
    return loop.serve(app)


def download(url: str, target: Path, read_timeout_s: float) -> tuple[int, SourceStats]:
    stats = SourceStats("s3")
    candidate = Candidate(
        "s3", KEY, datetime(2025, 6, 1, tzinfo=UTC), "nc", len(DATA), f'"{MD5}"', MD5, "noaa-goes19"
    )

    async def run() -> int:
        transfer = Transfer("s3", RetryPolicy(retries=0), stats, read_timeout_s, 1 << 30)
        store = S3Store(
            transfer, endpoint_url=url, concurrency=2, connect_timeout_s=5.0, read_timeout_s=read_timeout_s
        )
        try:
            return await store.download(candidate, target, lambda _n: None)
        finally:
            await store.aclose()

    return asyncio.run(run()), stats


def test_a_body_slower_than_the_read_timeout_but_flowing_arrives(
    loop_thread: LoopThread, tmp_path: Path
) -> None:
    # 31 pieces 20 ms apart: the whole body (one receive block) takes about 0.6 s, three times the
    # read timeout, while no gap between bytes comes near it.
    url = serve(loop_thread, Origin(pause_s=0.02))
    target = tmp_path / "frame.nc"
    size, stats = download(url, target, read_timeout_s=0.2)
    assert size == len(DATA)
    assert target.read_bytes() == DATA
    assert stats.to_dict()["attempts"] == 1


def test_a_stalled_body_times_out_and_leaves_nothing(loop_thread: LoopThread, tmp_path: Path) -> None:
    origin = Origin(pause_s=0.0, stall=True)
    url = serve(loop_thread, origin)
    try:
        with pytest.raises(RemoteTimeoutError):
            download(url, tmp_path / "frame.nc", read_timeout_s=0.2)
    finally:
        loop_thread.loop.call_soon_threadsafe(origin.release.set)
    assert list(tmp_path.iterdir()) == []


def test_a_kept_connection_the_server_drops_is_replaced() -> None:
    """A server that keeps each connection for one answer, then drops it when the next request
    arrives (as a server does whose idle timeout ends as the request is on its way)."""
    connections = 0

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        writer.transport.abort()

    async def run() -> list[bytes]:
        server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = HttpPool(size=4, connect_timeout_s=2.0, read_timeout_s=2.0)
        bodies = []
        try:
            for _ in range(3):
                response = await pool.get(f"http://127.0.0.1:{port}/x")
                bodies.append(await response.read(100))
        finally:
            pool.close()
            server.close()
            await server.wait_closed()
        return bodies

    assert asyncio.run(run()) == [b"ok"] * 3
    assert connections == 3


def test_a_chunked_listing_is_read_whole_and_parsed(loop_thread: LoopThread) -> None:
    ns = "http://s3.amazonaws.com/doc/2006-03-01/"
    page = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{ns}">'
        "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>t+1/2=</NextContinuationToken>"
        + "".join(
            f"<Contents><Key>ABI-L1b-RadC/odd%2Bname+{k}.nc</Key><Size>{k}</Size>"
            f"<ETag>&quot;{k:032x}&quot;</ETag></Contents>"
            for k in range(300)
        )
        + "</ListBucketResult>"
    ).encode()

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/xml"})
        await response.prepare(request)  # no length: chunked, one chunk per write
        for start in range(0, len(page), 1000):
            await response.write(page[start : start + 1000])
        return response

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    url = loop_thread.serve(app)

    async def run() -> bytes:
        pool = HttpPool(size=2, connect_timeout_s=2.0, read_timeout_s=2.0)
        try:
            return await (await pool.get(f"{url}/noaa-goes19?list-type=2")).read(1 << 20)
        finally:
            pool.close()

    body = asyncio.run(run())
    assert body == page
    listing = parse_listing(body, url)
    assert listing["IsTruncated"] is True
    assert listing["NextContinuationToken"] == "t+1/2="
    assert len(listing["Contents"]) == 300
    assert listing["Contents"][7] == {"Key": "ABI-L1b-RadC/odd+name 7.nc", "Size": 7, "ETag": f'"{7:032x}"'}


def test_a_fetch_imports_neither_aiohttp_nor_botocore(tmp_path: Path) -> None:
    """Each costs a fifth of a second or more of start-up; a fetch of S3 objects needs neither."""
    moto = start_moto()
    try:
        start = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)
        publish(moto.url, "noaa-goes19", {abi_key(19, "ABI-L1b-RadC", 13, start): DATA})
        script = textwrap.dedent(
            f"""
            import sys
            from datetime import datetime, UTC
            from pathlib import Path
            from goesvfi.core.config import RemoteSettings
            from goesvfi.core.remote import FetchRequest, fetch_range_sync
            settings = RemoteSettings(source="s3", s3_endpoint={moto.url!r})
            when = (datetime(2025, 6, 1, 0, 1, tzinfo=UTC),)
            request = FetchRequest("GOES-19", "ABI-L1b-RadC", 13, Path({str(tmp_path)!r}), times=when,
                                   settings=settings)
            assert fetch_range_sync(request).to_json()["downloaded"] == 1
            print(sorted(name for name in ("aiohttp", "botocore", "aiobotocore") if name in sys.modules))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        moto.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
