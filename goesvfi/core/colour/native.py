"""Native false colour: a Sanchez-like pipeline that needs no external program.

Steps, on the Kelvin-anchored inverted grey IR image (cold = bright), as Sanchez does them:

1. levels: with ``equalise`` (the default) a fixed Kelvin curve shaped like the histogram
   equalisation of a typical full-disk IR scene (:data:`EQUALISE_CURVE_K`), so the same
   temperature gets the same level in every frame and a timelapse does not flicker; without it,
   the grey level itself;
2. tint, as Sanchez's: level ``v`` goes to ``pos = L * (v - 1) + 1`` with
   ``L = 2 * (1 - (2 * lightness(tint) - 1))`` (about 3 for ``1b3f66``); ``pos <= -1`` is black
   (warm ground adds nothing), ``-1..0`` blends black → tint, ``0..1`` tint → white (cold tops);
3. screen-blend onto an underlay world image reprojected to the satellite's view
   (``1 - (1 - underlay) * (1 - clouds)``): black leaves the underlay as it is;
4. brightness and saturation;
5. optional gradient: over the levels inside ``clut_range`` the gradient's colour replaces the
   pixel (Sanchez's ``-g`` overlay with its ``-c`` range).

The default underlay is the Natural Earth image shipped by the ``cartopy`` package, a pale
shaded relief; :func:`prepare_natural_earth` darkens it (black point, gamma, saturation) so
oceans come out deep blue and land darker, like a Blue Marble. A user's own world image
(e.g. a NASA Blue Marble) is used as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from goesvfi.core.colour.errors import ColourInputError
from goesvfi.core.colour.gradients import Gradient, Rgb, builtin_gradients, load_gradient

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
NATURAL_EARTH = "data/raster/natural_earth/50-natural-earth-1-downsampled.png"

# Kelvin → level (0 warm .. 1 cold), the equalisation of a typical full-disk IR scene (a third of
# the disc warmer than 285 K, a third colder than 255 K, a tenth colder than 230 K). With the
# default tint, ground warmer than 285 K stays black (the underlay shows unchanged), about
# 255 K takes the pure tint and tops colder than 220 K go nearly white.
EQUALISE_CURVE_K: tuple[tuple[float, float], ...] = (
    (190.0, 1.0),
    (200.0, 0.99),
    (210.0, 0.97),
    (220.0, 0.94),
    (230.0, 0.89),
    (240.0, 0.82),
    (250.0, 0.73),
    (260.0, 0.63),
    (270.0, 0.5),
    (280.0, 0.39),
    (290.0, 0.25),
    (300.0, 0.1),
    (310.0, 0.0),
)
# Natural Earth preparation: black point, gamma, saturation and gain (on 0..1 values).
NATURAL_EARTH_LEVELS = (0.4, 2.2, 1.5, 0.8)
LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True, slots=True)
class NativeOptions:
    """The knobs of the pipeline (defaults match Sanchez's)."""

    equalise: bool = True
    tint: Rgb = (0x1B, 0x3F, 0x66)
    brightness: float = 1.0
    saturation: float = 0.7
    gradient: Gradient | None = None
    clut_range: tuple[float, float] = (0.0, 1.0)


def default_underlay_path() -> Path:
    """The Natural Earth image inside the installed ``cartopy`` package."""
    try:
        path = Path(str(resources.files("cartopy") / NATURAL_EARTH))
    except ModuleNotFoundError:
        raise ColourInputError(
            "no underlay image",
            setting="underlay",
            hint="install the 'cartopy' package or choose an equirectangular world image",
        ) from None
    if not path.is_file():
        raise ColourInputError(
            f"the cartopy underlay {path} is missing",
            setting="underlay",
            hint="choose an equirectangular world image",
        )
    return path


def load_underlay(path: Path | None = None) -> U8:
    """An equirectangular world image as RGB (whole globe, north up, 180° W at the left)."""
    import cv2

    source = Path(path) if path is not None else default_underlay_path()
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if image is None:
        raise ColourInputError(f"underlay {source} cannot be read as an image; give a PNG or JPEG")
    height, width = image.shape[:2]
    if abs(width / height - 2.0) > 0.05:
        raise ColourInputError(
            f"underlay {source} is {width}x{height}; an equirectangular world image is twice as wide as tall"
        )
    rgb: U8 = np.ascontiguousarray(image[:, :, ::-1])
    return rgb


def prepare_natural_earth(rgb: U8, levels: tuple[float, float, float, float] = NATURAL_EARTH_LEVELS) -> U8:
    """Darken the pale Natural Earth relief: deep blue oceans, darker land (see the module doc)."""
    black, gamma, saturation, gain = levels
    x = np.clip((rgb.astype(np.float64) / 255.0 - black) / (1.0 - black), 0.0, 1.0) ** gamma
    luma = (x @ LUMA)[..., None]
    out = np.clip((luma + (x - luma) * saturation) * gain, 0.0, 1.0)
    prepared: U8 = np.rint(out * 255.0).astype(np.uint8)
    return prepared


def named_gradient(text: str) -> Gradient:
    """A shipped gradient by name (``darkred-blue``) or a Sanchez-shaped gradient JSON file."""
    return load_gradient(builtin_gradients().get(text, Path(text)))


def parse_tint(text: str) -> Rgb:
    """``1b3f66`` → ``(27, 63, 102)``."""
    value = text.strip().lstrip("#")
    try:
        if len(value) != 6:
            raise ValueError(value)
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise ColourInputError(f"tint '{text}' is not an rrggbb colour; write e.g. 1b3f66") from None


def level_curve(lo_k: float, hi_k: float, equalise: bool = True) -> F64:
    """Level 0..1 of each of the 256 inverted-grey values of the ``lo_k``-``hi_k`` table.

    Grey 255 is ``lo_k`` (cold), grey 0 ``hi_k`` (warm, and no data). With ``equalise`` the
    fixed :data:`EQUALISE_CURVE_K` is applied in Kelvin; it never depends on the frame.
    """
    grey = np.arange(256, dtype=np.float64) / 255.0
    if not equalise:
        return grey
    kelvin = hi_k - grey * (hi_k - lo_k)
    knots_k = np.array([k for k, _ in EQUALISE_CURVE_K])
    knots_v = np.array([v for _, v in EQUALISE_CURVE_K])
    return np.asarray(np.interp(kelvin, knots_k, knots_v), dtype=np.float64)


def tint_colours(levels: F64, tint: Rgb) -> F64:
    """Sanchez's tint of levels 0..1: black → tint → white, as RGB 0..255 floats ``(N, 3)``."""
    r, g, b = (c / 255.0 for c in tint)
    lightness = (max(r, g, b) + min(r, g, b)) / 2.0
    scale = 2.0 * (1.0 - (lightness * 2.0 - 1.0))
    pos = scale * (levels - 1.0) + 1.0
    colour = np.array([r, g, b])[None, :]
    shade = np.clip(pos + 1.0, 0.0, 1.0)[:, None] * colour  # pos <= 0: black → tint
    light = colour + np.clip(pos, 0.0, 1.0)[:, None] * (1.0 - colour)  # pos > 0: tint → white
    return np.where((pos > 0)[:, None], light, shade) * 255.0


@dataclass(frozen=True, slots=True)
class NativeTables:
    """Lookups from the inverted grey value: cloud colour, and the gradient overlay if any."""

    clouds: U8  # (1, 256, 3) for cv2.LUT on a 3-channel grey image
    overlay: U8 | None = None  # (1, 256, 3) gradient colours
    overlay_mask: U8 | None = None  # (256,) 1 where the gradient applies


def native_tables(options: NativeOptions, lo_k: float = 180.0, hi_k: float = 320.0) -> NativeTables:
    """The lookups for ``options`` on the inverted grey of the ``lo_k``-``hi_k`` table."""
    levels = level_curve(lo_k, hi_k, options.equalise)
    clouds = np.clip(np.rint(tint_colours(levels, options.tint)), 0, 255).astype(np.uint8)[None]
    if options.gradient is None:
        return NativeTables(clouds)
    lo, hi = options.clut_range
    if not 0.0 <= lo < hi <= 1.0:
        raise ColourInputError(f"CLUT range {lo:g}-{hi:g} is not within 0-1 with min < max")
    inside = (levels >= lo) & ((levels < hi) | (hi == 1.0))  # the coldest level stays in a 0-1 range
    colours = options.gradient.sample(256)
    where = np.clip(np.rint((levels - lo) / (hi - lo) * 255.0), 0, 255).astype(np.int64)
    overlay = np.clip(np.rint(colours[where]), 0, 255).astype(np.uint8)[None]
    inside[0] = False  # no data
    return NativeTables(clouds, overlay, inside.astype(np.uint8))


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


def false_colour(
    grey: U8, ground: U8, space: Mask, options: NativeOptions, tables: NativeTables | None = None
) -> U8:
    """Colour an inverted grey IR block (``(H, W)``, 0 = no data) over its underlay view.

    ``tables`` default to :func:`native_tables` of ``options`` on the 180-320 K grey. Runs on
    8-bit images with OpenCV.
    """
    import cv2

    tables = tables or native_tables(options)
    grey3 = cv2.merge([grey, grey, grey])
    clouds = cv2.LUT(grey3, tables.clouds)
    # Screen blend as u + c - u * c / 255 (three passes), then brightness and saturation as one
    # colour matrix (luma weights mixed in by 1 - saturation).
    rgb = cv2.add(ground, cv2.subtract(clouds, cv2.multiply(ground, clouds, scale=1 / 255)))
    if options.brightness != 1.0 or options.saturation != 1.0:
        s = options.saturation
        matrix = options.brightness * (s * np.eye(3) + (1.0 - s) * np.repeat(LUMA[None, :], 3, axis=0))
        rgb = cv2.transform(rgb, matrix)
    if tables.overlay is not None and tables.overlay_mask is not None:
        inside = tables.overlay_mask[grey][..., None] > 0
        np.copyto(rgb, np.asarray(cv2.LUT(grey3, tables.overlay)), where=inside)
    keep = np.logical_not(space).view(np.uint8)  # 1 on Earth, 0 in space
    out: U8 = np.asarray(cv2.multiply(rgb, cv2.cvtColor(keep, cv2.COLOR_GRAY2RGB)), dtype=np.uint8)
    return out
