"""``goesvfi check``: report missing, duplicate and unreadable frames in a folder.

``goesvfi check DIR [--start ISO8601] [--end ISO8601] [--interval MINUTES|auto]
[--tolerance SECONDS] [--recursive] [--satellite NAME] [--ext EXT] [--json] [--csv FILE]``

Each file format is its own series: the most common one is checked unless ``--ext`` names one.

Exit 0 when the scan ran (gaps or not); 2 with one line on stderr for a bad argument or an
unusable folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json, parse_time_arg


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check a folder of frames for missing timestamps",
        description=(
            "Scan a folder of satellite frames, work out the frame interval and report missing "
            "times, duplicates, files outside the range and names without a readable time."
        ),
        parents=[common_options()],
    )
    parser.add_argument("folder", metavar="DIR", help="folder holding the frames")
    parser.add_argument("--start", metavar="ISO8601", help="first expected time (default: first frame)")
    parser.add_argument("--end", metavar="ISO8601", help="last expected time (default: last frame)")
    parser.add_argument(
        "--interval",
        metavar="MINUTES|auto",
        default="auto",
        help="frame interval in minutes, or auto to detect it (default)",
    )
    parser.add_argument(
        "--tolerance",
        metavar="SECONDS",
        help="how far a frame may be from its expected time (default: a fraction of the interval)",
    )
    parser.add_argument("--recursive", action="store_true", help="also scan sub-folders")
    parser.add_argument(
        "--satellite",
        metavar="NAME",
        help="only count files whose name names this satellite (GOES-19, east, west...)",
    )
    parser.add_argument(
        "--ext",
        metavar="EXT",
        help="check the files of this format (png, tif, jpg, nc...); default: the most common format",
    )
    parser.add_argument("--csv", metavar="FILE", type=Path, help="write one row per expected time")
    parser.add_argument("--no-cache", action="store_true", help="do not use or update the file index")
    add_json_flag(parser)
    parser.set_defaults(func=run, flag_names={"ext": "--ext"})


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.integrity import interval_from_minutes, scan_folder, tolerance_from_seconds

    start = parse_time_arg(args.start, "--start") if args.start else None
    end = parse_time_arg(args.end, "--end") if args.end else None
    interval = interval_from_minutes(args.interval)
    tolerance = tolerance_from_seconds(args.tolerance) if args.tolerance is not None else None
    report = scan_folder(
        Path(args.folder),
        start=start,
        end=end,
        interval=interval,
        tolerance=tolerance,
        recursive=args.recursive,
        satellite=args.satellite,
        use_cache=not args.no_cache,
        settings=args.settings.scan,
        ext=args.ext,
    )
    if args.csv is not None:
        report.write_csv(args.csv)
    if args.json:
        payload = report.to_json()
        if args.csv is not None:
            payload["csv"] = str(args.csv)
        emit_json(payload)
        return 0
    for line in report.summary_lines():
        print(line)
    if args.csv is not None:
        print(f"csv        {args.csv}")
    return 0
