"""A fetch job: wanted frames → existing whole files skipped → sources located → verified downloads.

A file already under its final name is kept only when it is whole: not empty, a good
signature (:mod:`goesvfi.core.signatures`), and the size the source lists for it. A damaged
one is removed, fetched again and logged.

:func:`fetch_range` is the one entry point for the CLI, the view-models and gap filling;
:func:`fetch_range_sync` runs it with :func:`asyncio.run` for callers in a plain thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from goesvfi.core.config import RemoteSettings
from goesvfi.core.framefiles import dated_frames
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressCallback, ProgressEvent, RateMeter
from goesvfi.core.remote.base import FetchInputError, OnBytes, Store, Wanted
from goesvfi.core.remote.cdn import CdnStore
from goesvfi.core.remote.composite import ORDERS, CompositeStore, ItemResult, Located
from goesvfi.core.remote.download import RateLimiter, Transfer
from goesvfi.core.remote.messages import diagnostic_summary, no_data_message
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.s3 import S3Store
from goesvfi.core.remote.safety import check_free_space
from goesvfi.core.remote.stats import SourceStats
from goesvfi.core.satellites import MESO_SECTORS, cadence, get_product, resolve_satellite
from goesvfi.core.signatures import file_damage
from goesvfi.core.timeindex import ParsedName, expected_series

log = logging.getLogger(__name__)

T = TypeVar("T")
ItemCallback = Callable[[ItemResult], None]  # one frame settled (see FetchSession.run)
MAX_FRAMES = 100_000
PROGRESS_EVERY_S = 0.25
FILE_PROGRESS_EVERY_S = 0.2  # per file: at most this often, plus the file's last bytes


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch: a time range (every scan slot in it) or explicit times, into ``dest``."""

    satellite: str  # GOES-19, 19, east, west (roles resolve per time)
    product: str  # ABI-L1b-RadC, ABI-L2-CMIPF, ...
    band: int
    dest: Path
    start: datetime | None = None
    end: datetime | None = None
    times: tuple[datetime, ...] = ()
    meso: str | None = None  # M1 / M2 for mesoscale products
    tolerance: timedelta | None = None  # default: just under half the product's cadence
    settings: RemoteSettings = field(default_factory=RemoteSettings)

    def wanted_frames(self) -> list[Wanted]:
        """One :class:`Wanted` per scan slot; raises :class:`FetchInputError` for bad arguments."""
        product = get_product(self.product)
        if not 1 <= self.band <= 16:
            raise FetchInputError("not an ABI band", setting="band", value=self.band, hint="use 1 to 16")
        if self.meso is not None and self.meso not in MESO_SECTORS:
            raise FetchInputError(f"mesoscale sector '{self.meso}' must be M1 or M2")
        if self.times:
            times = sorted({_utc(t) for t in self.times})
        else:
            if self.start is None or self.end is None:
                raise FetchInputError(
                    "no time range", setting="start", hint="give a start and an end, or a folder to complete"
                )
            start, end = _utc(self.start), _utc(self.end)
            if end < start:
                raise FetchInputError(
                    f"the end is before the start ({start:%Y-%m-%dT%H:%M}Z)",
                    setting="end",
                    value=f"{end:%Y-%m-%dT%H:%M}Z",
                )
            times = expected_series(start, end, cadence(product, when=start), start)
        if len(times) > MAX_FRAMES:
            raise FetchInputError(f"{len(times)} frames asked for; split the range (at most {MAX_FRAMES})")
        frames = []
        for moment in times:
            step = cadence(product, when=moment)
            tolerance = self.tolerance or step / 2 - timedelta(microseconds=1)
            satellite = resolve_satellite(self.satellite, moment)
            meso = (self.meso or "M1") if product.sector == "M" else None
            frames.append(Wanted(satellite, product, self.band, moment, tolerance, meso))
        return frames


