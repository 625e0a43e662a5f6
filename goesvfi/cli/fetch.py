"""``goesvfi fetch``: download ABI frames from the NOAA S3 buckets and the STAR CDN.

Exit 0 when every requested frame was obtained (or confirmed absent upstream), 1 when some
downloads failed, 2 on bad arguments. ``--follow`` polls until Ctrl+C, then exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json, iso_utc, parse_time_arg
from goesvfi.cli.progress import ProgressBar
from goesvfi.core.errors import UserInputError
from goesvfi.core.jobs.control import CancelToken, signal_handlers

SOURCES = ("auto", "s3", "cdn", "s3,cdn", "cdn,s3")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fetch",
        help="download GOES ABI frames (S3 NetCDF, CDN JPEG) into a folder",
        description="Download every frame between two times, or only the frames a folder is missing "
        "(--fill), verified and written atomically. "
        "Files are named like GOES19_CONUS_CH13_20250601T000117Z.nc.",
        parents=[common_options()],
    )
    what = parser.add_argument_group("what to fetch")
    what.add_argument("--satellite", default=None, help="GOES-16..19, east or west (by date; default east)")
    what.add_argument(
        "--product", default=None, help="bucket product such as ABI-L1b-RadC (default), ABI-L2-CMIPF"
    )
    what.add_argument("--band", type=int, default=None, help="ABI band 1-16 (default 13)")
    what.add_argument("--meso", choices=("M1", "M2"), default=None, help="mesoscale sector for RadM/CMIPM")
    what.add_argument("--start", help="first time, ISO 8601 (UTC when no zone)")
    what.add_argument("--end", help="last time, ISO 8601 (UTC when no zone)")
    where = parser.add_argument_group("where")
    where.add_argument("--dest", type=Path, help="folder to write into (created when missing)")
    where.add_argument("--fill", type=Path, metavar="DIR", help="scan DIR and fetch only its missing frames")
    where.add_argument("--follow", action="store_true", help="keep polling for new scans until Ctrl+C")
    how = parser.add_argument_group("how")
    how.add_argument("--source", choices=SOURCES, default=None, help="where to fetch from (default auto)")
    how.add_argument("--s3-endpoint", default=None, help="S3 endpoint URL (mirror; default AWS)")
    how.add_argument("--cdn-base", default=None, help="base URL of the STAR CDN")
    how.add_argument("--concurrency", type=int, default=None, help="downloads at the same time (1-64)")
    how.add_argument("--retries", type=int, default=None, help="retries per request (0-10)")
    how.add_argument("--max-rate", type=int, default=None, metavar="BYTES_PER_S", help="bandwidth limit")
    after = parser.add_argument_group("after fetching")
    after.add_argument(
        "--render", action="store_true", help="render the fetched files to PNG (see goesvfi render)"
    )
    after.add_argument(
        "--colour",
        "--color",
        default="grey",
        metavar="TABLE",
        help="colour table for --render: grey, ir-colour, native, sanchez or GRADIENT.json",
    )
    after.add_argument(
        "--render-out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the rendered PNGs (default: DEST/png)",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run, flag_names=FLAG_NAMES)


# Flag -> settings key: the flags given are laid over the remote settings (core settings_with).
FLAG_KEYS: dict[str, str] = {
    name: f"remote.{name}"
    for name in ("source", "s3_endpoint", "cdn_base", "concurrency", "retries", "max_rate")
}
# Request fields and settings keys -> this command's flags (error messages).
FLAG_NAMES: dict[str, str] = {
    **{key: "--" + flag.replace("_", "-") for flag, key in FLAG_KEYS.items()},
    **{
        name: f"--{name}" for name in ("satellite", "product", "band", "meso", "start", "end", "dest", "fill")
    },
    "follow": "--follow",
    "colour": "--colour",
}


def _remote_settings(args: argparse.Namespace) -> Any:
    from goesvfi.core.config import settings_with

    given = {key: getattr(args, flag) for flag, key in FLAG_KEYS.items() if getattr(args, flag) is not None}
    return settings_with(args.settings, given).remote


def _request(args: argparse.Namespace, remote: Any) -> Any:
    from goesvfi.core.remote.build import build_fetch_request

    return build_fetch_request(
        remote,
        dest=args.dest,
        start=parse_time_arg(args.start, "--start") if args.start else None,
        end=parse_time_arg(args.end, "--end") if args.end else None,
        satellite=args.satellite,
        product=args.product,
        band=args.band,
        meso=args.meso,
        fill=args.fill,
        follow=args.follow,
    )


def _print_summary(payload: dict[str, Any], dest: Path) -> None:
    print(
        f"{payload['downloaded']} downloaded, {payload['skipped_existing']} already there, "
        f"{len(payload['absent'])} not available upstream, {len(payload['failed'])} failed → {dest}"
    )
    for item in payload["absent"][:5]:
        print(f"  absent {item['time']}: {item['message']}")
    if len(payload["absent"]) > 5:
        print(f"  ... and {len(payload['absent']) - 5} more absent")
    for item in payload["failed"]:
        print(f"  FAILED {item['time']}")
        for reason in item["reasons"]:
            advice = f" ({reason['advice']})" if reason["advice"] else ""
            print(f"    {reason['source']}: {reason['message']} after {reason['elapsed_s']:.1f} s{advice}")


class _Renderer:
    """``--render``: turn each fetched file into a PNG once, reporting errors per file."""

    def __init__(self, args: argparse.Namespace, dest: Path) -> None:
        self.enabled = bool(args.render)
        self.options: Any = None
        self.out_dir = args.render_out or dest / "png"
        self.quiet = bool(args.json)
        self.done: set[Path] = set()
        if self.enabled:
            from goesvfi.core.render import build_render_options

            self.options = build_render_options(args.settings.render, colour=args.colour)

    def __call__(self, files: list[Path], token: CancelToken) -> dict[str, Any]:
        todo = [path for path in files if path not in self.done]
        if not self.enabled or not todo:
            return {"outputs": [], "errors": []}
        from goesvfi.core.render.batch import render_batch  # only here: numpy, netCDF4 and cv2

        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserInputError(f"--render-out {self.out_dir} cannot be created ({exc})") from exc
        batch = render_batch(todo, self.out_dir, self.options, cancel=token)
        self.done.update(todo)
        if not self.quiet:
            print(f"rendered {len(batch.outputs)} file(s) to {self.out_dir}")
            for path, message in batch.errors:
                print(f"  RENDER FAILED {path}: {message}")
        return batch.to_json()


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.remote import fetch_range_sync

    remote = _remote_settings(args)
    request = _request(args, remote)
    renderer = _Renderer(args, request.dest)
    token = CancelToken()
    bar = ProgressBar(level="job", unit="files", off_tty=False)
    if args.follow:
        return _follow(args, request, token, bar, renderer)
    with signal_handlers(token):
        try:
            result = fetch_range_sync(request, progress=bar, cancel=token)
        finally:
            bar.close()
        payload = result.to_json()
        if not args.json:
            _print_summary(payload, request.dest)
        rendered = renderer(result.files, token)
    if renderer.enabled:
        payload["rendered"] = rendered
    if args.json:
        emit_json(payload)
    return 1 if result.failed or rendered["errors"] else 0


def _follow(
    args: argparse.Namespace, request: Any, token: CancelToken, bar: ProgressBar, renderer: _Renderer
) -> int:
    from goesvfi.core.remote.follow import follow
    from goesvfi.core.remote.job import FetchResult

    failures = 0

    def on_cycle(result: FetchResult) -> None:
        nonlocal failures
        failures += len(result.failed)
        payload = result.to_json()
        rendered = renderer(result.files, token)
        failures += len(rendered["errors"])
        if renderer.enabled:
            payload["rendered"] = rendered
        if args.json:  # one JSON object per line, one line per poll
            print(json.dumps({"poll_at": iso_utc(datetime.now(UTC)), **payload}, default=str), flush=True)
        else:
            bar.close()
            _print_summary(payload, request.dest)

    with signal_handlers(token):
        asyncio.run(follow(request, on_cycle=on_cycle, progress=bar, cancel=token))
    return 1 if failures else 0
