#!/usr/bin/env bash
# Set up (with the dev tools) and run every check: ruff format and ruff check, mypy strict on
# the core, the import contracts (no Qt in the core, the core's layers, no import cycles), then
# the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff format"
.venv/bin/ruff format --check .
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy (strict, goesvfi/core)"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
