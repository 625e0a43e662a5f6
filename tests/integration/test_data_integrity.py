"""Data integrity with real ffmpeg, real NetCDF files and real local servers (issue 9, section 3).

Two jobs writing one output, inputs that change or are damaged, NetCDF frames without data,
damaged files under final names, hostile listings, full disks and damaged checkpoints.
"""

from __future__ import annotations

import errno
import json
import logging
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from PIL import Image
from pipeline_support import FFPROBE, CrossFade, decode, make_frames, probe
from remote_servers import LoopThread, Moto, abi_key, netcdf_bytes, publish, start_moto

from goesvfi.cli import main
from goesvfi.core.config import RemoteSettings
from goesvfi.core.encode import EncodeError, EncodeSettings
from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.pipeline import BadFrameError, PipelineRequest, run_pipeline
from goesvfi.core.remote import FetchRequest, fetch_range_sync
from goesvfi.core.remote.fill import fill_request
from goesvfi.core.render.synthetic import write_abi_file
from goesvfi.core.timeindex import canonical_name

pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")
FAST = EncodeSettings(preset="ultrafast")
NC_START = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)
NC_SHAPE = (48, 64)


def _request(tmp_path: Path, **kwargs: Any) -> PipelineRequest:
    values: dict[str, Any] = {
        "input_dir": tmp_path / "in",
        "output": tmp_path / "out.mp4",
        "fps": 12.0,
        "multiplier": 2,
        "encode": FAST,
        "job_dir": tmp_path / "job",
        "segment_frames": 4,
    }
    values.update(kwargs)
    return PipelineRequest(**values)


def _run(tmp_path: Path, **kwargs: Any) -> Any:
    double = CrossFade()
    return run_pipeline(_request(tmp_path, **kwargs), interpolator_factory=lambda name, options: double)


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if p.is_file())


def _nc_frames(folder: Path, count: int, *, band: int = 13) -> list[Path]:
    paths = []
    for k in range(count):
        start = NC_START + timedelta(minutes=10 * k)
        name = canonical_name(19, "CONUS", 13, start, "nc")
        paths.append(
            write_abi_file(folder / name, band=band, start=start, shape=NC_SHAPE, seed=1, step=k, noise=0)
        )
    return paths


# ------------------------------------------------------------------ two jobs, one output


def test_two_flow_jobs_writing_one_output_each_finish_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_frames(tmp_path / "a", 3, width=128, height=96)
    make_frames(tmp_path / "b", 4, width=128, height=96)
    refs = {}
    for name in ("a", "b"):
        request = _request(
            tmp_path, input_dir=tmp_path / name, output=tmp_path / f"{name}.mp4", interpolator="flow",
            job_dir=tmp_path / f"ref_{name}",
        )  # fmt: skip
        run_pipeline(request)
        refs[name] = decode(tmp_path / f"{name}.mp4", 128, 96)

    # Both joins run at the same moment: each waits for the other before starting ffmpeg.
    at_join = threading.Barrier(2, timeout=120)
    real_run = subprocess.run

    def run(command: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(command, list) and "concat" in command:
            at_join.wait()
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    shared = tmp_path / "shared" / "out.mp4"
    errors: list[BaseException] = []

    def job(name: str) -> None:
        try:
            request = _request(
                tmp_path, input_dir=tmp_path / name, output=shared, interpolator="flow",
                job_dir=tmp_path / f"job_{name}",
            )  # fmt: skip
            run_pipeline(request)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    frames = decode(shared, 128, 96)
    assert any(frames.shape == ref.shape and np.array_equal(frames, ref) for ref in refs.values())
    assert _hidden(tmp_path / "shared") == []


# ------------------------------------------------------------------ NetCDF inputs


def test_a_netcdf_input_changed_during_the_run_is_detected(tmp_path: Path) -> None:
    paths = _nc_frames(tmp_path / "in", 12)
    double = CrossFade()
    changed = threading.Event()

    class Changing(CrossFade):
        def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Any) -> list[np.ndarray]:
            if not changed.is_set():  # first pair: the last frame is still far ahead
                changed.set()
                write_abi_file(paths[-1], start=NC_START, shape=NC_SHAPE, seed=7, noise=0)
            return double.interpolate(frame0, frame1, times)

    with pytest.raises(BadFrameError, match="changed while the job ran"):
        run_pipeline(_request(tmp_path), interpolator_factory=lambda name, options: Changing())
    assert changed.is_set()


def _zero_fill(path: Path) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "a") as ds:
        var = ds.variables["Rad"]
        var.set_auto_maskandscale(False)
        var[:] = np.full(var.shape, var.getncattr("_FillValue"), dtype=var.dtype)


def _nan_scale(path: Path) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "a") as ds:
        ds.variables["Rad"].scale_factor = np.float32(np.nan)


