"""Real loopback servers for the remote-fetch tests and bench: moto S3, a CDN, a fault proxy.

- :func:`start_moto` runs ``moto_server`` as a child process; :func:`publish` creates NOAA-style
  buckets with a public-read policy (anonymous reads get 403 otherwise) and uploads objects.
- :class:`CdnApp` serves JPEGs and Apache-style index pages from memory, with ETag and Range.
- :class:`FaultProxy` forwards to either and, deterministically by seed, injects 503 SlowDown
  with Retry-After, connection resets, stalls past the read timeout, truncated bodies with a
  Content-Length, bodies cut without a length, and ignored Range headers; plus fixed latency.
  On request only (not in ``FAULT_KINDS``): ``flip``, one byte of a file body (not an XML/HTML
  listing) changed, full length.
- :class:`LoopThread` runs the aiohttp servers on their own event loop, so synchronous code
  (the CLI in a subprocess, ``fetch_range_sync``) can talk to them.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from aiohttp import ClientSession, web

T = TypeVar("T")

FAULT_KINDS = ("slowdown", "reset", "stall", "truncate", "cut", "ignore_range")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


# ---------------------------------------------------------------- content


def abi_name(
    sat: int, product: str, band: int, start: datetime, meso: str | None = None, mode: int = 6
) -> str:
    """``OR_ABI-L1b-RadC-M6C13_G19_s20251230001173_e..._c....nc`` for a scan starting at ``start``."""

    def stamp(when: datetime) -> str:
        return f"{when:%Y%j%H%M%S}{when.microsecond // 100_000}"

    file_product = product[:-1] + meso if meso else product
    end = start + timedelta(minutes=2, seconds=23)
    created = end + timedelta(seconds=4)
    return f"OR_{file_product}-M{mode}C{band:02d}_G{sat}_s{stamp(start)}_e{stamp(end)}_c{stamp(created)}.nc"


def abi_key(sat: int, product: str, band: int, start: datetime, meso: str | None = None) -> str:
    return f"{product}/{start:%Y/%j/%H}/{abi_name(sat, product, band, start, meso)}"


def netcdf_bytes(tmp: Path, seed: int, shape: tuple[int, int] = (24, 32)) -> bytes:
    """A small real NetCDF-4 (HDF5) file with an ABI-like packed ``Rad`` variable."""
    import netCDF4

    rng = np.random.default_rng(seed)
    path = tmp / f"abi_{seed}.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.createDimension("y", shape[0])
        ds.createDimension("x", shape[1])
        rad = ds.createVariable("Rad", "i2", ("y", "x"), fill_value=4095)
        rad.scale_factor = 0.04
        rad.add_offset = -1.5
        rad.set_auto_maskandscale(False)
        rad[:] = rng.integers(0, 4000, size=shape, dtype=np.int16)
        ds.createVariable("band_id", "i1", ())[:] = 13
    data = path.read_bytes()
    path.unlink()
    return data


def big_object(seed: int, size: int) -> bytes:
    """``size`` bytes with the HDF5 signature in front (for the benchmark)."""
    payload = np.random.default_rng(seed).integers(0, 256, size=size - 8, dtype=np.uint8).tobytes()
    return b"\x89HDF\r\n\x1a\n" + payload


def jpeg_bytes(seed: int, size: tuple[int, int] = (40, 24)) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, size=(size[1], size[0]), dtype=np.uint8), mode="L")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def cdn_path(sat: int, sector: str, band: int, start: datetime, size: str) -> str:
    name = f"{start:%Y%j%H%M}_GOES{sat}-ABI-{sector}-{band:02d}-{size}.jpg"
    return f"/GOES{sat}/ABI/{sector}/{band:02d}/{name}"


# ---------------------------------------------------------------- moto


@dataclass
class Moto:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ``moto_server`` with werkzeug's per-request log line switched off (it costs the server ~10 % CPU).
_MOTO_MAIN = (
    "import logging, sys; logging.getLogger('werkzeug').setLevel(logging.ERROR); "
    "from moto.server import main; main(sys.argv[1:])"
)


def start_moto() -> Moto:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _MOTO_MAIN, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Moto(process, f"http://127.0.0.1:{port}")
        except OSError:
            time.sleep(0.05)  # waiting for a child process to listen, not timing a test
    process.kill()
    raise RuntimeError("moto_server did not start listening within 30 s")


def publish(url: str, bucket: str, objects: dict[str, bytes], *, public: bool = True) -> None:
    """Create ``bucket`` (public read like the NOAA buckets, unless told) and upload ``objects``."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    if bucket not in existing and public:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for key, data in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)


