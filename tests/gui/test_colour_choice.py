"""The processing tab's Colour choice: none, native, Sanchez and the core's IR colour tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtWidgets import QComboBox

from goesvfi.gui import create_main_window
from goesvfi.gui.widgets.previews import SELECTED_SIDE

START = datetime(2025, 5, 8, 0, 0, 20, tzinfo=UTC)


def _grey_frames(folder: Path, count: int = 3) -> Path:
    folder.mkdir(parents=True)
    for index in range(count):
        grey = np.tile(np.linspace(20, 250, 64, dtype=np.uint8), (48, 1)) + index
        when = START + timedelta(minutes=10 * index)
        Image.fromarray(grey).save(folder / f"GOES19_FD_CH13_{when:%Y%m%dT%H%M%S}Z.png")
    return folder


def _coloured(image: Any) -> bool:
    array = np.asarray(image).astype(int)
    return bool(np.abs(array[..., 0] - array[..., 2]).mean() > 10)


def test_picking_a_table_shows_the_frame_in_it_and_reaches_the_job_request(
    qtbot: Any, tmp_path: Path, wait_workers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = create_main_window()
    qtbot.addWidget(window)
    vm = window.processing
    combo = window.findChild(QComboBox, "colourCombo")
    assert combo is not None
    choices = [combo.itemData(i) for i in range(combo.count())]
    assert choices[:4] == ["none", "native", "sanchez", "ir-colour"]
    assert {"darkred-blue", "cold-tops"} <= set(choices)
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert "Native false colour" in labels
    assert "IR colour table: darkred-blue" in labels

    vm.set_input(_grey_frames(tmp_path / "in"))
    vm.set_output(tmp_path / "out.mp4")
    wait_workers()
    with qtbot.waitSignal(
        vm.preview.thumbnailReady, timeout=30_000,
        check_params_cb=lambda index, side, image: side == SELECTED_SIDE and _coloured(image),
    ):  # fmt: skip
        combo.setCurrentIndex(combo.findData("darkred-blue"))
    assert window.processing_tab.previews.selected.has_image()
    assert combo.currentData() == "darkred-blue"  # the combo, refilled from the settings, keeps it

    started: list[Any] = []
    monkeypatch.setattr(vm.runner, "start", lambda request, **kwargs: started.append(request))
    assert vm.start()
    request = started[0]
    assert (request.colour, request.colour_table, request.frame_colour) == (
        "table",
        "darkred-blue",
        "darkred-blue",
    )

    combo.setCurrentIndex(combo.findData("native"))
    assert (vm.value("pipeline.colour"), vm.value("pipeline.colour_table")) == ("native", "darkred-blue")
    wait_workers()


def test_a_users_gradient_file_is_offered_beside_the_shipped_tables(qtbot: Any, tmp_path: Path) -> None:
    gradient = tmp_path / "mine.json"
    gradient.write_text('[{"Colour": "000000", "Position": 0}, {"Colour": "ff0000", "Position": 1}]')
    window = create_main_window()
    qtbot.addWidget(window)
    assert window.processing.set_colour(str(gradient)) is None
    combo = window.findChild(QComboBox, "colourCombo")
    assert combo is not None
    assert combo.currentData() == str(gradient)
    assert combo.currentText() == "IR colour table: mine.json"
