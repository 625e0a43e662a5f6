"""What every remote source shares: the wanted frame, a found candidate, the store protocol, errors.

::

    RemoteError (OperationError)        a source could not deliver; ``kind`` picks the advice
    ├── PermanentError                  retrying will not help
    │   ├── NotFoundError               404 / NoSuchKey: the object is not (or no longer) there
    │   ├── AccessDeniedError           403 / AccessDenied
    │   ├── NoSuchBucketError           the bucket does not exist at this endpoint
    │   ├── UnsafeLocationError         a key or URL would write outside the destination folder
    │   └── ObjectTooLargeError         bigger than ``remote.max_object_mb``
    ├── TransientError                  retried with backoff (``retry_after`` from the server)
    │   ├── ThrottledError              503 SlowDown, 429, throttling
    │   ├── ServiceUnavailableError     other 5xx
    │   ├── RemoteTimeoutError          connect or read timeout (a stalled body)
    │   ├── NetworkError                reset, refused, DNS failure
    │   ├── IncompleteBodyError         fewer (or more) bytes than announced
    │   └── VerificationError           MD5 or file signature mismatch
    ├── SourcesExhaustedError           every source failed; lists each with reason and timing
    └── DiskSpaceError                  the destination cannot hold the fetch
    LocalWriteError (OperationError)    the destination folder cannot be written (stops the job)
    FetchInputError (UserInputError)    bad fetch arguments (exit 2)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from goesvfi.core.errors import OperationError, UserInputError
from goesvfi.core.satellites import Product, Satellite, sector_code

ADVICE: dict[str, str] = {
    "not_found": (
        "the file is not in the archive: NOAA may still be processing it, the satellite may not "
        "have been operational then, or the scan was skipped; try a nearby time"
    ),
    "access_denied": "the server refused anonymous access; check the S3 endpoint and CDN address",
    "no_bucket": "the bucket does not exist at this endpoint; check the S3 endpoint and the satellite",
    "unsafe": "the server sent a name that is not a plain file name; it was not written",
    "too_large": "raise remote.max_object_mb if the object is expected to be that big",
    "throttled": "the server asked us to slow down; lower the concurrency or try again later",
    "unavailable": "the service is unavailable; try again later or use another source",
    "timeout": "the server stopped answering; check your connection or raise remote.read_timeout_s",
    "network": "cannot reach the server; check your connection, proxy and DNS (the connectivity check helps)",
    "truncated": "the transfer was cut short; it is retried and resumed automatically",
    "verify": "the downloaded bytes did not match the server's checksum or file type",
    "disk": "free some space or choose another destination folder",
    "tls": (
        "nothing this computer trusts vouches for the server's certificate; check the S3 endpoint, "
        "or, where a firewall or proxy inspects TLS, point AWS_CA_BUNDLE at its certificate authority"
    ),
    "exhausted": "see each source's reason; the connectivity check tells which servers answer",
}

ALTERNATIVES = (
    "other archives: NOAA CLASS (https://www.avl.class.noaa.gov), Google Cloud public buckets "
    "(gs://gcp-public-data-goes-16, -17, -18, -19)"
)


class RemoteError(OperationError):
    """A remote source could not deliver what was asked."""

    kind = "remote"

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    @property
    def advice(self) -> str:
        return ADVICE.get(self.kind, "")

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.message}" + (f" ({self.advice})" if self.advice else "")


class PermanentError(RemoteError):
    """Retrying will not change the answer."""


class NotFoundError(PermanentError):
    kind = "not_found"


class AccessDeniedError(PermanentError):
    kind = "access_denied"


class NoSuchBucketError(PermanentError):
    kind = "no_bucket"


class UnsafeLocationError(PermanentError):
    kind = "unsafe"


class ObjectTooLargeError(PermanentError):
    kind = "too_large"


class UntrustedServerError(PermanentError):
    kind = "tls"


class TransientError(RemoteError):
    """Worth retrying; ``retry_after`` (seconds) is the server's own hint, when it gave one."""

    def __init__(self, message: str, *, source: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, source=source)
        self.retry_after = retry_after


class ThrottledError(TransientError):
    kind = "throttled"


class ServiceUnavailableError(TransientError):
    kind = "unavailable"


class RemoteTimeoutError(TransientError):
    kind = "timeout"


