"""Benchmark ``goesvfi check``'s scan: cold (empty cache) and warm (cached) over 100,000 files.

Builds a tree of one-byte frame files (the scan reads names and stat results only; zero-byte
files would count as empty) with gaps and duplicates, then prints cold-scan seconds, warm-scan seconds and
peak memory. Run: ``.venv/bin/python bench/bench_scan.py [--files N] [--dir DIR]``.
Figures only; it never fails on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from goesvfi.core.cache import ScanCache
from goesvfi.core.config import ScanSettings
from goesvfi.core.integrity import scan_folder
from goesvfi.core.timeindex import canonical_name

START = datetime(2024, 1, 1, 0, 1, 17, tzinfo=UTC)
STEP = timedelta(minutes=5)
PER_FOLDER = 2000


def build_tree(root: Path, files: int) -> tuple[int, int]:
    """Write ``files`` one-byte frames (every 97th slot missing, every 101st doubled); (gaps, dupes)."""
    written = gaps = dupes = slot = 0
    while written < files:
        moment = START + slot * STEP
        slot += 1
        if slot % 97 == 0:
            gaps += 1
            continue
        folder = root / f"{moment:%Y}" / f"{moment:%j}"
        folder.mkdir(parents=True, exist_ok=True)
        name = canonical_name(19, "CONUS", 13, moment, "nc")
        (folder / name).write_bytes(b"x")
        written += 1
        if slot % 101 == 0 and written < files:
            dupe = moment + timedelta(seconds=3)
            (folder / f"extra_{dupe:%Y%m%dT%H%M%S}Z.nc").write_bytes(b"x")  # same format: a duplicate
            written += 1
            dupes += 1
    return gaps, dupes


def timed_scan(root: Path, cache: ScanCache) -> tuple[float, float, int, int, int]:
    """Wall seconds, CPU seconds of this process, expected, missing and duplicate counts."""
    began, cpu = time.perf_counter(), time.process_time()
    report = scan_folder(root, recursive=True, settings=ScanSettings(), cache=cache)
    elapsed, used = time.perf_counter() - began, time.process_time() - cpu
    return elapsed, used, report.expected_count, len(report.missing), len(report.duplicates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, help="build the tree here (default: a temp folder)")
    parser.add_argument("--warm-runs", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="goesvfi-bench-") as tmp:
        root = args.dir or Path(tmp) / "frames"
        root.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        if not any(root.iterdir()):
            gaps, dupes = build_tree(root, args.files)
            print(
                f"built {args.files} files ({gaps} gaps, {dupes} duplicates) in "
                f"{time.perf_counter() - began:.1f} s under {root}"
            )
        cache = ScanCache(Path(tmp) / "cache.sqlite3")
        os.sync()
        # Cold = nothing cached by GOES-VFI; the OS still caches the folders just written.
        cold, cold_cpu, expected, missing, duplicates = timed_scan(root, cache)
        print(
            f"cold scan : {cold:.3f} s wall, {cold_cpu:.3f} s CPU "
            f"(expected {expected}, missing {missing}, duplicates {duplicates})"
        )
        warm = [timed_scan(root, cache)[:2] for _ in range(max(1, args.warm_runs))]
        best = min(warm)
        print(
            f"warm scan : {best[0]:.3f} s wall, {best[1]:.3f} s CPU (best of {len(warm)}; "
            f"worst {max(w for w, _ in warm):.3f} s wall)"
        )
        print(
            f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
            "(other work on the machine inflates wall time)"
        )
        tracemalloc.start()
        timed_scan(root, cache)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak Python allocations during a warm scan: {peak / 2**20:.1f} MiB (tracemalloc)")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak RSS of the process: {rss / 1024:.1f} MiB (ru_maxrss)")
        cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