def publish_multipart(url: str, bucket: str, key: str, data: bytes, part_size: int = 5 * 1024 * 1024) -> str:
    """Upload ``data`` to an existing bucket as a multipart object with a full-object CRC32 (its
    ETag ends in ``-N``, so there is no MD5 to check); returns the ETag."""
    import base64
    import zlib

    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    upload = client.create_multipart_upload(
        Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )
    parts = []
    for number, first in enumerate(range(0, len(data), part_size), start=1):
        part = client.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data[first : first + part_size],
            ChecksumAlgorithm="CRC32",
        )
        parts.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]})
    done = client.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": parts},
        ChecksumCRC32=base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode(),
        ChecksumType="FULL_OBJECT",
    )
    return str(done["ETag"])


# ---------------------------------------------------------------- event loop thread


class LoopThread:
    """An asyncio loop in a daemon thread hosting aiohttp servers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._runners: list[web.AppRunner] = []

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def serve(self, app: web.Application) -> str:
        """Start ``app`` on a free loopback port; return its base URL."""

        async def start() -> str:
            runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            port = runner.addresses[0][1]
            return f"http://127.0.0.1:{port}"

        return self.run(start())

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        self.run(cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


# ---------------------------------------------------------------- CDN


class CdnApp:
    """Static JPEGs plus index pages, with strong ETags, Range and If-Range."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.endswith("/"):
            names = sorted(
                p[len(path) :] for p in self.files if p.startswith(path) and "/" not in p[len(path) :]
            )
            if not names:
                raise web.HTTPNotFound()
            rows = "".join(
                f'<a href="{n}">{n}</a> 01-Jan-2025 00:00 {len(self.files[path + n])}\n' for n in names
            )
            return web.Response(
                text=f"<html><body><pre>{rows}</pre></body></html>\n", content_type="text/html"
            )
        data = self.files.get(path)
        if data is None:
            raise web.HTTPNotFound()
        etag = '"' + hashlib.md5(data).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Accept-Ranges": "bytes"}
        wanted = request.headers.get("Range", "")
        if_range = request.headers.get("If-Range")
        if wanted.startswith("bytes=") and (if_range is None or if_range == etag):
            start = int(wanted[6:].split("-")[0])
            if start >= len(data):
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return web.Response(status=206, body=data[start:], headers=headers, content_type="image/jpeg")
        return web.Response(body=data, headers=headers, content_type="image/jpeg")


def file_origin(root: Path) -> web.Application:
    """A CDN origin serving files under ``root`` with sendfile (``FileResponse``: ETag, Range,
    If-Range) and Apache-style index pages for folders: the benchmark's fast CDN stand-in."""

    async def handle(request: web.Request) -> web.StreamResponse:
        path = (root / request.match_info["tail"]).resolve()
        if not path.is_relative_to(root.resolve()):
            raise web.HTTPNotFound()
        if request.path.endswith("/") and path.is_dir():
            rows = "".join(
                f'<a href="{p.name}">{p.name}</a> 01-Jan-2025 00:00 {p.stat().st_size}\n'
                for p in sorted(path.iterdir())
                if p.is_file()
            )
            page = f"<html><body><pre>{rows}</pre></body></html>\n"
            return web.Response(text=page, content_type="text/html")
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "image/jpeg"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


# ---------------------------------------------------------------- fault proxy


