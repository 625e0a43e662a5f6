"""The processing tab: input and output, frames, interpolation and colour, crop, pair preview, run,
queue and log. It receives its view-model and the window's actions (buttons share them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtGui import QStandardItemModel
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from goesvfi.gui.actions import Actions
from goesvfi.gui.dialogs.crop import CropDialog
from goesvfi.gui.widgets.log_panel import LogPanel
from goesvfi.gui.widgets.naming import name_collapsible, named
from goesvfi.gui.widgets.pair_preview import PairPreview
from goesvfi.gui.widgets.plain import Collapsible, ElidingLabel
from goesvfi.gui.widgets.previews import PreviewStrip
from goesvfi.gui.widgets.queue_panel import QueuePanel
from goesvfi.gui.widgets.run_panel import RunPanel, action_button
from goesvfi.gui.widgets.settings_form import SettingsForm
from goesvfi.viewmodels.processing import ProcessingViewModel

CROP_SIDE = 1024
RIFE_KEYS = ("vfi.rife_scale", "vfi.memory_budget_mb", "vfi.tile_overlap", "vfi.fp16", "vfi.flow_preset",
             "vfi.guard", "vfi.scene_threshold", "vfi.static_threshold", "vfi.on_scene_change")  # fmt: skip
NOTE_STYLE = "color: #b9770e;"


class ProcessingTab(QWidget):
    def __init__(self, vm: ProcessingViewModel, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.actions = actions
        self.setObjectName("processingTab")
        self.setAccessibleName("Processing")
        self.input_edit = QLineEdit()
        named(self.input_edit, "inputPathEdit", "Input folder",
               "Folder of PNG/JPEG frames or ABI NetCDF files (or drop one on the window)")  # fmt: skip
        self.output_edit = QLineEdit()
        named(self.output_edit, "outputPathEdit", "Output file", "The MP4 video to write")
        self.check_label = ElidingLabel("")
        named(self.check_label, "folderCheckLabel", "Folder check",
               "The folder's frames checked against the expected times")  # fmt: skip
        self.integrity_link = QPushButton("Gaps and fetching…")
        self.integrity_link.setFlat(True)
        self.integrity_link.setEnabled(False)
        named(self.integrity_link, "openIntegrityButton", "Open the folder in the Integrity check tab",
              "See the gaps on a timeline and fetch the missing frames (Integrity check tab)")  # fmt: skip
        self.integrity_link.clicked.connect(vm.open_in_integrity)
        vm.inputChanged.connect(lambda folder: self.integrity_link.setEnabled(bool(folder)))
        self.previews = PreviewStrip(vm)
        self.pair = PairPreview()
        self.run_panel = RunPanel(vm.runner, actions.start, actions.pause, actions.cancel)
        self.log_panel = LogPanel(vm.runner)
        self.queue_panel = QueuePanel(vm.queue, actions.add_to_queue, actions.run_queue)
        self._crop_dialog: CropDialog | None = None
        self._build()
        self._connect()
        self._load_values()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        io = QGroupBox("Input and output")
        io_form = QFormLayout(io)
        row = QHBoxLayout()
        row.addWidget(self.input_edit, 1)
        row.addWidget(action_button(self.actions.open_input, "inputBrowseButton", "Browse for the input"))
        io_form.addRow(self._buddy("&Input folder:", self.input_edit), row)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_label, 1)
        check_row.addWidget(self.integrity_link)
        io_form.addRow("", check_row)
        io_form.addRow("", self._range_row())
        row = QHBoxLayout()
        row.addWidget(self.output_edit, 1)
        row.addWidget(action_button(self.actions.open_output, "outputBrowseButton", "Browse for the output"))
        io_form.addRow(self._buddy("&Output file:", self.output_edit), row)

        job = QGroupBox("Interpolation and colour")
        job_form = QFormLayout(job)
        self.interpolator_combo = QComboBox()
        named(self.interpolator_combo, "interpolatorCombo", "Interpolator",
               "How the in-between frames are made; greyed-out ones cannot run on this computer")  # fmt: skip
        job_form.addRow("I&nterpolator:", self.interpolator_combo)
        names = {"pipeline.fps": "fpsSpin", "pipeline.multiplier": "multiplierSpin"}
        specs = [s for s in self.vm.settings.field_specs("pipeline") if s.key in names]
        self.rate_form = SettingsForm(specs, object_names=names)
        job_form.addRow(self.rate_form)
        self.summary_label = QLabel(self.vm.summary)
        named(self.summary_label, "summaryLabel", "Summary", "Input frames, output frames and duration")
        job_form.addRow(self.summary_label)
        self.colour_combo = QComboBox()
        named(
            self.colour_combo,
            "colourCombo",
            "Colour",
            "Colour of the frames: as they are, native false colour, Sanchez (needs its program) or an IR "
            "colour table (grey IR frames and NetCDF files)",
        )
        job_form.addRow("&Colour:", self.colour_combo)
        self.advanced = name_collapsible(
            Collapsible("RIFE options and scene guard"), "advancedOptions", "RIFE options and scene guard"
        )
        specs = [s for s in self.vm.settings.field_specs("vfi") if s.key in RIFE_KEYS]
        self.rife_form = SettingsForm(specs)
        self.rife_form.set_enabled("vfi.fp16", self.vm.gpu_available())
        self.advanced.addWidget(self.rife_form)
        job_form.addRow(self.advanced)
        job_form.addRow(self._cluster_section())
        crop_row = QHBoxLayout()
        crop_row.addWidget(action_button(self.actions.crop, "cropButton", "Crop"))
        self.crop_label = QLabel("no crop")
        named(self.crop_label, "cropLabel", "Crop", "The crop rectangle in input pixels")
        self.crop_note = QLabel("")
        named(self.crop_note, "cropNoteLabel", "Crop note", "Changes made to the crop for the encoder")
        self.crop_note.setStyleSheet(NOTE_STYLE)
        crop_row.addWidget(self.crop_label)
        crop_row.addWidget(self.crop_note, 1)
        job_form.addRow(crop_row)

        left = QVBoxLayout()
        left.addWidget(io)
        left.addWidget(job)
        left.addWidget(self.run_panel)
        left.addWidget(self.queue_panel)
        left.addWidget(self.log_panel)
        left.addStretch(1)
        frames = QGroupBox("Frames")
        right = QVBoxLayout(frames)
        right.addWidget(self.previews, 3)
        pair_row = QHBoxLayout()
        pair_row.addWidget(action_button(self.actions.preview_pair, "previewPairButton", "Preview pair"))
        pair_row.addStretch(1)
        right.addLayout(pair_row)
        right.addWidget(self.pair, 2)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addWidget(frames, 3)

    def _range_row(self) -> QWidget:
        """The range ("Range: … to …") with a clear button; hidden while the job uses every frame."""
        self.range_row = QWidget()
        row = QHBoxLayout(self.range_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.range_label = QLabel("")
        named(self.range_label, "rangeLabel", "Time range",
              "Only the frames whose time is within this range are used")  # fmt: skip
        self.clear_range_button = QPushButton("Clear range")
        named(self.clear_range_button, "clearRangeButton", "Clear range", "Use every frame in the folder")
        row.addWidget(self.range_label, 1)
        row.addWidget(self.clear_range_button)
        self.range_row.setVisible(False)
        return self.range_row

    def _cluster_section(self) -> Collapsible:
        """Advanced: the Dask cluster the job's segments run on, with a connection test."""
        self.cluster_section = name_collapsible(Collapsible("Advanced"), "clusterOptions", "Advanced")
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        self.cluster_edit = QLineEdit()
        self.cluster_edit.setPlaceholderText("empty: this computer; tcp://host:8786 or local:N")
        named(self.cluster_edit, "clusterAddressEdit", "Cluster address",
              "A Dask scheduler address such as tcp://host:8786, or local:N for N worker processes on "
              "this computer; empty runs the job here")  # fmt: skip
        self.test_cluster_button = QPushButton("Test connection")
        named(self.test_cluster_button, "testClusterButton", "Test connection",
              "Reach the cluster address and report how many workers it has")  # fmt: skip
        row = QHBoxLayout()
        row.addWidget(self.cluster_edit, 1)
        row.addWidget(self.test_cluster_button)
        form.addRow(self._buddy("Cl&uster:", self.cluster_edit), row)
        self.cluster_result = ElidingLabel("")
        named(self.cluster_result, "clusterResultLabel", "Connection test result",
              "The workers the cluster address reaches, or why it cannot be reached")  # fmt: skip
        form.addRow("", self.cluster_result)
        self.cluster_section.addWidget(box)
        return self.cluster_section

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        """A label whose Alt+letter focuses ``widget``."""
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _connect(self) -> None:
        vm = self.vm
        self.input_edit.editingFinished.connect(self._on_input_edited)
        self.output_edit.editingFinished.connect(self._on_output_edited)
        vm.inputChanged.connect(self._on_input_changed)
        vm.outputChanged.connect(self.output_edit.setText)
        vm.summaryChanged.connect(self.summary_label.setText)
        vm.checkChanged.connect(self.check_label.setText)
        vm.cropChanged.connect(self._on_crop_changed)
        vm.cropNoteChanged.connect(self.crop_note.setText)
        vm.memoryChanged.connect(self.run_panel.set_memory)
        vm.rangeChanged.connect(self._on_range_changed)
        self.clear_range_button.clicked.connect(vm.clear_range)
        self.cluster_edit.editingFinished.connect(self._on_cluster_edited)
        self.test_cluster_button.clicked.connect(self._on_test_cluster)
        vm.cluster.tested.connect(self._on_cluster_tested)
        vm.cluster.failed.connect(self._on_cluster_failed)
        vm.preview.pairReady.connect(self._on_pair_ready)
        vm.preview.pairBusyChanged.connect(lambda busy: self.actions.preview_pair.setEnabled(not busy))
        vm.settings.changed.connect(self._on_settings_changed)
        self.rate_form.valueChanged.connect(self._on_form_value)
        self.rife_form.valueChanged.connect(self._on_form_value)
        self.interpolator_combo.currentIndexChanged.connect(
            lambda: self._on_form_value("vfi.backend", self.interpolator_combo.currentData())
        )
        self.colour_combo.currentIndexChanged.connect(self._on_colour_chosen)

    def _fill_choices(self, combo: QComboBox, choices: list[tuple[str, str | None]], current: str,
                      label: Callable[[str], str] = str) -> None:  # fmt: skip
        blocked = combo.blockSignals(True)
        combo.clear()
        model = combo.model()
        assert isinstance(model, QStandardItemModel)
        for name, reason in choices:
            combo.addItem(label(name), name)
            item = model.item(combo.count() - 1)
            assert item is not None
            if reason:
                item.setEnabled(False)
                item.setToolTip(f"{name} cannot run here: {reason}")
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(blocked)

    def _load_values(self) -> None:
        vm = self.vm
        self._fill_choices(self.interpolator_combo, vm.interpolators(), str(vm.value("vfi.backend")))
        self._fill_choices(self.colour_combo, vm.colours(), vm.colour_choice, vm.colour_label)
        for form in (self.rate_form, self.rife_form):
            form.set_values({key: vm.value(key) for key in list(form.field_keys())})
        if not self.cluster_edit.hasFocus():
            self.cluster_edit.setText(vm.cluster.address)

    # -- handlers ------------------------------------------------------------------------------

    def _on_input_edited(self) -> None:
        text = self.input_edit.text().strip()
        if text != str(self.vm.input_dir or ""):
            self.vm.set_input(text or None)

    def _on_output_edited(self) -> None:
        self.vm.set_output(self.output_edit.text().strip() or None)

    def _on_input_changed(self, text: str) -> None:
        self.input_edit.setText(text)
        self.pair.stop()

    def _on_form_value(self, key: str, value: Any) -> None:
        error = self.vm.set_value(key, value)
        for form in (self.rate_form, self.rife_form):
            if key in set(form.field_keys()):
                form.set_error(key, str(error["message"]) if error else None)

    def _on_range_changed(self, text: str) -> None:
        self.range_label.setText(text)
        self.range_row.setVisible(bool(text))

    def _on_cluster_edited(self) -> bool:
        error = self.vm.cluster.set_address(self.cluster_edit.text())
        self.cluster_result.setText(str(error["message"]) if error else "")
        return error is None

    def _on_test_cluster(self) -> None:
        if self._on_cluster_edited():
            self.test_cluster_button.setEnabled(False)
            self.cluster_result.setText("connecting…")
            self.vm.cluster.test()

    def _on_cluster_tested(self, workers: int) -> None:
        self.test_cluster_button.setEnabled(True)
        self.cluster_result.setText(f"connected: {workers} worker{'s' if workers != 1 else ''}")

    def _on_cluster_failed(self, error: dict[str, Any]) -> None:
        self.test_cluster_button.setEnabled(True)
        self.cluster_result.setText(str(error["message"]))
        self.cluster_result.setToolTip(str(error.get("hint") or error["message"]))

    def _on_colour_chosen(self) -> None:
        choice = self.colour_combo.currentData()
        if choice is not None:
            self.vm.set_colour(str(choice))

    def _on_settings_changed(self, section: str) -> None:
        if section in ("pipeline", "vfi", "render"):
            self._load_values()

    def _on_crop_changed(self, crop: Any) -> None:
        text = "no crop" if crop is None else f"crop {crop[2]}×{crop[3]} at {crop[0]},{crop[1]}"
        self.crop_label.setText(text)

    def _on_pair_ready(self, index: int, frames: list[Any]) -> None:
        self.pair.set_frames(frames)
        self.pair.caption.setToolTip(f"pair {index + 1}–{index + 2}")

    # -- commands (the window's actions call these) --------------------------------------------

    def browse_input(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of frames", self.input_edit.text())
        if folder:
            self.vm.set_input(folder)

    def browse_output(self) -> None:
        start = self.output_edit.text()
        path, _ = QFileDialog.getSaveFileName(self, "Output video", start, "MP4 video (*.mp4)")
        if path:
            self.vm.set_output(path if path.lower().endswith(".mp4") else path + ".mp4")

    def preview_pair(self) -> None:
        index = min(self.previews.slider.value(), max(0, self.vm.frame_count - 2))
        self.vm.preview_pair(index)

    def open_crop(self) -> CropDialog | None:
        """Open the crop dialog on the selected frame (its thumbnail is made first if needed)."""
        index = self.previews.slider.value()
        size = self.vm.frame_size(index)
        image = self.vm.preview.cached(index, CROP_SIDE, self.vm.colour_choice)
        if size is None:
            return None
        if image is None:
            self.vm.preview.thumbnailReady.connect(self._crop_when_ready)
            self.previews._request(index, CROP_SIDE, self.previews.colour)
            return None
        dialog = CropDialog(image, size, self.vm.crop, self)
        dialog.accepted.connect(lambda: self.vm.set_crop(dialog.crop()))
        self._crop_dialog = dialog
        dialog.open()
        return dialog

    def _crop_when_ready(self, index: int, side: int, image: Any) -> None:
        if side == CROP_SIDE:
            self.vm.preview.thumbnailReady.disconnect(self._crop_when_ready)
            self.open_crop()
