"""Render ABI NetCDF files (and CDN JPEG frames) to images: :func:`render_array`, :func:`render_file`.

The work runs in row blocks: each block is read from the file (netCDF4 slicing of the packed
integers), calibrated through the file's value table, masked by DQF, averaged down by the
integer ``downsample`` factor, mapped through a Kelvin-anchored colour table and either placed
in the result array (:func:`render_array`) or streamed straight into the PNG
(:func:`render_file`), so memory stays bounded whatever the file size. Progress is reported per
block and the cancel token is checked between blocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from goesvfi.core.render.abi import DEFAULT_OPEN_TIMEOUT_S, AbiReader, DqfPolicy, open_abi
from goesvfi.core.render.colourmaps import ColourTable, resolve_table
from goesvfi.core.render.errors import CorruptFileError, RenderInputError
from goesvfi.core.render.images import IMAGE_SUFFIXES, ImageSource
from goesvfi.core.render.plan import BlockSource, Plan

if TYPE_CHECKING:
    from goesvfi.core.colour.native import NativeOptions
    from goesvfi.core.config import RenderSettings
    from goesvfi.core.jobs.control import CancelToken
    from goesvfi.core.jobs.progress import ProgressEvent

U8 = npt.NDArray[np.uint8]
ProgressCallback = Callable[["ProgressEvent"], None]


@dataclass
class RenderOptions:
    """How to turn a file into an image. ``colour``: grey | ir-colour | native | sanchez | gradient."""

    colour: str = "grey"
    dqf: str = "usable"
    downsample: int = 1
    lat: tuple[float, float] | None = None
    lon: tuple[float, float] | None = None
    underlay: Path | None = None
    legend: bool = False
    projection: Literal["native", "equirect"] = "native"
    resolution_deg: float | None = None  # equirect only; default: the file's resolution
    bit_depth: int = 8  # 16 = 16-bit grey PNG for further processing (grey only)
    size: tuple[int, int] | None = None  # final (width, height), e.g. to match CDN frames
    ir_range: tuple[float, float] = (180.0, 320.0)
    vis_gamma: float = 2.0
    open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S
    native: NativeOptions | None = None
    sanchez_path: Path | None = None
    sanchez_resolution: str = "4"
    sanchez_timeout_s: float = 300.0
    sanchez_memory_mb: int = 4096

    def check(self) -> None:
        """Raise :class:`RenderInputError` for options that cannot work on any file."""
        if self.dqf not in ("good", "usable", "all"):
            raise RenderInputError(
                "unknown data quality level", setting="dqf", value=self.dqf, hint="use good, usable or all"
            )
        if not 1 <= self.downsample <= 64:
            raise RenderInputError(
                "the downsample factor is out of range", setting="downsample", value=self.downsample,
                hint="give 1 to 64",
            )  # fmt: skip
        if (self.lat is None) != (self.lon is None):
            raise RenderInputError(
                "latitude and longitude ranges go together",
                setting="lat" if self.lat is None else "lon",
                hint="give both MIN:MAX ranges or neither",
            )
        if self.projection == "equirect" and self.lat is None:
            raise RenderInputError(
                "equirectangular output needs a box", setting="projection", value=self.projection,
                hint="give latitude and longitude ranges",
            )  # fmt: skip
        if self.bit_depth not in (8, 16):
            raise RenderInputError(f"bit depth {self.bit_depth} is not 8 or 16")
        if self.bit_depth == 16 and self.colour != "grey":
            raise RenderInputError(
                "16-bit output is grey only", setting="colour", value=self.colour,
                hint="use the grey colour table for 16-bit output",
            )  # fmt: skip
        if self.size is not None and not all(1 <= n <= 30000 for n in self.size):
            raise RenderInputError(
                "the size is out of range", setting="size", value=f"{self.size[0]}x{self.size[1]}",
                hint="give 1 to 30000 pixels a side",
            )  # fmt: skip


def options_from_settings(render: RenderSettings, **overrides: Any) -> RenderOptions:
    """Render options from the ``render`` settings section; ``overrides`` win (CLI flags, callers)."""
    from goesvfi.core.colour.native import NativeOptions, named_gradient, parse_tint

    values: dict[str, Any] = {
        "dqf": render.dqf,
        "underlay": render.underlay,
        "ir_range": (render.ir_min_k, render.ir_max_k),
        "vis_gamma": render.vis_gamma,
        "open_timeout_s": render.open_timeout_s,
        "native": NativeOptions(
            equalise=render.native_equalise,
            tint=parse_tint(render.native_tint),
            brightness=render.native_brightness,
            saturation=render.native_saturation,
            gradient=named_gradient(render.native_gradient) if render.native_gradient else None,
            clut_range=(render.native_clut_min, render.native_clut_max),
        ),
        "sanchez_path": render.sanchez_path,
        "sanchez_resolution": render.sanchez_resolution,
        "sanchez_timeout_s": render.sanchez_timeout_s,
        "sanchez_memory_mb": render.sanchez_memory_mb,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return RenderOptions(**values)


def build_render_options(render: RenderSettings, **overrides: Any) -> RenderOptions:
    """Render options from the settings with ``overrides`` laid over them, with every check that
    needs no input file: the options themselves, the lat/lon box, the underlay and the colour table.

    This is how a front end (``render``, ``fetch`` with rendering, the GUI) gets its options.
    """
    options = options_from_settings(render, **overrides)
    options.check()
    if options.lat is not None and options.lon is not None:
        from goesvfi.core.render.geo import check_box

        check_box(options.lat, options.lon)
    if options.underlay is not None and not Path(options.underlay).is_file():
        raise RenderInputError(
            "the underlay image does not exist", setting="underlay", value=options.underlay,
            hint="give an equirectangular world image file",
        )  # fmt: skip
    resolve_table(options.colour, "bt", options.ir_range, options.vis_gamma)  # a bad table fails now
    return options


@dataclass
class RenderResult:
    """One rendered file."""

    input: Path
    output: Path
    width: int
    height: int
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "input": str(self.input),
            "output": str(self.output),
            "width": self.width,
            "height": self.height,
        }


def open_source(path: Path, options: RenderOptions) -> BlockSource:
    """Open a NetCDF file (with the open deadline) or a JPEG/PNG frame.

    A NetCDF file without one usable pixel (all fill, a NaN scale) is refused: it would render
    as a black image.
    """
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(Path(path), options.ir_range, options.vis_gamma, options.open_timeout_s)
    dqf: DqfPolicy = options.dqf  # type: ignore[assignment]
    reader = open_abi(Path(path), dqf=dqf, timeout_s=options.open_timeout_s)
    try:
        if not reader.has_valid_data():
            raise CorruptFileError(
                f"{path}: holds no valid data (every pixel is fill or has no value)",
                value=str(path),
                hint="download it again, or keep more data-quality levels",
            )
    except BaseException:
        reader.close()
        raise
    return reader


def table_for(source: BlockSource, options: RenderOptions) -> ColourTable:
    return resolve_table(options.colour, source.kind, options.ir_range, options.vis_gamma)


class _Reporter:
    """Checks the cancel token before each block and reports blocks done."""

    def __init__(
        self, name: str, total: int, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> None:
        from goesvfi.core.jobs.progress import RateMeter

        self.name, self.total, self.progress, self.cancel = name, total, progress, cancel
        self.meter = RateMeter()
        self.done = 0

    def check(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()

    def step(self) -> None:
        """Called before each block: raise if cancelled, else report the blocks done so far."""
        self.check()
        self._emit()
        self.done += 1

    def finish(self) -> None:
        self._emit()

    def _emit(self) -> None:
        if self.progress is None:
            return
        from goesvfi.core.jobs.progress import ProgressEvent

        rate, eta = self.meter.measure(self.done, self.total)
        self.progress(ProgressEvent("item", self.name, self.done, self.total, rate, eta, "row blocks"))


def _coloured_blocks(
    plan: Plan, table: ColourTable, report: _Reporter, sixteen: bool = False
) -> Iterator[tuple[int, npt.NDArray[np.uint8] | npt.NDArray[np.uint16]]]:
    """``(first output row, coloured block)``: grey ``(h, W)`` or RGB ``(h, W, 3)``, 8 or 16 bit.

    At native resolution the table is applied once to the file's 65,536 codes, and each block
    is a single lookup of its raw codes; otherwise values are calibrated, averaged, then coloured.
    """
    if plan.reads_codes:
        assert isinstance(plan.source, AbiReader)
        values = plan.source.value_table
        colour = table.grey16 if sixteen else table.apply
        lut = colour(values)
        nodata = colour(np.full(1, np.nan, dtype=np.float32))[0]  # what a NaN value gets
        for out_r0, codes, rejected in plan.iter_codes():
            report.step()
            block = lut[codes]
            if rejected is not None:
                block[rejected] = nodata
            yield out_r0, block
        return
    for out_r0, values in plan.iter_blocks():
        report.step()
        yield out_r0, table.grey16(values) if sixteen else table.apply(values)


def _underlay_view(plan: Plan, underlay_path: Path | None) -> tuple[U8, npt.NDArray[np.bool_]]:
    """The underlay seen from the plan's geometry; ``None`` = the prepared Natural Earth image."""
    from goesvfi.core.colour.native import load_underlay, prepare_natural_earth, underlay_view

    underlay = load_underlay(underlay_path) if underlay_path else prepare_natural_earth(load_underlay())
    ground = np.empty((plan.height, plan.width, 3), dtype=np.uint8)
    space = np.empty((plan.height, plan.width), dtype=bool)
    rows = max(1, 1_000_000 // plan.width)
    for r0 in range(0, plan.height, rows):
        r1 = min(plan.height, r0 + rows)
        lat, lon = plan.underlay_latlon(r0, r1)
        ground[r0:r1], space[r0:r1] = underlay_view(underlay, lat, lon)
    return ground, space


def _native_blocks(
    plan: Plan, table: ColourTable, options: RenderOptions, report: _Reporter
) -> Iterator[tuple[int, U8]]:
    """``(first output row, RGB block)``: each grey block tinted and blended over the underlay view.

    The levels come from a fixed Kelvin curve, never from the frame's histogram, so blocks are
    coloured as they are read and a sequence does not flicker.
    """
    from goesvfi.core.colour.native import (
        VIEW_CACHE,
        NativeOptions,
        default_underlay_path,
        false_colour,
        native_tables,
    )

    if plan.source.kind != "bt":
        raise RenderInputError(f"{plan.source.path}: native false colour needs an IR band (7-16)")
    native = options.native or NativeOptions()
    user = Path(options.underlay) if options.underlay else None
    path = user or default_underlay_path()
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    key = (str(path), user is None, stamp, plan.geometry_key())
    ground, space = VIEW_CACHE.get(key, lambda: _underlay_view(plan, user))
    tables = native_tables(native, table.lo, table.hi)

    def blocks() -> Iterator[tuple[int, U8]]:
        for out_r0, grey in _coloured_blocks(plan, table, report):
            r1 = out_r0 + grey.shape[0]
            levels = np.asarray(grey, dtype=np.uint8)
            yield out_r0, false_colour(levels, ground[out_r0:r1], space[out_r0:r1], native, tables)

    return blocks()


def _native_image(plan: Plan, table: ColourTable, options: RenderOptions, report: _Reporter) -> U8:
    """The whole native false-colour image (for resizing or a legend; files are streamed)."""
    rgb = np.empty((plan.height, plan.width, 3), dtype=np.uint8)
    for out_r0, block in _native_blocks(plan, table, options, report):
        rgb[out_r0 : out_r0 + block.shape[0]] = block
    return rgb


def _as_rgb(image: U8) -> U8:
    if image.ndim == 3:
        return image
    rgb: U8 = np.repeat(image[:, :, None], 3, axis=2)
    return rgb


def _resize(
    image: npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
    size: tuple[int, int] | None,
) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    import cv2

    if size is None or (image.shape[1], image.shape[0]) == size:
        return image
    shrink = size[0] < image.shape[1]
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    if image.dtype == np.uint16:
        return np.asarray(resized, dtype=np.uint16)
    return np.asarray(resized, dtype=np.uint8)


def _with_legend(image: U8, table: ColourTable) -> U8:
    from goesvfi.core.render.colourmaps import legend

    bar = legend(table, image.shape[0])
    return np.concatenate([_as_rgb(image), bar[: image.shape[0]]], axis=1)


def _render_plain(
    plan: Plan, table: ColourTable, options: RenderOptions, report: _Reporter
) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    sixteen = options.bit_depth == 16
    shape = (plan.height, plan.width) if table.grey or sixteen else (plan.height, plan.width, 3)
    out: npt.NDArray[np.uint8] | npt.NDArray[np.uint16]
    out = np.empty(shape, dtype=np.uint16) if sixteen else np.empty(shape, dtype=np.uint8)
    for out_r0, block in _coloured_blocks(plan, table, report, sixteen):
        out[out_r0 : out_r0 + block.shape[0]] = block
    return out


def _render_sanchez(
    path: Path, options: RenderOptions, cancel: CancelToken | None, progress: ProgressCallback | None
) -> U8:
    """Grey-render a full-disk IR file and colour it with Sanchez, the external program."""
    import dataclasses

    from goesvfi.core.colour.sanchez import SanchezJob, colour_image, resolution_arg
    from goesvfi.core.render.sanchez import sanchez_identity

    source = open_source(path, options)
    try:
        satellite, start = sanchez_identity(source, Path(path))
    finally:
        source.close()
    grey_options = dataclasses.replace(options, colour="grey", legend=False, size=None, bit_depth=8)
    grey = np.asarray(render_image(path, grey_options, cancel=cancel, progress=progress), dtype=np.uint8)
    job = SanchezJob(
        satellite, start, resolution=resolution_arg(options.sanchez_resolution), underlay=options.underlay,
        timeout_s=options.sanchez_timeout_s, memory_limit_mb=options.sanchez_memory_mb,
    )  # fmt: skip
    rgb = colour_image(grey, job, binary=options.sanchez_path, cancel=cancel, progress=progress)
    return np.asarray(_resize(rgb, options.size), dtype=np.uint8)


def render_image(
    path: Path,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    """The image as it would be saved: grey ``(H, W)`` (8 or 16 bit) or RGB ``(H, W, 3)``."""
    options.check()
    if options.colour == "sanchez":
        return _render_sanchez(path, options, cancel, progress)
    source = open_source(path, options)
    try:
        table = table_for(source, options)
        plan = Plan(source, options)
        report = _Reporter(Path(path).name, plan.blocks, progress, cancel)
        if options.colour == "native":
            image: npt.NDArray[np.uint8] | npt.NDArray[np.uint16] = _native_image(
                plan, table, options, report
            )
        else:
            image = _render_plain(plan, table, options, report)
        report.finish()
    finally:
        source.close()
    image = _resize(image, options.size)
    if options.legend and options.bit_depth == 8:
        image = _with_legend(image, table)  # type: ignore[arg-type]
    return image


def render_array(
    path: Path,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> U8:
    """``(H, W, 3)`` uint8 RGB (grey tables give three equal channels)."""
    image = render_image(path, options, cancel=cancel, progress=progress)
    if image.dtype != np.uint8:
        image = (image >> 8).astype(np.uint8)
    return _as_rgb(image)  # type: ignore[arg-type]


def output_path(path: Path, out_dir: Path) -> Path:
    """``out_dir/<input stem>.png``."""
    return Path(out_dir) / (Path(path).stem + ".png")


def _streamable(options: RenderOptions) -> bool:
    return options.colour != "sanchez" and options.size is None and not options.legend


def render_file(
    path: Path,
    out_dir: Path,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> RenderResult:
    """Render ``path`` to ``out_dir/<stem>.png`` (atomic). Grey tables write a grey PNG."""
    from goesvfi.core.render.png import PngStreamWriter, write_png

    started = time.perf_counter()
    target = output_path(path, out_dir)
    options.check()
    if target.resolve() == Path(path).resolve():
        raise RenderInputError(
            f"{path}: the output would overwrite the input",
            setting="out_dir",
            value=out_dir,
            hint="choose another output folder",
        )
    if not _streamable(options):
        image = render_image(path, options, cancel=cancel, progress=progress)
        write_png(target, image)
        return RenderResult(Path(path), target, image.shape[1], image.shape[0], time.perf_counter() - started)
    source = open_source(path, options)
    try:
        table = table_for(source, options)
        plan = Plan(source, options)
        report = _Reporter(Path(path).name, plan.blocks, progress, cancel)
        native = options.colour == "native"
        channels = 1 if table.grey and not native else 3
        blocks: Iterator[tuple[int, npt.NDArray[np.uint8] | npt.NDArray[np.uint16]]]
        if native:
            blocks = _native_blocks(plan, table, options, report)
        else:
            blocks = _coloured_blocks(plan, table, report, options.bit_depth == 16)
        with PngStreamWriter(target, plan.width, plan.height, channels, options.bit_depth) as writer:
            for _, block in blocks:
                writer.write_rows(block)
            writer.close()
        report.finish()
    finally:
        source.close()
    return RenderResult(Path(path), target, plan.width, plan.height, time.perf_counter() - started)
