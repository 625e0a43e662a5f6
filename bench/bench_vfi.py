"""Benchmark the interpolation backends: speed, peak memory and quality, in one run.

    .venv/bin/python bench/bench_vfi.py                 # all backends, 512², 1024², 2048²
    .venv/bin/python bench/bench_vfi.py --sizes 512 1024 --threads 2 --json out.json

Every (backend, size) runs in its own subprocess, so the peak RSS printed is that backend's
own (model, frames and working memory included). Seconds are per interpolated frame (best of
``--repeat`` after a warm-up); CPU seconds per frame and thread are printed too, because other programs
on a shared machine inflate wall time but not CPU time. Quality is PSNR against the true
middle frame of generated cloud motion (goesvfi.core.vfi.synthetic). This script prints
figures; it never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "rife": ("rife", {"scale": 1.0}),
    "rife-uhd": ("rife", {"scale": 0.5}),
    "flow": ("flow", {}),
    "ffmpeg": ("ffmpeg", {}),
    "ncnn": ("ncnn", {}),
}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg runs as a child)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def child(config: str, size: int, threads: int, repeat: int) -> dict[str, Any]:
    """Runs in the subprocess: time one backend at one size and report its peak RSS."""
    import torch

    from goesvfi.core.vfi import create_interpolator
    from goesvfi.core.vfi.synthetic import cloud_frames

    torch.set_num_threads(threads)
    backend, options = CONFIGS[config]
    if backend in ("rife", "flow"):
        options = {**options, "threads": threads}
    interp = create_interpolator(backend, guard=None, **options)
    frames = cloud_frames(size, size, [0, 1, 2, 3, 4], shift=(6, 3))
    warm = cloud_frames(256, 256, [0, 1])
    sequence = getattr(interp, "interpolate_sequence", None)

    def once(a: np.ndarray, b: np.ndarray) -> int:
        if sequence is not None and backend == "ffmpeg":
            list(sequence(frames if a.shape == frames[0].shape else [a, b], 2))
            return len(frames) - 1 if a.shape == frames[0].shape else 1
        interp.interpolate(a, b, [0.5])
        return 1

    once(*warm)
    runs = 1 if size >= 2048 and backend == "rife" else repeat
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        wall, cpu = time.perf_counter(), _cpu_seconds()
        made = once(frames[0], frames[1])
        best_wall = min(best_wall, (time.perf_counter() - wall) / made)
        best_cpu = min(best_cpu, (_cpu_seconds() - cpu) / made)
    interp.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "config": config,
        "size": size,
        "s_per_frame": best_wall,
        "cpu_s_per_frame": best_cpu,
        "peak_rss_mb": max(peak_kb, children_kb) / 1024,
    }


def quality(threads: int) -> dict[str, Any]:
    """PSNR (dB) of the middle frame and of N=3 thirds on 512² generated cloud motion."""
    import torch

    from goesvfi.core.vfi import available_backends, create_interpolator
    from goesvfi.core.vfi.base import crossfade
    from goesvfi.core.vfi.synthetic import cloud_frames, psnr

    torch.set_num_threads(threads)
    ready = available_backends()
    names = [c for c, (b, _) in CONFIGS.items() if ready.get(b) == "ready"]
    interps = {c: create_interpolator(CONFIGS[c][0], guard=None, **CONFIGS[c][1]) for c in names}
    middle: dict[str, list[float]] = {name: [] for name in [*names, "crossfade"]}
    thirds: dict[str, list[float]] = {name: [] for name in [*names, "crossfade"]}
    dyadic: list[float] = []
    for seed in range(3):
        f0, t1, mid, t2, f1, d1, d2 = cloud_frames(
            512, 512, [0, 1 / 3, 0.5, 2 / 3, 1, 5 / 16, 11 / 16], shift=(6, 3), seed=seed
        )
        middle["crossfade"].append(psnr(crossfade(f0, f1, 0.5), mid))
        thirds["crossfade"] += [psnr(crossfade(f0, f1, t), g) for t, g in ((1 / 3, t1), (2 / 3, t2))]
        for name, interp in interps.items():
            middle[name].append(psnr(interp.interpolate(f0, f1, [0.5])[0], mid))
            made = interp.interpolate(f0, f1, [1 / 3, 2 / 3])
            thirds[name] += [psnr(made[0], t1), psnr(made[1], t2)]
            if name == "rife":  # the same frames scored at the dyadic times they really show
                dyadic.append((psnr(made[0], d1) + psnr(made[1], d2)) / 2)
    return {
        "middle": {k: float(np.mean(v)) for k, v in middle.items()},
        "thirds": {k: float(np.mean(v)) for k, v in thirds.items()},
        "rife_thirds_vs_dyadic_truth": float(np.mean(dyadic)) if dyadic else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--quality-only", action="store_true", help="only the PSNR part, printed as JSON")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.threads, args.repeat)))
        return 0
    if args.quality_only:
        print(json.dumps(quality(args.threads)))
        return 0

    from goesvfi.core.vfi import available_backends

    ready = available_backends()
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    print(f"{'backend':10} {'size':>6} {'s/frame':>9} {'cpu s/thread':>12} {'peak RSS MB':>12}")
    for config in args.configs:
        status = ready[CONFIGS[config][0]]
        if status != "ready":
            print(f"{config:10} skipped: {status}")
            continue
        for size in args.sizes:
            command = [sys.executable, __file__, "--child", config, str(size), "--threads", str(args.threads),
                       "--repeat", str(args.repeat)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{config:10} {size:>6} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            cpu_per_thread = row["cpu_s_per_frame"] / args.threads
            print(
                f"{config:10} {size:>6} {row['s_per_frame']:9.3f} {cpu_per_thread:12.3f}"
                f" {row['peak_rss_mb']:12.0f}"
            )
    done = subprocess.run([sys.executable, __file__, "--quality-only", "--threads", str(args.threads)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    print("\nPSNR dB on 512² generated cloud motion (3 seeds; higher is better)")
    print(f"{'backend':10} {'t=1/2':>7} {'t=1/3,2/3':>10}")
    for name, value in sorted(scores["middle"].items(), key=lambda kv: -kv[1]):
        print(f"{name:10} {value:7.2f} {scores['thirds'][name]:10.2f}")
    if scores["rife_thirds_vs_dyadic_truth"] is not None:
        print(
            "rife at t=1/3, 2/3 shows t=5/16, 11/16 (bisection depth 4); against the truth at those "
            f"times it scores {scores['rife_thirds_vs_dyadic_truth']:.2f} dB"
        )
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} CPUs "
          "(a load above the CPU count means other work inflated the wall times)")  # fmt: skip
    if args.json:
        args.json.write_text(
            json.dumps({"speed": rows, "quality": scores, "load": [load_before, load_after]}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
