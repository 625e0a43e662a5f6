"""Gradients in Sanchez's JSON shape: a list of ``{"Colour": "rrggbb", "Position": p}``.

``p`` runs from 0 to 1; position 0 is the warm/dark end, 1 the cold/bright end (the grey level
of the inverted IR image, as in Sanchez). Shipped gradients live in ``goesvfi/resources/gradients``;
a user's own file is read with :func:`load_gradient`. Render's colour tables
(:mod:`goesvfi.core.render.colourmaps`) and the native false colour both use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from goesvfi.core.colour.errors import ColourInputError

if TYPE_CHECKING:  # numpy is imported where arrays are made: the app starts without it
    import numpy as np
    import numpy.typing as npt

Rgb = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Gradient:
    """Colour stops at positions 0..1, sorted."""

    stops: tuple[tuple[float, Rgb], ...]

    def sample(self, count: int) -> npt.NDArray[np.float64]:
        """``count`` RGB rows (0..255 floats) evenly spaced from position 0 to 1."""
        import numpy as np

        where = np.linspace(0.0, 1.0, count)
        pos = np.array([p for p, _ in self.stops])
        rgb = np.array([c for _, c in self.stops], dtype=np.float64)
        return np.stack([np.interp(where, pos, rgb[:, k]) for k in range(3)], axis=1)


def _hex(text: object, source: str) -> Rgb:
    value = str(text).strip().lstrip("#")
    if len(value) != 6:
        raise ColourInputError(f"{source}: colour '{text}' is not rrggbb hex; write e.g. 0092ff")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        raise ColourInputError(f"{source}: colour '{text}' is not rrggbb hex; write e.g. 0092ff") from None


def parse_gradient(data: object, source: str) -> Gradient:
    """Validate Sanchez-shaped gradient data; ``source`` names it in errors."""
    if not isinstance(data, list) or len(data) < 2:
        raise ColourInputError(
            f"{source}: a gradient is a JSON list of at least two "
            '{"Colour": "rrggbb", "Position": 0..1} objects'
        )
    stops: list[tuple[float, Rgb]] = []
    for item in data:
        if not isinstance(item, dict) or "Colour" not in item or "Position" not in item:
            raise ColourInputError(f"{source}: every stop needs 'Colour' and 'Position' (got {item!r})")
        try:
            position = float(item["Position"])
        except (TypeError, ValueError):
            raise ColourInputError(f"{source}: Position {item['Position']!r} is not a number") from None
        if not 0.0 <= position <= 1.0:
            raise ColourInputError(f"{source}: Position {position:g} is outside 0..1")
        stops.append((position, _hex(item["Colour"], source)))
    stops.sort(key=lambda stop: stop[0])
    return Gradient(tuple(stops))


def load_gradient(path: Path) -> Gradient:
    """Read a gradient JSON file (Sanchez's shape)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ColourInputError(f"gradient file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ColourInputError(f"gradient file {path} cannot be read as JSON: {exc}") from None
    return parse_gradient(data, f"gradient file {path}")


def builtin_gradients() -> dict[str, Path]:
    """Gradients shipped in ``goesvfi/resources/gradients`` by name (``darkred-blue``...)."""
    folder = resources.files("goesvfi") / "resources" / "gradients"
    return {
        Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".json")
    }
