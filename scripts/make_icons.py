"""Render goesvfi/resources/icons/goesvfi.svg to the PNG sizes of the XDG icon theme, plus the
Windows .ico and macOS .icns that ``goesvfi install-desktop`` hands to pyshortcuts.

Run after editing the SVG:  QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QGuiApplication, QImage, QPainter
from PyQt6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "goesvfi" / "resources" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "goesvfi.svg"))
    if not renderer.isValid():
        print(f"make_icons: {ICONS / 'goesvfi.svg'} is not a valid SVG", file=sys.stderr)
        return 1
    for size in SIZES:
        render(renderer, size).save(str(ICONS / f"goesvfi-{size}.png"))
    largest = Image.open(ICONS / "goesvfi-512.png")
    largest.save(ICONS / "goesvfi.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    largest.save(ICONS / "goesvfi.icns")
    del app
    print(f"make_icons: wrote {len(SIZES)} PNGs, goesvfi.ico and goesvfi.icns in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
