"""A streaming PNG writer: rows go to disk block by block, so no whole image is held.

Rows are written with PNG filter 2 ("Up") and zlib level 1, a good speed/size balance for
satellite images. Compression of one block runs in a helper thread (zlib releases the GIL)
while the caller prepares the next block; blocks are still compressed and written in order.
The file is written under a temporary name in the destination folder and renamed only after
the last row, so a crash or a cancel never leaves a half-written PNG.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt

from goesvfi.core.atomic import atomic_path
from goesvfi.core.render.errors import RenderError

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 3: 2}  # grey, RGB


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class PngStreamWriter:
    """Write an image of ``width`` x ``height`` in row blocks (``channels`` 1 or 3, 8 or 16 bit)."""

    def __init__(
        self, path: Path, width: int, height: int, channels: int = 3, bit_depth: int = 8, level: int = 1
    ) -> None:
        if channels not in _COLOUR_TYPE or bit_depth not in (8, 16):
            raise ValueError(f"unsupported PNG layout: {channels} channels, {bit_depth} bit")
        self.path = Path(path)
        self.width, self.height, self.channels, self.bit_depth = width, height, channels, bit_depth
        self.rows_written = 0
        self._dtype = np.dtype(">u2") if bit_depth == 16 else np.dtype(np.uint8)
        self._row_bytes = width * channels * self._dtype.itemsize
        self._previous = np.zeros(self._row_bytes, dtype=np.uint8)
        self._zip = zlib.compressobj(level)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="goesvfi-png")
        self._pending: Future[bytes] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary file beside the target is core.atomic's, held open until close() or
        # abort(). No fsync: a rendered image is cheap to redo.
        self._publish = contextlib.ExitStack()
        self._tmp = self._publish.enter_context(atomic_path(self.path, fsync=False, tag="tmp"))
        self._file = self._tmp.open("xb")
        header = struct.pack(">IIBBBBB", width, height, bit_depth, _COLOUR_TYPE[channels], 0, 0, 0)
        self._file.write(_SIGNATURE + _chunk(b"IHDR", header))

    def write_rows(self, rows: npt.NDArray[np.uint8] | npt.NDArray[np.uint16]) -> None:
        """Append rows shaped ``(n, width)`` or ``(n, width, channels)``."""
        n = rows.shape[0]
        if self.rows_written + n > self.height:
            raise RenderError(f"{self.path}: more rows than the image height {self.height}")
        raw = np.ascontiguousarray(rows, dtype=self._dtype).view(np.uint8).reshape(n, self._row_bytes)
        up = np.empty((n, self._row_bytes + 1), dtype=np.uint8)
        up[:, 0] = 2
        up[0, 1:] = raw[0] - self._previous
        np.subtract(raw[1:], raw[:-1], out=up[1:, 1:])
        self._previous = raw[-1].copy()
        self._drain()
        self._pending = self._pool.submit(self._zip.compress, up.tobytes())
        self.rows_written += n

    def _drain(self) -> None:
        """Write the block compressed in the background, if any."""
        if self._pending is not None:
            data = self._pending.result()
            self._pending = None
            if data:
                self._file.write(_chunk(b"IDAT", data))

    def close(self) -> Path:
        """Finish the file and move it into place; every row must have been written."""
        if self.rows_written != self.height:
            self.abort()
            raise RenderError(
                f"{self.path}: only {self.rows_written} of {self.height} rows were written; nothing saved"
            )
        try:
            self._drain()
            self._pool.shutdown()
            self._file.write(_chunk(b"IDAT", self._zip.flush()) + _chunk(b"IEND", b""))
            self._file.close()
        except BaseException:
            self.abort()
            raise
        self._publish.close()  # rename into place (the temporary file is removed if that fails)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending = None
        if not self._file.closed:
            self._file.close()
        aborted = RenderError(f"{self.path}: writing was abandoned")
        self._publish.__exit__(RenderError, aborted, None)  # removes the temporary file

    def __enter__(self) -> PngStreamWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()


def write_png(
    path: Path, image: npt.NDArray[np.uint8] | npt.NDArray[np.uint16], block_rows: int = 512
) -> Path:
    """Write a whole array (``(H, W)`` grey or ``(H, W, 3)`` RGB) atomically."""
    channels = 1 if image.ndim == 2 else image.shape[2]
    bit_depth = 16 if image.dtype == np.uint16 else 8
    with PngStreamWriter(path, image.shape[1], image.shape[0], channels, bit_depth) as writer:
        for r0 in range(0, image.shape[0], block_rows):
            writer.write_rows(image[r0 : r0 + block_rows])
        return writer.close()
