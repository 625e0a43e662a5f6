"""``goesvfi run`` end to end with the real backends, ffmpeg and ffprobe."""

from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pipeline_support import FFPROBE, decode, make_frames, probe

from goesvfi.cli import main
from goesvfi.core.encode import EncodeSettings, encode_command, resolve_ffmpeg
from goesvfi.core.vfi import available_backends

pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")
JSON_KEYS = {"output", "input_frames", "output_frames", "fps", "interpolator", "seconds", "resumed"}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("backend", ["flow", "ffmpeg", "rife"])
def test_each_backend_gives_a_correctly_timed_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    if available_backends()[backend] != "ready":
        pytest.skip(f"{backend}: {available_backends()[backend]}")
    make_frames(tmp_path / "in", 4)
    out = tmp_path / "out.mp4"
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "in"), "-o", str(out), "--interpolator", backend, "--multiplier", "4",
        "--fps", "15", "--preset", "ultrafast", "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(stdout)
    assert set(result) >= JSON_KEYS
    assert result["interpolator"] == backend
    assert result["resumed"] is False
    assert (result["input_frames"], result["output_frames"], result["fps"]) == (4, 13, 15.0)
    stream = probe(out)
    assert (stream["frames"], stream["r_frame_rate"], stream["avg_frame_rate"]) == (13, "15/1", "15/1")


def test_rife_at_half_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if available_backends()["rife"] != "ready":
        pytest.skip("RIFE weights not installed")
    make_frames(tmp_path / "in", 3, width=96, height=64)
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "in"), "-o", str(tmp_path / "o.mp4"), "--interpolator", "rife",
        "--scale", "0.5", "--multiplier", "2", "--preset", "ultrafast",
        "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    assert probe(tmp_path / "o.mp4")["frames"] == json.loads(stdout)["output_frames"] == 5


def test_print_ffmpeg_shows_the_exact_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_frames(tmp_path / "in", 3)
    job = tmp_path / "job"
    code, stdout, _ = _run(
        capsys, str(tmp_path / "in"), "-o", str(tmp_path / "o.mp4"), "--crf", "23", "--preset", "fast",
        "--crop", "0,0,32,24", "--job-dir", str(job), "--print-ffmpeg",
    )  # fmt: skip
    assert code == 0
    lines = stdout.strip().splitlines()
    expected = encode_command(
        EncodeSettings(crf=23, preset="fast"), ffmpeg=resolve_ffmpeg(), width=32, height=24, fps=30.0,
        output=job / "segments" / ".seg_00000.nut.part", container="nut",
    )  # fmt: skip
    segment = shlex.split(lines[0])
    # The temporary names are unique per job (two jobs writing one output never share one).
    assert segment[:-1] == expected[:-1]
    assert re.fullmatch(r"\.seg_00000\.nut\.\d+-[0-9a-f]{6}\.part", Path(segment[-1]).name)
    assert Path(segment[-1]).parent == job / "segments"
    join = shlex.split(lines[1])
    assert join[-7:-1] == ["-c", "copy", "-movflags", "+faststart", "-f", "mp4"]
    assert re.fullmatch(r"\.o\.mp4\.\d+-[0-9a-f]{6}\.part", Path(join[-1]).name)
    assert Path(join[-1]).parent == tmp_path
    assert join[join.index("-i") + 1] == str(job / "segments.txt")
    assert not (tmp_path / "o.mp4").exists()
    assert not job.exists()


def test_profile_reaches_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_frames(tmp_path / "in", 2)
    code, stdout, _ = _run(
        capsys, str(tmp_path / "in"), "-o", str(tmp_path / "o.mp4"), "--profile", "Very High",
        "--encoder", "libx265", "--print-ffmpeg", "--json",
    )  # fmt: skip
    assert code == 0
    segment = json.loads(stdout)["commands"][0]
    joined = " ".join(segment)
    assert "-c:v libx265 -crf 16" in joined
    assert "-maxrate 15000k -bufsize 22500k" in joined
    assert segment[segment.index("-pix_fmt", segment.index("-c:v")) + 1] == "yuv444p"


