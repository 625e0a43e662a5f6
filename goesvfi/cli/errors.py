"""How the command line words a core error: the flag for each setting, and hints that name commands.

Core errors carry ``setting``, ``value`` and ``hint`` instead of flag words (see
:mod:`goesvfi.core.errors`). :data:`CLI_NAMES` maps a setting to the flag or argument a user of
the command line knows it by; a subcommand adds or overrides names through its parser's
``flag_names`` default. A few errors are best answered with a command, which only the CLI knows:
:data:`CLI_HINTS` replaces their core hint.
"""

from __future__ import annotations

from collections.abc import Mapping

from goesvfi.core.errors import GoesVfiError, describe

# Request fields and settings keys -> the flag or argument of the command line.
CLI_NAMES: dict[str, str] = {
    # goesvfi run
    "input_dir": "INPUT_DIR",
    "output": "-o",
    "fps": "--fps",
    "pipeline.fps": "--fps",
    "multiplier": "--multiplier",
    "pipeline.multiplier": "--multiplier",
    "colour": "--colour",
    "pipeline.colour": "--colour",
    "colour_table": "--colour-table",
    "pipeline.colour_table": "--colour-table",
    "crop": "--crop",
    "frames_out": "--frames-out",
    "job_dir": "--job-dir",
    "resume": "--resume",
    "on_bad_frame": "--on-bad-frame",
    "pipeline.on_bad_frame": "--on-bad-frame",
    "vfi.backend": "--interpolator",
    "vfi.rife_scale": "--scale",
    "encode.profile": "--profile",
    "encode.encoder": "--encoder",
    "encode.crf": "--crf",
    "encode.preset": "--preset",
    # goesvfi check
    "folder": "DIR",
    "start": "--start",
    "end": "--end",
    "interval": "--interval",
    "tolerance": "--tolerance",
    "satellite": "--satellite",
    "csv": "--csv",
    # goesvfi fetch
    "product": "--product",
    "band": "--band",
    "meso": "--meso",
    "dest": "--dest",
    "fill": "--fill",
    "remote.source": "--source",
    "remote.s3_endpoint": "--s3-endpoint",
    "remote.cdn_base": "--cdn-base",
    "remote.concurrency": "--concurrency",
    "remote.retries": "--retries",
    "remote.max_rate": "--max-rate",
    # goesvfi render
    "inputs": "INPUT",
    "out_dir": "--out",
    "underlay": "--underlay",
    "lat": "--lat",
    "lon": "--lon",
    "dqf": "--dqf",
    "downsample": "--downsample",
    "size": "--size",
    "projection": "--projection",
    "bit_depth": "--bits",
    # goesvfi models install
    "wheel": "--wheel",
}

# Error class name, or setting, -> the hint the command line gives instead of the core's.
CLI_HINTS: dict[str, str] = {
    "NoJobError": "run the same command without --resume to start it",
    "JobMismatchError": "run it without --resume to start over, or resume with the original arguments",
    "JobBusyError": "wait for it, or stop it with 'goesvfi jobs cancel JOBDIR'",
    "vfi.rife_model": "install it with 'goesvfi models install'",
}


def cli_message(error: GoesVfiError, names: Mapping[str, str] | None = None) -> str:
    """One line for the terminal: the flag, the refused value, the message and a hint.

    ``names`` (a subcommand's ``flag_names``) take precedence over :data:`CLI_NAMES`.
    """
    core_hint = error.hint
    error.hint = CLI_HINTS.get(type(error).__name__) or CLI_HINTS.get(error.setting or "", core_hint)
    try:
        return describe(error, {**CLI_NAMES, **(names or {})})
    finally:
        error.hint = core_hint
