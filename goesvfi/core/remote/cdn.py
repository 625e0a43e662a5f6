"""The NOAA STAR CDN: recent ABI imagery as JPEG, over plain HTTP(S) with aiohttp.

``<base>/<SAT>/ABI/<SECTOR>/<BAND>/<YYYYDDDHHMM>_<SAT>-ABI-<SECTOR>-<BAND>-<W>x<H>.jpg``
(sector codes in lower case). The minute in the name is the scan-start minute. The CDN keeps only a
few days, so it is asked only for times within ``remote.cdn_recent_days`` of now. A frame is
found by reading the band folder's index page once per job and taking the nearest minute.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from goesvfi.core.remote.base import Candidate, IncompleteBodyError, ObjectTooLargeError, OnBytes, Wanted
from goesvfi.core.remote.download import Transfer, body_pieces
from goesvfi.core.remote.retry import error_for_status
from goesvfi.core.timeindex import parse_name

log = logging.getLogger(__name__)

DEFAULT_SIZES = {"FD": "1808x1808", "CONUS": "1250x750"}
_HREF = re.compile(r'href="([A-Za-z0-9_.-]+\.jpg)"')
LISTING_TTL_S = 30.0
READ_BUFSIZE = 1 << 20  # aiohttp's 64 KiB default pauses the socket every 128 KiB
# A band folder holds a few days of frames: about 3,000 names and 1 MB of HTML at full-disk cadence
# (CONUS and mesoscale more often). Far above that, the server is hostile or broken: stop reading.
MAX_INDEX_BYTES = 64 << 20
MAX_INDEX_ENTRIES = 200_000


class HttpBody:
    """An aiohttp response streamed in chunks."""

    own_timeout = False
    crc32: str | None = None  # the CDN stores no checksum

    def __init__(self, response: Any, partial: bool) -> None:
        self._response = response
        self.partial = partial
        self.length: int | None = response.content_length
        self.etag: str | None = response.headers.get("ETag") or response.headers.get("Last-Modified")

    def chunks(self) -> AsyncIterator[bytes]:
        return body_pieces(self._response.content)

    async def close(self) -> None:
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class CdnStore:
    """JPEGs from the STAR CDN for the full-disk and CONUS sectors."""

    name = "cdn"

    def __init__(
        self,
        transfer: Transfer,
        *,
        base_url: str,
        recent_days: float,
        size: str,
        concurrency: int,
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> None:
        self._transfer = transfer
        self._base = base_url.rstrip("/")
        self._recent = timedelta(days=recent_days)
        self._size = size
        self._limit = concurrency + 2
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._session: Any = None
        self._lock = asyncio.Lock()
        self._listings: dict[str, tuple[float, asyncio.Task[list[str]]]] = {}

    def covers(self, wanted: Wanted, now: datetime) -> bool:
        sector = wanted.product.cdn_sector
        return sector is not None and wanted.product.sector != "M" and now - wanted.time <= self._recent

    def _folder(self, wanted: Wanted) -> str:
        assert wanted.product.cdn_sector is not None
        sat = quote(wanted.satellite.cdn_name)
        return f"{self._base}/{sat}/ABI/{wanted.product.cdn_sector}/{wanted.band:02d}/"

    def _suffix(self, wanted: Wanted) -> str:
        sector = wanted.product.cdn_sector or ""
        size = self._size or DEFAULT_SIZES.get(sector, "1250x750")
        return f"_{wanted.satellite.cdn_name}-ABI-{sector}-{wanted.band:02d}-{size}.jpg"

    async def _ready(self) -> Any:
        async with self._lock:
            if self._session is None:
                import aiohttp

                timeout = aiohttp.ClientTimeout(
                    total=None, sock_connect=self._timeouts[0], sock_read=self._timeouts[1]
                )
                self._session = aiohttp.ClientSession(
                    timeout=timeout,
                    connector=aiohttp.TCPConnector(limit=self._limit),
                    trust_env=True,  # honour HTTP(S)_PROXY like other tools
                    auto_decompress=False,
                    read_bufsize=READ_BUFSIZE,
                )
            return self._session

    async def _get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        session = await self._ready()
        self._transfer.stats.record_attempt()
        sent = time.monotonic()
        response = await session.get(url, headers=headers or {}, allow_redirects=True)
        self._transfer.stats.record_latency(time.monotonic() - sent)
        return response

    async def _list(self, folder: str) -> list[str]:
        response = await self._get(folder)
        try:
            if response.status == 404:
                return []
            if response.status != 200:
                raise error_for_status(response.status, "", f"listing {folder}", self.name, response.headers)
            data = bytearray()
            async for piece in body_pieces(response.content):
                data += piece
                if len(data) > MAX_INDEX_BYTES:
                    raise ObjectTooLargeError(
                        f"index page {folder} is larger than {MAX_INDEX_BYTES // 2**20} MB; the server "
                        "is not a NOAA CDN or is broken, check remote.cdn_base",
                        source=self.name,
                    )
        except BaseException:
            response.close()  # a body not read to the end: the connection cannot be reused
            raise
        finally:
            response.release()
        text = data.decode("utf-8", "replace")
        if "</html>" not in text[-200:].lower():  # a cut index page would silently hide frames
            raise IncompleteBodyError(f"index page {folder} ends early", source=self.name)
        names = set(_HREF.findall(text))
        if len(names) > MAX_INDEX_ENTRIES:
            raise ObjectTooLargeError(
                f"index page {folder} lists {len(names):,} files, more than {MAX_INDEX_ENTRIES:,}; "
                "check remote.cdn_base",
                source=self.name,
            )
        return sorted(names)

    async def _listing(self, folder: str) -> list[str]:
        cached = self._listings.get(folder)
        if (
            cached is None
            or time.monotonic() - cached[0] > LISTING_TTL_S
            or (cached[1].done() and cached[1].exception() is not None)
        ):
            task = asyncio.ensure_future(
                self._transfer.policy.run(
                    lambda: self._list(folder),
                    source=self.name,
                    on_retry=lambda error, _p: self._transfer.stats.record_retry(error.kind),
                )
            )
            cached = (time.monotonic(), task)
            self._listings[folder] = cached
        return await asyncio.shield(cached[1])

    async def find(self, wanted: Wanted) -> Candidate | None:
        folder = self._folder(wanted)
        suffix = self._suffix(wanted)
        best: tuple[timedelta, datetime, str] | None = None
        for name in await self._listing(folder):
            if not name.endswith(suffix):
                continue
            parsed = parse_name(name)
            if parsed is None:
                continue
            distance = abs(parsed.timestamp - wanted.time)
            if distance <= wanted.tolerance and (best is None or distance < best[0]):
                best = (distance, parsed.timestamp, name)
        if best is None:
            return None
        return Candidate(source=self.name, locator=folder + best[2], start=best[1], ext="jpg")

    async def _open(self, candidate: Candidate, offset: int, validator: str | None) -> HttpBody:
        headers = {"Range": f"bytes={offset}-", "If-Range": validator} if offset and validator else {}
        response = await self._get(candidate.locator, headers)
        if response.status == 416:
            response.release()
            response = await self._get(candidate.locator)
        if response.status not in (200, 206):
            response.release()
            raise error_for_status(response.status, "", candidate.locator, self.name, response.headers)
        content_range = response.headers.get("Content-Range", "")
        partial = response.status == 206 and content_range.startswith(f"bytes {offset}-")
        if response.status == 206 and not partial:
            response.close()
            response = await self._get(candidate.locator)
        return HttpBody(response, partial)

    async def download(self, candidate: Candidate, target: Path, on_bytes: OnBytes) -> int:
        return await self._transfer.download(self._open, candidate, target, on_bytes)

    async def aclose(self) -> None:
        for _, task in self._listings.values():
            task.cancel()
        self._listings.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
