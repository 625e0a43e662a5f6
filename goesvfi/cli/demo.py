"""``goesvfi demo``: the whole pipeline offline on a synthetic Band 13 sequence."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json

FRAMES = 8
MULTIPLIER = 4
FPS = 12.0
SHAPE = (384, 640)  # rows, columns


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="make a short demo video from synthetic satellite data (offline)",
        description=f"Write {FRAMES} synthetic GOES-19 Band 13 files, render them in native false colour, "
        f"interpolate x{MULTIPLIER} with the best installed backend and encode an MP4. Needs no network.",
        parents=[common_options()],
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("goesvfi-demo.mp4"), metavar="FILE",
        help="where to write the video (default ./goesvfi-demo.mp4)",
    )  # fmt: skip
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from goesvfi.cli.progress import ProgressBar
    from goesvfi.core.pipeline import build_pipeline_request, run_pipeline, settings_with
    from goesvfi.core.render.synthetic import write_sequence
    from goesvfi.core.vfi import available_backends, best_available

    vfi = args.settings.vfi
    configured = vfi.backend
    backend = best_available(vfi.models_dir, vfi.rife_model) if configured == "auto" else configured
    if configured != "auto":
        reason = "set in settings vfi.backend"
    elif backend == "rife":
        reason = "RIFE weights installed"
    else:
        reason = f"rife: {available_backends(vfi)['rife']}"
    say = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="goesvfi-demo-") as tmp:
        folder = Path(tmp) / "frames"
        folder.mkdir()
        say(f"writing {FRAMES} synthetic GOES-19 ABI Band 13 files ({SHAPE[1]}x{SHAPE[0]}) ...")
        write_sequence(folder, FRAMES, shape=SHAPE, product="ABI-L1b-RadC", band=13, satellite=19)
        say(f"interpolating with {backend} ({reason})")
        settings = settings_with(
            args.settings,
            {
                "pipeline.fps": FPS,
                "pipeline.multiplier": MULTIPLIER,
                "pipeline.colour": "native",
                "vfi.backend": backend,
                "encode.preset": "medium",
                "encode.crf": 20,
            },
        )
        request = build_pipeline_request(
            settings, input_dir=folder, output=args.output, job_dir=Path(tmp) / "job"
        )
        bar = None if args.json else ProgressBar()
        result = run_pipeline(request, progress=bar)
        if bar is not None:
            bar.close()
    payload = result.to_json()
    payload["job_dir"] = None  # the demo's job folder was temporary
    payload["seconds"] = round(time.monotonic() - started, 3)
    if args.json:
        emit_json(payload)
        return 0
    print(f"{args.output.resolve()}")
    print(
        f"{result.input_frames} synthetic frames x{MULTIPLIER} -> {result.output_frames} frames, "
        f"{result.width}x{result.height}, {FPS:g} fps ({result.output_frames / FPS:.1f} s of video), "
        f"native false colour, interpolator {result.interpolator}, made in {payload['seconds']:.0f} s"
    )
    return 0