class NetworkError(TransientError):
    kind = "network"


class IncompleteBodyError(TransientError):
    kind = "truncated"


class VerificationError(TransientError):
    kind = "verify"


class DiskSpaceError(RemoteError):
    """``needed``: the bytes the fetch would write; ``free``: the bytes free at the destination."""

    kind = "disk"

    def __init__(self, message: str, *, needed: int = 0, free: int = 0) -> None:
        super().__init__(message)
        self.needed = needed
        self.free = free


class LocalWriteError(OperationError):
    """Writing into the destination failed (disk full, permissions): no source can fix that."""


class FetchInputError(UserInputError):
    """A fetch argument cannot be used as given."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One source's try at one frame, for error messages and ``--json``."""

    source: str
    kind: str
    message: str
    elapsed_s: float
    advice: str = ""

    def to_json(self) -> dict[str, str | float]:
        return {
            "source": self.source,
            "kind": self.kind,
            "message": self.message,
            "advice": self.advice,
            "elapsed_s": round(self.elapsed_s, 3),
        }


class SourcesExhaustedError(RemoteError):
    """Every source was tried for one frame and none delivered."""

    kind = "exhausted"

    def __init__(self, what: str, attempts: list[Attempt]) -> None:
        tried = "; ".join(f"{a.source}: {a.message} after {a.elapsed_s:.1f} s" for a in attempts)
        super().__init__(f"{what}: every source failed ({tried or 'no source can serve it'})")
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Wanted:
    """One frame a user asked for: a satellite, product, band and time (matched within tolerance)."""

    satellite: Satellite
    product: Product
    band: int
    time: datetime
    tolerance: timedelta
    meso: str | None = None  # "M1" / "M2" for mesoscale products

    @property
    def sector(self) -> str:
        """The sector as written in canonical names: FD, CONUS, M1 or M2."""
        return sector_code(self.product.sector, self.meso)

    def describe(self) -> str:
        return f"{self.satellite.name} {self.product.name} band {self.band} at {self.time:%Y-%m-%d %H:%M:%S}Z"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An object a source holds for a wanted frame."""

    source: str
    locator: str  # S3 key or URL
    start: datetime  # scan start (the CDN only knows the minute)
    ext: str  # "nc" or "jpg"
    size: int | None = None
    etag: str | None = None  # validator for resumed transfers (If-Match / If-Range)
    md5: str | None = None  # hex digest the bytes must have, when the source says
    bucket: str = ""  # S3 only


OnBytes = Callable[[int], None]


class Store(Protocol):
    """A remote source of ABI frames (one class per source, configured by data)."""

    name: str

    def covers(self, wanted: Wanted, now: datetime) -> bool:
        """Whether this source can hold ``wanted`` at all (product, retention window)."""
        ...

    async def find(self, wanted: Wanted) -> Candidate | None:
        """The object nearest ``wanted.time`` within its tolerance; None when there is none."""
        ...

    async def download(self, candidate: Candidate, target: Path, on_bytes: OnBytes) -> int:
        """Write ``candidate`` to ``target`` atomically and verified; return its size."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


Opener = Callable[[Candidate, int, str | None], Awaitable["Body"]]
"""``opener(candidate, offset, validator)``: request the bytes from ``offset`` on; a range is only
sent with a validator (ETag or Last-Modified), so a changed object is sent whole."""


class Body(Protocol):
    """An open response: the bytes from ``offset`` on (or from 0 when the range was ignored)."""

    partial: bool  # True when the server honoured the range and sends bytes from ``offset``
    length: int | None  # bytes this response will send, when announced
    etag: str | None  # the validator to resume this object with later
    # True when the body raises RemoteTimeoutError itself after the read timeout without data
    # (its pieces may take longer than that to fill); False: the reader times each piece.
    own_timeout: bool
    # The hex CRC32 of the whole object that the source stored and sent with a whole-object
    # response (S3's full-object checksum), else None: checked instead of the MD5, at a fifth of its CPU.
    crc32: str | None

    def chunks(self) -> AsyncIterator[bytes | memoryview]:
        """The body's bytes; a ``memoryview`` is of a buffer the body reuses for a later chunk:
        the reader uses it up before asking for the next."""
        ...

    async def close(self) -> None: ...
