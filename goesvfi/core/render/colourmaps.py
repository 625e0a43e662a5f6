"""Colour tables anchored to physical values, and the legend.

A :class:`ColourTable` maps a fixed value range (Kelvin for IR bands, reflectance factor for
visible bands) onto :data:`LEVELS` palette entries, so the same temperature always gets the
same colour whatever the rest of the image holds: no histogram stretch, no flicker in a
sequence. A table can be spread from a Sanchez-shaped gradient
(:mod:`goesvfi.core.colour.gradients`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from goesvfi.core.colour.gradients import Gradient, Rgb, builtin_gradients, load_gradient
from goesvfi.core.render.errors import RenderInputError

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np
    import numpy.typing as npt

    U8 = npt.NDArray[np.uint8]

LEVELS = 4096
NODATA = LEVELS  # palette index of masked pixels (black)

# The "colourised IR" table: colour for cold cloud tops, grey above 253 K (Kelvin, RGB).
IR_COLOUR_STOPS_K: tuple[tuple[float, Rgb], ...] = (
    (183.0, (255, 255, 255)),
    (193.0, (150, 40, 200)),
    (203.0, (220, 30, 40)),
    (213.0, (255, 140, 0)),
    (223.0, (245, 230, 20)),
    (233.0, (30, 190, 70)),
    (243.0, (20, 190, 230)),
    (253.0, (25, 70, 200)),
    (253.01, (205, 205, 205)),
    (320.0, (0, 0, 0)),
)


@dataclass(frozen=True, slots=True)
class ColourTable:
    """Maps values in ``[lo, hi]`` onto ``palette`` (``LEVELS + 1`` rows, the last for no data)."""

    name: str
    lo: float
    hi: float
    palette: U8
    grey: bool
    units: str  # "K" or "reflectance"

    def indices(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
        """Palette index per value; NaN gets :data:`NODATA`."""
        import numpy as np

        scale = np.float32((LEVELS - 1) / (self.hi - self.lo))
        pos = (values - np.float32(self.lo)) * scale
        np.clip(pos, 0, LEVELS - 1, out=pos)
        pos += np.float32(0.5)
        with np.errstate(invalid="ignore"):  # NaN casts to an arbitrary index, replaced below
            index = pos.astype(np.uint16)
        index[np.isnan(values)] = NODATA
        return index

    def apply(self, values: npt.NDArray[np.float32]) -> U8:
        """RGB ``(H, W, 3)``, or ``(H, W)`` grey for grey tables."""
        import numpy as np

        index = self.indices(values)
        if self.grey:
            return np.ascontiguousarray(self.palette[:, 0])[index]
        return self.palette[index]

    def grey16(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
        """16-bit grey with this table's grey curve (for further processing)."""
        import numpy as np

        fine = np.interp(
            np.linspace(0, LEVELS - 1, 65536), np.arange(LEVELS), self.palette[:LEVELS, 0].astype(float)
        )
        pos = np.clip((values - np.float32(self.lo)) * np.float32(65535 / (self.hi - self.lo)), 0, 65535)
        out: npt.NDArray[np.uint16] = (fine[np.nan_to_num(pos).astype(np.int64)] * 257.0).astype(np.uint16)
        out[np.isnan(values)] = 0
        return out


def _palette(rgb: npt.NDArray[np.float64]) -> U8:
    import numpy as np

    table = np.zeros((LEVELS + 1, 3), dtype=np.uint8)
    table[:LEVELS] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return table


def grey_ir(lo_k: float, hi_k: float) -> ColourTable:
    """Inverted grey: ``lo_k`` (cold) white, ``hi_k`` (warm) black."""
    import numpy as np

    ramp = np.linspace(255.0, 0.0, LEVELS)[:, None].repeat(3, axis=1)
    return ColourTable("grey", lo_k, hi_k, _palette(ramp), True, "K")


def grey_visible(gamma: float) -> ColourTable:
    """Reflectance 0..1 as grey with ``gamma`` (2.0 brightens dark land the way eyes expect)."""
    import numpy as np

    ramp = 255.0 * np.linspace(0.0, 1.0, LEVELS) ** (1.0 / gamma)
    return ColourTable("grey", 0.0, 1.0, _palette(ramp[:, None].repeat(3, axis=1)), True, "reflectance")


