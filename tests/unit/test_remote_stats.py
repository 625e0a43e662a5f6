"""Bounded statistics, the circuit breaker, source ordering and no-data messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from goesvfi.core.remote.base import Candidate, OnBytes, Wanted
from goesvfi.core.remote.composite import CompositeStore
from goesvfi.core.remote.messages import no_data_message
from goesvfi.core.remote.stats import Breaker, SourceStats
from goesvfi.core.satellites import get_product, resolve_satellite


def test_samples_stay_bounded() -> None:
    stats = SourceStats("s3", window=50)
    for _ in range(10_000):
        stats.record_success(1000, 0.01)
        stats.record_latency(0.02)
        stats.record_retry("timeout")
    assert len(stats.durations) == 50
    assert len(stats.first_byte) == 50
    assert len(stats.speeds) == 50
    summary = stats.to_dict()
    assert summary["successes"] == 10_000
    assert summary["bytes"] == 10_000_000
    assert summary["errors_by_kind"] == {"timeout": 10_000}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_half_opens_and_closes() -> None:
    stats, clock = SourceStats("cdn"), Clock()
    breaker = Breaker(stats, threshold=3, cooldown_s=10.0, clock=clock)
    for _ in range(2):
        stats.record_failure("network")
        breaker.failure()
    assert breaker.state == "closed"
    stats.record_failure("network")
    breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now = 10.0
    assert breaker.state == "half-open"
    assert breaker.allow()  # one trial
    assert not breaker.allow()  # and only one
    stats.record_failure("network")
    breaker.failure()
    assert breaker.state == "open"
    clock.now = 20.0
    assert breaker.allow()
    stats.record_success(10, 0.1)
    breaker.success()
    assert breaker.state == "closed"


class NamedStore:
    def __init__(self, name: str, covers: bool = True) -> None:
        self.name = name
        self._covers = covers

    def covers(self, wanted: Wanted, now: datetime) -> bool:
        return self._covers

    async def find(self, wanted: Wanted) -> Candidate | None:
        raise AssertionError("not used")

    async def download(self, candidate: Candidate, target: Path, on_bytes: OnBytes) -> int:
        raise AssertionError("not used")

    async def aclose(self) -> None:
        return None


def wanted(when: datetime) -> Wanted:
    return Wanted(resolve_satellite("GOES-19"), get_product("ABI-L1b-RadC"), 13, when, timedelta(minutes=2))


def composite(order: str, stores: list[NamedStore]) -> tuple[CompositeStore, dict[str, SourceStats]]:
    stats = {s.name: SourceStats(s.name) for s in stores}
    return CompositeStore(stores, order, stats, breaker_failures=3, breaker_cooldown_s=30), stats


def test_order_follows_preference_then_results() -> None:
    now = datetime.now(UTC)
    store, stats = composite("cdn,s3", [NamedStore("s3"), NamedStore("cdn")])
    assert [s.name for s in store.order(wanted(now), now)] == ["cdn", "s3"]
    for _ in range(4):
        stats["cdn"].record_failure("timeout")
        stats["s3"].record_success(100, 0.1)
    assert [s.name for s in store.order(wanted(now), now)] == ["s3", "cdn"]


def test_order_skips_sources_that_cannot_hold_the_time() -> None:
    now = datetime.now(UTC)
    store, _ = composite("auto", [NamedStore("s3"), NamedStore("cdn", covers=False)])
    assert [s.name for s in store.order(wanted(now), now)] == ["s3"]


def test_no_data_messages() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert "not available yet" in no_data_message(wanted(now - timedelta(minutes=5)), ["s3"], now)
    early = Wanted(
        resolve_satellite("GOES-19"),
        get_product("ABI-L1b-RadC"),
        13,
        datetime(2020, 1, 1, tzinfo=UTC),
        timedelta(minutes=2),
    )
    assert "only became operational on 2025-04-07" in no_data_message(early, ["s3"], now)
    old = no_data_message(wanted(now - timedelta(days=3)), ["s3"], now)
    assert "NOAA CLASS" in old
    assert "gcp-public-data-goes" in old
