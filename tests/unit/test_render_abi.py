"""Reading ABI files: identification by content, clear errors, DQF policy, open deadline."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from goesvfi.core.errors import UserInputError
from goesvfi.core.render.abi import open_abi
from goesvfi.core.render.errors import CorruptFileError, NotAbiFileError, OpenTimeoutError
from goesvfi.core.render.ncaccess import call_with_deadline
from goesvfi.core.render.synthetic import write_abi_file

START = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def abi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_abi_file(tmp_path_factory.mktemp("abi") / "conus.nc", start=START, shape=(210, 300))


def test_identified_by_content_not_name(abi_file: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "whatever.dat"
    shutil.copy(abi_file, renamed)
    with open_abi(renamed) as reader:
        header = reader.header
    assert (header.band, header.satellite, header.sector, header.level) == (13, 19, "CONUS", "L1b")
    assert header.start == START.replace(microsecond=0)
    assert (header.rows, header.cols) == (210, 300)


def test_netcdf_that_is_not_abi(tmp_path: Path) -> None:
    path = tmp_path / "OR_ABI-L1b-RadC-M6C13_G19_s20251280001170_e1_c1.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("n", 3)
        ds.createVariable("temperature", "f4", ("n",))[:] = [1, 2, 3]
    with pytest.raises(NotAbiFileError, match=r"OR_ABI.*no 'Rad' or 'CMI'"):
        open_abi(path)


def test_missing_planck_variable(abi_file: Path, tmp_path: Path) -> None:
    # Copy every variable except planck_fk2 into a new file.
    path = tmp_path / "no_planck.nc"
    with netCDF4.Dataset(abi_file) as src, netCDF4.Dataset(path, "w") as dst:
        dst.setncatts({k: src.getncattr(k) for k in src.ncattrs()})
        for name, dim in src.dimensions.items():
            dst.createDimension(name, len(dim))
        for name, var in src.variables.items():
            if name == "planck_fk2":
                continue
            attrs = {k: var.getncattr(k) for k in var.ncattrs() if k != "_FillValue"}
            fill = var.getncattr("_FillValue") if "_FillValue" in var.ncattrs() else None
            out = dst.createVariable(name, var.dtype, var.dimensions, fill_value=fill)
            out.setncatts(attrs)
            var.set_auto_maskandscale(False)
            out.set_auto_maskandscale(False)
            out[...] = var[...]
    with pytest.raises(NotAbiFileError, match="planck_fk2"):
        open_abi(path)


def test_truncated_file_is_a_clear_error(abi_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.nc"
    path.write_bytes(abi_file.read_bytes()[: abi_file.stat().st_size // 3])
    with pytest.raises(CorruptFileError, match=r"truncated\.nc"), open_abi(path) as reader:
        reader.read(0, reader.header.rows)


def test_text_file_and_missing_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.nc"
    text.write_text("hello\n")
    with pytest.raises(CorruptFileError, match=r"notes\.nc"):
        open_abi(text)
    with pytest.raises(UserInputError, match="no such file"):
        open_abi(tmp_path / "absent.nc")


def test_dqf_policy(abi_file: Path) -> None:
    # The synthetic file flags rows 50, 151 as conditionally usable (DQF 1).
    with open_abi(abi_file, dqf="good") as reader:
        good = reader.read(0, 210)
    with open_abi(abi_file, dqf="usable") as reader:
        usable = reader.read(0, 210)
    with open_abi(abi_file, dqf="all") as reader:
        everything = reader.read(0, 210)
    assert np.isnan(good[50]).all()
    assert np.isfinite(usable[50, 150:]).all()
    on_earth = np.isfinite(everything)
    assert np.array_equal(np.isfinite(usable), on_earth)


def test_window_reads_match_full_reads(abi_file: Path) -> None:
    with open_abi(abi_file) as reader:
        full = reader.read(0, 210)
        part = reader.read(30, 90, 40, 250)
    np.testing.assert_array_equal(part, full[30:90, 40:250])


def test_deadline_gives_up_on_a_stuck_call() -> None:
    release = threading.Event()
    try:
        with pytest.raises(OpenTimeoutError, match=r"stuck\.nc: no answer after 0\.2 s"):
            call_with_deadline(lambda: release.wait(60), 0.2, "stuck.nc")
    finally:
        release.set()


def test_deadline_passes_errors_and_values_through() -> None:
    assert call_with_deadline(lambda: 42, 5.0, "x") == 42

    def boom() -> None:
        raise NotAbiFileError("boom")

    with pytest.raises(NotAbiFileError, match="boom"):
        call_with_deadline(boom, 5.0, "x")


def test_a_late_result_is_discarded_not_leaked() -> None:
    release = threading.Event()
    discarded: list[str] = []
    finished = threading.Event()

    def late() -> str:
        release.wait(60)
        return "dataset"

    def discard(value: str) -> None:
        discarded.append(value)
        finished.set()

    with pytest.raises(OpenTimeoutError):
        call_with_deadline(late, 0.2, "late.nc", discard=discard)
    release.set()
    assert finished.wait(30)
    assert discarded == ["dataset"]
