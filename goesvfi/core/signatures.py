"""Is a file on disk whole? Cheap checks by file signature, without decoding the data.

- NetCDF-4 (HDF5): the superblock at the start records the end-of-file address; a file shorter
  than that was cut off (a broken copy or download). Classic NetCDF is checked by its magic.
- PNG must end with the ``IEND`` chunk, JPEG with the end-of-image marker.
- An empty file is never whole.

Used for files already under their final names (fetch skips only whole ones) and for the
pipeline's input frames (a damaged frame is a bad frame before any work starts).
"""

from __future__ import annotations

from pathlib import Path

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
NETCDF_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"
JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
HEAD_BYTES = 64


def hdf5_end_of_file(head: bytes) -> int | None:
    """The end-of-file address an HDF5 superblock at offset 0 records (base address added);
    None when ``head`` holds no superblock this function knows (versions 0 to 3)."""
    if not head.startswith(HDF5_MAGIC) or len(head) < 12:
        return None
    version = head[8]
    if version in (0, 1):
        size_of_offsets = head[13] if len(head) > 13 else 0
        start = 24 + (4 if version == 1 else 0)
    elif version in (2, 3):
        size_of_offsets = head[9]
        start = 12
    else:
        return None
    if size_of_offsets not in (2, 4, 8):
        return None
    eof_at = start + 2 * size_of_offsets  # base address, then free-space/extension, then end of file
    if len(head) < eof_at + size_of_offsets:
        return None
    base = int.from_bytes(head[start : start + size_of_offsets], "little")
    end = int.from_bytes(head[eof_at : eof_at + size_of_offsets], "little")
    undefined = (1 << (8 * size_of_offsets)) - 1
    if undefined in (base, end):
        return None
    return base + end


def damage(head: bytes, tail: bytes, size: int, ext: str) -> str | None:
    """Why a file of ``size`` bytes starting with ``head`` and ending with ``tail`` is damaged,
    or None when it looks whole. ``ext`` is the file's extension without the dot."""
    ext = ext.lower().lstrip(".")
    if size == 0:
        return "it is empty (0 bytes)"
    if ext in ("nc", "nc4"):
        if head[:4] in NETCDF_MAGICS:
            return None
        if not head.startswith(HDF5_MAGIC):
            return f"it is not a NetCDF/HDF5 file (starts with {head[:8]!r})"
        end = hdf5_end_of_file(head)
        if end is not None and size < end:
            return f"it is truncated ({size} of {end} bytes)"
    elif ext == "png":
        if not head.startswith(PNG_MAGIC):
            return "it is not a PNG file"
        if not tail.endswith(PNG_END):
            return "it is truncated (no PNG end chunk)"
    elif ext in ("jpg", "jpeg") and (not head.startswith(JPEG_START) or not tail.endswith(JPEG_END)):
        return "it is not a complete JPEG (no start/end marker)"
    return None


def file_damage(path: Path) -> str | None:
    """:func:`damage` for a file on disk (reads its first and last bytes only)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        tail = b""
        if size > len(head):
            handle.seek(max(0, size - len(PNG_END)))
            tail = handle.read()
        else:
            tail = head
    return damage(head, tail, size, path.suffix)


def bytes_damage(data: bytes, ext: str) -> str | None:
    """:func:`damage` for a file already read into memory."""
    return damage(data[:HEAD_BYTES], data[-len(PNG_END) :], len(data), ext)
