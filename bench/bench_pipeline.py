"""Benchmark: the whole ``goesvfi run`` pipeline versus its stages measured alone.

For each backend (flow, and rife at scale 0.5 when its weights are installed), on the same
synthetic 1024² PNG frames with multiplier 4:

* decode alone: read, check and decode every input frame (``FrameSource.load``);
* interpolate alone: every pair, frames already in memory, one pair at a time (the backend's own
  call) and, for flow, as the pipeline schedules it (several pairs at once, one core each);
* encode alone: every output frame piped into one ffmpeg, once per x264 preset asked for
  (the default setting, slow, and a fast one);
* pipeline: ``goesvfi run`` in a child process (decode-ahead thread, interpolation, ffmpeg in
  its own process, checkpoint segments, final join), once per preset, with its peak RSS.

It prints the wall and CPU time of each stage, the sum of the stages, output frames/s and peak
RSS, and the FLOOR: the larger of the CPU seconds of all stages divided by the cores and the
slowest stage's wall time (no schedule beats either), with the ratio pipeline wall / floor
(target <= 1.15). The overhead over interpolation alone is printed too (the older target).
RIFE runs on smaller frames (``--rife-size``, ``--rife-frames``) so that it takes a couple of
minutes on two cores. Figures only, never pass/fail: the machine may be shared. Usage::

    python bench/bench_pipeline.py [--frames 60] [--size 1024] [--rife-frames 30] [--rife-size 512]
                                   [--multiplier 4] [--backends flow,rife] [--presets slow,ultrafast]
                                   [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
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
import resource
cpu = sum(
    u.ru_utime + u.ru_stime
    for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
)
print(json.dumps({"code": code, "wall": wall, "peak_mb": peak, "cpu": cpu}), file=sys.stderr)
"""
FAST_PRESETS = ("ultrafast", "superfast", "veryfast", "faster")


