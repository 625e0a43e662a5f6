"""``goesvfi fetch`` and ``goesvfi doctor`` as a user runs them: subprocesses against loopback servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from remote_servers import Moto, abi_key, closed_port_url, netcdf_bytes, publish, start_moto

from goesvfi.core.timeindex import canonical_name

T0 = datetime(2025, 6, 1, 12, 1, 17, 300_000, tzinfo=UTC)
COUNT = 12


@dataclass
class Archive:
    moto: Moto
    expected: dict[str, bytes]
    recent: datetime  # a recent scan start (for --follow)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("objects")
    objects, expected = {}, {}
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    recent = now.replace(minute=now.minute - now.minute % 5) - timedelta(minutes=14, seconds=-17)
    starts = [T0 + timedelta(minutes=5 * k) for k in range(COUNT)] + [
        recent + timedelta(minutes=5 * k) for k in range(3)
    ]
    for k, start in enumerate(starts):
        data = netcdf_bytes(tmp, k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = data
        expected[canonical_name(19, "CONUS", 13, start, "nc")] = data
    moto = start_moto()
    publish(moto.url, "noaa-goes19", objects)
    try:
        yield Archive(moto, expected, recent)
    finally:
        moto.stop()


def goesvfi(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goesvfi", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def fetch_args(archive: Archive, dest: Path, *extra: str) -> list[str]:
    return [
        "fetch", "--satellite", "GOES-19", "--product", "ABI-L1b-RadC", "--band", "13",
        "--start", "2025-06-01T12:00Z", "--end", "2025-06-01T12:55Z", "--dest", str(dest),
        "--source", "s3", "--s3-endpoint", archive.moto.url, *extra,
    ]  # fmt: skip


def test_fetch_json_contract(archive: Archive, tmp_path: Path) -> None:
    done = goesvfi(*fetch_args(archive, tmp_path, "--json", "--concurrency", "4", "--max-rate", "50000000"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    payload = json.loads(done.stdout)
    assert payload["requested"] == COUNT
    assert payload["downloaded"] == COUNT
    assert payload["skipped_existing"] == 0
    assert payload["failed"] == []
    assert set(payload["stats"]) == {"s3"}
    assert payload["stats"]["s3"]["successes"] == COUNT
    files = [Path(f) for f in payload["files"]]
    assert len(files) == COUNT
    for path in files:
        assert path.read_bytes() == archive.expected[path.name]


def test_fetch_exit_1_when_downloads_fail(archive: Archive, tmp_path: Path) -> None:
    args = fetch_args(archive, tmp_path, "--json", "--retries", "0")
    args[args.index("--s3-endpoint") + 1] = closed_port_url()
    done = goesvfi(*args)
    assert done.returncode == 1
    payload = json.loads(done.stdout)
    assert len(payload["failed"]) == COUNT
    assert payload["failed"][0]["reasons"][0]["kind"] == "network"
    assert list(tmp_path.iterdir()) == []
    log = Path(os.environ["XDG_STATE_HOME"]) / "goesvfi" / "log" / "goesvfi.log"
    assert "fetch diagnostics: 12 frames failed; s3: 0 ok, 12 failed" in log.read_text(encoding="utf-8")


def test_text_summary_names_each_failed_frame_and_advice(archive: Archive, tmp_path: Path) -> None:
    args = fetch_args(archive, tmp_path, "--retries", "0")
    args[args.index("--s3-endpoint") + 1] = closed_port_url()
    args[args.index("--end") + 1] = "2025-06-01T12:05Z"
    done = goesvfi(*args)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"0 downloaded, 0 already there, 0 not available upstream, 2 failed → {tmp_path}"
    assert lines[1] == "  FAILED 2025-06-01T12:00:00Z"
    assert lines[2].startswith("    s3: connection failed")
    assert "connectivity check" in lines[2]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("--band", "17"), "--band 17: not an ABI band"),
        (("--end", "2025-06-01T11:00Z"), "--end 2025-06-01T11:00Z: the end is before the start"),
        (("--start", "yesterday"), "--start 'yesterday' is not an ISO 8601 time"),
        (("--satellite", "GOES-99"), "unknown satellite"),
        (("--product", "ABI-L3-Foo"), "unknown product"),
        (("--concurrency", "0"), "--concurrency"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    archive: Archive, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    args = fetch_args(archive, tmp_path)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += change
    done = goesvfi(*args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_fill_fetches_only_missing_slots(archive: Archive, tmp_path: Path) -> None:
    names = sorted(n for n in archive.expected if n.startswith("GOES19_CONUS_CH13_20250601T12"))
    for index, name in enumerate(names):
        if index not in (3, 7):
            (tmp_path / name).write_bytes(archive.expected[name])
    done = goesvfi(
        "fetch", "--fill", str(tmp_path), "--source", "s3", "--s3-endpoint", archive.moto.url, "--json"
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["requested"] == 2
    assert payload["downloaded"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in (names[3], names[7]):
        assert (tmp_path / name).read_bytes() == archive.expected[name]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_follow_stops_cleanly_on_ctrl_c_and_sigterm(archive: Archive, tmp_path: Path, signum: int) -> None:
    args = [
        "fetch", "--follow", "--satellite", "GOES-19", "--dest", str(tmp_path), "--source", "s3",
        "--s3-endpoint", archive.moto.url, "--json",
    ]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "goesvfi", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())  # blocks until the first poll finished
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert first["failed"] == []
    assert first["downloaded"] == 3
    assert "Traceback" not in err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3
    for name in names:
        assert (tmp_path / name).read_bytes() == archive.expected[name]
    assert out.strip() == ""  # the poll was waiting; nothing more was fetched


def test_doctor_reports_each_source_without_hanging(archive: Archive) -> None:
    env_url = closed_port_url()
    done = goesvfi("doctor", "--json", "--s3-endpoint", archive.moto.url, "--cdn-base", env_url, timeout=30)
    assert done.returncode == 1
    payload = json.loads(done.stdout)
    status = {check["name"]: check["status"] for check in payload["checks"]}
    assert status["s3"] == "ok"
    assert status["cdn"] == "fail"
    assert status["python"] == "ok"
    assert payload["healthy"] is False
    assert os.environ["XDG_CACHE_HOME"] in next(
        c["detail"] for c in payload["checks"] if c["name"] == "cache"
    )


def test_progress_bar_on_a_terminal(archive: Archive, tmp_path: Path) -> None:
    import pty
    import threading

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # keep reading so the child never blocks on a full terminal buffer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    process = subprocess.Popen(
        [sys.executable, "-m", "goesvfi", *fetch_args(archive, tmp_path, "--json")],
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    out, _ = process.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    bar = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0
    assert f"] {COUNT}/{COUNT} " in bar
    assert "MB/s" in bar
    assert json.loads(out)["downloaded"] == COUNT  # stdout stays pure JSON
