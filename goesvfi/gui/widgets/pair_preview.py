"""The pair preview: frame A, the in-betweens the job would make, frame B, looped."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from goesvfi.gui.widgets.images import ImageLabel, to_pixmap

FRAME_MS = 250
HOLD_FRAMES = 2  # A and B stay a little longer, so the eye finds the ends of the loop


class PairPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairPreview")
        self.image = ImageLabel("pairPreviewImage", "Pair preview",
                                "Frame A, the in-between frames, frame B, in a loop")  # fmt: skip
        self.caption = QLabel("")
        self.caption.setObjectName("pairPreviewCaption")
        self.caption.setAccessibleName("Pair preview caption")
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        self._frames: list[Any] = []
        self._sequence: list[int] = []
        self._position = 0
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._advance)

    def set_frames(self, frames: list[Any]) -> None:
        """Loop ``frames`` (A, in-betweens, B); holds A and B a little longer."""
        self._frames = [to_pixmap(frame) for frame in frames]
        last = len(frames) - 1
        self._sequence = [0] * HOLD_FRAMES + list(range(1, last)) + [last] * HOLD_FRAMES if frames else []
        self._position = 0
        self._advance()
        self.timer.start()

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    def stop(self) -> None:
        self.timer.stop()

    def _advance(self) -> None:
        if not self._sequence:
            return
        index = self._sequence[self._position % len(self._sequence)]
        self._position += 1
        self.image.set_image(self._frames[index])
        last = len(self._frames) - 1
        name = "A" if index == 0 else "B" if index == last else f"in-between {index} of {last - 1}"
        self.caption.setText(name)
