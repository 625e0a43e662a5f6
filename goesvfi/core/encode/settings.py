"""One typed model for every FFmpeg setting, plus the original GOES_VFI profiles.

:class:`EncodeSettings` is what the CLI flags, the settings file (section ``encode``) and the
GUI's FFmpeg tab all fill in; :func:`goesvfi.core.encode.ffmpeg.encode_command` is the only place
that turns it into arguments. Profiles and quality presets are the values the original
application offered (listed in docs/pipeline.md, "FFmpeg settings"); :func:`apply_profile`
overlays one on a model.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from goesvfi.core.encode.errors import EncodeSettingsError
from goesvfi.core.schema import Field, Model, ValidationError

SOFTWARE_ENCODERS = ("libx264", "libx265")
HARDWARE_ENCODERS = (
    "h264_nvenc",
    "hevc_nvenc",
    "h264_qsv",
    "hevc_qsv",
    "h264_vaapi",
    "hevc_vaapi",
    "h264_videotoolbox",
    "hevc_videotoolbox",
    "h264_amf",
    "hevc_amf",
)
Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"
]
X264_PRESETS: tuple[str, ...] = get_args(Preset)
TUNES = {
    "libx264": ("film", "animation", "grain", "stillimage", "fastdecode", "zerolatency"),
    "libx265": ("animation", "grain", "psnr", "ssim", "fastdecode", "zerolatency"),
}
PIX_FMTS = ("yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv444p10le")
# What the hardware encoders take (their ffmpeg wrappers list these, as nv12/p010/yuv444p16le):
# 4:2:0 everywhere, 10-bit only for HEVC, 4:4:4 only on NVENC; never 4:2:2.
HARDWARE_PIX_FMTS = {
    "nvenc": ("yuv420p", "yuv444p"),
    "qsv": ("yuv420p",),
    "vaapi": ("yuv420p",),
    "videotoolbox": ("yuv420p",),
    "amf": ("yuv420p",),
}
UNSHARP_PATTERN = r"^\d+:\d+:-?\d+(\.\d+)?:\d+:\d+:-?\d+(\.\d+)?$"


class MinterpolateSettings(Model, forbid_extra=True):
    """FFmpeg's motion-compensated ``minterpolate`` filter, run after our own interpolation."""

    factor: int = Field(
        2, ge=2, le=8, description="Output frame rate = video fps x factor (frames made by ffmpeg)."
    )
    mi_mode: Literal["mci", "blend", "dup"] = Field("mci", description="Interpolation mode.")
    mc_mode: Literal["obmc", "aobmc"] = Field("obmc", description="Motion compensation mode.")
    me_mode: Literal["bidir", "bilat"] = Field("bidir", description="Motion estimation mode.")
    me: Literal["esa", "tss", "tdls", "ntss", "fss", "ds", "hexbs", "epzs", "umh"] = Field(
        "epzs", description="Motion estimation algorithm."
    )
    vsbmc: bool = Field(False, description="Variable-size block motion compensation.")
    scd: Literal["none", "fdiff"] = Field("fdiff", description="Scene change detection.")
    search_param: int = Field(32, ge=4, le=512, description="Motion search range (pixels).")

    def filter(self, fps: float) -> str:
        """The ``minterpolate=...`` filter text for a video at ``fps``."""
        return (
            f"minterpolate=fps={fps_text(fps * self.factor)}:mi_mode={self.mi_mode}"
            f":mc_mode={self.mc_mode}:me_mode={self.me_mode}:me={self.me}"
            f":vsbmc={int(self.vsbmc)}:scd={self.scd}:search_param={self.search_param}"
        )


