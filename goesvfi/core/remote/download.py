"""Atomic, verified, resumable downloads shared by every store.

A frame is streamed into ``<dest>/.<name>.part`` (same folder, so the final rename is atomic),
resumed with a range request after a broken transfer, checked (size; the CRC32 the source stored
for the whole object when it sends one, else the MD5 of a single-part ETag; file signature),
fsynced and renamed onto its final name. On any failure or cancellation the
``.part`` file is removed: a final path only ever holds a complete, verified file.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from goesvfi.core.remote.base import (
    Body,
    Candidate,
    IncompleteBodyError,
    LocalWriteError,
    ObjectTooLargeError,
    OnBytes,
    Opener,
    RemoteError,
    VerificationError,
)
from goesvfi.core.remote.partfile import Crc32, Digest, PartFile, publish
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.stats import SourceStats
from goesvfi.core.signatures import HDF5_MAGIC, JPEG_END, JPEG_START, NETCDF_MAGICS

log = logging.getLogger(__name__)

T = TypeVar("T")

CHUNK = 256 * 1024  # rate-limiter burst floor
BATCH = 1 << 20  # bytes handed to the worker thread at once (write + MD5 outside the event loop)


def part_path(target: Path) -> Path:
    """The temporary file a download of ``target`` is written to."""
    return target.with_name(f".{target.name}.part")


def etag_md5(etag: str | None) -> str | None:
    """The MD5 hex digest an S3 ETag stands for; None for multipart ETags (``...-N``) or others."""
    if not etag:
        return None
    text = etag.strip().removeprefix("W/").strip('"').lower()
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text):
        return text
    return None


def check_signature(path: Path, ext: str) -> None:
    """Raise :class:`VerificationError` unless ``path`` starts (and ends) like an ``ext`` file."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        tail = b""
        if size >= 2:
            handle.seek(size - 2)
            tail = handle.read(2)
    if ext == "nc":
        if not (head.startswith(HDF5_MAGIC) or head[:4] in NETCDF_MAGICS):
            raise VerificationError(f"{path.name} is not a NetCDF/HDF5 file (starts with {head[:8]!r})")
    elif ext in ("jpg", "jpeg") and (not head.startswith(JPEG_START) or tail != JPEG_END):
        raise VerificationError(f"{path.name} is not a complete JPEG (no start/end marker)")


