"""The root of every GOES-VFI exception tree.

::

    GoesVfiError                    anything the application raises on purpose
    ├── UserInputError              bad argument, missing folder, invalid setting (exit 2)
    │   └── ConfigError             a setting has an invalid value
    └── OperationError              the work ran and failed (exit 1)

Each core package derives its own small tree from these two branches, so the CLI
and the view-models can turn any of them into one line for a person without a
traceback.

Core messages are read by people who never typed a flag (the desktop app shows them too), so a
message never names a CLI flag or command. What a front end needs to word it its own way travels
as structured fields:

- ``setting``: the request field or settings key the error is about (``fps``, ``output``,
  ``encode.crf``, ``vfi.rife_scale``); the CLI maps it to a flag, the GUI to a control's label;
- ``value``: the value that was refused (``None`` when there is none to show);
- ``hint``: what to do next, worded without flags ("choose a folder you can write to").

``str(error)`` is the message followed by the hint, readable on its own; :func:`describe` puts
a front end's name for the setting in front of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GoesVfiError(Exception):
    """Base class; ``exit_code`` is what the CLI returns for it."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        setting: str | None = None,
        value: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.value = value
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def fields(self) -> dict[str, Any]:
        """The structured fields, for JSON output and the GUI's error dialog."""
        return {
            "kind": type(self).__name__,
            "message": self.message,
            "setting": self.setting,
            "value": None if self.value is None else str(self.value),
            "hint": self.hint,
        }


class UserInputError(GoesVfiError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class ConfigError(UserInputError):
    """A setting (file or ``GOESVFI_*`` variable) has an invalid value."""


class OperationError(GoesVfiError):
    """The job ran and failed for a reason outside the user's arguments."""

    exit_code = 1


def describe(error: GoesVfiError, names: Mapping[str, str]) -> str:
    """One line for a person: ``NAME VALUE: message; hint``.

    ``names`` maps a ``setting`` to the front end's word for it (a CLI flag, a GUI label); a
    setting missing from ``names`` is shown as it is.
    """
    if error.setting is None:
        return str(error)
    name = names.get(error.setting, error.setting)
    shown = "" if error.value is None else f" {error.value}"
    return f"{name}{shown}: {error}"


def fields_of(exc: BaseException) -> dict[str, Any]:
    """The structured fields of any exception: a core error's own, and plain words for the rest
    (out of memory, an OS error naming its file, or a bug to report)."""
    if isinstance(exc, GoesVfiError):
        return exc.fields()
    if isinstance(exc, MemoryError):
        message, hint = "the job ran out of memory", "close other programs, or use a smaller crop or scale"
    elif isinstance(exc, OSError):
        message, hint = f"{exc.strerror or exc}", "check that the files and folders are there and writable"
    else:
        message, hint = f"unexpected error: {exc}", "this is a bug; please report it with the details below"
    return {
        "kind": type(exc).__name__,
        "message": message,
        "setting": None,
        "value": getattr(exc, "filename", None),
        "hint": hint,
    }