class Clock:
    """Wall and CPU seconds (this process and its waited-for children, i.e. ffmpeg) of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu

    @staticmethod
    def _cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


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


def decode_and_interpolate(
    folder: Path, backend: str, scale: float, multiplier: int
) -> tuple[dict[str, Clock], list[np.ndarray]]:
    """Decode alone, then interpolate alone (frames in memory); returns the clocks and outputs."""
    from goesvfi.core.pipeline.frames import discover_frames, inspect_frames
    from goesvfi.core.pipeline.pairs import (
        MAX_WORKERS,
        PARALLEL_BACKENDS,
        PairInterpolation,
        interpolated_pairs,
    )
    from goesvfi.core.pipeline.source import FrameSource
    from goesvfi.core.vfi import create_interpolator

    clocks: dict[str, Clock] = {}
    with Clock() as clocks["decode"]:
        infos, _ = inspect_frames(discover_frames(folder), timeout_s=60, on_bad_frame="stop", resize=False)
        source = FrameSource(infos, crop=None, colour="none", resize=False, timeout_s=60)
        inputs = [source.load(i) for i in range(len(infos))]

    options = {"scale": scale} if backend == "rife" else {}
    interpolator = create_interpolator(backend, **options)
    interpolator.interpolate(inputs[0], inputs[1], [0.5])  # warm-up (model, threads)
    ts = [k / multiplier for k in range(1, multiplier)]
    outputs: list[np.ndarray] = []
    with Clock() as clocks["interpolate"]:
        for a, b in itertools.pairwise(inputs):
            outputs.append(a)
            outputs.extend(interpolator.interpolate(a, b, ts))
        outputs.append(inputs[-1])
    interpolator.close()
    clocks["scheduled"] = clocks["interpolate"]
    if backend in PARALLEL_BACKENDS:  # as `goesvfi run` does it: several pairs at once, one core each
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
        pool = PairInterpolation(lambda: create_interpolator(backend, threads=1), workers)
        pairs = range(len(inputs) - 1)
        for _ in interpolated_pairs(pairs[:workers], inputs.__getitem__, pool, [0.5]):  # warm-up
            pass
        with Clock() as clocks["scheduled"]:
            for _ in interpolated_pairs(pairs, inputs.__getitem__, pool, ts):
                pass
        pool.close()
    return clocks, outputs


def encode_alone(outputs: list[np.ndarray], preset: str) -> Clock:
    """Every output frame piped into one ffmpeg with the default settings but ``preset``."""
    from goesvfi.core.config import load_settings
    from goesvfi.core.encode import FrameWriter, resolve_ffmpeg

    height, width = outputs[0].shape[:2]
    defaults = load_settings().encode  # the settings `goesvfi run` uses (encode.ffmpeg_path included)
    ffmpeg = resolve_ffmpeg(defaults.ffmpeg_path)
    settings = defaults.model_copy(update={"preset": preset})
    with Clock() as clock, tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "alone.mp4"
        with FrameWriter.open(settings, target, width=width, height=height, fps=30, ffmpeg=ffmpeg) as writer:
            for frame in outputs:
                writer.write(frame)
            writer.finish(len(outputs))
    return clock


def pipeline(
    folder: Path, work: Path, backend: str, scale: float, multiplier: int, preset: str
) -> dict[str, float]:
    job = f"{backend}-{preset}"
    argv = [
        "run", str(folder), "-o", str(work / f"{job}.mp4"), "--job-dir", str(work / f"job-{job}"),
        "--interpolator", backend, "--scale", str(scale), "--multiplier", str(multiplier),
        "--preset", preset, "--json",
    ]  # fmt: skip
    env = {**os.environ, "GOESVFI_LOG_FILE": "0"}
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, env=env)
    stats = json.loads(done.stderr.strip().splitlines()[-1]) if done.returncode == 0 else {"code": -1}
    if stats["code"] != 0:
        raise SystemExit(f"pipeline failed: {done.stderr}")
    result = json.loads(done.stdout)
    return {**stats, "frames_out": result["output_frames"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rife-frames", type=int, default=30, help="input frames for the rife run")
    parser.add_argument("--rife-size", type=int, default=512, help="frame size for the rife run")
    parser.add_argument("--multiplier", type=int, default=4)
    parser.add_argument("--backends", default="flow,rife")
    parser.add_argument(
        "--presets", default="slow,ultrafast", help="x264 presets to measure (the default setting is slow)"
    )
    parser.add_argument("--keep", type=Path, help="keep frames and videos in this folder")
    args = parser.parse_args()

    from goesvfi.core.vfi import available_backends

    ready = available_backends()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    cores = os.cpu_count() or 1
    print(f"cpu cores {cores}, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for backend in args.backends.split(","):
        if ready.get(backend) != "ready":
            print(f"{backend}: skipped ({ready.get(backend)})")
            continue
        count = args.rife_frames if backend == "rife" else args.frames
        size = args.rife_size if backend == "rife" else args.size
        scale = 0.5 if backend == "rife" else 1.0
        folder = work / f"frames-{count}-{size}"
        if not folder.is_dir():
            make_frames(folder, count, size)
        clocks, outputs = decode_and_interpolate(folder, backend, scale, args.multiplier)
        decode, single, interp = clocks["decode"], clocks["interpolate"], clocks["scheduled"]
        print(
            f"{backend} (scale {scale}) {count} frames {size}² x{args.multiplier} -> {len(outputs)}: "
            f"decode alone {decode.wall:.1f} s (cpu {decode.cpu:.1f} s), "
            f"interpolate alone one pair at a time {single.wall:.1f} s "
            f"(cpu {single.cpu:.1f} s = {single.cpu / single.wall:.1f} cores busy)"
            + (
                f", as the pipeline schedules it {interp.wall:.1f} s "
                f"(cpu {interp.cpu:.1f} s = {interp.cpu / interp.wall:.1f} cores busy)"
                if interp is not single
                else ""
            )
        )
        for preset in args.presets.split(","):
            label = "default" if preset == "slow" else "fast" if preset in FAST_PRESETS else "other"
            encode = encode_alone(outputs, preset)
            run = pipeline(folder, work, backend, scale, args.multiplier, preset)
            total = decode.wall + interp.wall + encode.wall
            cpu_floor = (decode.cpu + interp.cpu + encode.cpu) / cores
            slowest = max(decode.wall, interp.wall, encode.wall)
            floor = max(cpu_floor, slowest)
            print(
                f"  preset {preset} ({label}): encode alone {encode.wall:.1f} s (cpu {encode.cpu:.1f} s); "
                f"sum of stages {total:.1f} s; pipeline {run['wall']:.1f} s (cpu {run['cpu']:.1f} s) = "
                f"{run['frames_out'] / run['wall']:.2f} frames/s, "
                f"OVERHEAD over interpolation alone {run['wall'] / interp.wall - 1:+.0%} (target <= +15%)"
                + (
                    f", over one pair at a time {run['wall'] / single.wall - 1:+.0%}"
                    if interp is not single
                    else ""
                )
                + f"; peak RSS {run['peak_mb']:.0f} MB"
            )
            print(
                f"    FLOOR {floor:.1f} s (stages' CPU {cpu_floor * cores:.1f} s / {cores} cores"
                f" = {cpu_floor:.1f} s; slowest stage alone {slowest:.1f} s); pipeline / floor = "
                f"{run['wall'] / floor:.2f} (target <= 1.15); load {os.getloadavg()[0]:.1f}"
            )
            sys.stdout.flush()
        del outputs
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
