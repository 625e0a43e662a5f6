"""Fetch throughput against moto S3 behind a proxy that adds latency to every request.

Defaults: 200 objects of about 3 MB, 50 ms added per request, concurrency 16. Three runs in
one process, same servers:

1. no added latency, concurrency C      → the transfer time T0 (what the bytes alone cost here)
2. 50 ms per request, concurrency C     → the measured time T
3. 50 ms per request, one at a time     → the baseline B

Each figure is the best of ``--repeat`` runs (default 2; the host is shared). Ideal bound =
N x latency / C + T0. Prints T, the bound, efficiency (bound / T, target >= 80 %)
and speed-up over the baseline (B / T, target >= 8x), plus the ceiling B / T0 this host allows
(moto and the proxy are Python servers; when the bytes themselves cost as much as the latency,
no client concurrency can reach 8x). Prints figures; never passes or fails.
Run: ``.venv/bin/python bench/bench_fetch.py [--count 200] [--size-mb 3] [--concurrency 16] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from remote_servers import abi_key, big_object, publish, start_moto  # noqa: E402

from goesvfi.core.config import RemoteSettings  # noqa: E402
from goesvfi.core.remote import FetchRequest, fetch_range_sync  # noqa: E402

T0 = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)


def start_proxy(upstream: str, latency: float) -> tuple[subprocess.Popen[str], str]:
    """The fault proxy in its own process (so it does not share the client's interpreter)."""
    script = ROOT / "tests" / "integration" / "remote_servers.py"
    process = subprocess.Popen(
        [sys.executable, str(script), "proxy", "--upstream", upstream, "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    import socket

    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("proxy did not start")


def timed_fetch(endpoint: str, count: int, concurrency: int, work: Path) -> tuple[float, int]:
    dest = Path(tempfile.mkdtemp(dir=work))
    settings = RemoteSettings(source="s3", s3_endpoint=endpoint, concurrency=concurrency, read_timeout_s=30)
    start = T0 - timedelta(seconds=77)
    request = FetchRequest(
        "GOES-19",
        "ABI-L1b-RadC",
        13,
        dest,
        start=start,
        end=start + timedelta(minutes=5 * (count - 1)),
        settings=settings,
    )
    began = time.perf_counter()
    result = fetch_range_sync(request)
    elapsed = time.perf_counter() - began
    payload = result.to_json()
    if payload["downloaded"] != count:
        raise SystemExit(f"only {payload['downloaded']} of {count} downloaded: {payload['failed'][:2]}")
    shutil.rmtree(dest)
    return elapsed, int(payload["bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=3.0)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure; the best is kept")
    args = parser.parse_args()

    moto = start_moto()
    processes: list[subprocess.Popen[str]] = []
    try:
        size = int(args.size_mb * 1_000_000)
        print(f"publishing {args.count} objects of {size / 1e6:.1f} MB to moto ...", flush=True)
        objects = {
            abi_key(19, "ABI-L1b-RadC", 13, T0 + timedelta(minutes=5 * k)): big_object(k, size)
            for k in range(args.count)
        }
        publish(moto.url, "noaa-goes19", objects)
        del objects
        fast, fast_url = start_proxy(moto.url, 0.0)
        slow, slow_url = start_proxy(moto.url, args.latency)
        processes += [fast, slow]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            runs = range(args.repeat)
            transfer, total = min(timed_fetch(fast_url, args.count, args.concurrency, work) for _ in runs)
            measured, _ = min(timed_fetch(slow_url, args.count, args.concurrency, work) for _ in runs)
            baseline, _ = min(timed_fetch(slow_url, args.count, 1, work) for _ in runs)
        bound = args.count * args.latency / args.concurrency + transfer
        mb = total / 1e6
        conc = args.concurrency
        latency_ms = args.latency * 1e3
        print(f"objects            {args.count} x {size / 1e6:.1f} MB = {mb:.0f} MB, +{latency_ms:.0f} ms")
        print(f"transfer time T0   {transfer:7.2f} s  ({mb / transfer:6.1f} MB/s, concurrency {conc}, +0 ms)")
        print(f"measured T         {measured:7.2f} s  ({mb / measured:6.1f} MB/s, concurrency {conc})")
        print(f"ideal bound        {bound:7.2f} s  (N x latency / C + T0)")
        print(f"one at a time B    {baseline:7.2f} s  ({mb / baseline:6.1f} MB/s)")
        print(f"efficiency         {bound / measured:7.1%}  (target >= 80 %)")
        print(f"speed-up B / T     {baseline / measured:7.1f}x  (target >= 8x)")
        print(f"speed-up ceiling   {baseline / transfer:7.1f}x  (B / T0: no concurrency can beat T0 here)")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        moto.stop()


if __name__ == "__main__":
    main()
