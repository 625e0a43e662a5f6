"""``python -m goesvfi``: same as the ``goesvfi`` console script."""

import os
import sys

from goesvfi.cli import main

if __name__ == "__main__":  # not when a job's child process imports the main module
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # pythonw (the Windows Start-menu entry) has no console
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - open until the process ends
    sys.exit(main())
