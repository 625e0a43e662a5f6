"""A job's segments as Dask tasks on a LocalCluster of real worker processes (issue: cluster).

Proof: the same frames as a local run (``local:2`` through the CLI, and a scheduler address);
a worker killed mid-job (its tasks run again elsewhere, same frames); a client killed mid-job
and resumed (the recorded segments are not made again: tasks counted on the scheduler); an
unreachable scheduler (one line, exit 1, no output); progress events; no dask without a cluster.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import wait_until
from pipeline_support import decode, make_frames

from goesvfi.core.config import Settings
from goesvfi.core.jobs.checkpoint import JobFolder
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.pipeline import build_pipeline_request, run_pipeline, settings_with

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

WIDTH, HEIGHT, FRAMES = 96, 64, 12
JOB = {
    "vfi.backend": "flow",
    "pipeline.multiplier": 2,
    "pipeline.segment_frames": 4,  # 2 pairs a segment: 6 segments
    "encode.preset": "ultrafast",
}
SEGMENTS = 6


class TaskCounter(distributed.diagnostics.plugin.SchedulerPlugin):  # type: ignore[misc]
    """Every segment task the scheduler starts (a task started twice is counted twice)."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.workers: list[str] = []  # the worker each start went to
        self.scheduler: Any = None  # set by the fixture (add_plugin does not call start)

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "processing" and str(key).startswith("goesvfi-segment-"):
            self.started.append(str(key))
            self.workers.append(self.scheduler.tasks[key].processing_on.address)


@pytest.fixture(scope="module")
def cluster() -> Any:
    local = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    counter = TaskCounter()
    counter.scheduler = local.scheduler
    local.scheduler.add_plugin(counter)
    client = distributed.Client(local)
    try:
        yield local, client, counter
    finally:
        client.close()
        local.close()


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("frames")
    make_frames(folder, FRAMES, WIDTH, HEIGHT)
    return folder


def _request(frames: Path, tmp: Path, cluster: str = "", *, resume: bool = False) -> Any:
    settings = settings_with(Settings(), {**JOB, "pipeline.cluster": cluster})
    return build_pipeline_request(
        settings, input_dir=frames, output=tmp / "out.mp4", job_dir=tmp / "job", resume=resume
    )


@pytest.fixture(scope="module")
def reference(frames_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The decoded frames of the job run in this process."""
    tmp = tmp_path_factory.mktemp("local")
    run_pipeline(_request(frames_dir, tmp))
    return decode(tmp / "out.mp4", WIDTH, HEIGHT)


def _png_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.png"))}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOESVFI_PIPELINE__SEGMENT_FRAMES": "4"}  # several segments
    return subprocess.run(
        [sys.executable, "-m", "goesvfi", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
    )


def test_local_cluster_from_the_cli_makes_the_same_frames(
    frames_dir: Path, tmp_path: Path, reference: np.ndarray
) -> None:
    flags = ["--interpolator", "flow", "--multiplier", "2", "--preset", "ultrafast"]
    for name, extra in (("here", []), ("cluster", ["--cluster", "local:2"])):
        out = tmp_path / name
        result = _cli(
            "run", str(frames_dir), "-o", str(out / "out.mp4"), "--frames-out", str(out / "png"),
            "--job-dir", str(out / "job"), *flags, *extra,
            "--json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert len(_png_hashes(tmp_path / "cluster" / "png")) == (FRAMES - 1) * 2 + 1
    assert _png_hashes(tmp_path / "cluster" / "png") == _png_hashes(tmp_path / "here" / "png")
    assert np.array_equal(decode(tmp_path / "cluster" / "out.mp4", WIDTH, HEIGHT), reference)


def test_a_killed_worker_is_replaced_and_the_frames_are_the_same(
    cluster: Any, frames_dir: Path, tmp_path: Path, reference: np.ndarray
) -> None:
    local, client, counter = cluster
    pids = list(client.run(os.getpid).values())
    counter.started.clear()
    events: list[ProgressEvent] = []
    killed: list[int] = []

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.level == "job" and event.name == "segments" and not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)  # mid-job: the first segment is in, five are not

    result = run_pipeline(_request(frames_dir, tmp_path, local.scheduler_address), progress=progress)
    assert killed
    assert np.array_equal(decode(tmp_path / "out.mp4", WIDTH, HEIGHT), reference)
    assert result.output_frames == (FRAMES - 1) * 2 + 1
    assert len(counter.started) > SEGMENTS  # the dead worker's task(s) ran again
    frames = [e for e in events if e.level == "item" and e.name == "frames"]
    assert [e.done for e in frames] == sorted(e.done for e in frames)
    assert frames[-1].done == frames[-1].total == result.output_frames
    assert any(e.eta_s is not None for e in frames)
    segments = [e.done for e in events if e.level == "job" and e.name == "segments"]
    assert segments[0] >= 1
    wait_until(lambda: len(client.scheduler_info()["workers"]) == 2, timeout=120, message="no new worker")


_KILLED_CLIENT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from goesvfi.core.config import Settings
    from goesvfi.core.pipeline import build_pipeline_request, run_pipeline, settings_with

    def progress(event):
        if event.level == "job" and event.name == "segments" and event.done >= 2:
            os.kill(os.getpid(), signal.SIGKILL)

    if __name__ == "__main__":
        job, frames, tmp, address = json.loads(sys.argv[1])
        settings = settings_with(Settings(), {**job, "pipeline.cluster": address})
        request = build_pipeline_request(
            settings, input_dir=Path(frames), output=Path(tmp) / "out.mp4", job_dir=Path(tmp) / "job"
        )
        run_pipeline(request, progress=progress)
    """
).replace("import os,", "import json, os,")


