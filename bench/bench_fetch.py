"""Fetch throughput behind the fault proxy adding latency to every request, S3 and CDN.

Defaults: 200 objects of about 3 MB, 50 ms added per request, concurrency 32. For each source
the same objects are fetched through the same proxy (its own process) by the real fetch path
(``fetch_range_sync``, a new client per job), three ways:

1. no added latency, concurrency C      → the transfer time T0 (what the bytes alone cost here)
2. 50 ms per request, concurrency C     → the measured time T
3. 50 ms per request, one at a time     → the baseline B (same code, concurrency 1)

Sources: ``s3`` is moto server (a Python WSGI server) with NOAA-style keys; the client lists each
hour once, streams ``get_object`` and checks size + MD5 from the ETag + HDF5 signature. ``cdn`` is
an aiohttp origin serving files with sendfile and an index page; the client checks size + JPEG
markers (the CDN gives no MD5). Each round runs T0, T and B back to back; ``--repeat`` rounds.
Prints every round, then best and median: ideal bound = N x latency / C + T0, efficiency =
bound / T (target >= 80 %), speed-up = B / T (target >= 8x), CPU milliseconds per MB of each
process during T0 and the load average. Prints figures; never passes or fails.
Run: ``.venv/bin/python bench/bench_fetch.py [--sources s3,cdn] [--count 200] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ROOT / "tests" / "integration" / "remote_servers.py"
sys.path.insert(0, str(SERVERS.parent))

from remote_servers import Moto, abi_key, big_object, cdn_path, publish, start_moto  # noqa: E402

from goesvfi.core.config import RemoteSettings  # noqa: E402
from goesvfi.core.remote import FetchRequest, fetch_range_sync  # noqa: E402

S3_FIRST = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)  # real-world start seconds
STEP = timedelta(minutes=5)  # ABI-L1b-RadC cadence


def start_child(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``remote_servers.py ARGS`` in its own process; returns it and its URL once it listens."""
    process = subprocess.Popen([sys.executable, str(SERVERS), *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, url
        except OSError:
            time.sleep(0.05)  # waiting for a child process to listen
    process.kill()
    raise RuntimeError(f"{args[0]} did not start")


@dataclass
class Rig:
    """One source's origin, a plain proxy (+0 ms) and a latency proxy, all child processes."""

    source: str
    first: datetime  # scan start of the first object
    fast_url: str
    slow_url: str
    processes: dict[str, psutil.Process]

    def settings(self, url: str, concurrency: int) -> RemoteSettings:
        endpoint = {"s3_endpoint": url} if self.source == "s3" else {"cdn_base": url}
        return RemoteSettings(source=self.source, concurrency=concurrency, read_timeout_s=30, **endpoint)


def s3_origin(count: int, size: int) -> Moto:
    moto = start_moto()
    for first in range(0, count, 50):  # in batches: never all objects in memory at once
        batch = range(first, min(count, first + 50))
        publish(
            moto.url,
            "noaa-goes19",
            {abi_key(19, "ABI-L1b-RadC", 13, S3_FIRST + STEP * k): big_object(k, size) for k in batch},
        )
    return moto


def cdn_origin(count: int, size: int, folder: Path, first: datetime) -> tuple[subprocess.Popen[str], str]:
    for k in range(count):
        path = folder / cdn_path(19, "CONUS", 13, first + STEP * k, "1250x750").lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8" + big_object(k, size)[2:-2] + b"\xff\xd9")  # JPEG markers
    return start_child("origin", "--root", str(folder))


def timed_fetch(rig: Rig, url: str, count: int, concurrency: int, work: Path) -> tuple[float, int]:
    dest = Path(tempfile.mkdtemp(dir=work))
    start = rig.first.replace(second=0, microsecond=0)
    request = FetchRequest(
        "GOES-19",
        "ABI-L1b-RadC",
        13,
        dest,
        start=start,
        end=start + STEP * (count - 1),
        settings=rig.settings(url, concurrency),
    )
    began = time.perf_counter()
    result = fetch_range_sync(request)
    elapsed = time.perf_counter() - began
    payload = result.to_json()
    if payload["downloaded"] != count:
        raise SystemExit(f"only {payload['downloaded']} of {count} downloaded: {payload['failed'][:2]}")
    shutil.rmtree(dest)
    return elapsed, int(payload["bytes"])


def cpu_seconds(processes: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}


def measure(rig: Rig, args: argparse.Namespace, work: Path) -> None:
    conc = args.concurrency
    rounds: list[tuple[float, float, float]] = []
    mb = 0.0
    print(f"\n== {rig.source}: {args.count} objects, +{args.latency * 1e3:.0f} ms per request, C = {conc}")
    for index in range(args.repeat):
        before = cpu_seconds(rig.processes)
        transfer, total = timed_fetch(rig, rig.fast_url, args.count, conc, work)
        after = cpu_seconds(rig.processes)
        mb = total / 1e6
        measured, _ = timed_fetch(rig, rig.slow_url, args.count, conc, work)
        baseline, _ = timed_fetch(rig, rig.slow_url, args.count, 1, work)
        rounds.append((transfer, measured, baseline))
        bound = args.count * args.latency / conc + transfer
        cpu = {name: (after[name] - before[name]) * 1e3 / mb for name in after}
        busy = sum(after.values()) - sum(before.values())
        print(
            f"round {index + 1}: T0 {transfer:5.2f} s ({mb / transfer:4.0f} MB/s)  T {measured:5.2f} s"
            f"  B {baseline:5.2f} s  bound {bound:5.2f} s  eff {bound / measured:4.0%}"
            f"  B/T {baseline / measured:4.1f}x  | CPU ms/MB in T0: "
            + " ".join(f"{name} {value:.2f}" for name, value in cpu.items())
            + f" ({busy / transfer:.1f} cores busy)  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    for label, pick in (("best", min), ("median", statistics.median)):
        transfer, measured, baseline = (pick(r[i] for r in rounds) for i in range(3))
        bound = args.count * args.latency / conc + transfer
        print(
            f"{rig.source} {label:6}: T0 {transfer:5.2f} s  T {measured:5.2f} s ({mb / measured:4.0f} MB/s)"
            f"  bound {bound:5.2f} s  B {baseline:5.2f} s  efficiency {bound / measured:4.0%} (>= 80 %)"
            f"  speed-up {baseline / measured:4.1f}x (>= 8x)  ceiling B/T0 {baseline / transfer:4.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", default="s3,cdn", help="comma-separated: s3, cdn")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=3.0)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of T0, T and B per source")
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    print(
        f"{args.count} objects x {size / 1e6:.1f} MB; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    client = psutil.Process()
    for source in args.sources.split(","):
        children: list[subprocess.Popen[str]] = []
        moto: Moto | None = None
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            try:
                if source == "s3":
                    moto = s3_origin(args.count, size)
                    origin_url, origin = moto.url, psutil.Process(moto.process.pid)
                    first = S3_FIRST
                else:
                    # The CDN keeps recent days only: objects from two days ago.
                    first = (datetime.now(UTC) - timedelta(days=2)).replace(minute=1, second=0, microsecond=0)
                    origin_process, origin_url = cdn_origin(args.count, size, work / "origin", first)
                    children.append(origin_process)
                    origin = psutil.Process(origin_process.pid)
                fast, fast_url = start_child("proxy", "--upstream", origin_url)
                slow, slow_url = start_child(
                    "proxy", "--upstream", origin_url, "--latency", str(args.latency)
                )
                children += [fast, slow]
                processes = {"origin": origin, "proxy": psutil.Process(fast.pid), "client": client}
                measure(Rig(source, first, fast_url, slow_url, processes), args, work)
            finally:
                for child in children:
                    child.terminate()
                    child.wait(timeout=10)
                if moto is not None:
                    moto.stop()


if __name__ == "__main__":
    main()
