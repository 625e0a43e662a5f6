"""The one way GOES-VFI publishes a file: write a temporary file beside it, verify, rename.

A reader never sees a half-written or zero-filled file under a final name, and a failure of any
kind (an exception, a full disk, Ctrl+C) removes the temporary file. The temporary name is unique
per call (process id and a random part), so two jobs writing the same final name never share it:
the rename is the only shared step, and the last one to finish wins whole.

- :func:`atomic_path` is the general form: it yields a temporary path for any writer (ffmpeg, a
  PNG encoder, a download), and renames it when the block ends without an exception;
- :func:`write_bytes_atomic`, :func:`write_text_atomic` and :func:`write_json_atomic` cover the
  common cases.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def temp_name(final: Path, tag: str = "part") -> Path:
    """A hidden temporary name beside ``final``, unique to this process and call."""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(3)}.{tag}")


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable where the platform allows it (not on Windows)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(
    final: Path,
    *,
    verify: Callable[[Path], None] | None = None,
    fsync: bool = True,
    tag: str = "part",
) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success verify it and rename it to ``final``.

    ``verify`` raises when the written file is not good (wrong size, bad signature); the
    temporary file is then removed and the final name is left as it was. ``fsync`` flushes the
    file's data before the rename (skip it only for files that are cheap to redo).
    """
    tmp = temp_name(final, tag)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{final}: the writer produced no file")
        if verify is not None:
            verify(tmp)
        if fsync:
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if fsync:
        _fsync_dir(final.parent)


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``."""
    with atomic_path(path, fsync=fsync, tag="tmp") as tmp:
        tmp.write_bytes(data)
    return path


def write_text_atomic(path: Path, text: str, *, fsync: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and return ``path``."""
    return write_bytes_atomic(path, text.encode("utf-8"), fsync=fsync)


def write_json_atomic(path: Path, payload: Any, *, fsync: bool = True) -> Path:
    """Write ``payload`` as indented, key-sorted JSON to ``path`` atomically."""
    text = json.dumps(payload, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    return write_text_atomic(path, text + "\n", fsync=fsync)
