"""``python -m goesvfi``: same as the ``goesvfi`` console script."""

import sys

from goesvfi.cli import main

sys.exit(main())