@dataclass
class FetchResult:
    """Every frame's outcome, per-source statistics and totals."""

    items: list[ItemResult]
    stats: dict[str, dict[str, Any]]
    elapsed_s: float

    def with_status(self, status: str) -> list[ItemResult]:
        return [item for item in self.items if item.status == status]

    @property
    def failed(self) -> list[ItemResult]:
        return self.with_status("failed")

    @property
    def files(self) -> list[Path]:
        return sorted(item.path for item in self.items if item.path is not None)

    def to_json(self) -> dict[str, Any]:
        def when(item: ItemResult) -> str:
            return item.wanted.time.isoformat().replace("+00:00", "Z")

        return {
            "requested": len(self.items),
            "downloaded": len(self.with_status("downloaded")),
            "skipped_existing": len(self.with_status("skipped_existing")),
            "absent": [{"time": when(i), "message": i.message} for i in self.with_status("absent")],
            "failed": [
                {"time": when(i), "message": i.message, "reasons": [a.to_json() for a in i.attempts]}
                for i in self.failed
            ],
            "files": [str(path) for path in self.files],
            "bytes": sum(item.size for item in self.items),
            "elapsed_s": round(self.elapsed_s, 3),
            "stats": self.stats,
        }


class _Progress:
    """Turns item and byte updates into throttled :class:`ProgressEvent` calls."""

    def __init__(
        self, callback: ProgressCallback | None, total: int, on_item: ItemCallback | None = None
    ) -> None:
        self._callback = callback
        self._on_item = on_item
        self.total = total
        self.done = 0
        self.bytes = 0
        self._meter = RateMeter()
        self._bytes_meter = RateMeter()
        self._last = 0.0
        self.current = ""

    def add_bytes(self, amount: int) -> None:
        self.bytes += amount
        if time.monotonic() - self._last >= PROGRESS_EVERY_S:
            self.emit()

    def file_bytes(self, name: str, total: int | None) -> OnBytes:
        """An ``on_bytes`` for one file: adds to the job's bytes and reports the file's own
        progress as ``item`` events named ``fetch-file`` (``done``/``total`` in bytes)."""
        done = 0
        last = -FILE_PROGRESS_EVERY_S

        def on_bytes(amount: int) -> None:
            nonlocal done, last
            self.add_bytes(amount)
            done = done + amount if total is None else min(total, done + amount)  # a retry restarts
            now = time.monotonic()
            if self._callback is None or (now - last < FILE_PROGRESS_EVERY_S and done != total):
                return
            last = now
            self._callback(ProgressEvent("item", "fetch-file", done, total, message=name))

        return on_bytes

    def item_done(self, item: ItemResult) -> None:
        self.done += 1
        self.current = f"{item.wanted.describe()}: {item.status}"
        if self._on_item is not None:
            self._on_item(item)
        self.emit()

    def emit(self) -> None:
        if self._callback is None:
            return
        self._last = time.monotonic()
        rate, eta = self._meter.measure(self.done, self.total)
        speed, _ = self._bytes_meter.measure(self.bytes, None)
        self._callback(
            ProgressEvent(
                "job",
                "fetch",
                self.done,
                self.total,
                rate,
                eta,
                self.current,
                {"bytes": self.bytes, "speed_bps": round(speed or 0.0, 1)},
            )
        )