def test_bad_netcdf_frames_are_skipped_before_encoding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _nc_frames(tmp_path / "in", 7)
    paths[1].write_bytes(b"")
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) // 2])
    wrong = write_abi_file(tmp_path / "band2.nc", band=2, start=NC_START, shape=NC_SHAPE, noise=0)
    wrong.replace(paths[3])
    _zero_fill(paths[4])
    _nan_scale(paths[5])
    with caplog.at_level(logging.WARNING):
        result = _run(tmp_path, on_bad_frame="skip")
    reasons = dict(result.skipped)
    assert sorted(reasons) == sorted(p.name for p in paths[1:6])
    assert "empty" in reasons[paths[1].name]
    assert "truncated" in reasons[paths[2].name]
    assert "band 2" in reasons[paths[3].name]
    assert "no valid data" in reasons[paths[4].name]
    assert "no valid data" in reasons[paths[5].name]
    assert "mixes frames of GOES-19 band 13 CONUS (2), GOES-19 band 2 CONUS (1)" in caplog.text
    assert result.input_frames == 2
    assert probe(tmp_path / "out.mp4")["frames"] == 3


def test_a_netcdf_frame_without_data_stops_the_run_by_default(tmp_path: Path) -> None:
    paths = _nc_frames(tmp_path / "in", 3)
    _zero_fill(paths[1])
    with pytest.raises(BadFrameError, match="holds no valid data"):
        _run(tmp_path)
    assert not (tmp_path / "out.mp4").exists()


def test_one_odd_frame_sorted_first_does_not_make_the_others_bad(tmp_path: Path) -> None:
    paths = make_frames(tmp_path / "in", 5)
    Image.fromarray(np.zeros((40, 64, 3), np.uint8)).save(paths[0])
    result = _run(tmp_path, on_bad_frame="skip")
    assert [name for name, _ in result.skipped] == [paths[0].name]
    assert result.input_frames == 4


# ------------------------------------------------------------------ full disks


