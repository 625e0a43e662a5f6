"""``goesvfi config``: show where settings, cache and logs live and the effective settings."""

from __future__ import annotations

import argparse
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json
from goesvfi.core import config


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show settings and the folders GOES-VFI uses",
        description="Show the effective settings (file + GOESVFI_* variables) and folders.",
        parents=[common_options()],
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    payload = {
        "settings_file": str(config.settings_file()),
        "cache_dir": str(config.cache_dir()),
        "log_dir": str(config.log_dir()),
        "data_dir": str(config.data_dir()),
        "settings": settings.model_dump(mode="json"),
    }
    if args.json:
        emit_json(payload)
        return 0
    for key in ("settings_file", "cache_dir", "log_dir", "data_dir"):
        print(f"{key:14} {payload[key]}")
    for section, values in payload["settings"].items():
        if isinstance(values, dict):
            for key, value in values.items():
                print(f"{section}.{key:22} {value}")
        else:
            print(f"{section:31} {values}")
    return 0
