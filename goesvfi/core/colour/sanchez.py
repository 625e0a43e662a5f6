"""Wrapper around Sanchez, the external .NET false-colour tool (not shipped with GOES-VFI).

* :func:`find_sanchez` looks in the configured path, ``bin/sanchez/<platform>/``, the user data
  folder and ``PATH``; :func:`health_check` (cached for five minutes) checks that the binary
  exists, is executable, runs, and has its ``Resources`` (satellite table, gradients) beside it.
* Inputs are validated (PNG/JPEG/TIFF, at most 500 MB, 100-10000 px a side) and copied under
  the goestools-style name Sanchez needs to recognise the satellite
  (``GOES19_FD_CH13_20250508T000020Z.png``); otherwise it fails with "unable to find filename
  parser".
* ``-r`` is passed exactly as ``0.5``, ``1``, ``2`` or ``4``. The child runs with a timeout,
  honours the cancel token, is killed when its memory (psutil RSS, children included) passes
  the limit, and reports progress from the growth of its output.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from goesvfi.core.atomic import atomic_path
from goesvfi.core.colour.errors import ColourError, ColourInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from goesvfi.core.jobs.control import CancelToken
    from goesvfi.core.jobs.progress import ProgressEvent

ProgressCallback = Callable[["ProgressEvent"], None]

HEALTH_TTL_S = 300.0
RESOLUTIONS = ("0.5", "1", "2", "4")
MAX_INPUT_BYTES = 500 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 100, 10000
_SIGNATURES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"II*\x00": "tif", b"MM\x00*": "tif"}


class SanchezError(ColourError):
    """Sanchez ran and failed, timed out or used too much memory."""


class SanchezMissingError(ColourInputError):
    """No usable Sanchez binary was found."""


class SanchezInputError(ColourInputError):
    """The image cannot be given to Sanchez."""


def platform_dir() -> str:
    """``linux-x64``, ``osx-arm64``, ``win-x64``... as in Sanchez's release archives."""
    system = {"Darwin": "osx", "Windows": "win"}.get(platform.system(), "linux")
    machine = platform.machine().lower()
    return f"{system}-{'arm64' if machine in ('arm64', 'aarch64') else 'x64'}"


def _binary_names() -> tuple[str, ...]:
    return ("Sanchez.exe", "sanchez.exe") if os.name == "nt" else ("Sanchez", "sanchez")


def search_paths(configured: Path | None = None) -> list[Path]:
    """Where :func:`find_sanchez` looks, in order."""
    from goesvfi.core.config import data_dir

    repo_bin = Path(__file__).resolve().parents[3] / "bin" / "sanchez" / platform_dir()
    places = [data_dir() / "sanchez" / platform_dir(), repo_bin]
    paths = [Path(configured)] if configured else []
    paths += [place / name for place in places for name in _binary_names()]
    paths += [Path(found) for name in _binary_names() if (found := shutil.which(name))]
    return paths


def find_sanchez(configured: Path | None = None) -> Path:
    """The first Sanchez binary found; :class:`SanchezMissingError` naming where it looked."""
    if configured is not None:
        if Path(configured).is_file():
            return Path(configured)
        raise SanchezMissingError(
            f"Sanchez binary {configured} (setting render.sanchez_path) does not exist; fix the path"
        )
    for path in search_paths():
        if path.is_file():
            return path
    where = f"bin/sanchez/{platform_dir()}/, the user data folder's sanchez/{platform_dir()}/ or PATH"
    raise SanchezMissingError(
        f"Sanchez is not installed (looked in {where})",
        setting="colour",
        value="sanchez",
        hint="see bin/sanchez/README.md, or use the native false colour, which needs nothing extra",
    )


@dataclass(frozen=True, slots=True)
class Health:
    """The result of a health check."""

    binary: Path
    problems: tuple[str, ...]
    checked_at: float

    @property
    def ok(self) -> bool:
        return not self.problems


_health_cache: dict[Path, Health] = {}
_health_lock = threading.Lock()


