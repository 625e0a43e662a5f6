"""A small HTTP/1.1 client on asyncio for anonymous S3 GETs: bytes land straight in the reader's buffer.

aiohttp (and botocore over it) hands every socket read to Python as a new ``bytes`` object that
passes through a parser, a stream reader and an iterator before it is written; for a fetch of
hundreds of MB that per-read work on the event loop costs more CPU than the MD5 of the bytes.
Here a :class:`asyncio.BufferedProtocol` receives each body into a block the caller allocated
(no copy, no wake-up per read): the reader is woken once per block. Importing this module costs
a few milliseconds, where aiohttp costs a fifth of a second (its SSL contexts are made at import).

Only what anonymous S3 reads need: GET with a few headers, ``Content-Length``, chunked and
read-until-close bodies, keep-alive connections per host, connect and idle-read timeouts
(raised as :class:`~goesvfi.core.remote.base.RemoteTimeoutError`). No proxies, redirects or
compression: callers use botocore when the environment names a proxy (:func:`proxy_configured`).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from goesvfi.core.remote.base import (
    IncompleteBodyError,
    NetworkError,
    ObjectTooLargeError,
    RemoteTimeoutError,
)

MAX_HEAD = 64 * 1024  # status line and headers together
# Object bytes are received into blocks of this size, each written and hashed in one go in a
# worker thread while the next block arrives (two blocks per download at most in memory).
BLOCK = 1 << 20
_SCRATCH = 16 * 1024


def proxy_configured() -> bool:
    """Whether the environment asks for an HTTP proxy (this client does not speak to proxies)."""
    return any(
        os.environ.get(name)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
    )


class _Receiver(asyncio.BufferedProtocol):
    """One connection's bytes, received into the view the reader gave (:meth:`start`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._target = memoryview(bytearray())
        self.filled = 0
        self._need = 0
        self._waiter: asyncio.Future[None] | None = None
        self._scratch = bytearray(_SCRATCH)
        self.spill = bytearray()  # bytes received with no target, or left over after a header
        self.eof = False
        self.error: BaseException | None = None
        self.last = loop.time()  # when bytes last arrived
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.filled < len(self._target):
            return self._target[self.filled :]
        return memoryview(self._scratch)

    def buffer_updated(self, nbytes: int) -> None:
        self.last = self._loop.time()
        if self.filled < len(self._target):
            self.filled += nbytes
            if self.filled >= len(self._target):
                self._pause()
        else:  # nobody asked for these yet
            self.spill += self._scratch[:nbytes]
            self._pause()
        if self._waiter is not None and self.filled >= self._need:
            self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()

    def _pause(self) -> None:
        if not self.paused and self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
            self.paused = True

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def start(self, target: memoryview) -> None:
        """Receive into ``target`` from now on (bytes already received go first)."""
        self._target = target
        taken = min(len(self.spill), len(target))
        target[:taken] = self.spill[:taken]
        del self.spill[:taken]
        self.filled = taken
        if self.paused and taken < len(target) and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    @property
    def target_size(self) -> int:
        return len(self._target)

    def stop(self) -> int:
        """Stop receiving into the target (later bytes are kept aside); the bytes it received."""
        filled = self.filled
        self._target = memoryview(bytearray())
        self.filled = 0
        return filled

    async def receive(self, target: memoryview, need: int, timeout: float) -> int:
        """Receive into ``target`` until ``need`` bytes are there or the end; the bytes received."""
        self.start(target)
        await self.wait(need, timeout)
        return self.stop()

    async def wait(self, need: int, timeout: float) -> int:
        """Wait until ``need`` bytes of the target arrived, or the end; the count received."""
        need = min(need, len(self._target))
        began = self._loop.time()
        while self.filled < need and not self.eof:
            self._need = need
            self._waiter = self._loop.create_future()
            timer = self._loop.call_later(timeout, self._check_idle, self._waiter, began, timeout)
            try:
                await self._waiter
            finally:
                timer.cancel()
                self._waiter = None
        return self.filled

    def _check_idle(self, waiter: asyncio.Future[None], began: float, timeout: float) -> None:
        if waiter.done():
            return
        idle = self._loop.time() - max(self.last, began)
        if idle >= timeout:
            waiter.set_exception(RemoteTimeoutError(f"no data for {timeout:g} s (read timeout)"))
        else:
            self._loop.call_later(timeout - idle, self._check_idle, waiter, began, timeout)


@dataclass
class _Connection:
    receiver: _Receiver
    reused: bool = False

    def close(self) -> None:
        if self.receiver.transport is not None:
            self.receiver.transport.abort()


