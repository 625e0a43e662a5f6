"""Guards between remote names and the local disk: plain names only, and enough free space."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from goesvfi.core.remote.base import DiskSpaceError, UnsafeLocationError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_SAFE_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")

# Keep this much free beyond the fetch itself, so a fetch never fills a disk to the brim.
DISK_RESERVE_BYTES = 64 * 1024 * 1024


def safe_target(dest: Path, name: str) -> Path:
    """``dest / name`` when ``name`` is a plain file name; otherwise :class:`UnsafeLocationError`."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise UnsafeLocationError(f"refusing to write file name {name!r} into {dest}")
    target = dest / name
    # A plain name stays in ``dest`` unless it is a symbolic link (one lstat; resolving costs one
    # per folder of the path, for every file of a fetch).
    if target.is_symlink() and target.resolve().parent != dest.resolve():
        raise UnsafeLocationError(f"refusing to write {name!r} outside {dest}")
    return target


def check_key(key: str, prefix: str) -> bool:
    """Whether an object key lies under ``prefix`` and every part of it is a plain name."""
    if not key.startswith(prefix) or "\\" in key or key.startswith("/"):
        return False
    return all(_SAFE_KEY_PART.match(part) and part != ".." for part in key.split("/"))


def check_free_space(dest: Path, needed: int) -> None:
    """Raise :class:`DiskSpaceError` when ``dest`` cannot hold ``needed`` more bytes."""
    free = shutil.disk_usage(dest).free
    if needed + DISK_RESERVE_BYTES > free:
        raise DiskSpaceError(
            f"{dest} has {free / 1e6:.0f} MB free but this fetch needs about {needed / 1e6:.0f} MB "
            f"(plus {DISK_RESERVE_BYTES // 1_000_000} MB kept free)",
            needed=needed,
            free=free,
        )
