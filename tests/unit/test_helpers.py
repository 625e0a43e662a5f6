"""The shared test helper ``wait_until``."""

from __future__ import annotations

import pytest
from helpers import wait_until


def test_wait_until_returns_as_soon_as_the_condition_holds() -> None:
    calls = iter([False, False, True])
    wait_until(lambda: next(calls), timeout=5, interval=0)
    assert next(calls, "done") == "done"


def test_wait_until_fails_with_the_message_when_the_condition_never_holds() -> None:
    with pytest.raises(AssertionError, match="never ready"):
        wait_until(lambda: False, timeout=0.05, interval=0.01, message="never ready")
    with pytest.raises(AssertionError, match=r"not met within 0\.05 s"):
        wait_until(lambda: False, timeout=0.05, interval=0.01)
