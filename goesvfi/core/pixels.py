"""The one pixel limit for images read from a user's folders, and how a refused image is worded.

A PNG of a few kilobytes can claim 20000 x 20000 pixels (a "decompression bomb"). Pillow refuses
to open images over twice its ``MAX_IMAGE_PIXELS`` (about 179 megapixels) with
``DecompressionBombError``; OpenCV's own limit is much higher, so readers that decode with OpenCV
read the header with Pillow first (:func:`header_size`). Every reader words the refusal with
:func:`too_large_message`, so ``info``, ``render`` and a job say the same thing.
"""

from __future__ import annotations

import io
import re

TOO_LARGE_HINT = "check that it is a real frame: a damaged or hostile file can claim a huge size"


def max_pixels() -> int:
    """The largest pixel count an image may have (Pillow's decompression-bomb error limit)."""
    from PIL import Image

    return 2 * int(Image.MAX_IMAGE_PIXELS or 0)


def too_large_message(name: str, error: Exception) -> str:
    """``NAME: 400,000,000 pixels, over the limit of 178,956,970`` from Pillow's error."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    count = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    return f"{name}: {count}, over the limit of {max_pixels():,} for an image"


def header_size(data: bytes) -> tuple[int, int]:
    """Width and height from an image's header, nothing decoded.

    Raises Pillow's ``DecompressionBombError`` over the limit, ``UnidentifiedImageError`` (an
    ``OSError``) for bytes that are no image.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return int(width), int(height)
