"""Which dyadic times RIFE HDv3 computes for the requested times.

HDv3 has no time input: one call gives t = 1/2. Recursive bisection (the middle of 0 and 1/2,
then of 1/4 and 1/2, ...) gives every dyadic time p/2^d exactly in d calls per level, so a
power-of-two multiplier N is exact and costs N-1 calls. For any other time this module picks
the nearest dyadic time with at most ``max_depth`` levels (error at most 2^-(max_depth+1); with
the default depth 4 it is under 1/32 of the interval). ``docs/interpolation.md`` gives the
measured cost of this on PSNR.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


def nearest_dyadic(t: float, max_depth: int) -> Fraction:
    """The dyadic fraction p/2^d (d <= max_depth, 0 < p/2^d < 1) nearest to t, shallowest on ties."""
    exact = Fraction(t).limit_denominator(1 << 20)
    best: Fraction | None = None
    for depth in range(1, max_depth + 1):
        denominator = 1 << depth
        numerator = min(max(round(exact * denominator), 1), denominator - 1)
        candidate = Fraction(numerator, denominator)
        if best is None or abs(candidate - exact) < abs(best - exact):
            best = candidate
    assert best is not None
    return best


def bisection_targets(times: Sequence[float], max_depth: int) -> list[Fraction]:
    """One dyadic target per requested time (same order)."""
    return [nearest_dyadic(t, max_depth) for t in times]


def calls_needed(times: Sequence[float], max_depth: int) -> int:
    """Network calls bisection makes for these times (shared tree nodes counted once)."""
    nodes: set[Fraction] = set()
    for target in bisection_targets(times, max_depth):
        low, high = Fraction(0), Fraction(1)
        while True:
            mid = (low + high) / 2
            nodes.add(mid)
            if mid == target:
                break
            low, high = (low, mid) if target < mid else (mid, high)
    return len(nodes)
