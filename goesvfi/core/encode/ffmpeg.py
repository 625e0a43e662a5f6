"""The one FFmpeg command builder and the streaming frame writer.

Frames go to ffmpeg as raw video over stdin (``-f rawvideo -pix_fmt rgb24 -s WxH -framerate F
-i -``): never a temporary image per frame, never a shell. When the video is ``yuv420p`` at an even
size, the writer converts each frame with OpenCV itself and pipes ``yuv420p`` (BT.601 limited range,
as ffmpeg's own conversion): half the bytes through the pipe and about 40 % less encoder CPU.
The video is written to a temporary file next to the destination (unique per job, so two jobs
writing one output never share it), its frames are counted, and only then is it renamed into
place, so a failed or interrupted encode never leaves a half-written video under the final name,
and no temporary file is left behind on any failure.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import os
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from goesvfi.core.atomic import atomic_path, temp_name
from goesvfi.core.encode.errors import EncodeError, EncoderUnavailableError
from goesvfi.core.encode.settings import EncodeSettings, fps_text
from goesvfi.core.portable import lower_priority

if TYPE_CHECKING:
    import numpy as np  # imported where frames are written: the app starts without numpy

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 15
PROBE_TIMEOUT_S = 120.0


def resolve_ffmpeg(configured: str | None = None) -> str:
    """The ffmpeg to run: ``configured`` (a path or a name on PATH) or the bundled binary."""
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise EncoderUnavailableError(
                f"ffmpeg '{configured}' was not found; fix encode.ffmpeg_path or leave it unset "
                "to use the bundled ffmpeg"
            )
        return found
    import imageio_ffmpeg

    path: str = imageio_ffmpeg.get_ffmpeg_exe()
    return path


@functools.lru_cache(maxsize=8)
def available_encoders(ffmpeg: str) -> frozenset[str]:
    """Video encoders this ffmpeg build lists (``ffmpeg -encoders``)."""
    try:
        result = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", "-encoders"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EncodeError(f"cannot run {ffmpeg}: {exc}") from exc
    names = re.findall(r"^\s*V\S*\s+(\S+)", result.stdout, flags=re.MULTILINE)
    return frozenset(name for name in names if name != "=")


def check_encoder(ffmpeg: str, settings: EncodeSettings) -> None:
    """Raise :class:`EncoderUnavailableError` when this ffmpeg lacks the chosen encoder."""
    if settings.encoder not in available_encoders(ffmpeg):
        raise EncoderUnavailableError(
            f"encoder '{settings.encoder}' is not in this ffmpeg build ({ffmpeg}); "
            "choose libx264 or libx265, or point encode.ffmpeg_path at a build that has it"
        )


def _rate_control(settings: EncodeSettings) -> list[str]:
    enc = settings.encoder
    if enc in ("libx264", "libx265"):
        args = ["-crf", str(settings.crf), "-preset", settings.preset]
        if settings.tune:
            args += ["-tune", settings.tune]
    elif enc.endswith("_nvenc"):
        args = ["-rc", "vbr", "-cq", str(settings.crf), "-b:v", "0"]
    elif enc.endswith("_qsv"):
        args = ["-global_quality", str(settings.crf)]
    elif enc.endswith("_vaapi"):
        args = ["-rc_mode", "CQP", "-qp", str(settings.crf)]
    else:  # videotoolbox, amf: quality scale 0..100, higher is better
        args = ["-q:v", str(max(1, 100 - 2 * settings.crf))]
    if settings.bitrate_k is not None:
        bufsize = settings.bufsize_k or settings.bitrate_k * 3 // 2
        args += ["-maxrate", f"{settings.bitrate_k}k", "-bufsize", f"{bufsize}k"]
    if enc == "libx265":
        args += ["-x265-params", "log-level=error"]
    return args


def _mp4_tag(encoder: str) -> list[str]:
    """HEVC in MP4 tagged hvc1 (QuickTime and Apple players refuse the default hev1); only MP4
    takes the tag: checkpoint segments (NUT) refuse it."""
    return ["-tag:v", "hvc1"] if encoder == "libx265" or encoder.startswith("hevc_") else []


def _threads(settings: EncodeSettings) -> list[str]:
    return ["-threads", str(settings.threads)] if settings.threads else []


def video_filters(settings: EncodeSettings, width: int, height: int, fps: float) -> list[str]:
    """Filters in order: pad odd sizes, unsharp, minterpolate."""
    filters: list[str] = []
    if settings.needs_even_size and (width % 2 or height % 2):
        filters.append(f"pad={width + width % 2}:{height + height % 2}:0:0")
    if settings.unsharp:
        filters.append(f"unsharp={settings.unsharp}")
    if settings.minterpolate is not None:
        filters.append(settings.minterpolate.filter(fps))
    return filters


def stdin_pixel_format(settings: EncodeSettings, width: int, height: int) -> str:
    """The raw format frames are piped in: ``yuv420p`` when the video is 4:2:0 at an even size
    (converted in the writer's feeder thread), else ``rgb24`` for ffmpeg to convert."""
    if settings.pix_fmt == "yuv420p" and width % 2 == 0 and height % 2 == 0:
        return "yuv420p"
    return "rgb24"


def _piped_format(command: list[str]) -> str:
    """The ``-pix_fmt`` given for the stdin input of an encode command (the first one, before ``-i``)."""
    if "-pix_fmt" in command and "-i" in command and command.index("-pix_fmt") < command.index("-i"):
        return command[command.index("-pix_fmt") + 1]
    return "rgb24"


def encode_command(
    settings: EncodeSettings,
    *,
    ffmpeg: str,
    width: int,
    height: int,
    fps: float,
    output: Path,
    container: str = "mp4",
    faststart: bool | None = None,
    filters: bool = True,
) -> list[str]:
    """The exact argv that encodes raw frames from stdin into ``output`` (see :func:`stdin_pixel_format`).

    ``filters=False`` leaves out unsharp and minterpolate (used for checkpoint segments when a
    temporal filter must run over the joined video instead).
    """
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", stdin_pixel_format(settings, width, height),
        "-s", f"{width}x{height}", "-framerate", fps_text(fps), "-i", "-",
        "-an",
    ]  # fmt: skip
    chain = (
        video_filters(settings, width, height, fps)
        if filters
        else video_filters(
            settings.model_copy(update={"unsharp": None, "minterpolate": None}), width, height, fps
        )
    )
    if chain:
        command += ["-vf", ",".join(chain)]
    command += ["-c:v", settings.encoder, *_rate_control(settings), *_threads(settings)]
    command += ["-pix_fmt", settings.pix_fmt]
    if container == "mp4":
        command += _mp4_tag(settings.encoder)
    if container == "mp4" and (settings.faststart if faststart is None else faststart):
        command += ["-movflags", "+faststart"]
    command += ["-f", container, str(output)]
    return command


