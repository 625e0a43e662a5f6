"""render_array / render_file: shapes, blocks, downsampling, crops, 16-bit, progress, cancel, CDN frames."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from goesvfi.core.jobs.control import CancelledByUser, CancelToken
from goesvfi.core.jobs.progress import ProgressEvent
from goesvfi.core.render import RenderOptions, plan, render_array, render_file
from goesvfi.core.render.abi import open_abi
from goesvfi.core.render.errors import RenderInputError
from goesvfi.core.render.png import write_png
from goesvfi.core.render.synthetic import write_abi_file

START = datetime(2025, 5, 8, 0, 0, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def conus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_abi_file(
        tmp_path_factory.mktemp("api") / "GOES19_CONUS_CH13_20250508T000117Z.nc",
        start=START,
        shape=(300, 500),
    )


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_abi_file(
        tmp_path_factory.mktemp("api") / "GOES19_FD_CH13_20250508T000020Z.nc",
        product="ABI-L1b-RadF",
        start=START,
        shape=(400, 400),
    )


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "BLOCK_PIXELS", 20_000)


def test_grey_render_matches_the_table(conus: Path) -> None:
    rgb = render_array(conus, RenderOptions())
    assert rgb.shape == (300, 500, 3)
    assert rgb.dtype == np.uint8
    assert np.array_equal(rgb[..., 0], rgb[..., 2])
    with open_abi(conus) as reader:
        bt = reader.read(0, 300)
    pixel = np.unravel_index(np.nanargmin(bt), bt.shape)
    expected = round(255 * (320 - float(bt[pixel])) / 140)
    assert abs(int(rgb[pixel][0]) - expected) <= 1


def test_blocks_give_the_same_image_as_one_block(conus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = render_array(conus, RenderOptions(colour="ir-colour"))
    monkeypatch.setattr(plan, "BLOCK_PIXELS", 10_000)
    events: list[ProgressEvent] = []
    blocked = render_array(conus, RenderOptions(colour="ir-colour"), progress=events.append)
    assert np.array_equal(whole, blocked)
    assert len(events) > 5
    assert events[-1].done == events[-1].total


def test_downsample_averages_in_kelvin(conus: Path) -> None:
    small = render_array(conus, RenderOptions(downsample=4))
    assert small.shape == (75, 125, 3)
    with open_abi(conus) as reader:
        bt = reader.read(0, 300)
    cell = bt[40:44, 80:84]
    expected = 255 * (320 - np.nanmean(cell)) / 140
    assert abs(int(small[10, 20, 0]) - expected) <= 1.5


def test_render_file_streams_a_grey_png_atomically(conus: Path, tmp_path: Path, small_blocks: None) -> None:
    result = render_file(conus, tmp_path, RenderOptions())
    assert result.output == tmp_path / (conus.stem + ".png")
    assert (result.width, result.height) == (500, 300)
    png = cv2.imread(str(result.output), cv2.IMREAD_UNCHANGED)
    assert png.shape == (300, 500)  # grey tables write a one-channel PNG
    assert np.array_equal(png, render_array(conus, RenderOptions())[..., 0])
    assert [p.name for p in tmp_path.iterdir()] == [result.output.name]


def test_sixteen_bit_grey(conus: Path, tmp_path: Path) -> None:
    result = render_file(conus, tmp_path, RenderOptions(bit_depth=16))
    png = cv2.imread(str(result.output), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    eight = render_array(conus, RenderOptions())[..., 0].astype(int)
    assert np.abs((png.astype(int) >> 8) - eight).max() <= 1
    assert len(np.unique(png)) > len(np.unique(eight))


def test_cancel_between_blocks_leaves_no_file(conus: Path, tmp_path: Path, small_blocks: None) -> None:
    token = CancelToken()

    def cancel_on_third(event: ProgressEvent) -> None:
        if event.done == 2:
            token.cancel("test")

    with pytest.raises(CancelledByUser):
        render_file(conus, tmp_path, RenderOptions(), cancel=token, progress=cancel_on_third)
    assert list(tmp_path.iterdir()) == []


def test_crop_box_native_and_equirect(full_disk: Path) -> None:
    crop = render_array(full_disk, RenderOptions(lat=(10.0, 50.0), lon=(-120.0, -60.0)))
    assert 20 < crop.shape[0] < 300
    assert 20 < crop.shape[1] < 300
    flat = render_array(
        full_disk,
        RenderOptions(lat=(10.0, 50.0), lon=(-120.0, -60.0), projection="equirect", resolution_deg=0.5),
    )
    assert flat.shape == (80, 120, 3)
    assert (flat > 0).all(axis=2).mean() > 0.95  # the whole box is on the disc


def test_legend_is_added_beside_the_image(conus: Path) -> None:
    rgb = render_array(conus, RenderOptions(colour="ir-colour", legend=True))
    assert rgb.shape == (300, 500 + 96, 3)


def test_native_false_colour(full_disk: Path) -> None:
    rgb = render_array(full_disk, RenderOptions(colour="native"))
    assert rgb.shape == (400, 400, 3)
    assert rgb[0, 0].tolist() == [0, 0, 0]  # space
    centre = rgb[150:250, 150:250].reshape(-1, 3).astype(int)
    assert (centre.max(axis=1) - centre.min(axis=1)).mean() > 5  # coloured, not grey


def test_bad_options_are_user_errors(conus: Path) -> None:
    for options, needle in (
        (RenderOptions(downsample=0), "downsample factor is out of range"),
        (RenderOptions(dqf="most"), "unknown data quality level"),
        (RenderOptions(lat=(1.0, 2.0)), "latitude and longitude ranges go together"),
        (RenderOptions(bit_depth=16, colour="ir-colour"), "grey only"),
        (RenderOptions(downsample=64, lat=(30.0, 31.0), lon=(-90.0, -89.0)), "no pixels"),
    ):
        with pytest.raises(RenderInputError, match=needle):
            render_array(conus, options)


def test_cdn_jpeg_and_netcdf_come_out_alike(full_disk: Path, tmp_path: Path) -> None:
    """A CDN-style grey JPEG of the same scan renders to the same size and mapping as the NetCDF."""
    from_nc = render_array(full_disk, RenderOptions(downsample=2))
    jpeg = tmp_path / "20251280000_GOES19-ABI-FD-13-200x200.jpg"
    cv2.imwrite(str(jpeg), from_nc[..., 0], [cv2.IMWRITE_JPEG_QUALITY, 95])
    from_jpeg = render_array(jpeg, RenderOptions())
    assert from_jpeg.shape == from_nc.shape
    assert np.abs(from_jpeg.astype(int) - from_nc.astype(int)).mean() < 2.0
    # Colour tables see the same Kelvin in both.
    coloured_nc = render_array(full_disk, RenderOptions(colour="ir-colour", downsample=2))
    coloured_jpeg = render_array(jpeg, RenderOptions(colour="ir-colour"))
    assert np.abs(coloured_jpeg.astype(int) - coloured_nc.astype(int)).mean() < 6.0
    # --size makes a full-resolution render match a smaller CDN frame size.
    sized = render_array(full_disk, RenderOptions(size=(200, 200)))
    assert sized.shape == (200, 200, 3)
    # The CDN frame sits on the full-disk grid, so a crop box works on it too.
    assert render_array(jpeg, RenderOptions(lat=(10.0, 50.0), lon=(-120.0, -60.0))).shape[0] > 5


def test_frame_without_satellite_in_the_name_cannot_be_cropped(tmp_path: Path) -> None:
    frame = tmp_path / "frame.png"
    write_png(frame, np.full((120, 120), 100, dtype=np.uint8))
    assert render_array(frame, RenderOptions()).shape == (120, 120, 3)
    with pytest.raises(RenderInputError, match="satellite and sector"):
        render_array(frame, RenderOptions(lat=(10.0, 20.0), lon=(-80.0, -70.0)))


def test_render_file_never_overwrites_its_input(tmp_path: Path) -> None:
    frame = tmp_path / "GOES19_FD_CH13_20250508T000020Z.png"
    write_png(frame, np.full((120, 120), 100, dtype=np.uint8))
    before = frame.read_bytes()
    with pytest.raises(RenderInputError, match="overwrite the input"):
        render_file(frame, tmp_path, RenderOptions(colour="ir-colour"))
    assert frame.read_bytes() == before


@pytest.mark.parametrize("colour", ["grey", "ir-colour"])
@pytest.mark.parametrize("dqf", ["good", "usable"])
def test_code_lookup_equals_calibrate_then_colour(conus: Path, colour: str, dqf: str) -> None:
    """The native-resolution shortcut (one lookup per raw code) gives the calibrated result."""
    from goesvfi.core.render.colourmaps import resolve_table

    fast = render_array(conus, RenderOptions(colour=colour, dqf=dqf))
    with open_abi(conus, dqf=dqf) as reader:  # type: ignore[arg-type]
        values = reader.read(0, 300)
    slow = resolve_table(colour, "bt", (180.0, 320.0), 2.0).apply(values)
    slow_rgb = slow if slow.ndim == 3 else np.repeat(slow[..., None], 3, axis=2)
    assert np.array_equal(fast, slow_rgb)
    flagged_row = fast[50, 200:]  # the synthetic file flags row 50 as conditionally usable
    assert (flagged_row == 0).all() if dqf == "good" else (flagged_row > 0).any()


def test_options_from_settings() -> None:
    from goesvfi.core.config import RenderSettings
    from goesvfi.core.render import options_from_settings

    settings = RenderSettings(dqf="good", ir_min_k=190.0, native_tint="ff0000", sanchez_resolution="0.5")
    options = options_from_settings(settings, colour="native", dqf=None, downsample=2)
    assert (options.dqf, options.ir_range, options.colour, options.downsample) == (
        "good",
        (190.0, 320.0),
        "native",
        2,
    )
    assert options.native is not None
    assert options.native.tint == (255, 0, 0)
    assert options.sanchez_resolution == "0.5"
    assert options_from_settings(settings, dqf="all").dqf == "all"