async def body_pieces(content: Any) -> AsyncIterator[bytes]:
    """An aiohttp ``StreamReader``'s bytes as they arrived: no re-joining into fixed-size chunks."""
    async for data, _end_of_http_chunk in content.iter_chunks():
        if data:
            yield data


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class RateLimiter:
    """A token bucket shared by all downloads of a job (``--max-rate`` bytes per second)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self._capacity = burst if burst is not None else max(rate, CHUNK)
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, amount: int) -> None:
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= amount
            if self._tokens < 0:
                await asyncio.sleep(-self._tokens / self.rate)


@dataclass
class Transfer:
    """Downloads for one source: retries, resume, verification, publishing, statistics."""

    source: str
    policy: RetryPolicy
    stats: SourceStats
    read_timeout_s: float
    max_bytes: int
    limiter: RateLimiter | None = None
    executor: Executor | None = None  # file work (write, hash, fsync); None: the loop's default

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(func, *args))

    async def download(self, opener: Opener, candidate: Candidate, target: Path, on_bytes: OnBytes) -> int:
        """Fetch ``candidate`` into ``target``; return its size. Leaves no ``.part`` behind."""
        if candidate.size is not None and candidate.size > self.max_bytes:
            raise ObjectTooLargeError(
                f"{candidate.locator} is {candidate.size / 1e6:.0f} MB, above the limit of "
                f"{self.max_bytes / 1e6:.0f} MB",
                source=self.source,
            )
        part = part_path(target)
        validator = [candidate.etag]
        try:
            size = await self.policy.run(
                lambda: self._attempt(opener, candidate, target, validator, on_bytes),
                source=self.source,
                on_retry=lambda error, _pause: self.stats.record_retry(error.kind),
            )
        except OSError as exc:  # the network errors were classified above; this is the local disk
            part.unlink(missing_ok=True)
            raise LocalWriteError(
                f"cannot write {target}: {exc.strerror or exc}; check free space and permissions"
            ) from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return size

    async def _attempt(
        self,
        opener: Opener,
        candidate: Candidate,
        target: Path,
        validator: list[str | None],
        on_bytes: OnBytes,
    ) -> int:
        self.stats.record_attempt()
        part = part_path(target)
        # Resume only with a validator: the server must be able to tell us the object changed.
        offset = await self._in_thread(_size, part) if validator[0] else 0  # a lookup can wait on renames
        sent = time.monotonic()
        body = await opener(candidate, offset, validator[0])
        self.stats.record_latency(time.monotonic() - sent)
        validator[0] = body.etag or validator[0]
        try:
            if not body.partial:
                offset = 0
            expected = candidate.size
            if expected is None and body.length is not None:
                expected = offset + body.length
            # The checksum there is to compare with: the whole object's stored CRC32 when the
            # source sent it (S3), else the MD5 of a single-part ETag (S3), else none (the CDN).
            digest: Digest | None = None
            wanted = body.crc32 if not body.partial else None
            if wanted is not None:
                digest = Crc32()
            elif candidate.md5 is not None:
                digest, wanted = hashlib.md5(usedforsecurity=False), candidate.md5
            written = await self._stream(body, PartFile(part, offset, digest), expected, on_bytes)
        finally:
            await body.close()
        # Sync, check and publish in one trip to a worker thread: none of it waits on the loop.
        return await self._in_thread(self._finish, written, candidate, expected, target, wanted)

    def _finish(
        self, written: PartFile, candidate: Candidate, expected: int | None, target: Path, wanted: str | None
    ) -> int:
        written.sync_and_close()
        size = self._verify(candidate, written, expected, wanted)
        publish(written.path, target)
        return size

    async def _stream(
        self, body: Body, written: PartFile, expected: int | None, on_bytes: OnBytes
    ) -> PartFile:
        """Write the body into ``written`` from its offset; it is closed on any failure."""
        limit = min(expected, self.max_bytes) if expected is not None else self.max_bytes
        total = written.offset
        chunks = body.chunks().__aiter__()
        pending: list[bytes | memoryview] = []
        timeout = None if body.own_timeout else self.read_timeout_s
        size = 0

        async def flush() -> None:
            nonlocal size
            await self._in_thread(written.write, pending)
            on_bytes(size)
            if self.limiter is not None:
                await self.limiter.acquire(size)
            pending.clear()
            size = 0

        try:
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                except Exception:
                    if pending:  # keep what arrived, so the retry resumes after it
                        await flush()
                    raise
                total += len(chunk)
                if total > limit:
                    written.close()
                    written.path.unlink(missing_ok=True)
                    raise IncompleteBodyError(
                        f"received more than the {limit} bytes announced", source=self.source
                    )
                pending.append(chunk)
                size += len(chunk)
                if size >= BATCH or isinstance(chunk, memoryview):  # a view: the body reuses its buffer
                    await flush()
            if pending:
                await flush()
        except BaseException:
            await self._in_thread(written.close)  # closing can wait for the disk: not on the loop
            raise
        return written

    def _verify(
        self, candidate: Candidate, written: PartFile, expected: int | None, wanted: str | None
    ) -> int:
        part = written.path
        size = part.stat().st_size
        if expected is not None and size != expected:
            raise IncompleteBodyError(
                f"{candidate.locator}: got {size} of {expected} bytes", source=self.source
            )
        try:
            digest = written.digest
            if digest is not None and wanted is not None and digest.hexdigest() != wanted:
                raise VerificationError(
                    f"{candidate.locator}: {digest.name.upper()} {digest.hexdigest()} does not match "
                    f"the source's {wanted}",
                    source=self.source,
                )
            check_signature(part, candidate.ext)
        except RemoteError as error:
            part.unlink(missing_ok=True)
            error.source = self.source
            raise
        return size
