"""Core messages are read by people who never typed a flag: they never name a CLI flag or command.

Two checks: a scan of every string the core writes (all string literals and f-strings outside
docstrings, so messages, hints, log lines and setting descriptions alike), and the text of errors
the core really raises. A string that is one bare token (``"--no-deps"`` in a pip argument list)
is an argument for another program, not prose, and is left alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import goesvfi.core
from goesvfi.core.errors import GoesVfiError, UserInputError, describe

CORE = Path(goesvfi.core.__file__).parent

CLI_WORDS = re.compile(
    r"(?<![\w-])--[a-z]"  # a long flag: --fps, --resume
    r"|(?<![\w-])-o\s"  # the output flag
    r"|\bgoesvfi (run|fetch|check|render|models|jobs|config|info|demo|doctor)\b"
)


def _docstring_ids(tree: ast.AST) -> set[int]:
    """Strings standing alone as statements: docstrings of modules, classes, functions, attributes."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _text(node: ast.AST) -> str | None:
    """The prose of a string literal, an f-string with ``{}`` for its fields; None for others."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "{}"
            for part in node.values
        )
    return None


def core_strings(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal in ``source`` that is prose, not a docstring."""
    tree = ast.parse(source)
    skip = _docstring_ids(tree)
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(part) for part in node.values)
    for node in ast.walk(tree):
        if id(node) in skip or id(node) in inner:
            continue
        text = _text(node)
        if text is None or not text.strip() or len(text.split()) < 2:
            continue
        yield getattr(node, "lineno", 0), text


def offenders(source: str) -> list[tuple[int, str]]:
    return [(line, text) for line, text in core_strings(source) if CLI_WORDS.search(text)]


def test_the_scan_finds_cli_words_in_messages_hints_and_log_lines() -> None:
    source = '''
"""Docstrings may name ``goesvfi run --resume``."""
def f(fps, log):
    """So may this one: --fps."""
    log.warning("slow; use --threads to go faster")
    cmd = ["pip", "--no-deps", "-o", "out"]
    raise ValueError(f"--fps {fps} is out of range", hint="start over with 'goesvfi run'")
'''
    found = sorted(text for _, text in offenders(source))
    assert found == [
        "--fps {} is out of range",
        "slow; use --threads to go faster",
        "start over with 'goesvfi run'",
    ]


def test_no_core_string_names_a_cli_flag_or_command() -> None:
    found = [
        f"{path.relative_to(CORE.parent.parent)}:{line}: {text!r}"
        for path in sorted(CORE.rglob("*.py"))
        for line, text in offenders(path.read_text(encoding="utf-8"))
    ]
    assert not found, "core strings worded for the CLI:\n" + "\n".join(found)


def _raised() -> Iterator[BaseException]:
    """Errors the core raises for common mistakes, each from the real code path."""
    from goesvfi.core import integrity
    from goesvfi.core.encode.settings import EncodeSettings, apply_profile
    from goesvfi.core.pipeline.frames import Crop
    from goesvfi.core.remote.job import FetchRequest
    from goesvfi.core.render.api import RenderOptions
    from goesvfi.core.render.colourmaps import resolve_table
    from goesvfi.core.render.geo import check_box
    from goesvfi.core.timeindex import detect_interval

    calls = [
        lambda: integrity.interval_from_minutes("soon"),
        lambda: integrity.interval_from_minutes("-5"),
        lambda: integrity.tolerance_from_seconds("x"),
        lambda: detect_interval([]),
        lambda: Crop.parse("1,2,3"),
        lambda: Crop.parse("-1,0,10,10"),
        lambda: apply_profile(EncodeSettings(), "nope"),
        lambda: RenderOptions(dqf="nope").check(),
        lambda: RenderOptions(downsample=0).check(),
        lambda: RenderOptions(lat=(1.0, 2.0)).check(),
        lambda: resolve_table("nope", "bt", (180.0, 320.0), 2.0),
        lambda: resolve_table("ir-colour", "reflectance", (180.0, 320.0), 2.0),
        lambda: check_box((10.0, 20.0), (200.0, 300.0)),
        lambda: check_box((20.0, 10.0), (0.0, 10.0)),
        lambda: FetchRequest("east", "ABI-L1b-RadC", 99, Path("x")).wanted_frames(),
        lambda: FetchRequest("east", "ABI-L1b-RadC", 13, Path("x")).wanted_frames(),
    ]
    for call in calls:
        try:
            call()
        except GoesVfiError as exc:
            yield exc
        else:  # pragma: no cover - a call that stopped raising is a broken test
            raise AssertionError(f"{call} did not raise")


def test_errors_raised_by_the_core_carry_no_cli_words() -> None:
    errors = list(_raised())
    assert errors
    for exc in errors:
        assert isinstance(exc, GoesVfiError)
        assert not CLI_WORDS.search(str(exc)), str(exc)
        assert not CLI_WORDS.search(describe(exc, {})), describe(exc, {})


def test_errors_about_a_setting_name_it_and_its_value() -> None:
    from goesvfi.core.pipeline.frames import Crop

    with pytest.raises(GoesVfiError) as info:
        Crop.parse("1,2,3")
    assert info.value.setting == "crop"
    assert info.value.value == "1,2,3"
    assert describe(info.value, {"crop": "--crop"}).startswith("--crop 1,2,3: ")


def test_describe_puts_the_front_ends_name_in_front() -> None:
    exc = UserInputError("the frame rate must be between 0.1 and 240", setting="fps", value=300)
    assert describe(exc, {"fps": "--fps"}) == "--fps 300: the frame rate must be between 0.1 and 240"
    assert (
        describe(exc, {"fps": "Frame rate"}) == "Frame rate 300: the frame rate must be between 0.1 and 240"
    )
    assert describe(exc, {}) == "fps 300: the frame rate must be between 0.1 and 240"


def test_the_cli_names_the_flag_and_words_command_hints() -> None:
    from goesvfi.cli.errors import cli_message
    from goesvfi.core.jobs.checkpoint import NoJobError

    exc = NoJobError(
        "there is no job to resume in /j", setting="resume", hint="start the job without resuming"
    )
    assert cli_message(exc) == (
        "--resume: there is no job to resume in /j; run the same command without --resume to start it"
    )
    assert exc.hint == "start the job without resuming"  # the core's hint is left for other front ends
    crf = UserInputError("must be 0-51", setting="encode.crf", value=99)
    assert cli_message(crf) == "--crf 99: must be 0-51"
    assert cli_message(crf, {"encode.crf": "--quality"}) == "--quality 99: must be 0-51"
