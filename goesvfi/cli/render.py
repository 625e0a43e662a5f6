"""``goesvfi render``: ABI NetCDF files (or CDN frames) to PNG images; a bad file does not stop the batch."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json
from goesvfi.core.errors import GoesVfiError, UserInputError
from goesvfi.core.framefiles import list_frames

INPUT_SUFFIXES = (".nc", ".jpg", ".jpeg", ".png")
# Render option fields -> the flags of this command (error messages).
FLAG_NAMES = {
    **{name: f"--{name}" for name in ("colour", "underlay", "lat", "lon", "dqf", "downsample", "size")},
    "pipeline.cluster": "--cluster",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render ABI NetCDF files to PNG (grey, colour tables, native or Sanchez false colour)",
        description="Render ABI L1b/L2 NetCDF files (or CDN JPEG frames) to PNG images in --out.",
        parents=[common_options()],
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="NetCDF files, frames or folders")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument(
        "--colour",
        "--color",
        default="grey",
        metavar="TABLE",
        help="grey, ir-colour, native, sanchez, a shipped gradient name or GRADIENT.json",
    )
    parser.add_argument(
        "--underlay",
        type=Path,
        metavar="IMAGE",
        help="equirectangular world image for native/Sanchez false colour",
    )
    parser.add_argument("--lat", metavar="MIN:MAX", help="latitude range of a crop box")
    parser.add_argument("--lon", metavar="MIN:MAX", help="longitude range of a crop box")
    parser.add_argument(
        "--projection",
        choices=("native", "equirect"),
        default="native",
        help="keep the satellite view (native) or reproject the box (equirect)",
    )
    parser.add_argument(
        "--resolution",
        type=float,
        metavar="DEG",
        help="equirect pixel size in degrees (default: the file's resolution)",
    )
    parser.add_argument(
        "--downsample",
        type=int,
        default=1,
        metavar="N",
        help="average N x N pixels into one (1 = native resolution)",
    )
    parser.add_argument(
        "--size",
        metavar="WxH",
        help="final image size, e.g. 1808x1808, or 'auto': the smallest input frame "
        "(mixes of CDN JPEGs and NetCDF come out alike)",
    )
    parser.add_argument(
        "--dqf",
        choices=("good", "usable", "all"),
        default=None,
        help="data-quality flags kept (default from settings: usable)",
    )
    parser.add_argument("--bits", type=int, choices=(8, 16), default=8, help="16 = 16-bit grey PNG")
    parser.add_argument("--legend", action="store_true", help="add a colour bar with ticks at the right")
    parser.add_argument(
        "--cluster", metavar="ADDRESS",
        help="render the files as tasks on a Dask cluster: tcp://HOST:8786 or local:N "
        "(needs goesvfi[cluster]; "
        "the workers must reach --out, see docs/cluster.md)",
    )  # fmt: skip
    add_json_flag(parser)
    # Let "--lon -110:-80" through: argparse would take "-110:-80" for an option otherwise.
    parser._negative_number_matcher = re.compile(r"^-\d*\.?\d+(:-?\d*\.?\d+)?$")
    parser.set_defaults(func=run, flag_names=FLAG_NAMES)


def parse_range(text: str | None, option: str) -> tuple[float, float] | None:
    """``"-130:-60"`` → ``(-130.0, -60.0)``."""
    if text is None:
        return None
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError(text)
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise UserInputError(f"{option} '{text}' is not MIN:MAX; write e.g. {option} 20:50") from None


def parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None or text == "auto":
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UserInputError(f"--size '{text}' is not WIDTHxHEIGHT; write e.g. --size 1808x1808") from None
    return width, height


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders give their NetCDF/JPEG/PNG files in name order."""
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            paths += list_frames(path, INPUT_SUFFIXES)
        else:
            paths.append(path)
    return paths


def build_options(args: argparse.Namespace) -> Any:
    from goesvfi.core.render import build_render_options

    return build_render_options(
        args.settings.render,
        colour=args.colour,
        dqf=args.dqf,
        downsample=args.downsample,
        lat=parse_range(args.lat, "--lat"),
        lon=parse_range(args.lon, "--lon"),
        underlay=args.underlay,
        legend=args.legend,
        projection=args.projection,
        resolution_deg=args.resolution,
        bit_depth=args.bits,
        size=parse_size(args.size),
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _render(args)
    except GoesVfiError as exc:  # --json stays valid JSON on every exit; the message goes to stderr too
        if args.json:
            emit_json({"outputs": [], "errors": [{"input": None, "message": str(exc)}]})
        raise


def _render(args: argparse.Namespace) -> int:
    from goesvfi.core.render.batch import render_batch

    options = build_options(args)
    inputs = expand_inputs(args.inputs)
    if not inputs:
        raise UserInputError("no input files found; give NetCDF files or folders holding them")
    if args.size == "auto":
        if options.lat is not None:
            raise UserInputError("--size auto works on whole frames; give --size WxH with a --lat/--lon box")
        from goesvfi.core.render.info import sequence_size

        options.size = sequence_size(inputs, options.downsample, options.open_timeout_s)
    out_dir: Path = args.out
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"--out {out_dir} cannot be created ({exc}); choose another folder") from exc

    def report(path: Path, result: Any, message: str | None) -> None:
        if args.json:
            return
        if result is None:
            print(f"goesvfi: error: {message}", file=sys.stderr)
        else:
            print(f"{path} -> {result.output} ({result.width}x{result.height})")

    batch = render_batch(inputs, out_dir, options, on_result=report, cluster=args.cluster or "")
    if args.json:
        emit_json(batch.to_json())
    return 1 if batch.errors else 0