class FetchSession:
    """The sources, statistics and connection pools of one job (reused across ``--follow`` polls)."""

    def __init__(self, settings: RemoteSettings, *, rng_seed: int | None = None) -> None:
        import random

        self.settings = settings
        names = ORDERS[settings.source]
        self.stats = {name: SourceStats(name) for name in names}
        policy = RetryPolicy.from_settings(settings, random.Random(rng_seed))
        limiter = RateLimiter(settings.max_rate) if settings.max_rate else None
        max_bytes = int(settings.max_object_mb * 1_000_000)
        # One thread per download for writing, hashing and fsync: a slow fsync must not hold up
        # the hashing of other downloads (the loop's default pool has only CPUs + 4 threads).
        self._files = ThreadPoolExecutor(settings.concurrency + 1, thread_name_prefix="goesvfi-fetch")

        def transfer(name: str) -> Transfer:
            return Transfer(
                name, policy, self.stats[name], settings.read_timeout_s, max_bytes, limiter, self._files
            )

        stores: list[Store] = []
        if "s3" in names:
            stores.append(
                S3Store(
                    transfer("s3"),
                    endpoint_url=settings.s3_endpoint,
                    concurrency=settings.concurrency,
                    connect_timeout_s=settings.connect_timeout_s,
                    read_timeout_s=settings.read_timeout_s,
                )
            )
        if "cdn" in names:
            stores.append(
                CdnStore(
                    transfer("cdn"),
                    base_url=settings.cdn_base,
                    recent_days=settings.cdn_recent_days,
                    size=settings.cdn_size,
                    concurrency=settings.concurrency,
                    connect_timeout_s=settings.connect_timeout_s,
                    read_timeout_s=settings.read_timeout_s,
                )
            )
        self.composite = CompositeStore(
            stores,
            settings.source,
            self.stats,
            breaker_failures=settings.breaker_failures,
            breaker_cooldown_s=settings.breaker_cooldown_s,
        )

    async def __aenter__(self) -> FetchSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            for store in self.composite.stores:
                await store.aclose()
        finally:
            self._files.shutdown(wait=True, cancel_futures=True)

    def stats_json(self) -> dict[str, dict[str, Any]]:
        return {
            name: {**stats.to_dict(), "breaker": self.composite.breakers[name].state}
            for name, stats in self.stats.items()
            if name in self.composite.breakers
        }

    async def run(
        self,
        frames: Sequence[Wanted],
        dest: Path,
        progress: ProgressCallback | None = None,
        on_item: ItemCallback | None = None,
        *,
        check_space: bool = True,
    ) -> FetchResult:
        """Fetch ``frames`` into ``dest`` (skipping ones already there); never raises per frame.

        ``on_item`` gets each frame's :class:`ItemResult` as soon as it is settled (a file landed,
        verified, or the frame was found absent or failed), in the thread running the job.
        ``check_space``: raise :class:`~goesvfi.core.remote.base.DiskSpaceError` before any download
        when the located objects would not fit; False fetches anyway (the user was warned).
        """
        started = time.monotonic()
        dest = _prepare_dest(dest)
        tracker = _Progress(progress, len(frames), on_item)
        results: dict[int, ItemResult] = {}
        existing = dated_frames(dest)
        todo: list[int] = []
        present: dict[int, Path] = {}  # whole by signature; checked against the listing below
        for index, wanted in enumerate(frames):
            path = _match_existing(existing, wanted)
            if path is not None and _remove_damaged(path, file_damage(path)):
                path = None
            if path is not None:
                present[index] = path
            else:
                todo.append(index)
        # Downloads take one of ``limit``'s slots. Locating does not: the stores bound their own
        # listing requests (S3 by a semaphore of ``concurrency``, the CDN by its connection pool), so
        # every distinct listing a job needs goes out at once instead of behind frames in time order.
        limit = asyncio.Semaphore(self.settings.concurrency)
        located: dict[int, Located] = {}

        async def check_present(index: int) -> None:
            """Keep an existing file unless the source lists another size for it."""
            path = present[index]
            found = await self.composite.locate(frames[index], [], [])
            listed = found.candidate.size if found is not None else None
            if found is not None and listed is not None and listed != path.stat().st_size:
                _remove_damaged(path, f"{path.stat().st_size} bytes, the source lists {listed}")
                located[index] = found
                return
            results[index] = ItemResult(frames[index], "skipped_existing", path)
            tracker.item_done(results[index])

        async def locate(index: int) -> None:
            attempts: list[Any] = []
            absent: list[str] = []
            found = await self.composite.locate(frames[index], attempts, absent)
            if found is not None:
                located[index] = found
                return
            results[index] = _unlocated(frames[index], attempts, absent)
            tracker.item_done(results[index])

        async def fetch(index: int) -> None:
            async with limit:
                tracker.current = frames[index].describe()
                found = located[index]
                name = found.candidate.locator.rsplit("/", 1)[-1]
                on_bytes = tracker.file_bytes(name, found.candidate.size)
                results[index] = await self.composite.fetch(frames[index], dest, on_bytes, found)
            tracker.item_done(results[index])

        await _all(check_present(index) for index in present)
        await _all(locate(index) for index in todo)
        if check_space:
            check_free_space(dest, sum(found.candidate.size or 0 for found in located.values()))
        await _all(fetch(index) for index in sorted(located))
        result = FetchResult(
            [results[i] for i in range(len(frames))], self.stats_json(), time.monotonic() - started
        )
        if len(result.failed) >= 3:
            log.warning("%s", diagnostic_summary(result.failed, self.stats_json()))
        return result