def concat_command(
    ffmpeg: str,
    list_file: Path,
    output: Path,
    *,
    faststart: bool = True,
    reencode: EncodeSettings | None = None,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    encoder: str = "",
) -> list[str]:
    """Join segments listed in ``list_file`` (concat demuxer) by stream copy, or re-encode them
    through ``reencode``'s filters (needed when a temporal filter such as minterpolate is on).
    ``encoder`` is the segments' encoder (it decides the MP4 codec tag)."""
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-nostdin",
        "-f", "concat", "-safe", "0", "-i", str(list_file), "-an",
    ]  # fmt: skip
    if reencode is None:
        command += ["-c", "copy"]
    else:
        if fps is None or size is None:
            raise ValueError("re-encoding a join needs fps and size")
        chain = video_filters(reencode, *size, fps)
        if chain:
            command += ["-vf", ",".join(chain)]
        command += ["-c:v", reencode.encoder, *_rate_control(reencode), *_threads(reencode)]
        command += ["-pix_fmt", reencode.pix_fmt]
    command += _mp4_tag(reencode.encoder if reencode is not None else encoder)
    if faststart:
        command += ["-movflags", "+faststart"]
    command += ["-f", "mp4", str(output)]
    return command


def count_frames(
    ffmpeg: str, path: Path, timeout_s: float = PROBE_TIMEOUT_S, container: str | None = None
) -> int:
    """Number of video frames (packets) in ``path``, read by stream copy to the null muxer.

    ``container`` names the format when the file name cannot (a temporary ``.part`` name): a
    short MPEG-TS segment is otherwise probed as MPEG-PS and found unreadable.
    """
    given = ["-f", container] if container else []
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-nostats", "-progress", "pipe:1",
        *given, "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EncodeError(f"checking {path.name} took longer than {timeout_s:.0f} s") from exc
    if result.returncode < 0:  # killed by a signal: a broken ffmpeg build, not a broken video
        raise EncodeError(
            f"ffmpeg ({ffmpeg}) crashed (signal {-result.returncode}) reading {path.name}; "
            "set encode.ffmpeg_path to another ffmpeg build, or unset it to use the bundled one"
        )
    if result.returncode != 0:
        raise EncodeError(f"{path.name} is not a readable video: {_tail(result.stderr)}")
    counts = re.findall(r"^frame=(\d+)", result.stdout, flags=re.MULTILINE)
    if not counts:
        raise EncodeError(f"{path.name} has no video frames")
    return int(counts[-1])