def test_frames_out_alone_writes_pngs_at_odd_input_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_frames(tmp_path / "in", 2, width=63, height=47)
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "in"), "--frames-out", str(tmp_path / "png"), "--interpolator", "flow",
        "--multiplier", "3", "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    assert json.loads(stdout)["output"] is None
    pngs = sorted((tmp_path / "png").iterdir())
    assert [p.name for p in pngs] == [
        "frame_000000.png",
        "frame_000001.png",
        "frame_000002.png",
        "frame_000003.png",
    ]
    assert np.asarray(Image.open(pngs[1])).shape == (47, 63, 3)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--crop", "0,0,33,20"], "--crop 0,0,33,20: width and height must be even"),
        (["--crop", "50,0,20,20"], "reaches to (70, 20)"),
        (["--crop", "a,b"], "four whole numbers"),
        (["--profile", "best"], "--profile best: unknown encoder profile"),
        (["--encoder", "mpeg4"], "encoder 'mpeg4' is unknown"),
        (["--crf", "99"], "--crf"),
        (["--fps", "0"], "--fps must be a positive number"),
        (["--multiplier", "0"], "--multiplier 0"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str
) -> None:
    make_frames(tmp_path / "in", 2)
    code, _, stderr = _run(capsys, str(tmp_path / "in"), "-o", str(tmp_path / "o.mp4"), *extra)
    assert code == 2
    assert fragment in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.mp4").exists()


def test_a_time_range_uses_only_the_frames_within_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from goesvfi.core.config import Settings
    from goesvfi.core.jobs.checkpoint import JobMismatchError
    from goesvfi.core.pipeline.resume import resume_request

    make_frames(tmp_path / "in", 6)  # 00:01:17, then every 10 minutes to 00:51:17
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "in"), "-o", str(tmp_path / "r.mp4"), "--frames-out", str(tmp_path / "png"),
        "--interpolator", "ffmpeg", "--multiplier", "2", "--start", "2025-05-08T00:10Z",
        "--end", "2025-05-08T00:35", "--preset", "ultrafast", "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(stdout)
    assert (result["input_frames"], result["output_frames"]) == (3, (3 - 1) * 2 + 1)
    assert len(list((tmp_path / "png").iterdir())) == 5
    assert probe(tmp_path / "r.mp4")["frames"] == 5
    resumed = resume_request(Settings(), tmp_path / "job")  # the job's range is kept on resume
    assert (resumed.start, resumed.end) == (
        datetime(2025, 5, 8, 0, 10, tzinfo=UTC), datetime(2025, 5, 8, 0, 35, tzinfo=UTC),
    )  # fmt: skip
    manifest_path = tmp_path / "job" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["settings"]["encode"]["crf"] = 99  # edited by hand
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(JobMismatchError, match=r"recorded setting encode\.crf is not valid here"):
        resume_request(Settings(), tmp_path / "job")
    code, _, stderr = _run(capsys, str(tmp_path / "in"), "-o", str(tmp_path / "o.mp4"), "--start", "soon")
    assert code == 2
    assert "--start 'soon' is not an ISO 8601 time" in stderr


def test_no_output_at_all_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_frames(tmp_path / "in", 2)
    code, _, stderr = _run(capsys, str(tmp_path / "in"))
    assert code == 2
    assert "-o: nothing to write" in stderr