class Response:
    """A response's status and headers; its body is read with :meth:`start`/:meth:`finish` (in
    blocks the caller owns) or :meth:`read` (small bodies, chunked or not)."""

    def __init__(
        self,
        status: int,
        headers: dict[str, str],
        conn: _Connection,
        release: Callable[[_Connection], None],
        timeout: float,
    ) -> None:
        self.status = status
        self.headers = headers  # names in lower case
        self._conn = conn
        self._release = release
        self._timeout = timeout
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        # Content-Length when sent (and not chunked); None: until the chunked end or the close.
        self.length = int(length) if length is not None and not self._chunked else None
        self._left = self.length
        self._keep = "close" not in headers.get("connection", "").lower() and (
            self._chunked or self.length is not None
        )
        self._done = False
        self._open = True

    @property
    def remaining(self) -> int | None:
        """Body bytes still to come; None when the length was not announced."""
        return self._left

    def start(self, block: memoryview) -> None:
        """Begin receiving the next body bytes into ``block`` (at most what is left of the body)."""
        if self._left is not None and len(block) > self._left:
            block = block[: self._left]
        self._conn.receiver.start(block)

    async def finish(self) -> int:
        """Wait until the block given to :meth:`start` is full or the body ended; the bytes in it."""
        receiver = self._conn.receiver
        size = receiver.target_size
        await receiver.wait(size, self._timeout)
        got = receiver.stop()
        if self._left is not None:
            self._left -= got
            if self._left == 0:
                self._finished()
            elif got < size:
                self.close()
                raise IncompleteBodyError(f"transfer cut short: {self._left} bytes of the body missing")
        elif got < size:  # read until close: this is the end of the body
            self._done = True
            self.close()
        return got

    async def read(self, cap: int) -> bytes:
        """The whole body; :class:`ObjectTooLargeError` once it passes ``cap`` bytes."""
        if self._chunked:
            return await self._read_chunked(cap)
        data = bytearray()
        while not self._done:
            block = bytearray(min(1 << 20, self._left if self._left is not None else 1 << 20))
            if not block:
                self._finished()
                break
            self.start(memoryview(block))
            data += memoryview(block)[: await self.finish()]
            if len(data) > cap:
                self.close()
                raise ObjectTooLargeError(f"larger than {cap // 2**20} MB")
        return bytes(data)

    async def _more(self, buffer: bytearray) -> None:
        block = bytearray(65536)
        got = await self._conn.receiver.receive(memoryview(block), 1, self._timeout)
        if got == 0:
            self.close()
            raise IncompleteBodyError("transfer cut short inside a chunked body")
        buffer += memoryview(block)[:got]

    async def _read_chunked(self, cap: int) -> bytes:
        buffer = bytearray()
        data = bytearray()
        while True:
            while (eol := buffer.find(b"\r\n")) < 0:
                if len(buffer) > 4096:
                    self.close()
                    raise IncompleteBodyError("a chunked body with a malformed chunk header")
                await self._more(buffer)
            try:
                size = int(bytes(buffer[:eol]).split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close()
                raise IncompleteBodyError("a chunked body with a malformed chunk header") from None
            del buffer[: eol + 2]
            if size == 0:  # optional trailers, then an empty line
                while not (buffer.startswith(b"\r\n") or b"\r\n\r\n" in buffer):
                    if len(buffer) > 65536:
                        self.close()
                        raise IncompleteBodyError("a chunked body with endless trailers")
                    await self._more(buffer)
                end = 2 if buffer.startswith(b"\r\n") else buffer.find(b"\r\n\r\n") + 4
                self._conn.receiver.spill[:0] = buffer[end:]
                self._finished()
                return bytes(data)
            if len(data) + size > cap:
                self.close()
                raise ObjectTooLargeError(f"larger than {cap // 2**20} MB")
            while len(buffer) < size + 2:
                await self._more(buffer)
            data += memoryview(buffer)[:size]
            del buffer[: size + 2]

    def _finished(self) -> None:
        self._done = True
        if self._open:
            self._open = False
            if self._keep and not self._conn.receiver.spill:
                self._release(self._conn)
            else:
                self._conn.close()

    def close(self) -> None:
        """Give the connection back when the body was read whole; otherwise close it."""
        if self._done:
            self._finished()
        elif self._open:
            self._open = False
            self._conn.close()


class HttpPool:
    """Keep-alive connections per (scheme, host, port); at most ``size`` idle ones per origin."""

    def __init__(self, *, size: int, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._size = size
        self._connect_timeout = connect_timeout_s
        self._read_timeout = read_timeout_s
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    def _put(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < self._size and conn.receiver.transport is not None and not conn.receiver.eof:
            conn.reused = True
            idle.append(conn)
        else:
            conn.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            cafile = os.environ.get("AWS_CA_BUNDLE") or None
            if cafile is None:
                try:
                    import certifi  # botocore's CA bundle, so both clients trust the same roots

                    cafile = certifi.where()
                except ImportError:
                    cafile = None
            self._ssl = ssl.create_default_context(cafile=cafile)
        return self._ssl

    async def _connect(self, origin: tuple[str, str, int]) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        context = self._context() if scheme == "https" else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, receiver = await loop.create_connection(
                    lambda: _Receiver(loop),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context else None,
                )
        except TimeoutError:
            raise RemoteTimeoutError(
                f"no connection to {host}:{port} within {self._connect_timeout:g} s"
            ) from None
        return _Connection(receiver)

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """Send a GET and read the status line and headers; the body is read from the response."""
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, parts.hostname or "", port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {host}",
            "Accept-Encoding: identity",
            "User-Agent: goesvfi",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        while True:
            idle = self._idle.get(origin)
            conn = idle.pop() if idle else await self._connect(origin)
            if conn.receiver.eof:  # closed by the server while it was kept
                conn.close()
                continue
            try:
                return await self._exchange(conn, origin, request)
            except NetworkError:
                conn.close()
                if not conn.reused:  # a kept connection the server closed meanwhile: a fresh one
                    raise
            except BaseException:
                conn.close()
                raise

    async def _exchange(self, conn: _Connection, origin: tuple[str, str, int], request: bytes) -> Response:
        receiver = conn.receiver
        assert receiver.transport is not None
        receiver.transport.write(request)
        head = bytearray(MAX_HEAD)
        view = memoryview(head)
        size = 0
        while True:
            got = await receiver.receive(view[size:], 1, self._read_timeout)
            if got == 0:
                reason = receiver.error or "the server closed the connection"
                raise NetworkError(f"connection failed before a response: {reason}")
            end = head.find(b"\r\n\r\n", max(0, size - 3), size + got)
            size += got
            if end >= 0:
                break
            if size >= MAX_HEAD:
                raise IncompleteBodyError(f"response headers longer than {MAX_HEAD} bytes")
        receiver.spill[:0] = head[end + 4 : size]  # the first body bytes
        status_line, *header_lines = bytes(head[:end]).decode("latin-1").split("\r\n")
        try:
            version, code = status_line.split(" ", 2)[:2]
            status = int(code)
        except ValueError:
            raise IncompleteBodyError(f"not an HTTP response: {status_line[:80]!r}") from None
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if version != "HTTP/1.1":
            headers["connection"] = "close"
        return Response(status, headers, conn, lambda done: self._put(origin, done), self._read_timeout)

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


class Blocks:
    """Receive buffers of :data:`BLOCK` bytes, kept for the next downloads: a fresh one costs a
    page fault per 4 kB, more CPU than the hashing of what it then holds."""

    def __init__(self, keep: int) -> None:
        self._free: list[bytearray] = []
        self._keep = keep

    def take(self) -> bytearray:
        return self._free.pop() if self._free else bytearray(BLOCK)

    def give(self, block: bytearray) -> None:
        if len(self._free) < self._keep:
            self._free.append(block)


class PlainBody:
    """A plain GET's body received straight into two alternating buffers: one fills while the
    reader writes and hashes the other (each chunk is a view the next chunk may reuse). The read
    timeout is the connection's: a block may take longer than it on a slow link."""

    own_timeout = True

    def __init__(
        self, response: Response, partial: bool, blocks: Blocks, size: int, *, crc32: str | None = None
    ) -> None:
        self._response = response
        self.crc32 = crc32
        self._blocks = blocks
        self._size = size
        self._held: list[bytearray] = []
        self.partial = partial
        self.length = response.length
        self.etag = response.headers.get("etag")

    def _view(self, turn: int) -> memoryview:
        if len(self._held) <= turn:
            self._held.append(self._blocks.take())
        left = self._response.remaining
        return memoryview(self._held[turn])[: self._size if left is None else min(self._size, left)]

    async def chunks(self) -> AsyncIterator[memoryview]:
        response = self._response
        turn = 0
        view = self._view(turn)
        response.start(view)
        while True:
            got = await response.finish()
            if got < len(view) or response.remaining == 0:
                if got:
                    yield view[:got]
                return
            turn ^= 1
            following = self._view(turn)  # the reader is done with it: it asked for this chunk
            response.start(following)
            yield view
            view = following

    async def close(self) -> None:
        self._response.close()
        for block in self._held:
            self._blocks.give(block)
        self._held.clear()