def ir_colour(lo_k: float, hi_k: float) -> ColourTable:
    """The colourised IR table over ``[lo_k, hi_k]``; its colours stay at their Kelvin stops."""
    import numpy as np

    kelvin = np.linspace(lo_k, hi_k, LEVELS)
    stops_k = np.array([k for k, _ in IR_COLOUR_STOPS_K])
    rgb = np.array([c for _, c in IR_COLOUR_STOPS_K], dtype=np.float64)
    sampled = np.stack([np.interp(kelvin, stops_k, rgb[:, k]) for k in range(3)], axis=1)
    return ColourTable("ir-colour", lo_k, hi_k, _palette(sampled), False, "K")


def gradient_table(
    gradient: Gradient, name: str, kind: Literal["bt", "reflectance"], lo: float, hi: float, gamma: float
) -> ColourTable:
    """A gradient spread over the IR range (position 1 = coldest) or over reflectance 0..1."""
    import numpy as np

    if kind == "bt":
        rgb = gradient.sample(LEVELS)[::-1]
        return ColourTable(name, lo, hi, _palette(rgb), False, "K")
    where = np.linspace(0.0, 1.0, LEVELS) ** (1.0 / gamma)
    full = gradient.sample(LEVELS)
    rgb = np.stack([np.interp(where, np.linspace(0, 1, LEVELS), full[:, k]) for k in range(3)], axis=1)
    return ColourTable(name, 0.0, 1.0, _palette(rgb), False, "reflectance")


def ir_table_names() -> list[str]:
    """The IR colour tables by name: ``ir-colour`` and the shipped gradients (a JSON path also works)."""
    return ["ir-colour", *sorted(builtin_gradients())]


def resolve_table(
    colour: str, kind: Literal["bt", "reflectance"], ir_range: tuple[float, float], gamma: float
) -> ColourTable:
    """The table for ``--colour`` (``grey``, ``ir-colour``, a shipped gradient name or a JSON path)."""
    lo, hi = ir_range
    if not lo < hi:
        raise RenderInputError(f"IR range {lo:g}-{hi:g} K is empty; the minimum must be below the maximum")
    if colour in ("grey", "native", "sanchez"):
        return grey_ir(lo, hi) if kind == "bt" else grey_visible(gamma)
    if colour == "ir-colour":
        if kind != "bt":
            raise RenderInputError(
                "the IR colour table needs an IR band (7-16)", setting="colour", value=colour,
                hint="use grey or a gradient for visible bands",
            )  # fmt: skip
        return ir_colour(lo, hi)
    shipped = builtin_gradients()
    path = shipped.get(colour, Path(colour))
    if path.suffix.lower() != ".json" and colour not in shipped:
        names = ", ".join(["grey", "ir-colour", "native", "sanchez", *sorted(shipped)])
        raise RenderInputError(
            "unknown colour table",
            setting="colour",
            value=colour,
            hint=f"use one of {names} or a gradient .json",
        )
    return gradient_table(load_gradient(path), path.stem, kind, lo, hi, gamma)


def legend(table: ColourTable, height: int, width: int = 96) -> U8:
    """A vertical colour bar with ticks (Kelvin or reflectance), RGB, ``height`` rows."""
    import cv2
    import numpy as np

    height = max(height, 64)
    bar_w = max(12, width // 4)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    margin = 8
    rows = np.arange(height - 2 * margin)
    # Top of the bar is the cold (IR) or bright (visible) end.
    frac = rows / max(1, rows.size - 1)
    values = (
        table.hi - frac * (table.hi - table.lo)
        if table.units == "reflectance"
        else (table.lo + frac * (table.hi - table.lo))
    )
    colours = table.palette[table.indices(values.astype(np.float32))]
    out[margin : height - margin, 4 : 4 + bar_w] = colours[:, None, :]
    step = 20.0 if table.units == "K" else 0.2
    first = np.ceil(table.lo / step) * step
    scale = max(0.3, min(0.5, height / 1200))
    for tick in np.arange(first, table.hi + 1e-9, step):
        f = (tick - table.lo) / (table.hi - table.lo)
        y = margin + round((1 - f if table.units == "reflectance" else f) * (rows.size - 1))
        cv2.line(out, (4 + bar_w, y), (8 + bar_w, y), (255, 255, 255), 1)
        label = f"{tick:.0f}K" if table.units == "K" else f"{tick:.1f}"
        cv2.putText(
            out, label, (11 + bar_w, y + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
        )
    return out