def run_ffmpeg(command: list[str], what: str, timeout_s: float) -> None:
    """Run a non-streaming ffmpeg command; raise :class:`EncodeError` with stderr's tail."""
    log.debug("running %s", command)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EncodeError(f"{what} took longer than {timeout_s:.0f} s; ffmpeg was stopped") from exc
    except OSError as exc:
        raise EncodeError(f"cannot run ffmpeg for {what}: {exc}") from exc
    if result.returncode != 0:
        raise EncodeError(f"{what} failed (ffmpeg exit {result.returncode}): {_tail(result.stderr)}")


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "(ffmpeg printed nothing)"


def temp_path(final: Path) -> Path:
    """A temporary name in the destination folder (same file system, so the rename is atomic).

    Unique per process and call (:func:`goesvfi.core.atomic.temp_name`): two jobs writing the
    same output never share it, the final rename is the only shared step, and the last job to
    finish wins whole.
    """
    return temp_name(final)


class FrameWriter:
    """Streams ``HxWx3`` uint8 frames into one ffmpeg process; the file appears only when verified.

    Use as a context manager: leaving the block with an exception kills ffmpeg and removes the
    temporary file; :meth:`finish` closes stdin, waits, counts the frames and renames.

    :meth:`write` queues the frame (at most :attr:`QUEUE_FRAMES` wait) and a feeder thread pushes
    it into the pipe, so the caller goes on interpolating while ffmpeg takes the frame; a frame
    must not be changed after it was written. An ffmpeg failure is raised by the next
    :meth:`write` or by :meth:`finish`.
    """

    QUEUE_FRAMES = 4
    PIPE_BYTES = 1 << 20

    def __init__(
        self, command: list[str], output: Path, *, width: int, height: int, ffmpeg: str, nice: int = 0
    ) -> None:
        self.output = output
        self.partial = Path(command[-1])
        self.command = command
        self.frames = 0
        self._size = (height, width)
        self._yuv420 = _piped_format(command) == "yuv420p"
        self._ffmpeg = ffmpeg
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        log.debug("starting %s", command)
        try:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise EncodeError(f"cannot start ffmpeg ({command[0]}): {exc}") from exc
        lower_priority(self._proc.pid, nice)
        self._widen_pipe()
        self._reader = threading.Thread(
            target=self._read_stderr, args=(self._proc.stderr,), name="ffmpeg-stderr", daemon=True
        )
        self._reader.start()
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=self.QUEUE_FRAMES)
        self._feed_error: OSError | None = None
        self._feeding = True
        self._feeder = threading.Thread(target=self._feed, name="ffmpeg-feed", daemon=True)
        self._feeder.start()

    def _widen_pipe(self) -> None:
        """A 1 MiB pipe (Linux) instead of 64 KiB: a frame crosses in a few wake-ups, not dozens."""
        stdin = self._proc.stdin
        setter = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
        if stdin is None or setter is None:
            return
        try:
            fcntl.fcntl(stdin.fileno(), setter, self.PIPE_BYTES)
        except OSError as exc:  # above /proc/sys/fs/pipe-max-size: keep the default
            log.debug("cannot widen the ffmpeg pipe: %s", exc)

    def _feed(self) -> None:
        """Feeder thread: queued frames into ffmpeg's stdin until ``None``; keeps draining after an
        error so :meth:`write` never blocks on a dead ffmpeg."""
        import cv2

        stdin = self._proc.stdin
        assert stdin is not None
        while (frame := self._queue.get()) is not None:
            if self._feed_error is not None:
                continue
            if self._yuv420:  # OpenCV releases the GIL: this runs beside the interpolation
                frame = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
            try:
                stdin.write(frame.data)
            except OSError as exc:  # BrokenPipeError included: ffmpeg stopped
                self._feed_error = exc

    def _stop_feeding(self, timeout_s: float | None = None) -> None:
        """Let the feeder write what is queued and end; kill a hung ffmpeg after ``timeout_s``."""
        if self._feeding:
            self._feeding = False
            self._queue.put(None)
        self._feeder.join(timeout_s)
        if self._feeder.is_alive():
            self.abort()
            raise EncodeError(f"ffmpeg stopped taking frames for {self.output.name}; it was stopped")

    def _raise_feed_error(self) -> None:
        """ffmpeg stopped taking frames: wait for it and raise with its stderr."""
        self._stop_feeding()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._reader.join(timeout=5)
        self._discard()
        raise EncodeError(
            f"ffmpeg stopped while encoding {self.output.name}: {self.stderr_tail()}"
        ) from self._feed_error

    @classmethod
    def open(
        cls,
        settings: EncodeSettings,
        output: Path,
        *,
        width: int,
        height: int,
        fps: float,
        ffmpeg: str,
        container: str = "mp4",
        filters: bool = True,
    ) -> FrameWriter:
        """Start ffmpeg writing to a temporary name next to ``output``."""
        command = encode_command(
            settings,
            ffmpeg=ffmpeg,
            width=width,
            height=height,
            fps=fps,
            output=temp_path(output),
            container=container,
            filters=filters,
        )
        return cls(command, output, width=width, height=height, ffmpeg=ffmpeg, nice=settings.nice)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read_stderr(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for raw in stream:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def stderr_tail(self) -> str:
        return _tail("\n".join(self._stderr))

    def write(self, frame: np.ndarray) -> None:
        import numpy as np

        if frame.shape != (*self._size, 3) or frame.dtype != np.uint8:
            raise EncodeError(
                f"frame {self.frames} is {frame.shape} {frame.dtype}; the encoder expects "
                f"{self._size[1]}x{self._size[0]} RGB uint8"
            )
        if self._feed_error is not None:
            self._raise_feed_error()
        if not self._feeding:
            raise EncodeError(f"{self.output.name} is already finished; no more frames can be written")
        self._queue.put(np.ascontiguousarray(frame))
        self.frames += 1

    def finish(self, expected_frames: int | None = None, timeout_s: float = 600.0) -> Path:
        """Close the stream, wait for ffmpeg, verify the frame count and rename into place."""
        self._stop_feeding(timeout_s)
        if self._feed_error is not None:
            self._raise_feed_error()
        stdin = self._proc.stdin
        try:
            if stdin is not None:
                stdin.close()
        except OSError:
            pass
        try:
            code = self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.abort()
            raise EncodeError(f"ffmpeg did not finish {self.output.name} within {timeout_s:.0f} s") from exc
        self._reader.join(timeout=5)
        if code != 0:
            self._discard()
            raise EncodeError(f"ffmpeg failed on {self.output.name} (exit {code}): {self.stderr_tail()}")
        verify_and_rename(self._ffmpeg, self.partial, self.output, expected_frames)
        return self.output

    def abort(self) -> None:
        """Kill ffmpeg and remove the temporary file."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._stop_feeding()  # its writes fail now that ffmpeg is gone
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        self._reader.join(timeout=5)
        self._discard()

    def _discard(self) -> None:
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or self._proc.poll() is None:
            self.abort()


def verify_and_rename(ffmpeg: str, partial: Path, final: Path, expected_frames: int | None) -> None:
    """Count ``partial``'s frames; publish it as ``final`` (:func:`goesvfi.core.atomic.atomic_path`:
    flushed to disk, renamed) only when the count is right. ``partial`` is gone afterwards."""

    def check(path: Path) -> None:
        container = {".ts": "mpegts", ".nut": "nut", ".mp4": "mp4"}.get(final.suffix.lower())
        frames = count_frames(ffmpeg, path, container=container)
        if expected_frames is not None and frames != expected_frames:
            raise EncodeError(
                f"{final.name} has {frames} frames, expected {expected_frames}; the video was not kept"
            )

    try:
        with atomic_path(final, verify=check) as tmp:
            os.replace(partial, tmp)
    finally:
        partial.unlink(missing_ok=True)


def run_to_file(
    ffmpeg: str, command: list[str], final: Path, what: str, timeout_s: float, expected_frames: int | None
) -> None:
    """Run ``command`` (which writes its last argument, a :func:`temp_path` of ``final``) and
    publish the result with :func:`verify_and_rename`; the temporary file is removed on any
    failure (a full disk included)."""
    partial = Path(command[-1])
    try:
        run_ffmpeg(command, what, timeout_s)
        verify_and_rename(ffmpeg, partial, final, expected_frames)
    finally:
        partial.unlink(missing_ok=True)
