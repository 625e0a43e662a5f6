"""``python -m goesvfi``: same as the ``goesvfi`` console script."""

import sys

from goesvfi.cli import main

if __name__ == "__main__":  # not when a job's child process imports the main module
    sys.exit(main())
