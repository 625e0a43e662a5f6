"""Plain-language messages for "no data" answers and for fetches that keep failing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from goesvfi.core.remote.base import ADVICE, ALTERNATIVES, Wanted

NOT_YET = timedelta(minutes=15)


def no_data_message(wanted: Wanted, sources: Sequence[str], now: datetime) -> str:
    """Why a frame may be missing upstream and what to try, in one line."""
    where = ", ".join(sources) or "no source covers that time"
    head = f"no file for {wanted.describe()} ({where})"
    if now - wanted.time < NOT_YET:
        return f"{head}: not available yet; NOAA publishes scans 3-15 minutes after they start, retry soon"
    spans = wanted.satellite.roles
    first = min((span.start for span in spans), default=None)
    if first is not None and wanted.time < first:
        return (
            f"{head}: {wanted.satellite.name} only became operational on {first:%Y-%m-%d}; "
            "pick another satellite or later times"
        )
    return f"{head}: {ADVICE['not_found']}; {ALTERNATIVES}"


def diagnostic_summary(failed: Sequence[Any], stats: dict[str, dict[str, Any]]) -> str:
    """A log paragraph after repeated failures: counts by kind per source and what to check."""
    parts = []
    for name, values in stats.items():
        kinds = ", ".join(f"{kind} x{count}" for kind, count in values.get("errors_by_kind", {}).items())
        parts.append(
            f"{name}: {values.get('successes', 0)} ok, {values.get('failures', 0)} failed, "
            f"{values.get('retries', 0)} retries, breaker {values.get('breaker', '?')}"
            + (f" ({kinds})" if kinds else "")
        )
    return (
        f"fetch diagnostics: {len(failed)} frames failed; "
        + "; ".join(parts)
        + "; the connectivity check tells which servers answer"
    )
