"""``goesvfi doctor``: is this machine ready to fetch? Host, sources, proxy, cache; never hangs."""

from __future__ import annotations

import argparse
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check Python, network sources, proxy settings and the cache",
        description="Time-boxed checks (remote.doctor_timeout_s each): an offline machine gets a clear "
        "'offline' answer within seconds. Exit 1 when a check fails.",
        parents=[common_options()],
    )
    parser.add_argument("--s3-endpoint", default=None, help="check this S3 endpoint instead of AWS")
    parser.add_argument("--cdn-base", default=None, help="check this CDN base URL instead of NOAA's")
    add_json_flag(parser)
    parser.set_defaults(
        func=run, flag_names={"remote.s3_endpoint": "--s3-endpoint", "remote.cdn_base": "--cdn-base"}
    )


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.config import settings_with
    from goesvfi.core.remote.diagnostics import run_checks_sync

    given = {"remote.s3_endpoint": args.s3_endpoint, "remote.cdn_base": args.cdn_base}
    remote = settings_with(args.settings, {k: v for k, v in given.items() if v is not None}).remote
    checks = run_checks_sync(remote)
    healthy = all(check.status in ("ok", "warn") for check in checks)
    if args.json:
        emit_json({"healthy": healthy, "checks": [check.to_json() for check in checks]})
    else:
        for check in checks:
            print(f"{check.status.upper():8} {check.name:7} {check.detail}")
    return 0 if healthy else 1
