"""Native false colour: a Sanchez-like pipeline that needs no external program.

Steps, on an inverted grey IR image (cold = bright), as Sanchez does them:

1. optional histogram equalisation (over Earth pixels only);
2. tint: after a squaring contrast curve (so warm ground stays dark and lets the underlay show),
   dark (warm) pixels take the tint colour and bright (cold) ones go to white — or, with a
   gradient, each grey level takes the gradient's colour;
3. screen-blend onto an underlay world image reprojected to the satellite's view
   (``1 - (1 - underlay) * (1 - clouds)``);
4. brightness and saturation.

The default underlay is the Natural Earth image shipped by the ``cartopy`` package; a user may
give any equirectangular world image (e.g. a NASA Blue Marble) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from goesvfi.core.render.colourmaps import Gradient, Rgb
from goesvfi.core.render.errors import RenderInputError

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
NATURAL_EARTH = "data/raster/natural_earth/50-natural-earth-1-downsampled.png"


@dataclass(frozen=True, slots=True)
class NativeOptions:
    """The knobs of the pipeline (defaults match Sanchez's)."""

    equalise: bool = True
    tint: Rgb = (0x1B, 0x3F, 0x66)
    brightness: float = 1.0
    saturation: float = 0.7
    gradient: Gradient | None = None


def default_underlay_path() -> Path:
    """The Natural Earth image inside the installed ``cartopy`` package."""
    try:
        path = Path(str(resources.files("cartopy") / NATURAL_EARTH))
    except ModuleNotFoundError:
        raise RenderInputError(
            "no underlay image: install the 'cartopy' package or give --underlay WORLD_IMAGE"
        ) from None
    if not path.is_file():
        raise RenderInputError(f"the cartopy underlay {path} is missing; give --underlay WORLD_IMAGE")
    return path


def load_underlay(path: Path | None = None) -> U8:
    """An equirectangular world image as RGB (whole globe, north up, 180° W at the left)."""
    import cv2

    source = Path(path) if path is not None else default_underlay_path()
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if image is None:
        raise RenderInputError(f"underlay {source} cannot be read as an image; give a PNG or JPEG")
    height, width = image.shape[:2]
    if abs(width / height - 2.0) > 0.05:
        raise RenderInputError(
            f"underlay {source} is {width}x{height}; an equirectangular world image is twice as wide as tall"
        )
    rgb: U8 = np.ascontiguousarray(image[:, :, ::-1])
    return rgb


def parse_tint(text: str) -> Rgb:
    """``1b3f66`` → ``(27, 63, 102)``."""
    value = text.strip().lstrip("#")
    try:
        if len(value) != 6:
            raise ValueError(value)
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise RenderInputError(f"tint '{text}' is not an rrggbb colour; write e.g. 1b3f66") from None


def equalisation_lut(histogram: npt.NDArray[np.int64], enabled: bool = True) -> U8:
    """A 256-entry LUT equalising ``histogram`` (level 0 = no data, left alone)."""
    identity = np.arange(256, dtype=np.uint8)
    counts = histogram.astype(np.float64).copy()
    counts[0] = 0
    if not enabled or counts.sum() == 0:
        return identity
    cdf = np.cumsum(counts)
    first = cdf[np.nonzero(counts)[0][0]]
    span = max(cdf[-1] - first, 1.0)
    lut: U8 = np.clip(np.rint((cdf - first) / span * 254.0) + 1, 1, 255).astype(np.uint8)
    lut[0] = 0
    return lut


def underlay_view(underlay: U8, lat: F64, lon: F64) -> tuple[U8, Mask]:
    """The underlay seen at each lat/lon (RGB) and the space mask (lat/lon NaN)."""
    import cv2

    height, width = underlay.shape[:2]
    # One wrapped column on each side, so longitudes near ±180° blend across the seam.
    padded = np.concatenate([underlay[:, -1:], underlay, underlay[:, :1]], axis=1)
    lat_b, lon_b = np.broadcast_arrays(lat, lon)
    map_x = ((lon_b + 180.0) / 360.0 * width + 0.5).astype(np.float32)
    map_y = ((90.0 - lat_b) / 180.0 * height - 0.5).astype(np.float32)
    space = ~np.isfinite(map_x) | ~np.isfinite(map_y)
    map_x[space] = 0.0
    map_y[space] = 0.0
    sampled = np.asarray(
        cv2.remap(padded, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8
    )
    sampled[space] = 0
    return sampled, space


class UnderlayViewCache:
    """Keeps the underlay view of the last geometry: every frame of a sequence shares it.

    Computing the latitude and longitude of each pixel is the slow part of native colour, and
    it depends only on the grid, not on the frame, so it is done once per geometry.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._value: tuple[U8, Mask] | None = None

    def get(self, key: Hashable, build: Callable[[], tuple[U8, Mask]]) -> tuple[U8, Mask]:
        with self._lock:
            if self._value is not None and self._key == key:
                return self._value
        value = build()
        if value[0].nbytes + value[1].nbytes <= self.max_bytes:
            with self._lock:
                self._key, self._value = key, value
        return value


VIEW_CACHE = UnderlayViewCache()


def cloud_table(options: NativeOptions) -> U8:
    """Colour of each grey level, shaped ``(1, 256, 3)`` for ``cv2.LUT``: tint or gradient."""
    g = np.arange(256, dtype=np.float64) / 255.0
    if options.gradient is not None:
        clouds = options.gradient.sample(256)
    else:
        curve = np.square(g)[:, None]
        clouds = 255.0 * (np.array(options.tint, dtype=np.float64)[None, :] / 255.0 * (1.0 - curve) + curve)
    return np.clip(np.rint(clouds), 0, 255).astype(np.uint8)[None, :, :]


def false_colour(
    grey: U8, ground: U8, space: Mask, options: NativeOptions, lut: U8 | None = None,
    clouds_lut: U8 | None = None,
) -> U8:
    """Colour an inverted grey IR block (``(H, W)``, 0 = no data) over its underlay view.

    Runs on 8-bit images with OpenCV (screen blend ``255 - (255 - u)(255 - c) / 255``).
    """
    import cv2

    levels = grey if lut is None else cv2.LUT(grey, lut)
    table = cloud_table(options) if clouds_lut is None else clouds_lut
    clouds = cv2.LUT(cv2.merge([levels, levels, levels]), table)
    rgb = cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(ground), cv2.bitwise_not(clouds), scale=1 / 255))
    if options.brightness != 1.0:
        rgb = cv2.convertScaleAbs(rgb, alpha=options.brightness)
    if options.saturation != 1.0:
        luma = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        rgb = cv2.addWeighted(rgb, options.saturation, luma, 1.0 - options.saturation, 0.0)
    out: U8 = np.asarray(rgb, dtype=np.uint8)
    out[space] = 0
    return out