def test_a_killed_client_resumes_without_making_recorded_segments_again(
    cluster: Any, frames_dir: Path, tmp_path: Path, reference: np.ndarray
) -> None:
    local, _client, counter = cluster
    script = tmp_path / "client.py"
    script.write_text(_KILLED_CLIENT, encoding="utf-8")
    argument = json.dumps([JOB, str(frames_dir), str(tmp_path), local.scheduler_address])
    killed = subprocess.run(
        [sys.executable, str(script), argument], capture_output=True, text=True, timeout=240, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "out.mp4").exists()
    recorded = set(JobFolder(tmp_path / "job").read_state().done_segments)
    assert 2 <= len(recorded) < SEGMENTS
    # the dead client's tasks are dropped by the scheduler before the resumed run starts its own
    wait_until(
        lambda: not any(str(k).startswith("goesvfi-segment-") for k in local.scheduler.tasks),
        timeout=60,
        message="the killed client's tasks stayed on the scheduler",
    )
    counter.started.clear()
    result = run_pipeline(_request(frames_dir, tmp_path, local.scheduler_address, resume=True))
    made = {int(key.split("-")[2]) for key in counter.started}
    assert made == set(range(SEGMENTS)) - recorded
    assert len(counter.started) == SEGMENTS - len(recorded)
    assert result.resumed
    assert result.segments_reused == len(recorded)
    assert np.array_equal(decode(tmp_path / "out.mp4", WIDTH, HEIGHT), reference)


