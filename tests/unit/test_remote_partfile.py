"""The ``.part`` file: pieces in order and hashed, a resumed file, an empty body."""

from __future__ import annotations

import hashlib
import mmap
import os
from pathlib import Path

import pytest

from goesvfi.core.remote.partfile import PartFile

DATA = os.urandom(3 * 4096 * 256 + 1234)  # three aligned MiB-sized pieces and a tail


def aligned_views(data: bytes, piece: int) -> list[memoryview]:
    """``data`` in views of page-aligned buffers."""
    views = []
    for start in range(0, len(data), piece):
        chunk = data[start : start + piece]
        buffer = mmap.mmap(-1, piece)
        buffer[: len(chunk)] = chunk
        views.append(memoryview(buffer)[: len(chunk)])
    return views


@pytest.mark.parametrize("aligned", [True, False])
def test_pieces_land_in_order_and_are_hashed(tmp_path: Path, aligned: bool) -> None:
    pieces: list[bytes | memoryview] = (
        list(aligned_views(DATA, 1 << 20))
        if aligned
        else [DATA[i : i + 100_001] for i in range(0, len(DATA), 100_001)]  # odd sizes and addresses
    )
    part = PartFile(tmp_path / ".x.part", 0, hashlib.md5(usedforsecurity=False))
    for piece in pieces:
        part.write([piece])
    part.sync_and_close()
    assert (tmp_path / ".x.part").read_bytes() == DATA
    assert part.digest is not None
    assert part.digest.hexdigest() == hashlib.md5(DATA, usedforsecurity=False).hexdigest()


def test_a_resumed_file_keeps_and_hashes_its_first_bytes(tmp_path: Path) -> None:
    path = tmp_path / ".x.part"
    path.write_bytes(DATA[:5000] + b"garbage past the offset")
    part = PartFile(path, 5000, hashlib.md5(usedforsecurity=False))
    part.write(list(aligned_views(DATA[5000:], 1 << 20)))
    part.sync_and_close()
    assert path.read_bytes() == DATA
    assert part.digest is not None
    assert part.digest.hexdigest() == hashlib.md5(DATA, usedforsecurity=False).hexdigest()


def test_an_empty_body_makes_an_empty_file(tmp_path: Path) -> None:
    part = PartFile(tmp_path / ".x.part", 0, None)
    part.sync_and_close()
    assert (tmp_path / ".x.part").read_bytes() == b""
