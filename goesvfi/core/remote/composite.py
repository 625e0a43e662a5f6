"""Several sources behind one front: source order, re-ordering by results, circuit breakers.

Order ``auto`` asks the CDN first for recent times and S3 only for older ones; ``s3,cdn``,
``cdn,s3`` or a single source are taken as given. Within that preference, sources that
deliver more often (and, between equals, answer faster) move forward, and a source whose
breaker is open is skipped while another one can still serve.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from goesvfi.core.remote.base import (
    Attempt,
    Candidate,
    NotFoundError,
    OnBytes,
    RemoteError,
    SourcesExhaustedError,
    Store,
    Wanted,
)
from goesvfi.core.remote.safety import safe_target
from goesvfi.core.remote.stats import Breaker, SourceStats
from goesvfi.core.timeindex import canonical_name

log = logging.getLogger(__name__)

ORDERS = {
    "auto": ("cdn", "s3"),
    "s3": ("s3",),
    "cdn": ("cdn",),
    "s3,cdn": ("s3", "cdn"),
    "cdn,s3": ("cdn", "s3"),
}
LATENCY_BUCKET_S = 0.25  # latency differences below this do not re-order sources


@dataclass
class ItemResult:
    """What happened to one wanted frame."""

    wanted: Wanted
    status: str  # downloaded | skipped_existing | absent | failed
    path: Path | None = None
    source: str | None = None
    scan_start: datetime | None = None
    size: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "time": self.wanted.time.isoformat().replace("+00:00", "Z"),
            "status": self.status,
            "path": str(self.path) if self.path else None,
            "source": self.source,
            "scan_start": self.scan_start.isoformat().replace("+00:00", "Z") if self.scan_start else None,
            "reasons": [a.to_json() for a in self.attempts],
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Located:
    store: Store
    candidate: Candidate


class CompositeStore:
    """Tries the sources for each frame in a preferred, self-adjusting order."""

    def __init__(
        self,
        stores: Sequence[Store],
        order: str,
        stats: dict[str, SourceStats],
        *,
        breaker_failures: int,
        breaker_cooldown_s: float,
    ) -> None:
        names = ORDERS[order]
        by_name = {store.name: store for store in stores}
        self.stores = [by_name[name] for name in names if name in by_name]
        self.stats = stats
        self.breakers = {
            store.name: Breaker(stats[store.name], breaker_failures, breaker_cooldown_s)
            for store in self.stores
        }
        self._locks: dict[Path, asyncio.Lock] = {}

    def order(self, wanted: Wanted, now: datetime) -> list[Store]:
        """The sources that can hold ``wanted``, best first; open breakers last."""
        usable = [(i, s) for i, s in enumerate(self.stores) if s.covers(wanted, now)]

        def key(entry: tuple[int, Store]) -> tuple[bool, float, int, int]:
            index, store = entry
            stats = self.stats[store.name]
            latency = stats.latency_s
            bucket = int(latency / LATENCY_BUCKET_S) if latency is not None else 0
            return (self.breakers[store.name].state == "open", -round(stats.success_rate, 1), bucket, index)

        return [store for _, store in sorted(usable, key=key)]

    def _usable(self, wanted: Wanted, now: datetime) -> list[Store]:
        ordered = self.order(wanted, now)
        allowed = [s for s in ordered if self.breakers[s.name].allow()]
        return allowed or ordered[:1]  # every breaker open: still try the best one

    async def locate(self, wanted: Wanted, attempts: list[Attempt], absent: list[str]) -> Located | None:
        """The first source holding ``wanted``; errors and "no data" answers are appended."""
        for store in self._usable(wanted, datetime.now(UTC)):
            found = await self._find(store, wanted, attempts, absent)
            if found is not None:
                return Located(store, found)
        return None

    async def _find(
        self, store: Store, wanted: Wanted, attempts: list[Attempt], absent: list[str]
    ) -> Candidate | None:
        started = time.monotonic()
        try:
            found = await store.find(wanted)
        except RemoteError as error:
            self._failed(store, error, started, attempts)
            return None
        if found is None:
            absent.append(store.name)
        return found

    def _failed(self, store: Store, error: RemoteError, started: float, attempts: list[Attempt]) -> None:
        attempts.append(
            Attempt(store.name, error.kind, error.message, time.monotonic() - started, error.advice)
        )
        if not isinstance(error, NotFoundError):
            self.stats[store.name].record_failure(error.kind)
            self.breakers[store.name].failure()
            log.info("%s failed: %s", store.name, error)

    async def fetch(
        self, wanted: Wanted, dest: Path, on_bytes: OnBytes, located: Located | None = None
    ) -> ItemResult:
        """Download ``wanted`` into ``dest`` from the first source that can deliver it."""
        attempts: list[Attempt] = []
        absent: list[str] = []
        pending: list[Store | Located] = [located] if located else []
        pending += [
            s for s in self._usable(wanted, datetime.now(UTC)) if not located or s is not located.store
        ]
        for entry in pending:
            store = entry.store if isinstance(entry, Located) else entry
            started = time.monotonic()
            candidate = (
                entry.candidate
                if isinstance(entry, Located)
                else await self._find(store, wanted, attempts, absent)
            )
            if candidate is None:
                continue
            try:
                result = await self._download(store, wanted, candidate, dest, on_bytes)
            except RemoteError as error:
                self._failed(store, error, started, attempts)
                continue
            result.attempts = attempts
            return result
        if attempts:
            message = str(SourcesExhaustedError(wanted.describe(), attempts))
            return ItemResult(wanted, "failed", attempts=attempts, message=message)
        return ItemResult(wanted, "absent", attempts=attempts, message=f"no data at {', '.join(absent)}")

    async def _download(
        self, store: Store, wanted: Wanted, candidate: Candidate, dest: Path, on_bytes: OnBytes
    ) -> ItemResult:
        name = canonical_name(
            wanted.satellite.number, wanted.sector, wanted.band, candidate.start, candidate.ext
        )
        target = dest / name
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            # In a thread: a lookup in the folder waits while another download renames into it.
            if await asyncio.to_thread(_present, dest, name):
                return ItemResult(wanted, "skipped_existing", target, store.name, candidate.start)
            started = time.monotonic()
            size = await store.download(candidate, target, on_bytes)
        self.stats[store.name].record_success(size, time.monotonic() - started)
        self.breakers[store.name].success()
        return ItemResult(wanted, "downloaded", target, store.name, candidate.start, size)


def _present(dest: Path, name: str) -> bool:
    """Whether ``dest / name`` exists; :class:`UnsafeLocationError` when it is no plain target."""
    return safe_target(dest, name).exists()
