"""``goesvfi run``: frames in a folder → a smooth, correctly timed MP4 (resumable)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json, parse_time_arg, positive_float


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="interpolate and encode a folder of frames into an MP4",
        description="Order the frames in INPUT_DIR by time, optionally crop and colour them, make "
        "MULTIPLIER-1 frames between each pair and encode (K-1)*N+1 frames at --fps. The job is "
        "checkpointed: after a crash, run the same command with --resume.",
        parents=[common_options()],
    )
    parser.add_argument(
        "input_dir", type=Path, metavar="INPUT_DIR", help="folder of PNG/JPEG or NetCDF frames"
    )
    parser.add_argument("-o", "--output", type=Path, metavar="OUT.mp4", help="output video")
    parser.add_argument("--fps", default=None, help="output frame rate (default: pipeline.fps, 30)")
    parser.add_argument(
        "--multiplier",
        type=int,
        default=None,
        help="N: N-1 new frames per pair (default: pipeline.multiplier, 4)",
    )
    parser.add_argument(
        "--interpolator", choices=("auto", "rife", "flow", "ncnn", "ffmpeg"), default=None,
        help="backend (default: settings vfi.backend, 'auto' = rife when installed, else flow)",
    )  # fmt: skip
    parser.add_argument(
        "--scale", default=None, help="RIFE scale: 1 full, 0.5 for large frames (default: vfi.rife_scale)"
    )
    parser.add_argument("--crop", metavar="X,Y,W,H", help="crop rectangle in input pixels")
    parser.add_argument(
        "--colour", choices=("none", "native", "sanchez", "table"), default=None,
        help="false colour, or 'table' for an IR colour table (default: pipeline.colour, none)",
    )  # fmt: skip
    parser.add_argument(
        "--colour-table", metavar="NAME|FILE.json", default=None,
        help="IR colour table: ir-colour, a shipped gradient (darkred-blue, cold-tops) or a gradient "
        "JSON file; implies --colour table (default: pipeline.colour_table, ir-colour)",
    )  # fmt: skip
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="encoder profile (default, optimal, optimal-2) or quality preset (very-high, high, medium, low, "
        "very-low); see docs/pipeline.md",
    )
    parser.add_argument("--encoder", metavar="NAME", help="libx264 (default), libx265 or a hardware encoder")
    parser.add_argument("--crf", type=int, help="constant quality 0-51 (lower is better)")
    parser.add_argument("--preset", metavar="NAME", help="x264/x265 preset (ultrafast ... veryslow)")
    parser.add_argument("--resume", action="store_true", help="continue the job after a crash or stop")
    parser.add_argument("--job-dir", type=Path, metavar="DIR", help="job folder (default: user data folder)")
    parser.add_argument(
        "--on-bad-frame", choices=("stop", "skip"), default=None,
        help="a frame that cannot be read: stop or skip it (default: pipeline.on_bad_frame, stop)",
    )  # fmt: skip
    parser.add_argument("--frames-out", type=Path, metavar="DIR", help="also write every frame as PNG")
    parser.add_argument("--start", metavar="ISO", help="use only frames from this time on (UTC unless given)")
    parser.add_argument("--end", metavar="ISO", help="use only frames up to this time (UTC unless given)")
    parser.add_argument(
        "--cluster", metavar="ADDRESS", default=None,
        help="make the segments on a Dask cluster: tcp://HOST:8786, or local:N for N worker processes "
        "here (default: pipeline.cluster, empty = this process; needs goesvfi[cluster], see docs/cluster.md)",
    )  # fmt: skip
    parser.add_argument("--detach", action="store_true", help="run in the background (see 'goesvfi jobs')")
    parser.add_argument("--print-ffmpeg", action="store_true", help="print the ffmpeg commands and exit")
    parser.add_argument("--job-log", type=Path, help=argparse.SUPPRESS)
    add_json_flag(parser)
    parser.set_defaults(func=run, flag_names=FLAG_NAMES)


# Flag -> settings key; the flags a user gives are laid over the settings (core settings_with).
FLAG_KEYS: dict[str, str] = {
    "fps": "pipeline.fps",
    "multiplier": "pipeline.multiplier",
    "colour": "pipeline.colour",
    "colour_table": "pipeline.colour_table",
    "on_bad_frame": "pipeline.on_bad_frame",
    "interpolator": "vfi.backend",
    "scale": "vfi.rife_scale",
    "encoder": "encode.encoder",
    "crf": "encode.crf",
    "preset": "encode.preset",
    "cluster": "pipeline.cluster",
}
# Request fields and settings keys -> the flag a user of 'run' knows them by (error messages).
FLAG_NAMES: dict[str, str] = {
    **{key: "--" + flag.replace("_", "-") for flag, key in FLAG_KEYS.items()},
    "fps": "--fps",
    "multiplier": "--multiplier",
    "colour": "--colour",
    "output": "-o",
    "crop": "--crop",
    "frames_out": "--frames-out",
    "job_dir": "--job-dir",
    "input_dir": "INPUT_DIR",
    "encode.profile": "--profile",
    "range": "--start/--end",
}


def run_settings(args: argparse.Namespace) -> Any:
    """The settings with ``--profile`` and then the other flags laid over them."""
    from goesvfi.core.encode import apply_profile
    from goesvfi.core.pipeline import settings_with

    settings = args.settings
    if args.profile:
        settings = settings.model_copy(update={"encode": apply_profile(settings.encode, args.profile)})
    given = {key: getattr(args, flag) for flag, key in FLAG_KEYS.items() if getattr(args, flag) is not None}
    if args.fps is not None:
        given["pipeline.fps"] = positive_float("--fps", args.fps)
    if args.scale is not None:
        given["vfi.rife_scale"] = positive_float("--scale", args.scale)
    if args.colour_table is not None and args.colour is None:
        given["pipeline.colour"] = "table"
    return settings_with(settings, given)


def build_request(args: argparse.Namespace) -> Any:
    """A :class:`PipelineRequest` from the flags and the settings file (user errors raise)."""
    from goesvfi.core.pipeline import build_pipeline_request

    return build_pipeline_request(
        run_settings(args),
        input_dir=args.input_dir,
        output=args.output,
        crop=args.crop,
        frames_out=args.frames_out,
        job_dir=args.job_dir,
        resume=args.resume,
        start=parse_time_arg(args.start, "--start") if args.start else None,
        end=parse_time_arg(args.end, "--end") if args.end else None,
    )


def _detach(args: argparse.Namespace, request: Any) -> int:
    from goesvfi.core.jobs.checkpoint import LOG
    from goesvfi.core.pipeline.commands import default_job_dir
    from goesvfi.core.portable import detach_options

    job_dir: Path = (request.job_dir or default_job_dir(request)).resolve()
    job_dir.mkdir(parents=True, exist_ok=True)
    argv = [a for a in sys.argv[1:] if a != "--detach"]
    if "--job-dir" not in argv:
        argv += ["--job-dir", str(job_dir)]
    argv += ["--job-log", str(job_dir / LOG)]
    with (job_dir / "console.log").open("ab") as console:
        child = subprocess.Popen(
            [sys.executable, "-m", "goesvfi", *argv],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=console,
            cwd=os.getcwd(),
            **detach_options(),
        )
    payload = {"pid": child.pid, "job_dir": str(job_dir), "log": str(job_dir / LOG)}
    if args.json:
        emit_json(payload)
    else:
        print(f"started in the background: pid {child.pid}")
        print(f"job folder: {job_dir}")
        print(f"follow it:  goesvfi jobs status {shlex.quote(str(job_dir))}")
    return 0


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.jobs.control import CancelledByUser, CancelToken, signal_handlers
    from goesvfi.core.pipeline import run_pipeline
    from goesvfi.core.pipeline.commands import ffmpeg_commands

    request = build_request(args)
    if args.print_ffmpeg:
        commands = ffmpeg_commands(request)
        if args.json:
            emit_json({"commands": commands})
        else:
            for command in commands:
                print(shlex.join(command))
        return 0
    if args.detach:
        return _detach(args, request)
    from goesvfi.cli.progress import ProgressBar

    token = CancelToken()
    bar = None if args.json else ProgressBar()
    try:
        with signal_handlers(token):
            result = run_pipeline(request, progress=bar, cancel=token)
    except CancelledByUser as exc:
        if bar is not None:
            bar.close()
        print(
            f"goesvfi: {exc}; checkpoint saved, continue with the same command and --resume",
            file=sys.stderr,
        )
        return exc.exit_code
    if bar is not None:
        bar.close()
    if args.json:
        emit_json(result.to_json())
        return 0
    print(
        f"{result.output or result.frames_out}: {result.output_frames} frames "
        f"({result.input_frames} input x{request.multiplier}) at {result.fps:g} fps, "
        f"{result.width}x{result.height}, interpolator {result.interpolator}, "
        f"{result.seconds:.1f} s"
        + (f", resumed ({result.segments_reused} segments reused)" if result.resumed else "")
    )
    for name, reason in result.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    return 0
