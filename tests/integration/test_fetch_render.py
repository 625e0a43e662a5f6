"""``goesvfi fetch --render``: files fetched from a real S3-protocol server become PNG frames."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from remote_servers import Moto, abi_key, netcdf_bytes, publish, start_moto

from goesvfi.core.render.synthetic import write_abi_file

T0 = datetime(2025, 6, 1, 12, 1, 17, 300_000, tzinfo=UTC)
SHAPE = (60, 100)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    tmp = tmp_path_factory.mktemp("abi")
    objects = {}
    for k in range(3):  # real ABI L1b files of a moving scene
        start = T0 + timedelta(minutes=5 * k)
        path = write_abi_file(tmp / f"{k}.nc", start=start, shape=SHAPE, seed=1, step=k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = path.read_bytes()
    # a valid NetCDF file that is not ABI data: fetched fine, cannot be rendered
    objects[abi_key(19, "ABI-L1b-RadC", 13, T0 + timedelta(minutes=15))] = netcdf_bytes(tmp, 9)
    moto = start_moto()
    publish(moto.url, "noaa-goes19", objects)
    try:
        yield moto
    finally:
        moto.stop()


def fetch(moto: Moto, dest: Path, end: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        "fetch", "--satellite", "GOES-19", "--product", "ABI-L1b-RadC", "--band", "13",
        "--start", "2025-06-01T12:00Z", "--end", end, "--dest", str(dest),
        "--source", "s3", "--s3-endpoint", moto.url, "--retries", "0", *extra,
    ]  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "goesvfi", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_render_turns_fetched_files_into_frames(archive: Moto, tmp_path: Path) -> None:
    done = fetch(archive, tmp_path, "2025-06-01T12:10Z", "--render", "--colour", "ir-colour", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["downloaded"] == 3
    outputs = payload["rendered"]["outputs"]
    assert payload["rendered"]["errors"] == []
    assert [Path(o["input"]).name for o in outputs] == [Path(f).name for f in payload["files"]]
    frames = [np.asarray(Image.open(o["output"])) for o in outputs]
    assert all(Path(o["output"]).parent == tmp_path / "png" for o in outputs)
    assert all(frame.shape == (SHAPE[0], SHAPE[1], 3) for frame in frames)
    assert not np.array_equal(frames[0], frames[2])  # the scene moves between scans


def test_a_file_that_cannot_be_rendered_is_reported_and_exit_is_1(archive: Moto, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    done = fetch(archive, tmp_path, "2025-06-01T12:16Z", "--render", "--render-out", str(out), "--json")
    assert done.returncode == 1
    payload = json.loads(done.stdout)
    assert payload["downloaded"] == 4
    assert payload["failed"] == []
    assert len(payload["rendered"]["outputs"]) == 3
    (error,) = payload["rendered"]["errors"]
    assert error["input"].endswith("GOES19_CONUS_CH13_20250601T121617Z.nc")
    assert "\n" not in error["message"]
    assert sorted(p.suffix for p in out.iterdir()) == [".png"] * 3


def test_bad_render_table_is_a_user_error_before_any_download(archive: Moto, tmp_path: Path) -> None:
    done = fetch(archive, tmp_path, "2025-06-01T12:10Z", "--render", "--colour", "no-such-table")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "no-such-table" in done.stderr
    assert list(tmp_path.iterdir()) == []