def test_an_unreachable_scheduler_is_one_line_and_exit_1(frames_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out.mp4"
    result = _cli(
        "run", str(frames_dir), "-o", str(out), "--job-dir", str(tmp_path / "job"),
        "--interpolator", "flow", "--cluster", f"tcp://127.0.0.1:{port}",
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"tcp://127.0.0.1:{port}" in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_malformed_local_address_names_the_setting(frames_dir: Path, tmp_path: Path) -> None:
    from goesvfi.core.jobs.cluster import ClusterAddressError

    with pytest.raises(ClusterAddressError, match="local cluster needs a number") as caught:
        run_pipeline(_request(frames_dir, tmp_path, "local:many"))
    assert caught.value.setting == "pipeline.cluster"
    assert caught.value.value == "local:many"
    assert "--" not in str(caught.value)


def test_a_local_job_imports_no_dask(frames_dir: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from goesvfi.core.config import Settings
        from goesvfi.core.pipeline import build_pipeline_request, run_pipeline, settings_with

        settings = settings_with(Settings(), {JOB!r})
        request = build_pipeline_request(
            settings, input_dir=Path({str(frames_dir)!r}), output=Path({str(tmp_path / "o.mp4")!r}),
            job_dir=Path({str(tmp_path / "job")!r}),
        )
        run_pipeline(request)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "o.mp4").exists()


def test_render_batch_on_the_cluster_writes_the_same_pngs(cluster: Any, tmp_path: Path) -> None:
    from goesvfi.core.render import build_render_options
    from goesvfi.core.render.batch import render_batch
    from goesvfi.core.render.synthetic import write_sequence

    local, _client, _counter = cluster
    files = write_sequence(tmp_path / "nc", 3, shape=(60, 100))
    broken = tmp_path / "nc" / "OR_ABI-L1b-RadC-M6C13_G19_s20250010000000_e0_c0.nc"
    broken.write_bytes(b"not a NetCDF file")
    options = build_render_options(Settings().render, colour="native")
    here = render_batch(files, tmp_path / "here", options)
    seen: list[Path] = []
    there = render_batch(
        [*files, broken], tmp_path / "there", options,
        on_result=lambda path, result, message: seen.append(path), cluster=local.scheduler_address,
    )  # fmt: skip
    assert [r.input for r in there.outputs] == [r.input for r in here.outputs] == files
    assert [path for path, _ in there.errors] == [broken]
    assert sorted(seen) == sorted([*files, broken])
    assert _png_hashes(tmp_path / "there") == _png_hashes(tmp_path / "here")
    assert not list((tmp_path / "there").glob(".*"))  # no temporary files left


def test_workers_keep_the_interpolator_between_segments(
    cluster: Any, frames_dir: Path, tmp_path: Path
) -> None:
    local, client, counter = cluster
    counter.started.clear()
    run_pipeline(_request(frames_dir, tmp_path, local.scheduler_address))
    assert len(counter.started) == SEGMENTS
    # interpolators a worker keeps loaded for its next task, per options: one per pair worker
    # thread (at most 2 here), not one per segment
    pools = client.run(
        lambda: {
            k: len(v) for k, v in __import__("goesvfi.core.pipeline.cluster", fromlist=["_"])._POOL.items()
        }
    )
    kept = [count for pool in pools.values() for count in pool.values()]
    assert kept, "the workers keep no interpolator between tasks"
    assert max(kept) <= 2 < SEGMENTS


def test_cancel_through_the_control_file_stops_the_tasks_and_keeps_the_segments(
    cluster: Any, frames_dir: Path, tmp_path: Path
) -> None:
    from goesvfi.core.jobs.control import CancelledByUser, ControlFile

    local, _client, _counter = cluster

    def progress(event: ProgressEvent) -> None:
        if event.level == "job" and event.name == "segments":
            ControlFile.request(tmp_path / "job", "cancel")

    with pytest.raises(CancelledByUser):
        run_pipeline(_request(frames_dir, tmp_path, local.scheduler_address), progress=progress)
    state = JobFolder(tmp_path / "job").read_state()
    assert state.status == "interrupted"
    assert 1 <= len(state.done_segments) < SEGMENTS
    assert not (tmp_path / "out.mp4").exists()
    wait_until(
        lambda: not any(str(k).startswith("goesvfi-segment-") for k in local.scheduler.tasks),
        timeout=60,
        message="the cancelled job's tasks stayed on the scheduler",
    )


def test_rife_segments_go_to_the_gpu_workers(cluster: Any, frames_dir: Path, tmp_path: Path) -> None:
    """Workers started with ``--resources GPU=1`` take every RIFE task (here on the CPU)."""
    from goesvfi.core.vfi import best_available

    if best_available(Settings().vfi.models_dir, Settings().vfi.rife_model) != "rife":
        pytest.skip("the RIFE weights are not installed")
    local, client, counter = cluster
    before = set(client.scheduler_info()["workers"])
    gpu = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", local.scheduler_address,
         "--nthreads", "1", "--no-nanny", "--resources", "GPU=1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: len(client.scheduler_info()["workers"]) == len(before) + 1, timeout=120)
        (address,) = set(client.scheduler_info()["workers"]) - before
        counter.started.clear()
        counter.workers.clear()
        settings = settings_with(
            Settings(),
            {**JOB, "vfi.backend": "rife", "vfi.device": "cpu", "pipeline.cluster": local.scheduler_address},
        )
        request = build_pipeline_request(
            settings, input_dir=frames_dir, output=tmp_path / "out.mp4", job_dir=tmp_path / "job"
        )
        result = run_pipeline(request)
        assert result.output_frames == (FRAMES - 1) * 2 + 1
        assert len(counter.workers) == SEGMENTS
        assert set(counter.workers) == {address}
    finally:
        gpu.terminate()
        gpu.wait(timeout=60)
    wait_until(lambda: set(client.scheduler_info()["workers"]) == before, timeout=60)


def test_segments_come_back_through_the_shared_folder(
    cluster: Any, frames_dir: Path, tmp_path: Path, reference: np.ndarray
) -> None:
    local, _client, _counter = cluster
    shared = tmp_path / "shared"
    settings = settings_with(
        Settings(),
        {**JOB, "pipeline.cluster": local.scheduler_address, "pipeline.cluster_shared_dir": shared},
    )
    request = build_pipeline_request(
        settings, input_dir=frames_dir, output=tmp_path / "out.mp4", job_dir=tmp_path / "job"
    )
    run_pipeline(request)
    assert np.array_equal(decode(tmp_path / "out.mp4", WIDTH, HEIGHT), reference)
    assert (shared / "job").is_dir()  # the workers wrote there ...
    assert not [p for p in shared.rglob("*") if p.is_file()]  # ... and the client took every segment