def test_a_full_disk_at_the_join_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_frames(tmp_path / "in", 3)
    real_run = subprocess.run

    def run(command: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(command, list) and "concat" in command:
            Path(command[-1]).write_bytes(b"\0" * (3 << 20))  # ffmpeg wrote 3 MB, then the disk filled
            return subprocess.CompletedProcess(command, 1, "", "out.mp4: No space left on device")
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(EncodeError, match="No space left"):
        _run(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_full_disk_in_frames_out_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_frames(tmp_path / "in", 3)
    frames_out = tmp_path / "frames"
    real_write = Path.write_bytes
    written = []

    def write_bytes(self: Path, data: Any) -> int:
        if self.parent == frames_out and self.name.startswith(".frame_"):  # a frame's temporary file
            if len(written) >= 2:
                real_write(self, bytes(data)[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(OSError, match="No space left"):
        _run(tmp_path, output=None, frames_out=frames_out)
    assert len(list(frames_out.glob("frame_*.png"))) == 2
    assert [p.name for p in frames_out.iterdir() if p.name.startswith(".")] == []


def test_render_json_stays_valid_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.render import png

    source = _nc_frames(tmp_path / "in", 1)[0]

    def full(self: Any, rows: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(png.PngStreamWriter, "write_rows", full)
    code = main(["render", str(source), "--out", str(tmp_path / "out"), "--json"])
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert code == 1
    assert payload["outputs"] == []
    assert "No space left on device" in payload["errors"][0]["message"]
    assert "Traceback" not in captured.err
    assert list((tmp_path / "out").iterdir()) == []


# ------------------------------------------------------------------ damaged checkpoints


def test_a_damaged_segment_is_made_again_on_resume(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_frames(tmp_path / "in", 9)
    cancel = CancelToken()

    def progress(event: ProgressEvent) -> None:
        if event.level == "job" and event.name == "segments" and event.done >= 1:
            cancel.cancel("test")

    request = _request(tmp_path, segment_frames=4)
    with pytest.raises(CancelledByUser):
        run_pipeline(request, progress=progress, cancel=cancel, interpolator_factory=lambda n, o: CrossFade())
    segment = tmp_path / "job" / "segments" / "seg_00000.nut"
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        result = run_pipeline(
            _request(tmp_path, segment_frames=4, resume=True), interpolator_factory=lambda n, o: CrossFade()
        )
    assert "segment 0 of" in caplog.text
    assert "is damaged" in caplog.text
    assert result.resumed
    assert probe(tmp_path / "out.mp4")["frames"] == result.output_frames == 17


# ------------------------------------------------------------------ fetch: damaged files, hostile servers

BUCKET = "noaa-goes19"
T0 = datetime(2025, 6, 1, 0, 1, 17, 300_000, tzinfo=UTC)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Moto, dict[str, bytes]]]:
    tmp = tmp_path_factory.mktemp("objects")
    server = start_moto()
    objects: dict[str, bytes] = {}
    expected: dict[str, bytes] = {}
    for k in range(6):
        start = T0 + timedelta(minutes=5 * k)
        data = netcdf_bytes(tmp, k)
        objects[abi_key(19, "ABI-L1b-RadC", 13, start)] = data
        expected[canonical_name(19, "CONUS", 13, start, "nc")] = data
    publish(server.url, BUCKET, objects)
    try:
        yield server, expected
    finally:
        server.stop()


def _settings(**values: Any) -> RemoteSettings:
    base: dict[str, Any] = {"retries": 2, "backoff_initial_s": 0.005, "backoff_max_s": 0.02}
    return RemoteSettings.model_validate({**base, **values})


def _fetch(dest: Path, cfg: RemoteSettings) -> dict[str, Any]:
    end = T0 + timedelta(minutes=26)
    request = FetchRequest("GOES-19", "ABI-L1b-RadC", 13, dest, start=T0, end=end, settings=cfg)
    return fetch_range_sync(request).to_json()


def test_damaged_files_under_final_names_are_fetched_again(
    moto: tuple[Moto, dict[str, bytes]], tmp_path: Path
) -> None:
    server, expected = moto
    cfg = _settings(source="s3", s3_endpoint=server.url)
    assert _fetch(tmp_path, cfg)["downloaded"] == 6
    names = sorted(expected)
    (tmp_path / names[0]).write_bytes(b"")  # empty
    data = expected[names[1]]
    (tmp_path / names[1]).write_bytes(data[: len(data) // 2])  # truncated: the HDF5 superblock tells
    (tmp_path / names[2]).write_bytes(data + b"junk")  # whole by signature, but not the listed size
    again = _fetch(tmp_path, cfg)
    assert again["downloaded"] == 3
    assert again["skipped_existing"] == 3
    for name in names:
        assert (tmp_path / name).read_bytes() == expected[name], name


def test_fill_fetches_damaged_frames_too(moto: tuple[Moto, dict[str, bytes]], tmp_path: Path) -> None:
    server, expected = moto
    names = sorted(expected)
    for name in names:
        (tmp_path / name).write_bytes(expected[name])
    data = expected[names[3]]
    (tmp_path / names[3]).write_bytes(data[: len(data) // 3])
    request = fill_request(tmp_path, settings=_settings(source="s3", s3_endpoint=server.url))
    assert [canonical_name(19, "CONUS", 13, t, "nc") for t in request.times] == [names[3]]
    result = fetch_range_sync(request).to_json()
    assert result["downloaded"] == 1
    assert (tmp_path / names[3]).read_bytes() == expected[names[3]]


def test_an_endless_s3_listing_stops_at_the_entry_cap(
    moto: tuple[Moto, dict[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goesvfi.core.remote import s3

    server, _ = moto
    monkeypatch.setattr(s3, "MAX_LISTING_ENTRIES", 3)
    payload = _fetch(tmp_path, _settings(source="s3", s3_endpoint=server.url))
    assert payload["downloaded"] == 0
    assert "holds more than 3 objects" in payload["failed"][0]["message"]


class Endless:
    """A server whose listings never end (bounded here at 16 MB, far above the patched caps):
    an S3 endpoint's ListObjectsV2 and a CDN's index pages."""

    LIMIT = 16 << 20

    def __init__(self) -> None:
        self.sent = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        s3 = "list-type" in request.query
        response = web.StreamResponse(headers={"Content-Type": "application/xml" if s3 else "text/html"})
        await response.prepare(request)
        if s3:
            await response.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>')
            item = b"<Contents><Key>ABI-L1b-RadC/x.nc</Key><Size>1</Size><ETag>x</ETag></Contents>"
        else:
            item = b'<a href="20250101000_GOES19-ABI-CONUS-13-1250x750.jpg">x</a>\n'
        block = item * 1000
        while self.sent < self.LIMIT:
            await response.write(block)
            self.sent += len(block)
        await response.write(b"</ListBucketResult>" if s3 else b"</html>")
        return response


@pytest.fixture
def endless() -> Iterator[tuple[str, Endless]]:
    loop = LoopThread()
    server = Endless()
    app = web.Application()
    app.router.add_get("/{tail:.*}", server.handle)
    url = loop.serve(app)
    try:
        yield url, server
    finally:
        loop.stop()


def test_an_endless_cdn_index_page_stops_at_the_byte_cap(
    endless: tuple[str, Endless], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goesvfi.core.remote import cdn

    monkeypatch.setattr(cdn, "MAX_INDEX_BYTES", 1 << 20)
    url, server = endless
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cfg = _settings(source="cdn", cdn_base=url)
    when = (now - timedelta(hours=1),)
    request = FetchRequest("GOES-19", "ABI-L1b-RadC", 13, tmp_path, times=when, settings=cfg)
    payload = fetch_range_sync(request).to_json()
    assert payload["downloaded"] == 0
    assert "larger than 1 MB" in payload["failed"][0]["message"]
    assert server.sent < Endless.LIMIT  # the client stopped reading long before the server's end


def test_an_endless_s3_listing_stops_at_the_byte_cap(
    endless: tuple[str, Endless], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goesvfi.core.remote import s3

    monkeypatch.setattr(s3, "MAX_LISTING_BYTES", 1 << 20)
    url, server = endless
    payload = _fetch(tmp_path, _settings(source="s3", s3_endpoint=url))
    assert payload["downloaded"] == 0
    assert "larger than 1 MB" in payload["failed"][0]["message"]
    assert server.sent < Endless.LIMIT
