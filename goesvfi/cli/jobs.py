"""``goesvfi jobs list|status|pause|resume|cancel [JOBDIR]``: see and steer running jobs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from goesvfi.cli.common import add_json_flag, common_options, emit_json
from goesvfi.core.errors import UserInputError

ACTIONS = ("list", "status", "pause", "resume", "cancel")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "jobs",
        help="list jobs, show their progress, pause, resume or cancel them",
        description="Jobs started by 'goesvfi run' keep a folder with their checkpoint. Without "
        "JOBDIR, the action applies to the one running job. 'pause' stops between two frames; "
        "'resume' continues a paused job (to continue a stopped job, use 'goesvfi run --resume').",
        parents=[common_options()],
    )
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("job_dir", nargs="?", type=Path, metavar="JOBDIR")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _describe(folder: Any) -> dict[str, Any]:
    info: dict[str, Any] = folder.info().to_json()
    return info


def _pick(job_dir: Path | None) -> Any:
    from goesvfi.core.jobs.checkpoint import JobFolder, NoJobError, known_jobs

    if job_dir is not None:
        folder = JobFolder(job_dir)
        if not folder.exists():
            raise NoJobError(f"{job_dir} holds no job; see 'goesvfi jobs list'")
        return folder
    running = [f for f in known_jobs() if f.is_running()]
    if len(running) == 1:
        return running[0]
    raise UserInputError(
        f"{len(running)} jobs are running; name one: goesvfi jobs ACTION JOBDIR (see 'goesvfi jobs list')"
    )


def run(args: argparse.Namespace) -> int:
    from goesvfi.core.jobs.checkpoint import known_jobs
    from goesvfi.core.jobs.control import ControlFile

    if args.action == "list":
        jobs = [_describe(f) for f in known_jobs()]
        if args.json:
            emit_json({"jobs": jobs})
        else:
            for job in jobs:
                print(
                    f"{job['status']:11} {job['frames_done']:>6}/{job['frames_total']:<6} "
                    f"{job['job_dir']}  -> {job['output']}"
                )
            if not jobs:
                print("no jobs")
        return 0
    folder = _pick(args.job_dir)
    if args.action in ("pause", "resume", "cancel"):
        if folder.status() not in ("running", "paused"):
            raise UserInputError(
                f"job {folder.path} is not running; continue it with 'goesvfi run ... --resume'"
            )
        ControlFile.request(folder.path, {"pause": "pause", "resume": "run", "cancel": "cancel"}[args.action])
        info = _describe(folder)
        info["requested"] = args.action
        if args.json:
            emit_json(info)
        else:
            print(f"{args.action} requested for {folder.path} (pid {info['pid']})")
        return 0
    info = _describe(folder)
    if args.json:
        emit_json(info)
    else:
        for key, value in info.items():
            print(f"{key:15} {value}")
    return 0
