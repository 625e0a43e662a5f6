"""Frame decoding: OpenCV's fast PNG path gives exactly Pillow's pixels for every PNG kind."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from goesvfi.core.pipeline.errors import BadFrameError
from goesvfi.core.pipeline.frames import _decode_png_fast, decode_image

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pillow_rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.array(image.convert("RGB"), dtype=np.uint8)


def _palette_with_transparency() -> Image.Image:
    image = Image.fromarray(RGB).convert("P")
    image.info["transparency"] = 3
    return image


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(RGB),
        Image.fromarray(RGB[:, :, 0]),
        Image.fromarray(np.dstack([RGB, RGB[:, :, :1]])),
        Image.fromarray(RGB).convert("P"),
        _palette_with_transparency(),
        Image.fromarray(RGB).convert("LA"),
        Image.fromarray(RGB[:, :, 0]).convert("1"),
    ],
    ids=["RGB", "L", "RGBA", "P", "P-tRNS", "LA", "1"],
)
def test_fast_png_decode_is_pixel_identical_to_pillow(image: Image.Image) -> None:
    data = _png(image)
    fast = _decode_png_fast(data)
    assert fast is not None  # the 8-bit kinds all take the OpenCV path
    expected = _pillow_rgb(data)
    assert fast.shape == expected.shape
    assert fast.dtype == np.uint8
    assert np.array_equal(fast, expected)
    decoded = decode_image(Path("x.png"), data)
    assert decoded.flags.writeable
    assert decoded.flags.c_contiguous
    assert np.array_equal(decoded, expected)


def test_sixteen_bit_png_falls_back_to_the_scaled_pillow_path() -> None:
    grey16 = (RGB[:, :, 0].astype(np.uint16) * 257) + 100
    ok, encoded = cv2.imencode(".png", grey16)
    assert ok
    data = encoded.tobytes()
    assert _decode_png_fast(data) is None
    decoded = decode_image(Path("deep.png"), data)
    expected = ((grey16.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    assert np.array_equal(decoded, np.repeat(expected[:, :, None], 3, axis=2))


def test_truncated_png_is_a_bad_frame_naming_the_file() -> None:
    data = _png(Image.fromarray(RGB))[:60]
    with pytest.raises(BadFrameError, match=r"cut\.png"):
        decode_image(Path("cut.png"), data)
