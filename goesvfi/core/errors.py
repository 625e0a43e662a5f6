"""The root of every GOES-VFI exception tree.

::

    GoesVfiError                    anything the application raises on purpose
    ├── UserInputError              bad argument, missing folder, invalid setting (exit 2)
    │   └── ConfigError             a setting has an invalid value
    └── OperationError              the work ran and failed (exit 1)

Each core package derives its own small tree from these two branches, so the CLI
and the view-models can turn any of them into one line for a person without a
traceback. The message of the exception *is* the user-facing text: write it as a
sentence that names the file or argument and says what to do.
"""

from __future__ import annotations


class GoesVfiError(Exception):
    """Base class; ``exit_code`` is what the CLI returns for it."""

    exit_code: int = 1


class UserInputError(GoesVfiError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class ConfigError(UserInputError):
    """A setting (file or ``GOESVFI_*`` variable) has an invalid value."""


class OperationError(GoesVfiError):
    """The job ran and failed for a reason outside the user's arguments."""

    exit_code = 1
