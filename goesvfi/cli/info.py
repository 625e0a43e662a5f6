"""``goesvfi info``: header-only metadata of ABI files, with a deadline per file."""

from __future__ import annotations

import argparse
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json, positive_float


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show satellite, band, sector, times and grid of ABI files without loading the data",
        description="Read only the headers of ABI NetCDF files (or frame images) and print them.",
        parents=[common_options()],
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--timeout", metavar="S", help="seconds allowed per file (default from settings)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.render.info import read_info

    timeout = (
        positive_float("--timeout", args.timeout)
        if args.timeout is not None
        else args.settings.render.open_timeout_s
    )
    files: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for name in args.files:
        result = read_info(name, timeout_s=timeout)
        if result.fields is None:
            errors.append({"input": str(result.path), "message": result.error or "unreadable"})
            if not args.json:
                print(f"goesvfi: error: {result.error}")
            continue
        files.append(result.fields)
        if not args.json:
            fields = result.fields
            print(
                f"{fields['path']}: {fields.get('satellite') or '?'} band {fields.get('band') or '?'} "
                f"{fields.get('sector') or '?'} {fields.get('start') or '?'} "
                f"{fields['width']}x{fields['height']}"
                + (f" {fields['resolution_km']} km" if "resolution_km" in fields else "")
            )
    if args.json:
        emit_json({"files": files, "errors": errors})
    return 1 if errors else 0
