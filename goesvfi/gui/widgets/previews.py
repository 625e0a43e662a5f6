"""First, middle and last frame, a slider through every frame with its UTC time, and the selected
frame in the chosen colour. Thumbnails come from the view-model (made in workers, cached)."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialog, QGridLayout, QVBoxLayout, QWidget

from goesvfi.gui.widgets.images import ImageLabel
from goesvfi.gui.widgets.naming import name_labeled_slider
from goesvfi.gui.widgets.plain import ElidingLabel, LabeledSlider
from goesvfi.viewmodels.processing import ProcessingViewModel

THUMB_SIDE = 256
SELECTED_SIDE = 512
ENLARGED_SIDE = 1400


class EnlargedFrame(QDialog):
    """A bigger view of one frame (click a preview)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enlargedFrameDialog")
        self.setAccessibleName("Enlarged frame")
        self.setWindowTitle(title)
        self.image = ImageLabel("enlargedFrame", "Enlarged frame", "The frame at a larger size")
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        self.resize(900, 700)


class PreviewStrip(QWidget):
    """See the module docstring."""

    def __init__(self, vm: ProcessingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("previewStrip")
        self.first = ImageLabel("firstFramePreview", "First frame", "The first frame; click to enlarge")
        self.middle = ImageLabel("middleFramePreview", "Middle frame", "The middle frame; click to enlarge")
        self.last = ImageLabel("lastFramePreview", "Last frame", "The last frame; click to enlarge")
        self.selected = ImageLabel(
            "selectedFramePreview", "Selected frame",
            "The frame at the slider, in the chosen colour and with the crop; click to enlarge",
        )  # fmt: skip
        self.slider = name_labeled_slider(
            LabeledSlider(Qt.Orientation.Horizontal),
            "frameSlider",
            "Frame",
            "Scrub through every input frame",
        )
        self.slider.setRange(0, 0)
        self.selected.clear_image("Drop a folder of frames (PNG, JPEG or ABI NetCDF) here, or press Ctrl+O")
        self.time_label = ElidingLabel("")
        self.time_label.setObjectName("frameTimeLabel")
        self.time_label.setAccessibleName("Frame time")
        layout = QGridLayout(self)
        layout.addWidget(self.first, 0, 0)
        layout.addWidget(self.middle, 0, 1)
        layout.addWidget(self.last, 0, 2)
        layout.addWidget(self.selected, 1, 0, 1, 3)
        layout.addWidget(self.slider, 2, 0, 1, 3)
        layout.addWidget(self.time_label, 3, 0, 1, 3)
        layout.setRowStretch(1, 2)
        self._enlarged: EnlargedFrame | None = None
        self._enlarged_index = -1
        vm.framesChanged.connect(self._on_frames)
        vm.framesFailed.connect(self._on_frames_failed)
        vm.preview.thumbnailReady.connect(self._on_thumbnail)
        vm.settings.changed.connect(self._on_settings_changed)
        self.slider.valueChanged.connect(self._on_slider)
        for label, which in ((self.first, "first"), (self.middle, "middle"), (self.last, "last")):
            label.clicked.connect(lambda which=which: self.enlarge(self._index_of(which)))
        self.selected.clicked.connect(lambda: self.enlarge(self.slider.value()))

    def _index_of(self, which: str) -> int:
        count = self.vm.frame_count
        return {"first": 0, "middle": count // 2, "last": count - 1}[which]

    @property
    def colour(self) -> str:
        return self.vm.colour_choice

    def _request(self, index: int, side: int, colour: str = "none") -> None:
        self.vm.preview.request_thumbnail(index, side, colour, self.vm.settings.settings)

    def _on_frames(self, labels: list[str]) -> None:
        count = len(labels)
        for label in (self.first, self.middle, self.last, self.selected):
            label.clear_image("loading…" if count else "no frames")
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.time_label.setText(labels[0] if labels else "")
        if count:
            for which in ("first", "middle", "last"):
                self._request(self._index_of(which), THUMB_SIDE)
            self._request(0, SELECTED_SIDE, self.colour)

    def _on_frames_failed(self, error: dict[str, Any]) -> None:
        for label in (self.first, self.middle, self.last, self.selected):
            label.clear_image("")
        self.selected.setText(str(error.get("message", "")))

    def _on_slider(self, index: int) -> None:
        labels = self.vm.frame_labels
        if 0 <= index < len(labels):
            self.time_label.setText(labels[index])
            self._request(index, SELECTED_SIDE, self.colour)

    def _on_settings_changed(self, section: str) -> None:
        if section in ("pipeline", "render") and self.vm.frame_count:
            self._request(self.slider.value(), SELECTED_SIDE, self.colour)

    def _on_thumbnail(self, index: int, side: int, image: Any) -> None:
        if side == THUMB_SIDE:
            for which, label in (("first", self.first), ("middle", self.middle), ("last", self.last)):
                if index == self._index_of(which):
                    label.set_array(image)
        elif side == SELECTED_SIDE and index == self.slider.value():
            self.selected.set_array(image)
        elif side == ENLARGED_SIDE and self._enlarged is not None and index == self._enlarged_index:
            self._enlarged.image.set_array(image)

    def enlarge(self, index: int) -> EnlargedFrame:
        labels = self.vm.frame_labels
        self._enlarged = EnlargedFrame(labels[index] if 0 <= index < len(labels) else "", self)
        self._enlarged_index = index
        self._request(index, ENLARGED_SIDE, self.colour)
        self._enlarged.open()
        return self._enlarged

    def loaded(self) -> bool:
        """True when the first, middle and last previews show their frames."""
        return all(label.has_image() for label in (self.first, self.middle, self.last))


__all__ = ["EnlargedFrame", "PreviewStrip"]
