"""EncodeSettings → the exact ffmpeg argv; profiles; validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from goesvfi.core.encode import (
    EncodeSettings,
    EncodeSettingsError,
    apply_profile,
    concat_command,
    encode_command,
)
from goesvfi.core.encode.settings import PROFILES, QUALITY_PRESETS, MinterpolateSettings
from goesvfi.core.schema import ValidationError


def _cmd(settings: EncodeSettings, width: int = 64, height: int = 48, fps: float = 30.0) -> list[str]:
    return encode_command(
        settings, ffmpeg="ffmpeg", width=width, height=height, fps=fps, output=Path("o.mp4")
    )


def test_default_settings_give_exact_command() -> None:
    assert _cmd(EncodeSettings()) == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "64x48", "-framerate", "30", "-i", "-",
        "-an", "-c:v", "libx264", "-crf", "18", "-preset", "slow", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_all_options_reach_the_command() -> None:
    settings = EncodeSettings(
        encoder="libx265",
        crf=22,
        preset="medium",
        tune="grain",
        bitrate_k=8000,
        bufsize_k=12000,
        pix_fmt="yuv444p",
        unsharp="7:7:1.0:5:5:0.0",
        minterpolate=MinterpolateSettings(factor=2, mc_mode="aobmc", vsbmc=True, scd="none", search_param=96),
        faststart=False,
        threads=3,
        nice=0,
    )
    assert _cmd(settings, fps=12.5) == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "64x48", "-framerate", "12.5", "-i", "-", "-an",
        "-vf", "unsharp=7:7:1.0:5:5:0.0,minterpolate=fps=25:mi_mode=mci:mc_mode=aobmc:me_mode=bidir"
        ":me=epzs:vsbmc=1:scd=none:search_param=96",
        "-c:v", "libx265", "-crf", "22", "-preset", "medium", "-tune", "grain",
        "-maxrate", "8000k", "-bufsize", "12000k", "-x265-params", "log-level=error",
        "-threads", "3", "-pix_fmt", "yuv444p", "-tag:v", "hvc1", "-f", "mp4", "o.mp4",
    ]  # fmt: skip


def test_odd_size_is_padded_for_yuv420p_but_not_for_yuv444p() -> None:
    assert _cmd(EncodeSettings(), width=65, height=49)[16:18] == ["-vf", "pad=66:50:0:0"]
    assert "-vf" not in _cmd(EncodeSettings(pix_fmt="yuv444p"), width=65, height=49)


@pytest.mark.parametrize(
    ("pix_fmt", "width", "height", "piped"),
    [("yuv420p", 64, 48, "yuv420p"), ("yuv420p", 65, 48, "rgb24"), ("yuv420p", 64, 49, "rgb24"),
     ("yuv444p", 64, 48, "rgb24"), ("yuv420p10le", 64, 48, "rgb24")],
)  # fmt: skip
def test_frames_are_piped_as_yuv420p_only_when_that_is_the_even_sized_output(
    pix_fmt: str, width: int, height: int, piped: str
) -> None:
    command = _cmd(EncodeSettings(pix_fmt=pix_fmt), width=width, height=height)  # type: ignore[arg-type]
    assert command[command.index("-i") - 6 : command.index("-i") - 4] == ["-pix_fmt", piped]


def test_bitrate_without_bufsize_uses_one_and_a_half_times() -> None:
    command = _cmd(EncodeSettings(bitrate_k=10000))
    assert command[command.index("-maxrate") : command.index("-maxrate") + 4] == [
        "-maxrate", "10000k", "-bufsize", "15000k",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("encoder", "expected"),
    [
        ("h264_nvenc", ["-rc", "vbr", "-cq", "20", "-b:v", "0"]),
        ("hevc_qsv", ["-global_quality", "20"]),
        ("h264_vaapi", ["-rc_mode", "CQP", "-qp", "20"]),
        ("h264_videotoolbox", ["-q:v", "60"]),
    ],
)
def test_hardware_encoders_get_their_quality_option(encoder: str, expected: list[str]) -> None:
    command = _cmd(EncodeSettings(encoder=encoder, crf=20))
    start = command.index(encoder) + 1
    assert command[start : start + len(expected)] == expected
    assert "-preset" not in command


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"encoder": "mpeg4"}, "encoder 'mpeg4' is unknown"),
        ({"tune": "film", "encoder": "libx265"}, "tune 'film' does not apply to libx265"),
        ({"bufsize_k": 5000}, "bufsize is set without a bitrate"),
        ({"bitrate_k": 8000, "bufsize_k": 4000}, "bufsize 4000k is smaller than the bitrate cap 8000k"),
        ({"encoder": "h264_nvenc", "pix_fmt": "yuv422p"}, "h264_nvenc cannot encode yuv422p"),
        (
            {"encoder": "h264_qsv", "pix_fmt": "yuv420p10le"},
            "h264_qsv cannot encode yuv420p10le; use yuv420p",
        ),
        ({"encoder": "hevc_qsv", "crf": 0}, "hevc_qsv takes a quality"),
        ({"crf": 52}, "less than or equal to 51"),
        ({"unsharp": "7:7"}, "should match pattern"),
        ({"preset": "fastest"}, "Input should be"),
    ],
)
def test_invalid_settings_are_refused(values: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        EncodeSettings.model_validate(values)


def test_every_field_is_described_and_bounded() -> None:
    for name, info in EncodeSettings.model_fields.items():
        assert info.description, name
    crf = EncodeSettings.model_fields["crf"]
    assert (crf.ge, crf.le) == (0, 51)


def test_profiles_match_facts_section_8() -> None:
    default = apply_profile(EncodeSettings(), "Default")
    assert (default.crf, default.pix_fmt, default.preset) == (16, "yuv444p", "slow")
    assert (default.bitrate_k, default.bufsize_k, default.unsharp) == (15000, 22500, "7:7:1.0:5:5:0.0")
    assert default.minterpolate is not None
    assert (default.minterpolate.mc_mode, default.minterpolate.scd, default.minterpolate.search_param) == (
        "obmc",
        "fdiff",
        96,
    )
    optimal2 = apply_profile(EncodeSettings(), "optimal 2")
    assert (optimal2.crf, optimal2.preset, optimal2.bitrate_k) == (20, "medium", 10000)
    assert optimal2.minterpolate is not None
    assert optimal2.minterpolate.vsbmc
    low = apply_profile(EncodeSettings(encoder="libx265"), "low")
    assert (low.encoder, low.crf, low.bitrate_k, low.bufsize_k, low.pix_fmt) == (
        "libx265", 23, 8000, 12000, "yuv420p",
    )  # fmt: skip
    assert set(PROFILES) == {"default", "optimal", "optimal-2"}
    assert set(QUALITY_PRESETS) == {"very-high", "high", "medium", "low", "very-low"}


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(EncodeSettingsError, match="unknown encoder profile; use one of default, optimal"):
        apply_profile(EncodeSettings(), "best")


def test_concat_command_copies_streams() -> None:
    assert concat_command("ffmpeg", Path("list.txt"), Path(".o.mp4.part")) == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-nostdin",
        "-f", "concat", "-safe", "0", "-i", "list.txt", "-an", "-c", "copy",
        "-movflags", "+faststart", "-f", "mp4", ".o.mp4.part",
    ]  # fmt: skip


def test_concat_reencode_runs_the_temporal_filter_once() -> None:
    settings = apply_profile(EncodeSettings(), "optimal")
    command = concat_command("ffmpeg", Path("l.txt"), Path("o.mp4"), reencode=settings, fps=10, size=(64, 48))
    assert command[command.index("-vf") + 1].startswith("minterpolate=fps=20:")
    assert command[command.index("-c:v") + 1] == "libx264"


def test_a_profile_that_does_not_fit_the_encoder_is_a_user_error() -> None:
    qsv = EncodeSettings(encoder="h264_qsv")
    with pytest.raises(EncodeSettingsError, match="h264_qsv cannot encode yuv444p") as info:
        apply_profile(qsv, "Default")
    assert (info.value.setting, info.value.value) == ("encode.profile", "Default")
    assert apply_profile(qsv, "medium").pix_fmt == "yuv420p"  # a 4:2:0 preset fits
