"""Benchmark a job's segments as Dask tasks: here, on ``local:1`` and on ``local:2``.

    .venv/bin/python bench/bench_cluster.py                       # 121 frames 320x192, x4, 60-frame segments
    .venv/bin/python bench/bench_cluster.py --frames 121 --size 640x384 --json out.json

For each run it prints the wall time, the segment phase (first segment task submitted to last
segment recorded) and, on a cluster, the mean task time measured inside the worker. The overhead per
segment (scheduling, sending the task, the segment's bytes back, storing and recording it at the
client) is what the segment phase holds beyond the workers' own time:

    overhead = (phase x workers - sum of task times) / segments

on ``local:1`` this is exact (tasks run one after another); on ``local:2`` it also holds the idle
time of the worker that finished first. From the ``local:1`` figures it prints the speed-up the
simple model of docs/cluster.md expects at 10 and 100 workers. It prints figures; it never
passes or fails on them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))


def _job(frames: Path, out: Path, cluster: str, args: argparse.Namespace) -> dict[str, Any]:
    from goesvfi.core.config import Settings
    from goesvfi.core.jobs.progress import ProgressEvent
    from goesvfi.core.pipeline import build_pipeline_request, run_pipeline, settings_with
    from goesvfi.core.pipeline import cluster as cluster_module

    settings = settings_with(
        Settings(),
        {
            "vfi.backend": "flow",
            "pipeline.multiplier": args.multiplier,
            "pipeline.segment_frames": args.segment_frames,
            "encode.preset": "ultrafast",
            "pipeline.cluster": cluster,
        },
    )
    request = build_pipeline_request(settings, input_dir=frames, output=out / "out.mp4", job_dir=out / "job")
    marks: dict[str, float] = {}
    timings: list[Any] = []
    real = cluster_module.run_on_cluster

    def record(*a: Any) -> Any:
        made = real(*a)
        timings.append(made)
        return made

    def progress(event: ProgressEvent) -> None:
        if event.level == "stage" and event.done == 0:
            marks.setdefault(event.name, time.perf_counter())
            marks.setdefault(f"{event.name}.wall", time.time())  # to compare with the workers' clocks

    cluster_module.run_on_cluster = record  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        result = run_pipeline(request, progress=progress)
        wall = time.perf_counter() - started
    finally:
        cluster_module.run_on_cluster = real  # type: ignore[assignment]
    segments = result.segments_total
    phase = marks["join"] - marks["interpolate"]
    row: dict[str, Any] = {
        "where": cluster or "here",
        "wall_s": wall,
        "segments": segments,
        "frames_per_segment": result.output_frames / segments,
        "phase_s": phase,
        "serial_s": wall - phase,
        "segment_s": phase / segments,
    }
    if timings:
        made = timings[0]
        tasks = made.tasks
        gaps = []  # a worker idle between two of its tasks: scheduling and sending the task
        for pid in {t.pid for t in tasks}:
            mine = sorted((t for t in tasks if t.pid == pid), key=lambda t: t.began)
            gaps += [b.began - a.ended for a, b in itertools.pairwise(mine)]
        row.update(
            workers=made.workers,
            start_s=phase - made.phase_seconds,  # LocalCluster start (or connect)
            first_s=min(t.began for t in tasks) - marks["interpolate.wall"],  # start, submit, imports
            task_s=statistics.median(t.ended - t.began for t in tasks),
            scheduling_ms=1000 * statistics.median(gaps) if gaps else None,
            transfer_ms=1000 * statistics.median(t.received - t.ended for t in tasks),
            client_ms=1000 * statistics.median(t.recorded - t.received for t in tasks),
            overhead_ms=1000
            * (made.phase_seconds * made.workers - sum(t.ended - t.began for t in tasks))
            / len(tasks),
        )
    return row


def speedup(serial: float, compute: float, overhead: float, client: float, workers: int) -> float:
    """Expected speed-up over one worker for a long job (many segments per worker), all per
    segment: the serial part (finding and checking frames, joining) stays; each segment costs
    its compute plus the scheduling and transfer overhead, shared by ``workers``; and the client
    stores and records the segments one at a time, so it cannot take them faster than ``client``."""
    return (serial + compute) / (serial + max((compute + overhead) / workers, client))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=121, help="input frames")
    parser.add_argument("--size", default="320x192", help="WxH of the frames")
    parser.add_argument("--multiplier", type=int, default=4)
    parser.add_argument("--segment-frames", type=int, default=60, help="output frames per segment")
    parser.add_argument("--clusters", nargs="+", default=["local:1", "local:2"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from pipeline_support import make_frames

    width, height = (int(v) for v in args.size.split("x"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        frames = Path(tmp) / "frames"
        make_frames(frames, args.frames, width, height)
        for cluster in ["", *args.clusters]:
            rows.append(_job(frames, Path(tmp) / (cluster.replace(":", "") or "here"), cluster, args))
    print(
        f"{args.frames} frames {args.size} x{args.multiplier}, segments of {args.segment_frames} frames, flow"
    )
    print(
        f"{'where':<9}{'wall s':>8}{'seg s':>7}{'start s':>8}{'1st s':>7}{'task s':>8}"
        f"{'sched ms':>9}{'xfer ms':>8}{'client ms':>10}{'% of task':>10}{'all-in ms':>10}"
    )
    for row in rows:
        line = f"{row['where']:<9}{row['wall_s']:>8.2f}{row['segment_s']:>7.3f}"
        if "task_s" in row:
            scheduling = row["scheduling_ms"] or 0.0
            share = (scheduling + row["transfer_ms"]) / 10 / row["task_s"]
            line += f"{row['start_s']:>8.2f}{row['first_s']:>7.2f}{row['task_s']:>8.3f}{scheduling:>9.1f}"
            line += f"{row['transfer_ms']:>8.1f}{row['client_ms']:>10.1f}{share:>9.1f}%"
            line += f"{row['overhead_ms']:>10.0f}"
        print(line)
    base = next((r for r in rows if r["where"] == "local:1"), None)
    if base is not None:
        here = rows[0]
        serial = here["serial_s"] / here["segments"]
        compute = base["task_s"]
        overhead = ((base["scheduling_ms"] or 0.0) + base["transfer_ms"]) / 1000
        client = base["client_ms"] / 1000
        print(
            f"model (docs/cluster.md), per segment: serial {serial * 1000:.0f} ms, "
            f"compute {compute * 1000:.0f} ms, "
            f"overhead {overhead * 1000:.1f} ms, client {client * 1000:.1f} ms "
            f"(one process here: {here['segment_s'] * 1000:.0f} ms a segment)"
        )
        for workers in (10, 100):
            expected = speedup(serial, compute, overhead, client, workers)
            print(
                f"expected speed-up at {workers:>3} workers "
                f"(a job of {workers * 10}+ segments): {expected:5.1f}x"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
