"""Draw the crop rectangle on a frame. Presets free, 16:9, 4:3, 1:1; Enter accepts, Esc cancels,
Delete clears. The rectangle is returned in pixels of the input frames."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QPoint, QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from goesvfi.gui.widgets.images import to_pixmap
from goesvfi.gui.widgets.naming import named

PRESETS: dict[str, float | None] = {"free": None, "16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0}


class CropCanvas(QWidget):
    """The frame with a rubber-band rectangle (widget coordinates mapped to image pixels)."""

    rectChanged = pyqtSignal()

    def __init__(self, pixmap: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cropCanvas")
        self.setAccessibleName("Crop area")
        self.setToolTip("Drag to draw the crop rectangle")
        self.pixmap = pixmap
        self.ratio: float | None = None
        self.rect_image: QRect | None = None  # in pixmap pixels
        self._anchor: QPoint | None = None
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _target(self) -> QRectF:
        size = self.pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def _to_image(self, point: QPoint) -> QPoint:
        target = self._target()
        scale = self.pixmap.width() / max(1.0, target.width())
        x = round((point.x() - target.x()) * scale)
        y = round((point.y() - target.y()) * scale)
        return QPoint(min(max(0, x), self.pixmap.width()), min(max(0, y), self.pixmap.height()))

    def set_rect(self, rect: QRect | None) -> None:
        self.rect_image = rect.normalized() if rect is not None else None
        self.update()
        self.rectChanged.emit()

    def drag(self, start: QPoint, end: QPoint) -> None:
        """Draw from ``start`` to ``end`` (image pixels), keeping the preset's aspect ratio."""
        width, height = end.x() - start.x(), end.y() - start.y()
        if self.ratio is not None and width and height:
            if abs(width) / abs(height) > self.ratio:
                width = round(abs(height) * self.ratio) * (1 if width > 0 else -1)
            else:
                height = round(abs(width) / self.ratio) * (1 if height > 0 else -1)
        x, y = min(start.x(), start.x() + width), min(start.y(), start.y() + height)
        self.set_rect(QRect(x, y, abs(width), abs(height)))

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and event.button() == Qt.MouseButton.LeftButton:
            self._anchor = self._to_image(event.position().toPoint())

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and self._anchor is not None:
            self.drag(self._anchor, self._to_image(event.position().toPoint()))

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        self._anchor = None

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        target = self._target()
        painter.drawPixmap(target.toRect(), self.pixmap)
        if self.rect_image is not None:
            scale = target.width() / max(1, self.pixmap.width())
            r = self.rect_image
            shown = QRectF(target.x() + r.x() * scale, target.y() + r.y() * scale,
                           r.width() * scale, r.height() * scale)  # fmt: skip
            painter.setPen(QPen(QColor("#f1c40f"), 2))
            painter.drawRect(shown)
        painter.end()


class CropDialog(QDialog):
    """``crop()`` after acceptance: (x, y, w, h) in input pixels, or None for no crop."""

    def __init__(self, image: Any, frame_size: tuple[int, int], crop: tuple[int, int, int, int] | None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("cropDialog")
        self.setAccessibleName("Crop")
        self.setWindowTitle("Crop")
        pixmap = to_pixmap(image)
        self.scale = frame_size[0] / max(1, pixmap.width())  # input pixels per shown pixel
        self.canvas = CropCanvas(pixmap)
        self.preset = QComboBox()
        self.preset.setObjectName("cropPresetCombo")
        self.preset.setAccessibleName("Aspect ratio")
        self.preset.setToolTip("Keep the rectangle at this aspect ratio")
        self.preset.addItems(list(PRESETS))
        self.preset.currentTextChanged.connect(self._on_preset)
        self.size_label = QLabel("")
        self.size_label.setObjectName("cropSizeLabel")
        self.size_label.setAccessibleName("Crop size")
        self.canvas.rectChanged.connect(self._on_rect)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.setObjectName("cropButtons")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for which, name, tip in (
            (QDialogButtonBox.StandardButton.Ok, "cropOkButton", "Use this crop (Enter)"),
            (QDialogButtonBox.StandardButton.Cancel, "cropCancelButton", "Keep the crop as it was (Esc)"),
        ):
            button = buttons.button(which)
            if button is not None:
                named(button, name, button.text().replace("&", ""), tip)
        top = QHBoxLayout()
        top.addWidget(QLabel("Aspect:"))
        top.addWidget(self.preset)
        top.addStretch(1)
        top.addWidget(self.size_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(QLabel("Enter accepts, Esc cancels, Delete clears."))
        layout.addWidget(buttons)
        if crop is not None:
            x, y, w, h = (round(v / self.scale) for v in crop)
            self.canvas.set_rect(QRect(x, y, w, h))
        self.resize(800, 600)

    def _on_preset(self, name: str) -> None:
        self.canvas.ratio = PRESETS[name]
        rect = self.canvas.rect_image
        if rect is not None:
            self.canvas.drag(rect.topLeft(), rect.topLeft() + QPoint(rect.width(), rect.height()))

    def _on_rect(self) -> None:
        crop = self.crop()
        self.size_label.setText(f"{crop[2]}×{crop[3]} at {crop[0]},{crop[1]}" if crop else "no crop")

    def crop(self) -> tuple[int, int, int, int] | None:
        rect = self.canvas.rect_image
        if rect is None or rect.width() < 2 or rect.height() < 2:
            return None
        s = self.scale
        return round(rect.x() * s), round(rect.y() * s), round(rect.width() * s), round(rect.height() * s)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is not None and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.canvas.set_rect(None)
            return
        super().keyPressEvent(event)  # Enter accepts, Esc cancels (QDialog's own keys)
