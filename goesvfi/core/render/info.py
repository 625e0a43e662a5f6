"""Header-only metadata of ABI files (and CDN frames), each read under its own deadline.

Only attributes and the two end values of ``x``/``y`` are read, never the data arrays, so a
catalogue of thousands of files is quick; a file on a stuck file system times out instead of
hanging the whole listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.pixels import TOO_LARGE_HINT, too_large_message
from goesvfi.core.render.abi import DEFAULT_OPEN_TIMEOUT_S, read_header
from goesvfi.core.render.errors import CorruptFileError, NotAbiFileError, RenderInputError
from goesvfi.core.render.images import IMAGE_SUFFIXES
from goesvfi.core.render.ncaccess import call_with_deadline


@dataclass(frozen=True, slots=True)
class InfoResult:
    """Metadata of one file, or the one-line reason it has none."""

    path: Path
    fields: dict[str, Any] | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.fields is not None:
            return self.fields
        return {"path": str(self.path), "error": self.error}


def _netcdf_fields(path: Path) -> dict[str, Any]:
    import netCDF4

    if not path.exists():
        raise NotAbiFileError(f"{path}: no such file; check the path")
    try:
        ds = netCDF4.Dataset(str(path), "r")
    except (OSError, RuntimeError, ValueError) as exc:
        raise CorruptFileError(
            f"{path}: cannot be read as NetCDF ({exc}); it is corrupt or not NetCDF"
        ) from exc
    try:
        return read_header(ds, path).to_json()
    except (OSError, RuntimeError, KeyError, ValueError, IndexError) as exc:
        raise CorruptFileError(f"{path}: header cannot be read ({exc}); download it again") from exc
    finally:
        ds.close()


def _image_fields(path: Path) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    from goesvfi.core.timeindex import parse_name

    try:
        with Image.open(path) as image:
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise RenderInputError(too_large_message(str(path), exc), hint=TOO_LARGE_HINT) from None
    except UnidentifiedImageError:
        raise CorruptFileError(f"{path}: not an image (its content is neither PNG, JPEG nor TIFF)") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise CorruptFileError(f"{path}: cannot be read as an image ({reason})") from exc
    try:
        parsed = parse_name(path.name)
    except GoesVfiError:
        parsed = None
    return {
        "path": str(path),
        "level": "image",
        "satellite": f"GOES-{parsed.satellite}" if parsed and parsed.satellite else None,
        "band": parsed.band if parsed else None,
        "sector": parsed.sector if parsed else None,
        "start": parsed.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None,
        "width": width,
        "height": height,
    }


def read_info(path: Path, timeout_s: float = DEFAULT_OPEN_TIMEOUT_S) -> InfoResult:
    """Metadata of ``path``; errors become :attr:`InfoResult.error` (one line naming the file)."""
    target = Path(path)
    image = target.suffix.lower() in IMAGE_SUFFIXES
    reader = _image_fields if image else _netcdf_fields
    try:
        fields = call_with_deadline(lambda: reader(target), timeout_s, str(target), netcdf=not image)
    except GoesVfiError as exc:
        return InfoResult(target, None, str(exc))
    return InfoResult(target, fields)


def sequence_size(
    paths: list[Path], downsample: int = 1, timeout_s: float = DEFAULT_OPEN_TIMEOUT_S
) -> tuple[int, int] | None:
    """The smallest whole-frame size ``(width, height)`` among ``paths`` (NetCDF sizes divided by
    ``downsample``), so frames from the CDN and from NetCDF can be brought to one size.

    Unreadable files are skipped (the render reports them); None when nothing could be read.
    """
    sizes: list[tuple[int, int]] = []
    for path in paths:
        fields = read_info(path, timeout_s).fields
        if fields is None:
            continue
        factor = 1 if fields.get("level") == "image" else downsample
        sizes.append((int(fields["width"]) // factor, int(fields["height"]) // factor))
    return min(sizes, key=lambda size: size[0] * size[1]) if sizes else None