def _probe(binary: Path) -> list[str]:
    problems: list[str] = []
    if not binary.is_file():
        return [f"{binary} does not exist"]
    if os.name != "nt" and not os.access(binary, os.X_OK):
        return [f"{binary} is not executable (chmod +x it)"]
    try:
        done = subprocess.run(
            [str(binary), "--help"], capture_output=True, text=True, timeout=20, check=False
        )
        text = (done.stdout + done.stderr).lower()
        if "geostationary" not in text and "sanchez" not in text:
            problems.append(f"{binary} does not describe itself as Sanchez when asked for its help")
    except (OSError, subprocess.SubprocessError) as exc:
        problems.append(f"{binary} does not run: {exc}")
    resources = binary.parent / "Resources"
    if not (resources / "Satellites.json").is_file():
        problems.append(f"{resources / 'Satellites.json'} is missing (unpack the whole Sanchez release)")
    if not (resources / "Gradients").is_dir():
        problems.append(f"{resources / 'Gradients'} is missing (unpack the whole Sanchez release)")
    return problems


def health_check(
    binary: Path, *, refresh: bool = False, clock: Callable[[], float] = time.monotonic
) -> Health:
    """Check ``binary``; the answer is cached for :data:`HEALTH_TTL_S` seconds per path."""
    key = Path(binary).resolve()
    now = clock()
    with _health_lock:
        cached = _health_cache.get(key)
        if cached is not None and not refresh and now - cached.checked_at < HEALTH_TTL_S:
            return cached
    health = Health(key, tuple(_probe(key)), now)
    with _health_lock:
        _health_cache[key] = health
    return health


def resolution_arg(value: str | float) -> str:
    """Sanchez's ``-r`` text: 0.5, 1, 2 or 4, written so 0.5 stays 0.5."""
    text = f"{value:g}" if isinstance(value, float | int) else str(value).strip()
    if text not in RESOLUTIONS:
        raise SanchezInputError(f"Sanchez resolution '{value}' is not one of {', '.join(RESOLUTIONS)} km")
    return text


