"""``goesvfi history``: what ran, when, how long it took and why it failed.

``goesvfi history [--kind K] [--status S] [--since ISO] [--until ISO] [--search TEXT] [--limit N]
[--json]`` lists operations, newest first; ``goesvfi history show ID`` prints one with its
parameters, error and log lines; ``goesvfi history export FILE.csv|FILE.json`` writes the listed
operations; ``goesvfi history clear --older-than DAYS`` forgets old ones; ``goesvfi history stats``
prints per-kind metrics.

:func:`run_recorded` is how ``main()`` runs every command: the ones that do work (:data:`RECORDED`)
are recorded in the history under the command's name, with its arguments as parameters.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json, iso_utc, parse_time_arg
from goesvfi.core.errors import GoesVfiError, UserInputError

ACTIONS = ("list", "show", "export", "clear", "stats")
RECORDED = ("check", "fetch", "render", "run", "demo")
STATUSES = ("running", "ok", "failed", "cancelled", "interrupted")  # core.history.STATUSES
CANCEL_CODES = (129, 130, 143)  # SIGHUP, SIGINT, SIGTERM
# Arguments that are not the user's parameters; the ones that name what a command wrote.
_NOT_PARAMS = ("settings", "func", "flag_names", "command")
_OUTPUTS = ("output", "out", "dest", "csv", "frames_out", "job_dir")
_TIMES = ("mean", "min", "max", "total")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history",
        help="list past operations, show one with its log lines, export or clear them",
        description="Every check, fetch, render, run and demo is recorded with its arguments, "
        "duration, outcome and error. 'show ID' adds the log lines of that operation; 'export' "
        "writes the listed operations to FILE.csv or FILE.json; 'clear' needs --older-than; 'stats' "
        "prints counts, success and durations per kind.",
        parents=[common_options()],
    )
    parser.add_argument("action", nargs="?", choices=ACTIONS, default="list")
    parser.add_argument("target", nargs="?", metavar="ID|FILE", help="operation id (show), file (export)")
    parser.add_argument("--kind", metavar="K", help="only this kind: check, fetch, render, run, demo...")
    parser.add_argument("--status", choices=STATUSES, help="only operations that ended so")
    parser.add_argument("--since", metavar="ISO8601", help="only operations started at or after this time")
    parser.add_argument("--until", metavar="ISO8601", help="only operations started before this time")
    parser.add_argument("--search", metavar="TEXT", help="only operations whose arguments or error hold TEXT")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (default 20; 0 = all)")
    parser.add_argument("--older-than", type=float, metavar="DAYS", help="clear: operations older than DAYS")
    add_json_flag(parser)
    parser.set_defaults(func=run, flag_names={"path": "FILE"})


# -- recording the other commands --------------------------------------------------------------------


def run_recorded(args: argparse.Namespace) -> int:
    """Run ``args.func(args)``; record it in the history when the command does work."""
    command = getattr(args, "command", None)
    if command not in RECORDED or getattr(args, "detach", False):  # a detached run records itself
        result: int = args.func(args)
        return result
    from goesvfi.core.history import record

    params = {key: value for key, value in vars(args).items() if key not in _NOT_PARAMS}
    with record(command, params, settings=args.settings.history) as handle:
        try:
            result = args.func(args)
        except GoesVfiError as exc:
            handle.results["exit_code"] = exc.exit_code
            raise
        handle.results["exit_code"] = result
        for name in _OUTPUTS:
            if getattr(args, name, None) is not None:
                handle.results[name] = str(getattr(args, name))
        if result in CANCEL_CODES:
            handle.status = "cancelled"
        elif result != 0:
            handle.fail(f"exited with code {result}")
    return result


# -- the history command -----------------------------------------------------------------------------


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "kind": args.kind,
        "status": args.status,
        "since": parse_time_arg(args.since, "--since") if args.since else None,
        "until": parse_time_arg(args.until, "--until") if args.until else None,
        "text": args.search,
    }


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _line(op: Any) -> str:
    error = f"  {op.error['message']}" if op.error else ""
    return (
        f"{op.id:>6}  {iso_utc(op.started)}  {op.kind:8} {op.status:11} {_duration(op.duration_s):>9}"
        f"  {op.correlation_id}{error}"
    )


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.history import shared_store

    store = shared_store(args.settings.history)
    if args.limit < 0:
        raise UserInputError(f"--limit must be 0 or more, got {args.limit}")
    if args.action == "show":
        return _show(args, store)
    if args.action == "clear":
        return _clear(args, store)
    if args.action == "stats":
        return _stats(args, store)
    if args.action == "export" and not args.target:
        raise UserInputError("history export needs a file: goesvfi history export FILE.csv|FILE.json")
    filters = _filters(args)
    limit = None if args.limit == 0 or args.action == "export" else args.limit
    operations = store.query(**filters, limit=limit)
    if args.action == "export":
        from pathlib import Path

        from goesvfi.core.history import export

        path = export(operations, Path(args.target))
        if args.json:
            emit_json({"path": str(path), "operations": len(operations)})
        else:
            print(f"wrote {len(operations)} operations to {path}")
        return 0
    if args.json:
        emit_json({"operations": [op.to_json() for op in operations]})
        return 0
    for op in operations:
        print(_line(op))
    if not operations:
        print("no operations recorded" + (" that match" if any(filters.values()) else ""))
    return 0


def _clear(args: argparse.Namespace, store: Any) -> int:
    if args.older_than is None or args.older_than < 0:
        raise UserInputError("history clear needs --older-than DAYS (0 clears every finished operation)")
    removed = store.clear(older_than_days=args.older_than)
    if args.json:
        emit_json({"removed": removed})
    else:
        print(f"removed {removed} operation{'s' * (removed != 1)}")
    return 0


def _stats(args: argparse.Namespace, store: Any) -> int:
    filters = _filters(args)
    stats = store.stats(kind=filters["kind"], since=filters["since"], until=filters["until"])
    if args.json:
        emit_json({"kinds": [s.to_json() for s in stats]})
        return 0
    columns = ("count", "ok", "failed", "cancelled")
    print(f"{'kind':8}" + "".join(f"{c:>10}" for c in columns) + "".join(f"{c:>10}" for c in _TIMES))
    for s in stats:
        counts = (s.count, s.successes, s.failures, s.cancelled)
        times = (s.mean_s, s.min_s, s.max_s, s.total_s)
        cells = [f"{n:>10}" for n in counts] + [f"{_duration(t):>10}" for t in times]
        print(f"{s.kind:8}" + "".join(cells))
    return 0


def _show(args: argparse.Namespace, store: Any) -> int:
    from goesvfi.core.history import log_lines

    try:
        op_id = int(args.target or "")
    except ValueError:
        raise UserInputError("history show needs an operation id; list them with 'goesvfi history'") from None
    op = store.get(op_id)
    if op is None:
        raise UserInputError(f"no operation {op_id} in the history; list them with 'goesvfi history'")
    lines = log_lines(op.correlation_id)
    if args.json:
        emit_json({**op.to_json(), "log": lines})
        return 0
    print(_line(op))
    print(f"started      {iso_utc(op.started)}")
    print(f"ended        {iso_utc(op.ended) if op.ended else '-'}")
    print(f"process      {op.pid} on {op.host}")
    params = json.dumps(op.params, indent=2, ensure_ascii=False)
    print("parameters   " + params.replace("\n", "\n" + " " * 13))
    print("results      " + json.dumps(op.results, ensure_ascii=False))
    if op.error:
        for key, value in op.error.items():
            if value is not None:
                print(f"error.{key:7} {value}")
    print(f"log lines    {len(lines)} with correlation id {op.correlation_id}")
    for line in lines:
        print(f"  {line}")
    return 0