@dataclass
class FaultPlan:
    """Which faults to inject: each request fails with probability ``rate`` (by seed and path)."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    latency_s: float = 0.0
    stall_s: float = 1.0
    always: str | None = None  # inject this fault on every request (a permanently broken source)
    # Faults given in this order to the first request for each of the first files (paths with a
    # file suffix), so a test sees every kind whatever the file names (which hold today's date).
    first: tuple[str, ...] = ()


@dataclass
class FaultProxy:
    """A reverse proxy in front of ``upstream`` that misbehaves according to ``plan``."""

    upstream: str
    plan: FaultPlan = field(default_factory=FaultPlan)
    injected: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # upstream statuses passed on
    _seen: Counter[str] = field(default_factory=Counter)
    _firsts: int = 0
    _session: ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)

        async def close(_app: web.Application) -> None:
            if self._session is not None:
                await self._session.close()

        app.on_cleanup.append(close)
        return app

    def _fault(self, request: web.Request) -> str | None:
        if self.plan.always:
            return self.plan.always
        key = f"{request.method} {request.path_qs} {request.headers.get('Range', '')}"
        self._seen[key] += 1
        is_file = "." in request.path.rsplit("/", 1)[-1]
        if is_file and self._seen[key] == 1 and self._firsts < len(self.plan.first):
            self._firsts += 1
            return self.plan.first[self._firsts - 1]
        rng = random.Random(f"{self.plan.seed}:{key}:{self._seen[key]}")
        if rng.random() >= self.plan.rate:
            return None
        return rng.choice(self.plan.kinds)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.plan.latency_s:
            await asyncio.sleep(self.plan.latency_s)
        fault = self._fault(request)
        if fault:
            self.injected[fault] += 1
        if fault == "slowdown":
            body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            return web.Response(
                status=503, text=body, headers={"Retry-After": "0"}, content_type="application/xml"
            )
        if fault == "forbidden":
            body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            return web.Response(status=403, text=body, content_type="application/xml")
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        skip = {"host", "content-length", "transfer-encoding", "connection"}
        if fault == "ignore_range":
            skip |= {"range", "if-range", "if-match"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        if self._session is None:
            self._session = ClientSession(auto_decompress=False, read_bufsize=1 << 20)
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=await request.read()
        ) as upstream:
            status = upstream.status
            self.statuses[status] += 1
            out_headers = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")
            }
            if fault in ("stall", "truncate", "cut", "flip"):
                data = await upstream.read()
                listing = "ml" in upstream.headers.get("Content-Type", "")  # XML or HTML
                if len(data) > 1 and not (fault == "flip" and listing):
                    return await self._broken_body(request, fault, status, out_headers, data)
                return web.Response(status=status, body=data, headers=out_headers)
            response = web.StreamResponse(status=status, headers=out_headers)
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            await response.prepare(request)
            # Whatever has arrived, until the end. (Not iter_chunks: on a chunked upstream body
            # aiohttp 3.14 can yield an empty chunk-end forever, which spun this proxy at 100 %.)
            while chunk := await upstream.content.readany():
                await response.write(chunk)
            await response.write_eof()
            return response

    async def _broken_body(
        self, request: web.Request, fault: str, status: int, headers: dict[str, str], data: bytes
    ) -> web.StreamResponse:
        cut = max(1, len(data) // 2)
        if fault == "flip":  # full length, one byte changed: only a checksum can tell
            flipped = data[:cut] + bytes([data[cut] ^ 0xFF]) + data[cut + 1 :]
            return web.Response(status=status, body=flipped, headers=headers)
        if fault == "cut":  # no length, connection closed early: looks like a complete body
            assert request.transport is not None
            head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            request.transport.write((head + "Connection: close\r\n\r\n").encode("latin-1") + data[:cut])
            request.transport.close()
            return web.Response(status=500)
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[:cut])
        if fault == "stall":
            await asyncio.sleep(self.plan.stall_s)  # the server hangs; the client's read timeout fires
        if request.transport is not None:
            request.transport.close()
        return response


def main() -> None:
    """A server in its own process; prints its URL on the first line of stdout, then serves.

    ``python remote_servers.py proxy --upstream URL [--latency S] [--rate R --seed N]``: the fault
    proxy. ``python remote_servers.py origin --root DIR``: :func:`file_origin`.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("role", choices=["proxy", "origin"])
    parser.add_argument("--upstream", help="proxy: the server to forward to")
    parser.add_argument("--root", type=Path, help="origin: the folder to serve")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.role == "proxy":
        if not args.upstream:
            parser.error("proxy needs --upstream URL")
        plan = FaultPlan(rate=args.rate, seed=args.seed, latency_s=args.latency)
        app = FaultProxy(args.upstream, plan).app()
    else:
        if args.root is None or not args.root.is_dir():
            parser.error("origin needs --root DIR (an existing folder)")
        app = file_origin(args.root)
    port = free_port()
    print(f"http://127.0.0.1:{port}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()


def s3_download(url: str, candidate: Any, target: Path) -> int:
    """One object through the S3 store at ``url`` with no retries (errors come out as they are);
    the bytes it wrote."""
    from goesvfi.core.remote.download import Transfer
    from goesvfi.core.remote.retry import RetryPolicy
    from goesvfi.core.remote.s3 import S3Store
    from goesvfi.core.remote.stats import SourceStats

    async def run() -> int:
        transfer = Transfer("s3", RetryPolicy(retries=0), SourceStats("s3"), 10.0, 1 << 30)
        store = S3Store(transfer, endpoint_url=url, concurrency=2, connect_timeout_s=5.0, read_timeout_s=10.0)
        try:
            return int(await store.download(candidate, target, lambda _n: None))
        finally:
            await store.aclose()

    return asyncio.run(run())