async def _all(jobs: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` together; a job-stopping error (disk, bug) cancels the rest and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, ExceptionGroup):
            first = first.exceptions[0]
        raise first from failures


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _prepare_dest(dest: Path) -> Path:
    if dest.exists() and not dest.is_dir():
        raise FetchInputError("this is a file", setting="dest", value=dest, hint="give a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchInputError(
            f"cannot create the folder: {exc.strerror}",
            setting="dest",
            value=dest,
            hint="choose another folder",
        ) from None
    return dest


def _remove_damaged(path: Path, problem: str | None) -> bool:
    """Remove ``path`` and say why when ``problem`` is not None; True when it was removed."""
    if problem is None:
        return False
    log.warning("%s is damaged (%s); fetching it again", path.name, problem)
    path.unlink(missing_ok=True)
    return True


def _match_existing(existing: list[tuple[Path, ParsedName]], wanted: Wanted) -> Path | None:
    for path, parsed in existing:
        if (
            parsed.satellite in (None, wanted.satellite.number)
            and parsed.band in (None, wanted.band)
            and parsed.sector in (None, wanted.sector)
            and abs(parsed.timestamp - wanted.time) <= wanted.tolerance
        ):
            return path
    return None


def _unlocated(wanted: Wanted, attempts: list[Any], absent: list[str]) -> ItemResult:
    from goesvfi.core.remote.base import SourcesExhaustedError

    if attempts:
        return ItemResult(
            wanted,
            "failed",
            attempts=attempts,
            message=str(SourcesExhaustedError(wanted.describe(), attempts)),
        )
    return ItemResult(wanted, "absent", message=no_data_message(wanted, absent, datetime.now(UTC)))


async def run_cancellable(awaitable: Awaitable[T], cancel: CancelToken | None) -> T:
    """Await ``awaitable``; a cancel on ``cancel`` (from any thread) cancels it and raises CancelledByUser."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if cancel is None or task is None:
        return await awaitable

    def cancel_task() -> None:
        loop.call_soon_threadsafe(task.cancel)

    unregister = cancel.on_cancel(cancel_task)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not cancel.cancelled:
            raise
        task.uncancel()
        raise CancelledByUser(f"fetch stopped: {cancel.reason}", cancel.exit_code) from None
    finally:
        unregister()


async def fetch_range(
    request: FetchRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    rng_seed: int | None = None,
    on_item: ItemCallback | None = None,
    check_space: bool = True,
) -> FetchResult:
    """Fetch every frame of ``request`` into ``request.dest``; cancel leaves nothing partial.
    ``on_item`` and ``check_space``: see :meth:`FetchSession.run`."""
    frames = request.wanted_frames()

    async def job() -> FetchResult:
        async with FetchSession(request.settings, rng_seed=rng_seed) as session:
            return await session.run(frames, request.dest, progress, on_item, check_space=check_space)

    return await run_cancellable(job(), cancel)


def fetch_range_sync(
    request: FetchRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_item: ItemCallback | None = None,
    check_space: bool = True,
) -> FetchResult:
    """:func:`fetch_range` for a plain thread (the CLI and Qt workers)."""
    return asyncio.run(
        fetch_range(request, progress=progress, cancel=cancel, on_item=on_item, check_space=check_space)
    )
