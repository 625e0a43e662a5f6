"""Retries: classify raw client errors into the remote tree, back off, honour ``Retry-After``.

botocore's own retry modes (legacy, standard and adaptive alike; checked against aioboto3 15.5
and moto 5.2) never retry a failure while reading the body and ignore ``Retry-After``, so the S3
client runs with botocore retries off and every request and body read goes through
:meth:`RetryPolicy.run` (a plain loop: tenacity's bookkeeping per call showed in the fetch profile).
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import logging
import random
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from goesvfi.core.config import RemoteSettings
from goesvfi.core.remote.base import (
    AccessDeniedError,
    IncompleteBodyError,
    NetworkError,
    NoSuchBucketError,
    NotFoundError,
    PermanentError,
    RemoteError,
    RemoteTimeoutError,
    ServiceUnavailableError,
    ThrottledError,
    TransientError,
    UntrustedServerError,
    VerificationError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_NETWORK_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ETIMEDOUT})
_THROTTLE_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"}
)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); None if absent."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_for_status(
    status: int, code: str, message: str, source: str, headers: Mapping[str, str] | None = None
) -> RemoteError:
    """The remote error for an HTTP status / S3 error code."""
    retry_after = parse_retry_after((headers or {}).get("retry-after") or (headers or {}).get("Retry-After"))
    text = f"{message} (HTTP {status}{', ' + code if code else ''})"
    if code in ("NoSuchBucket",):
        return NoSuchBucketError(text, source=source)
    if code in ("NoSuchKey", "NotFound") or status == 404:
        return NotFoundError(text, source=source)
    if code in ("AccessDenied", "Forbidden") or status == 403:
        return AccessDeniedError(text, source=source)
    if code in _THROTTLE_CODES or status == 429:
        return ThrottledError(text, source=source, retry_after=retry_after)
    if status >= 500:
        return ServiceUnavailableError(text, source=source, retry_after=retry_after)
    return PermanentError(text, source=source)


def _from_botocore(exc: BaseException, source: str) -> RemoteError | None:
    import botocore.exceptions as bex
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bex.ClientError):
        response: dict[str, Any] = dict(exc.response)
        error = response.get("Error", {})
        meta = response.get("ResponseMetadata", {})
        status = int(meta.get("HTTPStatusCode") or 0)
        code = str(error.get("Code", ""))
        if not status and code.isdigit():
            status = int(code)
        headers = {str(k).lower(): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
        return error_for_status(status, code, str(error.get("Message") or code), source, headers)
    if isinstance(exc, bex.FlexibleChecksumError):
        return VerificationError(f"checksum mismatch: {exc}", source=source)
    if isinstance(exc, bex.ReadTimeoutError | bex.ConnectTimeoutError):
        return RemoteTimeoutError(f"timed out: {exc}", source=source)
    if isinstance(exc, bex.ResponseStreamingError | bex.IncompleteReadError | ResponseParserError):
        return IncompleteBodyError(f"transfer cut short: {exc}", source=source)
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectionClosedError | bex.ConnectionError):
        return NetworkError(f"connection failed: {exc}", source=source)
    return None


def classify(exc: BaseException, source: str) -> RemoteError | None:
    """Turn a client exception into a :class:`RemoteError`; None for exceptions that are bugs."""
    if isinstance(exc, RemoteError):
        if not exc.source:
            exc.source = source
        return exc
    if type(exc).__module__.startswith(("botocore", "aiobotocore")):
        found = _from_botocore(exc, source)
        if found is not None:
            return found
    aiohttp: Any = sys.modules.get("aiohttp")  # not imported: none of its errors can be here
    if aiohttp is not None and isinstance(exc, aiohttp.ClientPayloadError):
        return IncompleteBodyError(f"transfer cut short: {exc}", source=source)
    if aiohttp is not None and isinstance(exc, aiohttp.ClientResponseError):
        headers = dict(exc.headers or {})
        return error_for_status(exc.status, "", exc.message or "request failed", source, headers)
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's ServerTimeoutError too
        return RemoteTimeoutError("no data within the read timeout", source=source)
    if aiohttp is not None and isinstance(exc, aiohttp.ClientError):
        return NetworkError(f"connection failed: {exc or type(exc).__name__}", source=source)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return UntrustedServerError(
            f"the server's certificate is not trusted: {exc.verify_message}", source=source
        )
    if isinstance(exc, ssl.SSLError):  # a handshake or TLS record broken on the way
        return NetworkError(f"TLS connection failed: {exc.reason or exc}", source=source)
    if isinstance(exc, ConnectionError | socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
    ):
        return NetworkError(f"connection failed: {exc or type(exc).__name__}", source=source)
    return None  # local file errors and bugs are not network failures


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``initial``, x``multiplier``, capped at ``max_s``."""

    retries: int = 3
    initial_s: float = 1.0
    multiplier: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.3  # up to +30 %
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: RemoteSettings, rng: random.Random | None = None) -> RetryPolicy:
        return cls(
            retries=settings.retries,
            initial_s=settings.backoff_initial_s,
            multiplier=settings.backoff_multiplier,
            max_s=settings.backoff_max_s,
            jitter=settings.backoff_jitter,
            rng=rng or random.Random(),
        )

    def delay(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        hint = error.retry_after if isinstance(error, TransientError) else None
        if hint is not None:
            return min(hint, self.max_s)
        base = min(self.initial_s * self.multiplier ** (attempt - 1), self.max_s)
        return min(base * (1.0 + self.rng.uniform(0.0, self.jitter)), self.max_s)

    async def run(
        self,
        func: Callable[[], Awaitable[T]],
        *,
        source: str,
        on_retry: Callable[[RemoteError, float], None] | None = None,
    ) -> T:
        """Await ``func()`` until it succeeds, fails permanently or runs out of retries.

        Client exceptions are classified first, so the caller always sees a :class:`RemoteError`
        (or the original exception when it is a bug, not a network failure).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await func()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = classify(exc, source)
                if error is None or not isinstance(error, TransientError) or attempt > self.retries:
                    if error is None or error is exc:
                        raise
                    raise error from exc
            pause = self.delay(attempt, error)
            log.info("retry %d/%d in %.2f s: %s", attempt, self.retries, pause, error)
            if on_retry is not None:
                on_retry(error, pause)
            await asyncio.sleep(pause)
