"""Arrays from the view-models (``HxWx3`` uint8 RGB) as Qt images, and a preview label."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QImage, QMouseEvent, QPixmap
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget


def to_qimage(array: Any) -> QImage:
    """A QImage that owns a copy of ``array`` (so the array may go away)."""
    height, width = array.shape[:2]
    data = array.tobytes()
    image = QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def to_pixmap(array: Any) -> QPixmap:
    return QPixmap.fromImage(to_qimage(array))


class ImageLabel(QLabel):
    """Shows one frame scaled to fit; emits ``clicked`` (previews open an enlarged view)."""

    clicked = pyqtSignal()

    def __init__(self, name: str, accessible: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setToolTip(tip)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(120, 90))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFrameShape(QLabel.Shape.StyledPanel)
        self._pixmap: QPixmap | None = None

    def set_array(self, array: Any) -> None:
        self.set_image(to_pixmap(array))

    def set_image(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self._rescale()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def clear_image(self, text: str = "") -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))  # fmt: skip

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and event.button() == Qt.MouseButton.LeftButton and self._pixmap is not None:
            self.clicked.emit()
        super().mouseReleaseEvent(event)
