"""Atomic, verified, resumable downloads shared by every store.

A frame is streamed into ``<dest>/.<name>.part`` (same folder, so the final rename is atomic),
resumed with a range request after a broken transfer, checked (size, MD5 from a single-part ETag,
file signature), fsynced and renamed onto its final name. On any failure or cancellation the
``.part`` file is removed: a final path only ever holds a complete, verified file.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.stats import SourceStats

log = logging.getLogger(__name__)

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
NETCDF_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
CHUNK = 256 * 1024


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


def _write_and_hash(handle: BinaryIO, digest: hashlib._Hash, chunk: bytes) -> None:
    handle.write(chunk)
    digest.update(chunk)


def _fsync_and_publish(part: Path, target: Path) -> None:
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
                lambda: self._attempt(opener, candidate, part, validator, on_bytes),
                source=self.source,
                on_retry=lambda error, _pause: self.stats.record_retry(error.kind),
            )
            await asyncio.to_thread(_fsync_and_publish, part, target)
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
        self, opener: Opener, candidate: Candidate, part: Path, validator: list[str | None], on_bytes: OnBytes
    ) -> int:
        self.stats.record_attempt()
        # Resume only with a validator: the server must be able to tell us the object changed.
        offset = part.stat().st_size if part.exists() and validator[0] else 0
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
            digest = hashlib.md5(usedforsecurity=False)
            if offset:
                with part.open("rb") as existing:
                    while block := existing.read(1 << 20):
                        digest.update(block)
            await self._stream(body, part, offset, expected, digest, on_bytes)
        finally:
            await body.close()
        return self._verify(candidate, part, expected, digest.hexdigest())

    async def _stream(
        self,
        body: Body,
        part: Path,
        offset: int,
        expected: int | None,
        digest: hashlib._Hash,
        on_bytes: OnBytes,
    ) -> None:
        limit = min(expected, self.max_bytes) if expected is not None else self.max_bytes
        written = offset
        chunks = body.chunks().__aiter__()
        with part.open("r+b" if offset else "wb") as handle:
            handle.seek(offset)
            handle.truncate()
            while True:
                async with asyncio.timeout(self.read_timeout_s):
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        break
                written += len(chunk)
                if written > limit:
                    part.unlink(missing_ok=True)
                    raise IncompleteBodyError(
                        f"received more than the {limit} bytes announced", source=self.source
                    )
                await asyncio.to_thread(_write_and_hash, handle, digest, chunk)
                on_bytes(len(chunk))
                if self.limiter is not None:
                    await self.limiter.acquire(len(chunk))

    def _verify(self, candidate: Candidate, part: Path, expected: int | None, md5: str) -> int:
        size = part.stat().st_size
        if expected is not None and size != expected:
            raise IncompleteBodyError(
                f"{candidate.locator}: got {size} of {expected} bytes", source=self.source
            )
        try:
            if candidate.md5 is not None and candidate.md5 != md5:
                raise VerificationError(
                    f"{candidate.locator}: MD5 {md5} does not match the source's {candidate.md5}",
                    source=self.source,
                )
            check_signature(part, candidate.ext)
        except RemoteError as error:
            part.unlink(missing_ok=True)
            error.source = self.source
            raise
        return size
