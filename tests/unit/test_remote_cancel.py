"""A fetch stopped by a signal exits the way a stopped job does: 128 + the signal."""

from __future__ import annotations

import asyncio
import signal

import pytest

from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.remote.job import run_cancellable


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_signalled_fetch_exits_128_plus_the_signal(signum: int, code: int) -> None:
    token = CancelToken()

    async def forever() -> None:
        asyncio.get_running_loop().call_soon(token.cancel_by_signal, signum)
        await asyncio.Event().wait()

    with pytest.raises(CancelledByUser, match=signal.Signals(signum).name) as caught:
        asyncio.run(run_cancellable(forever(), token))
    assert caught.value.exit_code == code
