"""Follow mode: keep a folder up to date by polling for new scans at the product's cadence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressCallback
from goesvfi.core.remote.job import FetchRequest, FetchResult, FetchSession, run_cancellable
from goesvfi.core.satellites import cadence, get_product

log = logging.getLogger(__name__)


async def follow(
    request: FetchRequest,
    *,
    lookback: timedelta = timedelta(hours=1),
    poll: timedelta | None = None,
    on_cycle: Callable[[FetchResult], None] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Fetch the last ``lookback`` of scans every ``poll`` (default: the cadence) until cancelled.

    Returns the number of polls made. Cancelling (Ctrl+C in the CLI) stops cleanly: the frame
    in flight is abandoned without leaving a partial file, and this returns normally.
    """
    product = get_product(request.product)
    interval = poll or cadence(product)
    cycles = 0

    async def loop() -> None:
        nonlocal cycles
        async with FetchSession(request.settings) as session:
            while True:
                now = datetime.now(UTC)
                start = max(request.start or now - lookback, now - lookback)
                frames = replace(request, start=start, end=now, times=()).wanted_frames()
                result = await session.run(frames, request.dest, progress)
                cycles += 1
                log.info("follow poll %d: %d new frames", cycles, len(result.with_status("downloaded")))
                if on_cycle is not None:
                    on_cycle(result)
                await asyncio.sleep(interval.total_seconds())

    try:
        await run_cancellable(loop(), cancel)
    except CancelledByUser:
        log.info("follow stopped after %d polls", cycles)
    return cycles
