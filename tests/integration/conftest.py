"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from remote_servers import LoopThread


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    """An asyncio loop in a thread for aiohttp servers, stopped after the test."""
    loop = LoopThread()
    try:
        yield loop
    finally:
        loop.stop()