def test_bad_frame_is_named_and_skip_policy_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = make_frames(tmp_path / "in", 4)
    paths[2].write_bytes(paths[2].read_bytes()[:100])
    base = [
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "o.mp4"),
        "--interpolator",
        "flow",
        "--preset",
        "ultrafast",
    ]
    code, _, stderr = _run(capsys, *base, "--job-dir", str(tmp_path / "j1"))
    assert code == 2
    assert paths[2].name in stderr
    assert not (tmp_path / "o.mp4").exists()
    code, stdout, stderr = _run(
        capsys, *base, "--job-dir", str(tmp_path / "j2"), "--on-bad-frame", "skip", "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert [s["name"] for s in result["skipped"]] == [paths[2].name]
    assert probe(tmp_path / "o.mp4")["frames"] == result["output_frames"] == 9


def test_jobs_list_shows_finished_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_frames(tmp_path / "in", 2)
    code, _, stderr = _run(
        capsys,
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "o.mp4"),
        "--interpolator",
        "flow",
        "--preset",
        "ultrafast",
    )
    assert code == 0, stderr
    assert main(["jobs", "list", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert [(j["status"], j["output"]) for j in jobs] == [("done", str((tmp_path / "o.mp4").resolve()))]
    assert main(["jobs", "pause", jobs[0]["job_dir"]]) == 2
    assert "is not running" in capsys.readouterr().err


def test_demo_makes_a_video_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOESVFI_VFI__BACKEND", "flow")  # the fastest backend; rife is covered above
    out = tmp_path / "demo.mp4"
    assert main(["demo", "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["interpolator"] == "flow"
    assert result["output_frames"] == 29
    stream = probe(out)
    assert (stream["frames"], stream["r_frame_rate"]) == (29, "12/1")
    assert (stream["width"], stream["height"]) == (640, 384)
    frame = decode(out, 640, 384)[0].astype(int)
    assert frame[..., 2].mean() != frame[..., 0].mean()  # coloured, not grey


def test_netcdf_inputs_are_rendered_in_native_colour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.render.synthetic import write_sequence

    write_sequence(tmp_path / "nc", 3, shape=(96, 160))
    code, stdout, stderr = _run(
        capsys, str(tmp_path / "nc"), "-o", str(tmp_path / "o.mp4"), "--colour", "native",
        "--interpolator", "flow",
        "--multiplier", "2", "--preset", "ultrafast", "--frames-out", str(tmp_path / "png"),
        "--job-dir", str(tmp_path / "job"), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(stdout)
    assert (result["width"], result["height"], result["output_frames"]) == (160, 96, 5)
    assert probe(tmp_path / "o.mp4")["frames"] == 5
    first = np.asarray(Image.open(tmp_path / "png" / "frame_000000.png")).astype(int)
    assert np.abs(first[..., 0] - first[..., 2]).mean() > 1  # false colour, not grey


def test_sanchez_colour_without_sanchez_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from goesvfi.core.colour.sanchez import search_paths
    from goesvfi.core.render.synthetic import write_sequence

    if any(p.is_file() for p in search_paths()):
        pytest.skip("a Sanchez binary is installed here")
    write_sequence(tmp_path / "nc", 2, shape=(64, 64), product="ABI-L1b-RadF")
    code, _, stderr = _run(
        capsys, str(tmp_path / "nc"), "-o", str(tmp_path / "o.mp4"), "--colour", "sanchez",
        "--job-dir", str(tmp_path / "job"),
    )  # fmt: skip
    assert code == 2
    assert "Sanchez is not installed" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.mp4").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal_and_logs_lines_otherwise() -> None:
    from goesvfi.cli.progress import ProgressBar
    from goesvfi.core.jobs.progress import ProgressEvent

    terminal, plain = _Terminal(), io.StringIO()
    for stream in (terminal, plain):
        bar = ProgressBar(stream)
        bar(ProgressEvent("stage", "interpolate", 0, 2))
        bar(ProgressEvent("item", "frames", 1, 10, rate=2.0, eta_s=65.0))
        bar(ProgressEvent("item", "frames", 10, 10, rate=2.5, eta_s=0.0))
        bar.close()
    assert "\r\033[K[###..." in terminal.getvalue()
    assert "1/10 frames 2.0 fr/s ETA 1:05" in terminal.getvalue()
    assert "interpolate ..." in terminal.getvalue()
    assert plain.getvalue().splitlines() == [
        "[###...........................] 1/10 frames 2.0 fr/s ETA 1:05",
        "[##############################] 10/10 frames 2.5 fr/s ETA 0:00",
    ]
