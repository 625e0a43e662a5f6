"""Remote fetch from the NOAA S3 buckets and the STAR CDN: verified, atomic, resumable, retried.

Modules: :mod:`.base` (store protocol, wanted frame, exception tree), :mod:`.s3`, :mod:`.cdn`,
:mod:`.http1` (the S3 store's own small HTTP client), :mod:`.composite` (source order, breakers),
:mod:`.retry`, :mod:`.download` (atomic verified writer), :mod:`.partfile` (its ``.part`` file),
:mod:`.safety` (names, disk space), :mod:`.stats`, :mod:`.messages` (plain-language
"no data" and diagnostics), :mod:`.job` (:func:`fetch_range`), :mod:`.fill`, :mod:`.follow`,
:mod:`.diagnostics` (``goesvfi doctor``).

Heavy client libraries are imported only when needed: aiohttp by the CDN store and ``doctor``;
aiobotocore by the S3 store for objects without an MD5 and when the environment names a proxy.
"""

from __future__ import annotations

from goesvfi.core.remote.base import (
    FetchInputError,
    RemoteError,
    SourcesExhaustedError,
    Store,
    Wanted,
)
from goesvfi.core.remote.job import FetchRequest, FetchResult, fetch_range, fetch_range_sync

__all__ = [
    "FetchInputError",
    "FetchRequest",
    "FetchResult",
    "RemoteError",
    "SourcesExhaustedError",
    "Store",
    "Wanted",
    "fetch_range",
    "fetch_range_sync",
]