def validate_input(path: Path) -> str:
    """Check an image for Sanchez; return its format (``png``, ``jpg``, ``tif``)."""
    from PIL import Image, UnidentifiedImageError

    target = Path(path)
    try:
        size = target.stat().st_size
        head = target.read_bytes()[:4] if size < 16 else target.open("rb").read(4)
    except OSError as exc:
        raise SanchezInputError(f"{target}: cannot be read ({exc})") from exc
    kind = next((k for sig, k in _SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None:
        raise SanchezInputError(f"{target}: Sanchez reads PNG, JPEG or TIFF images only")
    if size > MAX_INPUT_BYTES:
        raise SanchezInputError(f"{target}: {size / 2**20:.0f} MB is over Sanchez's 500 MB input limit")
    try:
        with Image.open(target) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError) as exc:
        raise SanchezInputError(f"{target}: the image cannot be decoded ({exc})") from exc
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        too_big = max(width, height) > MAX_SIDE
        raise SanchezInputError(
            f"{target}: {width}x{height} px; Sanchez needs {MIN_SIDE}-{MAX_SIDE} px a side",
            setting="downsample" if too_big else None,
            hint="downsample the image or give a smaller size" if too_big else "use a larger image",
        )
    return kind


@dataclass(frozen=True, slots=True)
class SanchezJob:
    """One Sanchez call."""

    satellite: int
    start: datetime
    verb: str = "geostationary"  # or "reproject"
    resolution: str = "4"
    underlay: Path | None = None
    gradient: Path | None = None
    timeout_s: float = 300.0
    memory_limit_mb: int = 4096
    poll_s: float = 0.2


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for item in procs:
        try:
            total += int(item.memory_info().rss)
        except psutil.Error:
            continue
    return total


def _last_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _command(binary: Path, job: SanchezJob, source: Path, out_dir: Path) -> list[str]:
    if job.verb not in ("geostationary", "reproject"):
        raise SanchezInputError(f"Sanchez verb '{job.verb}' is unknown; use geostationary or reproject")
    # An explicit output file: Sanchez treats -o as a folder only for batches.
    target = out_dir / f"{source.stem}-FC.png"
    cmd = [
        str(binary),
        job.verb,
        "-s",
        str(source),
        "-o",
        str(target),
        "-r",
        resolution_arg(job.resolution),
        "-F",
        "png",
        "-f",
    ]
    if job.underlay is not None:
        cmd += ["-u", str(job.underlay)]
    if job.gradient is not None:
        cmd += ["-g", str(job.gradient)]
    return cmd


def _supervise(
    proc: subprocess.Popen[bytes],
    job: SanchezJob,
    out_dir: Path,
    log: Path,
    cancel: CancelToken | None,
    progress: ProgressCallback | None,
) -> None:
    deadline = time.monotonic() + job.timeout_s
    limit = job.memory_limit_mb * 1024 * 1024
    while True:
        try:
            proc.wait(timeout=job.poll_s)
            return
        except subprocess.TimeoutExpired:
            pass
        reason = None
        if cancel is not None and cancel.cancelled:
            reason = "cancel"
        elif time.monotonic() > deadline:
            reason = f"Sanchez did not finish within {job.timeout_s:g} s; raise render.sanchez_timeout_s"
        elif (rss := _tree_rss(proc.pid)) > limit:
            reason = (
                f"Sanchez used {rss / 2**20:.0f} MB, over the {job.memory_limit_mb} MB limit; "
                "give it a smaller image or raise render.sanchez_memory_mb"
            )
        if reason is not None:
            proc.kill()
            proc.wait()
            if reason == "cancel" and cancel is not None:
                cancel.raise_if_cancelled()
            raise SanchezError(reason)
        if progress is not None:
            from goesvfi.core.jobs.progress import ProgressEvent

            written = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
            progress(ProgressEvent("item", "sanchez", written, None, message="bytes written by Sanchez"))


def run_sanchez(
    image: Path,
    dest: Path,
    job: SanchezJob,
    *,
    binary: Path | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Colour ``image`` with Sanchez and move the result to ``dest`` (atomically); return ``dest``."""
    from goesvfi.core.timeindex import canonical_name

    exe = find_sanchez(binary)
    health = health_check(exe)
    if not health.ok:
        raise SanchezError("Sanchez is not usable: " + "; ".join(health.problems))
    kind = validate_input(image)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sanchez-", dir=dest.parent) as tmp:
        work = Path(tmp)
        source = work / "in" / canonical_name(job.satellite, "FD", 13, job.start, kind)
        out_dir = work / "out"
        source.parent.mkdir()
        out_dir.mkdir()
        shutil.copyfile(image, source)
        log = work / "sanchez.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                _command(exe, job, source, out_dir),
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                _supervise(proc, job, out_dir, log, cancel, progress)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        said = _last_line(log)
        if proc.returncode != 0:
            raise SanchezError(f"Sanchez failed on {image} (exit {proc.returncode}): {said}")
        outputs = sorted(out_dir.glob("*-FC.*")) or sorted(p for p in out_dir.iterdir() if p.is_file())
        if not outputs:
            raise SanchezError(f"Sanchez wrote no image for {image}: {said or 'no message'}")
        with atomic_path(dest, tag="tmp") as moved:
            os.replace(outputs[0], moved)
    return dest


def colour_image(
    grey: npt.NDArray[np.uint8],
    job: SanchezJob,
    *,
    binary: Path | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> npt.NDArray[np.uint8]:
    """Colour a grey full-disk IR image (inverted, cold = bright) with Sanchez; return RGB."""
    import cv2
    import numpy as np

    with tempfile.TemporaryDirectory(prefix=".goesvfi-sanchez-") as tmp:
        grey_png = Path(tmp) / "grey.png"
        if not cv2.imwrite(str(grey_png), grey):
            raise SanchezError(f"the grey image for Sanchez could not be written to {tmp}")
        coloured = run_sanchez(
            grey_png, Path(tmp) / "coloured.png", job, binary=binary, cancel=cancel, progress=progress
        )
        bgr = cv2.imread(str(coloured), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SanchezError(f"Sanchez's output for the {job.start:%Y-%m-%d %H:%M} image cannot be decoded")
    rgb: npt.NDArray[np.uint8] = np.ascontiguousarray(bgr[:, :, ::-1])
    return rgb
