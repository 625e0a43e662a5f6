"""Helpers shared by the subcommand modules: parser class, common flags, JSON output, parsing."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

from goesvfi.core.errors import UserInputError


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def common_options() -> argparse.ArgumentParser:
    """Flags accepted before and after the subcommand name."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="verbose logging and full tracebacks",
    )
    return parent


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with the results on stdout"
    )


def emit_json(payload: dict[str, Any]) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def iso_utc(when: datetime) -> str:
    """``2024-05-01T12:01:17Z`` (fractions of a second kept only when present)."""
    moment = when.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_time_arg(text: str, option: str) -> datetime:
    """Parse an ISO 8601 argument; naive times are UTC. Raises a one-line UserInputError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UserInputError(
            f"{option} '{text}' is not an ISO 8601 time; write it like 2024-05-01T12:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def positive_float(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"{option} '{text}' is not a number; give a positive number") from None
    if not value > 0 or value != value or value == float("inf"):
        raise UserInputError(f"{option} must be a positive number, got '{text}'")
    return value
