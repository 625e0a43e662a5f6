"""The ``goesvfi`` command line: one module per subcommand, all over :mod:`goesvfi.core`.

A subcommand module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (a callable taking the parsed namespace and returning an exit code). Add a new
subcommand by adding its module name to :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from goesvfi import __version__
from goesvfi.cli import gui
from goesvfi.cli.common import OneLineParser, common_options
from goesvfi.cli.errors import cli_message
from goesvfi.cli.history import run_recorded
from goesvfi.core.errors import GoesVfiError

SUBCOMMANDS: tuple[str, ...] = (
    "goesvfi.cli.check",
    "goesvfi.cli.config_cmd",
    "goesvfi.cli.render",
    "goesvfi.cli.info",
    "goesvfi.cli.models",
    "goesvfi.cli.run",
    "goesvfi.cli.jobs",
    "goesvfi.cli.demo",
    "goesvfi.cli.fetch",
    "goesvfi.cli.doctor",
    "goesvfi.cli.gui",
    "goesvfi.cli.install_desktop",
    "goesvfi.cli.history",
)

log = logging.getLogger("goesvfi.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="goesvfi",
        description="Smooth timelapse videos from GOES ABI satellite imagery.",
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"goesvfi {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=OneLineParser)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    if not getattr(args, "func", None) and not gui.open_by_default(args):
        parser.print_help()  # plain `goesvfi` with no display: the help
        return 0
    try:
        from goesvfi.core.config import load_settings, log_dir
        from goesvfi.core.logs import correlation_scope, setup_logging

        setup_logging(debug=True if debug else None)  # until the settings say more: warnings reading them
        settings = load_settings()
        debug_value: str | bool = True if debug else settings.debug
        debug = debug or bool(settings.debug and settings.debug != "0")
        setup_logging(
            debug=debug_value,
            json_format=settings.log_json,
            log_directory=log_dir() if settings.log_file else None,
            extra_file=getattr(args, "job_log", None),  # 'run --detach' gives its child a job log
        )
        args.settings = settings
        with correlation_scope():
            log.debug("goesvfi %s %s", __version__, " ".join(sys.argv[1:] if argv is None else argv))
            result: int = run_recorded(args)  # the commands that do work go in the history
        return result
    except GoesVfiError as exc:
        if debug:
            traceback.print_exc()
        print(f"goesvfi: error: {cli_message(exc, getattr(args, 'flag_names', None))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("goesvfi: interrupted", file=sys.stderr)
        return 130
    except PermissionError as exc:
        # The user's files or folders, not a bug: say which, in one line.
        _log_to_files("permission denied", exc)
        if debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"goesvfi: error: {where}permission denied; check the permissions or choose another place",
              file=sys.stderr)  # fmt: skip
        return 2
    except BrokenPipeError:
        # The reader of our output went away (``goesvfi check ... | head``): not an error.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown quiet
        return 0
    except Exception as exc:  # noqa: BLE001 - the last resort: one line here, the traceback in the log file
        _log_to_files("internal error", exc)
        if debug:
            traceback.print_exc()
        where = "the traceback is above" if debug else "run again with --debug for the traceback"
        text = " ".join(str(exc).split())
        print(f"goesvfi: internal error: {type(exc).__name__}: {text} ({where}, and please report it)",
              file=sys.stderr)  # fmt: skip
        return 1


def _log_to_files(message: str, exc: BaseException) -> None:
    """Write ``message`` with the traceback to the log files only: the terminal gets one line."""
    record = log.makeRecord(
        log.name, logging.ERROR, __file__, 0, message, (), (type(exc), exc, exc.__traceback__)
    )
    for handler in logging.getLogger("goesvfi").handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
