"""Video encoding: typed FFmpeg settings, one command builder, a streaming writer."""

from goesvfi.core.encode.errors import EncodeError, EncoderUnavailableError, EncodeSettingsError
from goesvfi.core.encode.ffmpeg import (
    FrameWriter,
    available_encoders,
    concat_command,
    count_frames,
    encode_command,
    resolve_ffmpeg,
)
from goesvfi.core.encode.settings import (
    PROFILES,
    QUALITY_PRESETS,
    EncodeSettings,
    MinterpolateSettings,
    apply_profile,
)

__all__ = [
    "PROFILES",
    "QUALITY_PRESETS",
    "EncodeError",
    "EncodeSettings",
    "EncodeSettingsError",
    "EncoderUnavailableError",
    "FrameWriter",
    "MinterpolateSettings",
    "apply_profile",
    "available_encoders",
    "concat_command",
    "count_frames",
    "encode_command",
    "resolve_ffmpeg",
]