class EncodeSettings(Model, forbid_extra=True):
    """Encoder, rate control and filters of the output video."""

    encoder: str = Field(
        "libx264",
        description="Video encoder: libx264, libx265, or a hardware encoder listed by this ffmpeg "
        "(h264_nvenc, hevc_qsv, h264_vaapi, ...).",
    )
    crf: int = Field(
        18, ge=0, le=51, description="Constant quality (lower = better, bigger; 18 is visually lossless)."
    )
    preset: Preset = Field("slow", description="Speed/size trade-off of x264/x265 (slower = smaller file).")
    tune: str | None = Field(
        None, description="x264/x265 tuning: film, animation, grain, stillimage, fastdecode, ..."
    )
    bitrate_k: int | None = Field(
        None, ge=100, le=500_000, description="Peak bitrate cap in kbit/s (used with CRF; none = no cap)."
    )
    bufsize_k: int | None = Field(
        None, ge=100, le=1_000_000, description="Rate-control buffer in kbit (defaults to 1.5 x bitrate)."
    )
    pix_fmt: Literal["yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv444p10le"] = Field(
        "yuv420p", description="Output pixel format; yuv420p plays everywhere, yuv444p keeps colour detail."
    )
    unsharp: str | None = Field(
        None,
        pattern=UNSHARP_PATTERN,
        description="unsharp filter lx:ly:la:cx:cy:ca, e.g. 7:7:1.0:5:5:0.0 (none = off).",
    )
    minterpolate: MinterpolateSettings | None = Field(
        None, description="Optional ffmpeg minterpolate post-filter (multiplies the frame rate)."
    )
    faststart: bool = Field(True, description="Move the MP4 index to the front (-movflags +faststart).")
    threads: int = Field(
        0,
        ge=0,
        le=64,
        description="Encoder threads (-threads); 0 lets the encoder choose (x264: 1.5 x cores).",
    )
    nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Run the encoding ffmpeg this much nicer (Unix priority) than the job, so a CPU "
        "encoder never starves interpolation or the desktop; 0 = same priority. Output is unchanged.",
    )
    ffmpeg_path: str | None = Field(
        None, description="A system ffmpeg to use instead of the bundled imageio-ffmpeg binary."
    )

    def check(self) -> None:
        """Combinations the encoder cannot take."""
        if self.encoder not in SOFTWARE_ENCODERS + HARDWARE_ENCODERS:
            raise ValueError(
                f"encoder '{self.encoder}' is unknown; use one of "
                f"{', '.join(SOFTWARE_ENCODERS + HARDWARE_ENCODERS)}"
            )
        if self.tune is not None:
            allowed = TUNES.get(self.encoder, ())
            if self.tune not in allowed:
                raise ValueError(
                    f"tune '{self.tune}' does not apply to {self.encoder}; "
                    + (f"use one of {', '.join(allowed)}" if allowed else "leave it unset")
                )
        if self.bufsize_k is not None and self.bitrate_k is None:
            raise ValueError("bufsize is set without a bitrate cap; set bitrate_k too")
        if self.bufsize_k is not None and self.bitrate_k is not None and self.bufsize_k < self.bitrate_k:
            raise ValueError(
                f"bufsize {self.bufsize_k}k is smaller than the bitrate cap {self.bitrate_k}k; "
                f"use at least the bitrate (1.5 x = {self.bitrate_k * 3 // 2}k is usual)"
            )
        formats = encoder_pix_fmts(self.encoder)
        if self.pix_fmt not in formats:
            raise ValueError(f"{self.encoder} cannot encode {self.pix_fmt}; use {' or '.join(formats)}")
        low = encoder_quality_range(self.encoder)[0]
        if self.crf < low:
            raise ValueError(f"{self.encoder} takes a quality (crf) from {low} to 51")

    @property
    def needs_even_size(self) -> bool:
        """Chroma-subsampled formats need an even width (and height for 4:2:0)."""
        return self.pix_fmt.startswith(("yuv420", "yuv422"))

    @property
    def is_software(self) -> bool:
        return self.encoder in SOFTWARE_ENCODERS


PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "crf": 16,
        "pix_fmt": "yuv444p",
        "preset": "slow",
        "bitrate_k": 15000,
        "bufsize_k": 22500,
        "unsharp": "7:7:1.0:5:5:0.0",
        "minterpolate": {"mc_mode": "obmc", "scd": "fdiff", "vsbmc": False, "search_param": 96},
    },
    "optimal": {
        "crf": 16,
        "pix_fmt": "yuv444p",
        "preset": "slow",
        "unsharp": None,
        "minterpolate": {"mc_mode": "aobmc", "scd": "none", "vsbmc": True},
    },
    "optimal-2": {
        "crf": 20,
        "pix_fmt": "yuv444p",
        "preset": "medium",
        "bitrate_k": 10000,
        "bufsize_k": 15000,
        "unsharp": None,
        "minterpolate": {"mc_mode": "aobmc", "scd": "none", "vsbmc": True, "me": "epzs", "search_param": 32},
    },
}
"""The original GOES_VFI application's profiles, keyed by lower-case name."""

QUALITY_PRESETS: dict[str, dict[str, Any]] = {
    "very-high": {"crf": 16, "bitrate_k": 15000, "bufsize_k": 22500, "pix_fmt": "yuv444p"},
    "high": {"crf": 18, "bitrate_k": 12000, "bufsize_k": 18000, "pix_fmt": "yuv444p"},
    "medium": {"crf": 20, "bitrate_k": 10000, "bufsize_k": 15000, "pix_fmt": "yuv420p"},
    "low": {"crf": 23, "bitrate_k": 8000, "bufsize_k": 12000, "pix_fmt": "yuv420p"},
    "very-low": {"crf": 26, "bitrate_k": 5000, "bufsize_k": 7500, "pix_fmt": "yuv420p"},
}
"""The original application's quality presets: CRF, bitrate cap, buffer and pixel format."""


def encoder_pix_fmts(encoder: str) -> tuple[str, ...]:
    """Output pixel formats ``encoder`` can write."""
    if encoder in SOFTWARE_ENCODERS or "_" not in encoder:
        return PIX_FMTS
    codec, family = encoder.split("_", 1)
    formats = HARDWARE_PIX_FMTS.get(family, ("yuv420p",))
    if codec == "hevc":
        formats += tuple(f + "10le" for f in formats)
    return formats


def encoder_quality_range(encoder: str) -> tuple[int, int]:
    """The ``crf`` values ``encoder``'s quality option takes (QSV's global_quality and NVENC's cq
    start at 1: 0 means "automatic" there, not lossless)."""
    return (1, 51) if encoder.endswith(("_qsv", "_nvenc")) else (0, 51)


def profile_names() -> list[str]:
    return sorted(PROFILES) + sorted(QUALITY_PRESETS)


def apply_profile(settings: EncodeSettings, name: str) -> EncodeSettings:
    """A copy of ``settings`` with a profile or quality preset laid over it; raises
    :class:`EncodeSettingsError` for an unknown name or one that does not fit the encoder."""
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    values = PROFILES.get(key) or QUALITY_PRESETS.get(key)
    if values is None:
        raise EncodeSettingsError(
            "unknown encoder profile", setting="encode.profile", value=name,
            hint=f"use one of {', '.join(profile_names())}",
        )  # fmt: skip
    merged = settings.model_dump()
    merged.update(values)
    try:
        return EncodeSettings.model_validate(merged)
    except ValidationError as exc:  # e.g. a 4:4:4 profile on an encoder that writes 4:2:0 only
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise EncodeSettingsError(
            f"the profile does not fit the encoder settings: {reason}", setting="encode.profile",
            value=name, hint="choose another profile, or change the encoder first",
        ) from None  # fmt: skip


def fps_text(fps: float) -> str:
    """``30`` for whole numbers, else up to 6 decimals (ffmpeg reads both)."""
    return str(int(fps)) if float(fps).is_integer() else f"{fps:.6f}".rstrip("0")
