"""The NOAA GOES S3 buckets (``noaa-goes16`` ... ``noaa-goes19``), read anonymously.

Listings and objects with an MD5 (single-part ETag) are plain unsigned GETs over
:mod:`goesvfi.core.remote.http1` (bodies received in blocks, no per-read Python work);
aiobotocore serves the rest: objects without an MD5 (botocore checks their stored CRC) and every
request when the environment names a proxy.

Keys are ``<product>/<YYYY>/<DDD>/<HH>/OR_ABI-...nc``. The creation time in a file name is unknown
in advance, so :meth:`S3Store.find` lists the hour prefixes (each once per job, shared by every
frame of that hour; a frame's hours together) and takes the object whose scan start is nearest the
wanted time. A missing hour prefix is an empty listing: no data for that hour, not an error.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode

from goesvfi.core.remote.base import (
    Candidate,
    IncompleteBodyError,
    ObjectTooLargeError,
    OnBytes,
    PermanentError,
    RemoteError,
    Wanted,
)
from goesvfi.core.remote.download import BATCH, Transfer, body_pieces, etag_md5
from goesvfi.core.remote.http1 import BLOCK, Blocks, HttpPool, PlainBody, Response, proxy_configured
from goesvfi.core.remote.retry import error_for_status
from goesvfi.core.remote.safety import check_key
from goesvfi.core.timeindex import AbiFileName, parse_abi_filename

log = logging.getLogger(__name__)

# Listings of hours that may still receive files are re-read after this long.
RECENT_LISTING_TTL_S = 30.0
# An hour prefix holds at most 60 mesoscale scans x 16 bands (under 1,000 keys). Far above that,
# the endpoint is hostile or broken (an endless listing): stop instead of filling the memory.
MAX_LISTING_ENTRIES = 100_000
MAX_LISTING_BYTES = 64 << 20  # a page of 1,000 keys is about 350 kB of XML
WHOLE = {"x-amz-checksum-mode": "ENABLED"}  # a whole object's GET: send its stored checksum too


@dataclass(frozen=True, slots=True)
class _Listed:
    key: str
    size: int
    etag: str
    parsed: AbiFileName | None  # parsed once per listing, not once per frame looked up in it


class S3Body:
    """A ``get_object`` response streamed in chunks (never ``download_file``)."""

    own_timeout = False
    crc32: str | None = None  # botocore checks a stored checksum of these bodies itself

    def __init__(self, response: dict[str, Any], partial: bool, *, has_md5: bool) -> None:
        self._stream = response["Body"]
        self._has_md5 = has_md5
        self.partial = partial
        length = response.get("ContentLength")
        self.length = int(length) if length is not None else None
        self.etag: str | None = response.get("ETag")

    def chunks(self) -> AsyncIterator[bytes]:
        if self._has_md5:  # straight from aiohttp's buffer; Transfer checks size and MD5
            return body_pieces(self._stream.content)
        return self._checked_chunks()

    async def _checked_chunks(self) -> AsyncIterator[bytes]:
        # No MD5 (multipart upload): botocore checks the object's stored CRC32, when S3 has one.
        while chunk := await self._stream.read(BATCH):
            yield chunk

    async def close(self) -> None:
        # A fully read body has already released its connection; a broken one must not be reused.
        if not self._stream.content.at_eof():
            self._stream.close()


def full_object_crc32(headers: Mapping[str, str]) -> str | None:
    """The hex CRC32 of the whole object from S3's checksum headers (base64 of 4 big-endian
    bytes); None when there is none, or a composite one (a multipart upload's checksum of its
    parts' checksums, ``...-N``)."""
    value = headers.get("x-amz-checksum-crc32", "")
    if (
        not value
        or "-" in value
        or headers.get("x-amz-checksum-type", "FULL_OBJECT").upper() != "FULL_OBJECT"
    ):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
    return raw.hex() if len(raw) == 4 else None


@functools.cache
def _model_loader() -> Any:
    """botocore's model loader, shared by every client of the process: the S3 model (JSON) is
    parsed once, not once per job (about 80 ms of CPU each time)."""
    import botocore.loaders

    return botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH"))


def hour_prefixes(wanted: Wanted) -> list[tuple[datetime, str]]:
    """``(hour, "<product>/<YYYY>/<DDD>/<HH>/OR_<product>")`` for every hour within time ± tolerance."""
    hour = (wanted.time - wanted.tolerance).replace(minute=0, second=0, microsecond=0)
    last = wanted.time + wanted.tolerance
    prefixes = []
    while hour <= last:
        prefixes.append((hour, f"{wanted.product.name}/{hour:%Y/%j/%H}/OR_{wanted.product.name}"))
        hour += timedelta(hours=1)
    return prefixes


def _matches(parsed: AbiFileName | None, wanted: Wanted) -> bool:
    return (
        parsed is not None
        and parsed.satellite == wanted.satellite.number
        and parsed.band == wanted.band
        and parsed.product == wanted.product.name
        and (wanted.product.sector != "M" or parsed.meso == wanted.sector)
    )


def parse_listing(data: bytes, url: str) -> dict[str, Any]:
    """A ListObjectsV2 XML page as botocore's dict (``Contents`` with Key, Size, ETag; keys sent
    URL-encoded are decoded, as botocore does)."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise IncompleteBodyError(f"an unreadable listing from {url}: {exc}") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    page: dict[str, Any] = {"Contents": []}
    for child in root:
        name = local(child.tag)
        if name == "Contents":
            page["Contents"].append({local(field.tag): field.text or "" for field in child})
        elif name in ("NextContinuationToken", "EncodingType"):
            page[name] = child.text or ""
        elif name == "IsTruncated":
            page[name] = (child.text or "").strip().lower() == "true"
    if page.get("EncodingType") == "url":
        for item in page["Contents"]:
            item["Key"] = unquote_plus(item.get("Key", ""))
    for item in page["Contents"]:
        item["Size"] = int(item.get("Size") or 0)
    return page


class S3Store:
    """Anonymous S3 reads; one client per job with a pool sized to the concurrency."""

    name = "s3"

    def __init__(
        self,
        transfer: Transfer,
        *,
        endpoint_url: str | None,
        concurrency: int,
        connect_timeout_s: float,
        read_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transfer = transfer
        self._endpoint = endpoint_url
        self._pool = concurrency + 4  # the default pool of 10 silently caps concurrency
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._clock = clock
        self._client: Any = None
        self._http: HttpPool | None = (
            None
            if proxy_configured()
            else HttpPool(size=self._pool, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
        )
        self._blocks = Blocks(2 * concurrency)
        self._stack = contextlib.AsyncExitStack()
        self._lock = asyncio.Lock()
        # Listing requests are bounded here, not by the job: a job locates all its frames at once,
        # so the hour listings they share go out together, at most ``concurrency`` at a time.
        self._listing_slots = asyncio.Semaphore(concurrency)
        self._listings: dict[tuple[str, str], tuple[float, asyncio.Task[list[_Listed]]]] = {}

    def covers(self, wanted: Wanted, now: datetime) -> bool:
        return True

    async def _ready(self) -> Any:
        async with self._lock:
            if self._client is None:
                from aiobotocore.session import AioSession
                from botocore import UNSIGNED
                from botocore.config import Config

                config = Config(
                    signature_version=UNSIGNED,
                    max_pool_connections=self._pool,
                    connect_timeout=self._timeouts[0],
                    read_timeout=self._timeouts[1],
                    retries={"total_max_attempts": 1, "mode": "standard"},  # our loop retries
                    # Transfer checks the MD5 itself; botocore's CRC32 of every body is a second pass.
                    response_checksum_validation="when_required",
                    s3={"addressing_style": "path" if self._endpoint else "auto"},
                )
                # aiobotocore's session directly: aioboto3 would add boto3 to the imports (a
                # quarter of the start-up of a fetch) for a client that is the same object.
                session = AioSession()
                session.register_component("data_loader", _model_loader())
                plain_http = bool(self._endpoint and self._endpoint.startswith("http://"))
                self._client = await self._stack.enter_async_context(
                    session.create_client(
                        "s3",
                        region_name="us-east-1",
                        endpoint_url=self._endpoint,
                        config=config,
                        verify=False if plain_http else None,  # no TLS: skip loading the CA bundle
                    )
                )
                self._client.meta.events.register("before-send.s3.ListObjectsV2", self._send_capped)
            return self._client

    async def _send_capped(self, request: Any, **_: Any) -> Any:
        """Send a listing request and read its body up to :data:`MAX_LISTING_BYTES`.

        botocore reads a whole response into memory before parsing it, so an endless listing
        would take all of it; this hook (botocore's ``before-send``: a returned response is used
        as is) reads the body itself and stops at the cap.
        """
        request.stream_output = True  # the session leaves the body unread
        response = await self._client._endpoint.http_session.send(request)
        raw = response.raw
        data = bytearray()
        try:
            async for piece in body_pieces(raw.content):
                data += piece
                if len(data) > MAX_LISTING_BYTES:
                    raise ObjectTooLargeError(
                        f"a listing of {request.url.split('?')[0]} is larger than "
                        f"{MAX_LISTING_BYTES // 2**20} MB; the endpoint is not a NOAA bucket or is "
                        "broken, check remote.s3_endpoint",
                        source=self.name,
                    )
        except BaseException:
            raw.close()
            raise
        response._content = bytes(data)  # what botocore would have read: it parses this
        return response

    async def _page(self, bucket: str, prefix: str, token: str | None) -> dict[str, Any]:
        """One ListObjectsV2 page, shaped as botocore returns it (keys decoded)."""
        if self._http is None:
            client = await self._ready()
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page: dict[str, Any] = await client.list_objects_v2(**kwargs)
            return page
        query = {"list-type": "2", "prefix": prefix, "encoding-type": "url"}
        if token:
            query["continuation-token"] = token
        url = self._bucket_url(bucket)
        response = await self._http.get(f"{url}?{urlencode(query, quote_via=quote, safe='')}")
        await self._check_status(response, f"{bucket}/{prefix}")
        try:
            data = await response.read(MAX_LISTING_BYTES)
        except ObjectTooLargeError:
            raise self._listing_too_large(url) from None
        return parse_listing(data, url)

    def _listing_too_large(self, url: str) -> ObjectTooLargeError:
        return ObjectTooLargeError(
            f"a listing of {url} is larger than {MAX_LISTING_BYTES // 2**20} MB; the endpoint is not "
            "a NOAA bucket or is broken, check remote.s3_endpoint",
            source=self.name,
        )

    async def _list(self, bucket: str, prefix: str) -> list[_Listed]:
        found: list[_Listed] = []
        token: str | None = None
        while True:
            self._transfer.stats.record_attempt()
            async with self._listing_slots:
                sent = self._clock()
                page = await self._page(bucket, prefix, token)
                self._transfer.stats.record_latency(self._clock() - sent)
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if not check_key(key, prefix):
                    log.warning("skipping object with an unsafe key %r in %s", key, bucket)
                    continue
                name = parse_abi_filename(key.rsplit("/", 1)[-1])
                found.append(_Listed(key, int(item["Size"]), str(item.get("ETag", "")), name))
            if len(found) > MAX_LISTING_ENTRIES:
                raise ObjectTooLargeError(
                    f"listing {bucket}/{prefix} holds more than {MAX_LISTING_ENTRIES:,} objects; the "
                    "endpoint is not a NOAA bucket or is broken, check remote.s3_endpoint",
                    source=self.name,
                )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found

    async def _listing(self, bucket: str, prefix: str, hour_end: datetime, now: datetime) -> list[_Listed]:
        key = (bucket, prefix)
        cached = self._listings.get(key)
        fresh = cached is not None and (
            now - hour_end > timedelta(hours=1) or self._clock() - cached[0] < RECENT_LISTING_TTL_S
        )
        if cached is None or not fresh or (cached[1].done() and cached[1].exception() is not None):
            task = asyncio.ensure_future(
                self._transfer.policy.run(
                    lambda: self._list(bucket, prefix),
                    source=self.name,
                    on_retry=lambda error, _p: self._transfer.stats.record_retry(error.kind),
                )
            )
            cached = (self._clock(), task)
            self._listings[key] = cached
        return await asyncio.shield(cached[1])

    async def find(self, wanted: Wanted) -> Candidate | None:
        now = datetime.now(UTC)
        best: tuple[tuple[timedelta, float], AbiFileName, _Listed] | None = None
        answers = await asyncio.gather(
            *(
                self._listing(wanted.satellite.bucket, prefix, hour + timedelta(hours=1), now)
                for hour, prefix in hour_prefixes(wanted)
            ),
            return_exceptions=True,
        )
        listings: list[list[_Listed]] = []
        for answer in answers:  # in hour order: the earliest hour's error, as when listed one by one
            if isinstance(answer, BaseException):
                raise answer
            listings.append(answer)
        for listing in listings:  # of equal ranks, the earlier hour's file wins
            for item in listing:
                parsed = item.parsed
                if not _matches(parsed, wanted):
                    continue
                assert parsed is not None
                distance = abs(parsed.start - wanted.time)
                rank = (distance, -parsed.created.timestamp())  # nearest, then the newest file
                if distance <= wanted.tolerance and (best is None or rank < best[0]):
                    best = (rank, parsed, item)
        if best is None:
            return None
        _, parsed, item = best
        return Candidate(
            source=self.name,
            locator=item.key,
            start=parsed.start,
            ext="nc",
            size=item.size,
            etag=item.etag or None,
            md5=etag_md5(item.etag),
            bucket=wanted.satellite.bucket,
        )

    def _bucket_url(self, bucket: str) -> str:
        if self._endpoint:  # path-style, as the client is configured for an endpoint
            return f"{self._endpoint.rstrip('/')}/{bucket}"
        return f"https://{bucket}.s3.amazonaws.com/"  # what botocore sends in us-east-1

    def _object_url(self, bucket: str, key: str) -> str:
        return f"{self._bucket_url(bucket).rstrip('/')}/{quote(key, safe='/-_.~')}"

    async def _check_status(self, response: Response, what: str, ok: tuple[int, ...] = (200,)) -> None:
        """Raise the remote error for a status outside ``ok``, read from S3's XML as botocore would
        (code, message), so it classifies the same way."""
        if response.status in ok:
            return
        try:
            text = (await response.read(65536)).decode("utf-8", "replace")
        except RemoteError:
            text = ""
        finally:
            response.close()
        code = re.search(r"<Code>([^<]*)</Code>", text)
        message = re.search(r"<Message>([^<]*)</Message>", text)
        raise error_for_status(
            response.status,
            code.group(1) if code else "",
            message.group(1) if message else what,
            self.name,
            response.headers,
        )

    async def _plain_get(self, candidate: Candidate, offset: int, validator: str | None) -> PlainBody:
        """An object with an MD5 by one unsigned GET (from ``offset`` when there is a validator).

        botocore's request building and response parsing cost about 5 ms of CPU per object on
        the event loop, and aiohttp's reads more again; an anonymous GET needs none of it.
        """
        assert self._http is not None
        url = self._object_url(str(candidate.bucket), candidate.locator)
        size = BLOCK if self._transfer.limiter is None else BATCH  # the limiter works per block
        ranged = bool(offset and validator)
        # S3 sends the object's stored checksum with a whole object only (a range cannot be checked
        # against the whole's); Transfer checks that CRC32 instead of the MD5 when it is there.
        headers = {"Range": f"bytes={offset}-", "If-Match": str(validator)} if ranged else WHOLE
        response = await self._http.get(url, headers)
        if ranged and response.status in (412, 416):
            response.close()
            log.info("%s changed or shrank since the broken transfer; fetching it whole", candidate.locator)
            ranged = False
            response = await self._http.get(url, WHOLE)
        await self._check_status(response, candidate.locator, (200, 206) if ranged else (200,))
        partial = (
            ranged
            and response.status == 206
            and response.headers.get("content-range", "").startswith(f"bytes {offset}-")
        )
        if response.status == 206 and not partial:
            response.close()
            raise IncompleteBodyError(f"{candidate.locator}: an unexpected range in the response")
        crc32 = None if partial else full_object_crc32(response.headers)
        return PlainBody(response, partial, self._blocks, size, crc32=crc32)

    async def _open(self, candidate: Candidate, offset: int, validator: str | None) -> S3Body | PlainBody:
        if candidate.md5 is not None and self._http is not None:
            return await self._plain_get(candidate, offset, validator)  # the common case
        import botocore.exceptions

        client = await self._ready()
        key: dict[str, Any] = {"Bucket": candidate.bucket, "Key": candidate.locator}
        # No MD5 to compare with: S3 sends a stored full-object checksum for botocore to check
        # (not for a range: the rest of an object cannot be checked against the whole's checksum).
        whole = {**key, "ChecksumMode": "ENABLED"} if candidate.md5 is None else key
        kwargs = {**key, "Range": f"bytes={offset}-", "IfMatch": validator} if offset and validator else whole
        try:
            response = await client.get_object(**kwargs)
        except botocore.exceptions.ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if "Range" not in kwargs or status not in (412, 416):
                raise
            log.info("%s changed or shrank since the broken transfer; fetching it whole", candidate.locator)
            kwargs = whole
            response = await client.get_object(**kwargs)
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 200)
        partial = (
            "Range" in kwargs
            and status == 206
            and str(response.get("ContentRange", "")).startswith(f"bytes {offset}-")
        )
        return S3Body(response, partial, has_md5=candidate.md5 is not None)

    async def download(self, candidate: Candidate, target: Path, on_bytes: OnBytes) -> int:
        if not candidate.bucket:
            raise PermanentError(f"{candidate.locator}: no bucket recorded", source=self.name)
        return await self._transfer.download(self._open, candidate, target, on_bytes)

    async def aclose(self) -> None:
        for _, task in self._listings.values():
            task.cancel()
        self._listings.clear()
        await self._stack.aclose()
        self._client = None
        if self._http is not None:
            self._http.close()
