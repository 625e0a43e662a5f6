"""Benchmark: the whole ``goesvfi run`` pipeline versus its stages measured alone.

For each backend (flow, and rife at scale 0.5 when its weights are installed), on the same
synthetic 1024² PNG frames with multiplier 4:

* decode alone: read, check and decode every input frame (``FrameSource.load``);
* interpolate alone: every pair, frames already in memory;
* encode alone: every output frame piped into one ffmpeg with the default settings;
* pipeline: ``goesvfi run`` in a child process (decode-ahead thread, interpolation, ffmpeg in
  its own process, checkpoint segments, final join), with its peak RSS.

It prints the wall time of each, the sum of the stages, the pipeline's overhead over
interpolation alone (target <= 15 %), output frames/s and peak RSS. Figures only, never
pass/fail: the machine may be shared. Usage::

    python bench/bench_pipeline.py [--frames 60] [--rife-frames 60] [--size 1024] [--multiplier 4]
                                   [--backends flow,rife] [--preset slow] [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

CHILD = """
import json, sys, time
from goesvfi.cli import main
start = time.perf_counter()
code = main(sys.argv[1:])
wall = time.perf_counter() - start
peak = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({"code": code, "wall": wall, "peak_mb": peak}), file=sys.stderr)
"""


def make_frames(folder: Path, count: int, size: int) -> list[Path]:
    """Cloud-like smooth noise drifting 6 px per frame, with a slow brightness change."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    big = size + 6 * count + 64
    noise = rng.random((big, big)).astype(np.float32)
    field = cv2.GaussianBlur(noise, (0, 0), 9) + 0.5 * cv2.GaussianBlur(noise, (0, 0), 3)
    field = (field - field.min()) / (field.max() - field.min())
    paths = []
    for k in range(count):
        crop = field[k * 3 : k * 3 + size, k * 6 : k * 6 + size]
        grey = np.clip(crop * 255 * (0.9 + 0.1 * np.sin(k / 7)), 0, 255).astype(np.uint8)
        rgb = np.stack([grey, grey, np.maximum(grey, 60)], axis=2)
        when = datetime(2025, 5, 8, tzinfo=UTC) + timedelta(minutes=10 * k)
        path = folder / f"GOES19_FD_CH13_{when:%Y%m%dT%H%M%S}Z.png"
        cv2.imwrite(str(path), rgb[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
        paths.append(path)
    return paths


def stages_alone(folder: Path, backend: str, scale: float, multiplier: int, preset: str) -> dict[str, float]:
    from goesvfi.core.encode import EncodeSettings, FrameWriter, resolve_ffmpeg
    from goesvfi.core.pipeline.frames import discover_frames, inspect_frames
    from goesvfi.core.pipeline.source import FrameSource
    from goesvfi.core.vfi import create_interpolator

    times: dict[str, float] = {}
    start = time.perf_counter()
    infos, _ = inspect_frames(discover_frames(folder), timeout_s=60, on_bad_frame="stop", resize=False)
    source = FrameSource(infos, crop=None, colour="none", resize=False, timeout_s=60)
    inputs = [source.load(i) for i in range(len(infos))]
    times["decode"] = time.perf_counter() - start

    options = {"scale": scale} if backend == "rife" else {}
    interpolator = create_interpolator(backend, **options)
    interpolator.interpolate(inputs[0], inputs[1], [0.5])  # warm-up (model, threads)
    ts = [k / multiplier for k in range(1, multiplier)]
    outputs: list[np.ndarray] = []
    start = time.perf_counter()
    for a, b in itertools.pairwise(inputs):
        outputs.append(a)
        outputs.extend(interpolator.interpolate(a, b, ts))
    outputs.append(inputs[-1])
    times["interpolate"] = time.perf_counter() - start
    interpolator.close()

    height, width = inputs[0].shape[:2]
    ffmpeg = resolve_ffmpeg()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "alone.mp4"
        settings = EncodeSettings(preset=preset)  # type: ignore[arg-type]
        with FrameWriter.open(settings, target, width=width, height=height, fps=30, ffmpeg=ffmpeg) as writer:
            for frame in outputs:
                writer.write(frame)
            writer.finish(len(outputs))
    times["encode"] = time.perf_counter() - start
    times["frames_out"] = len(outputs)
    return times


def pipeline(
    folder: Path, work: Path, backend: str, scale: float, multiplier: int, preset: str
) -> dict[str, float]:
    argv = [
        "run", str(folder), "-o", str(work / f"{backend}.mp4"), "--job-dir", str(work / f"job-{backend}"),
        "--interpolator", backend, "--scale", str(scale), "--multiplier", str(multiplier),
        "--preset", preset, "--json",
    ]  # fmt: skip
    env = {**os.environ, "GOESVFI_LOG_FILE": "0"}
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"pipeline failed: {done.stderr}")
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    result = json.loads(done.stdout)
    return {"wall": stats["wall"], "peak_mb": stats["peak_mb"], "frames_out": result["output_frames"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rife-frames", type=int, default=60, help="input frames for the rife run")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--multiplier", type=int, default=4)
    parser.add_argument("--backends", default="flow,rife")
    parser.add_argument("--preset", default="slow", help="x264 preset (the default setting is slow)")
    parser.add_argument("--keep", type=Path, help="keep frames and videos in this folder")
    args = parser.parse_args()

    from goesvfi.core.vfi import available_backends

    ready = available_backends()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    print(f"cpu cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, preset {args.preset}")
    for backend in args.backends.split(","):
        if ready.get(backend) != "ready":
            print(f"{backend}: skipped ({ready.get(backend)})")
            continue
        count = args.rife_frames if backend == "rife" else args.frames
        scale = 0.5 if backend == "rife" else 1.0
        folder = work / f"frames-{count}"
        if not folder.is_dir():
            make_frames(folder, count, args.size)
        alone = stages_alone(folder, backend, scale, args.multiplier, args.preset)
        run = pipeline(folder, work, backend, scale, args.multiplier, args.preset)
        total = alone["decode"] + alone["interpolate"] + alone["encode"]
        overhead = run["wall"] / alone["interpolate"] - 1
        print(
            f"{backend} (scale {scale}) {count} frames {args.size}² x{args.multiplier} "
            f"-> {int(run['frames_out'])}: "
            f"decode {alone['decode']:.1f} s, interpolate {alone['interpolate']:.1f} s, "
            f"encode {alone['encode']:.1f} s (sum {total:.1f} s) | pipeline {run['wall']:.1f} s = "
            f"{run['frames_out'] / run['wall']:.2f} frames/s, overhead over interpolation {overhead:+.0%}, "
            f"peak RSS {run['peak_mb']:.0f} MB"
        )
        sys.stdout.flush()
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
