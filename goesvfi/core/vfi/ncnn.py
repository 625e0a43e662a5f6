"""``ncnn``: the external ``rife-ncnn-vulkan`` binary (Vulkan GPU, or CPU with ``gpu=-1``).

The binary reads and writes image files, so frames go through one temporary folder per
sequence, and the binary runs once per doubling pass over the whole folder (``-i in -o out``),
never once per pair and never with a ``--help`` probe. In folder mode it writes
``2·K`` frames for ``K`` inputs (output i is at time ``i/2``; the last one repeats the last
input), so a power-of-two multiplier takes log2(N) passes. Models whose folder name contains
``rife-v4`` take a timestep, so any multiplier N runs in one pass with ``-n K·N``.
Pipelines should call :meth:`NcnnInterpolator.interpolate_sequence`; the pair method exists
for the protocol and runs the binary once per call.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from goesvfi.core.vfi.base import (
    BackendUnavailableError,
    FrameInputError,
    VfiError,
    like,
    pair_via_sequence,
    to_rgb,
)

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np

log = logging.getLogger(__name__)

BINARY_NAME = "rife-ncnn-vulkan"


def find_binary(explicit: str | Path | None = None) -> Path | None:
    """The binary at ``explicit`` or on PATH, if it exists and is executable (it is not run)."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(BINARY_NAME)
    return Path(found) if found else None


class NcnnInterpolator:
    """rife-ncnn-vulkan behind the protocol."""

    name = "ncnn"

    def __init__(
        self,
        binary: str | Path | None = None,
        model: str | Path | None = None,
        gpu: int | None = None,
        uhd: bool = False,
        tta: bool = False,
        jobs: str = "1:2:2",
        timeout_s: float = 3600.0,
    ) -> None:
        path = find_binary(binary)
        if path is None:
            where = f"at {binary}" if binary else "on PATH"
            raise BackendUnavailableError(
                f"{BINARY_NAME} not found {where}", setting="vfi.backend", value="ncnn",
                hint="install it, or use the rife or flow interpolator",
            )  # fmt: skip
        if model is not None and not Path(model).is_dir():
            raise FrameInputError(
                f"ncnn model folder {model} does not exist; give a folder like models/rife-v4.6"
            )
        self.binary = path
        self.model = Path(model) if model is not None else None
        self.timestep_model = self.model is not None and "rife-v4" in self.model.name
        self.options: list[str] = []
        if self.model is not None:
            self.options += ["-m", str(self.model)]
        if gpu is not None:
            self.options += ["-g", str(gpu)]
        if uhd:
            self.options.append("-u")
        if tta:
            self.options.append("-x")
        self.options += ["-j", jobs]
        self.timeout_s = timeout_s
        self.runs = 0

    def interpolate(self, frame0: np.ndarray, frame1: np.ndarray, times: Sequence[float]) -> list[np.ndarray]:
        return pair_via_sequence(self, frame0, frame1, times)

    def interpolate_sequence(self, frames: Sequence[np.ndarray], multiplier: int) -> Iterator[np.ndarray]:
        """All frames with ``multiplier - 1`` made between each pair; inputs pass through as given."""
        import cv2
        import numpy as np

        if len(frames) < 2:
            raise FrameInputError("ncnn interpolation needs at least two frames")
        passes = _doublings(multiplier)
        if passes is None and not self.timestep_model:
            raise FrameInputError(
                f"multiplier {multiplier} needs a rife-v4 ncnn model (timestep input); "
                "use a power of two or give model=<folder named rife-v4...>"
            )
        first = to_rgb(frames[0], "frame 0")
        inputs = [first] + [to_rgb(f, f"frame {i}") for i, f in enumerate(frames[1:], start=1)]
        if any(f.shape != first.shape for f in inputs):
            raise FrameInputError("ncnn interpolation needs frames of one size")
        with tempfile.TemporaryDirectory(prefix="goesvfi-ncnn-") as scratch:
            current = Path(scratch) / "pass0"
            current.mkdir()
            for i, frame in enumerate(inputs):
                cv2.imwrite(str(current / f"{i + 1:08d}.png"), cv2.cvtColor(_u8(frame), cv2.COLOR_RGB2BGR))
            count = len(inputs)
            steps = [(2, count * 2)] * passes if passes is not None else [(multiplier, count * multiplier)]
            for index, (factor, target) in enumerate(steps, start=1):
                out = Path(scratch) / f"pass{index}"
                out.mkdir()
                extra = ["-n", str(target)] if passes is None else []
                self._run(["-i", str(current), "-o", str(out), "-f", "%08d.png", *extra])
                count = (count - 1) * factor + 1
                current = self._keep_first(out, count)
            for position, name in enumerate(sorted(current.iterdir())):
                k, r = divmod(position, multiplier)
                if r == 0:
                    yield inputs[k]
                    continue
                image = cv2.imread(str(name), cv2.IMREAD_COLOR)
                if image is None:
                    raise VfiError(f"{BINARY_NAME} wrote an unreadable image {name.name}")
                yield like(cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0, first)

    def _keep_first(self, folder: Path, count: int) -> Path:
        names = sorted(folder.iterdir())
        if len(names) < count:
            raise VfiError(f"{BINARY_NAME} wrote {len(names)} frames into {folder.name}, expected {count}")
        for extra in names[count:]:
            extra.unlink()
        return folder

    def _run(self, arguments: list[str]) -> None:
        command = [str(self.binary), *arguments, *self.options]
        log.info("ncnn: %s", " ".join(command))
        self.runs += 1
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VfiError(f"{BINARY_NAME} could not run: {exc}") from exc
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
            raise VfiError(f"{BINARY_NAME} failed (exit {done.returncode}): {last[0]}")

    def close(self) -> None:
        """Nothing persistent: temporary folders are removed after each sequence."""


def _doublings(multiplier: int) -> int | None:
    if multiplier < 2:
        raise FrameInputError(f"multiplier must be 2 or more, got {multiplier}")
    passes = multiplier.bit_length() - 1
    return passes if 1 << passes == multiplier else None


def _u8(frame: np.ndarray) -> np.ndarray:
    import numpy as np

    if frame.dtype == np.uint8:
        return frame
    return np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
