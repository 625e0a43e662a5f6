"""Desktop app figures (printed, never pass/fail):

1. start-up: from launching ``goesvfi gui`` (a fresh process) to the main window shown, painted
   and its event loop turning ("interactive"), plus the process's RSS then and after 2 s idle
   (no model loaded). The child runs the real ``goesvfi gui`` entry point; the only addition is
   a hook on ``MainWindow.show`` that notes the first paint and the first event-loop turn after it.
2. responsiveness: a real RIFE job started from the window as a user would (the app runs it in a
   child process), while a 10 ms timer in the GUI thread records how late each tick is (p50, p99, max).

Targets (issue 10, this 2-core machine): shown within 1.0 s; idle RSS <= 200 MB; timer late
<= 20 ms p99 and <= 100 ms at worst.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py
    .venv/bin/python bench/bench_gui.py --xvfb          # start-up on a real X server (Xvfb)
    .venv/bin/python bench/bench_gui.py --importtime    # what the start-up imports, slowest first
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CHILD = r"""
import os, sys, time
import psutil
from PyQt6.QtCore import QEvent, QObject, QTimer
from PyQt6.QtWidgets import QApplication
import goesvfi.gui.main_window as main_window

marks = {}
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "paint" not in marks:
            marks["paint"] = time.time()
            QTimer.singleShot(0, interactive)
        return False

def interactive():
    marks["interactive"] = time.time()
    marks["rss_ready"] = psutil.Process().memory_info().rss
    cpu = psutil.Process().cpu_times()
    marks["cpu"] = cpu.user + cpu.system
    QTimer.singleShot(2000, idle)

def idle():
    marks["rss_idle"] = psutil.Process().memory_info().rss
    print("MARKS", marks["shown"], marks["paint"], marks["interactive"], marks["rss_ready"],
          marks["rss_idle"], marks["cpu"], QApplication.instance().platformName(), flush=True)
    QApplication.instance().quit()

original_show = main_window.MainWindow.show
def show(self):
    self._bench_filter = FirstPaint(self)
    self.installEventFilter(self._bench_filter)
    original_show(self)
    marks["shown"] = time.time()
main_window.MainWindow.show = show

from goesvfi.cli import main
sys.exit(main(["gui"]))
"""

MB = 1024 * 1024


@contextlib.contextmanager
def isolated_user_dirs() -> Iterator[Path]:
    """Settings, cache and state in a temporary folder: the bench never touches the user's."""
    with tempfile.TemporaryDirectory(prefix="goesvfi-bench-") as tmp:
        keys = (
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "XDG_DATA_HOME",
        )  # models: in the checkout
        saved = {k: os.environ.get(k) for k in keys}
        for key in saved:
            os.environ[key] = str(Path(tmp) / key.lower())
        try:
            yield Path(tmp)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("bench_gui: Xvfb is not installed (scripts/setup.sh --dev installs it)")
    number = next(n for n in range(120, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("bench_gui: Xvfb did not start")
            time.sleep(0.02)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def startup_once(env: dict[str, str], importtime: bool) -> dict[str, float | str]:
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", CHILD]
    began = time.time()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("MARKS ")), None)
    if line is None:
        raise SystemExit(
            f"bench_gui: the app did not report (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    shown, paint, interactive, rss_ready, rss_idle, cpu, platform = line.split()[1:]
    figures: dict[str, float | str] = {
        "shown_s": float(shown) - began,
        "painted_s": float(paint) - began,
        "interactive_s": float(interactive) - began,
        "cpu_s": float(cpu),
        "rss_ready_mb": int(rss_ready) / MB,
        "rss_idle_mb": int(rss_idle) / MB,
        "platform": platform,
    }
    if importtime:
        figures["importtime"] = result.stderr
    return figures


def print_importtime(stderr: str, top: int = 25) -> None:
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            rows.append((int(cumulative), name))
    print(f"\nslowest imports at start-up (cumulative ms, top {top}; nested modules indented):")
    for cumulative, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative / 1000:8.1f}  {name}")


def bytecode_state() -> str:
    """Whether goesvfi's modules start from compiled bytecode (scripts/setup.sh compiles it, as a
    wheel install does) or are compiled at each start (PYTHONDONTWRITEBYTECODE keeps Python from
    caching them)."""
    import importlib.util

    import goesvfi.gui.main_window as probe

    cached = Path(importlib.util.cache_from_source(probe.__file__)).exists()
    if cached:
        return "compiled (as setup.sh and a wheel install leave it)"
    return "NOT compiled: each start compiles it"


def bench_startup(runs: int, xvfb: bool, importtime: bool) -> None:
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if xvfb:
            env["DISPLAY"] = stack.enter_context(xvfb_display())
            env["QT_QPA_PLATFORM"] = "xcb"
        else:
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
        startup_once(env, False)  # warm the disk cache: the figures are for a warm start
        results = [startup_once(env, False) for _ in range(runs)]
        if importtime:
            print_importtime(str(startup_once(env, True)["importtime"]))
    print(f"\nstart-up of `goesvfi gui` ({results[0]['platform']} platform, {runs} runs, warm disk cache)")
    for key, label, unit in (
        ("shown_s", "window shown", "s"),
        ("painted_s", "first paint", "s"),
        ("interactive_s", "interactive (event loop turning)", "s"),
        ("cpu_s", "CPU time used until interactive", "s"),
        ("rss_ready_mb", "RSS when interactive", "MB"),
        ("rss_idle_mb", "RSS after 2 s idle (no model loaded)", "MB"),
    ):
        values = [float(r[key]) for r in results]
        print(f"  {label:40} median {statistics.median(values):7.3f} {unit}   max {max(values):7.3f} {unit}")
    print("  targets: interactive <= 1.0 s, idle RSS <= 200 MB")
    print(f"  the package's bytecode is {bytecode_state()}")
    print(f"  (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall times grow with it)")


def write_frames(folder: Path, count: int, width: int, height: int) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    for index in range(count):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[..., 2] = 60
        frame[..., 0] = np.linspace(0, 80, width, dtype=np.uint8)[None, :]
        x = 8 + 9 * index
        frame[height // 4 : height // 4 + height // 3, x : x + width // 4] = (240, 220, 90)
        minute = 10 * index
        Image.fromarray(frame).save(
            folder / f"GOES19_FD_CH13_20250508T{minute // 60:02d}{minute % 60:02d}20Z.png"
        )


def bench_job(frames: int, width: int, height: int, multiplier: int, backend: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QEventLoop, Qt, QTimer

    from goesvfi.gui import create_main_window

    with tempfile.TemporaryDirectory(prefix="goesvfi-bench-job-") as tmp:
        folder = Path(tmp) / "frames"
        write_frames(folder, frames, width, height)
        window = create_main_window()
        window.show()
        window.settings.set_values({"vfi.backend": backend, "pipeline.multiplier": multiplier})
        window.processing.set_input(folder)
        window.processing.set_output(Path(tmp) / "out.mp4")

        lateness: list[float] = []
        last = [0.0]
        stage = ["starting"]
        stalls: list[tuple[float, float, str]] = []  # (when, how late, the job's stage then)

        def tick() -> None:
            now = time.perf_counter()
            if last[0]:
                late = max(0.0, now - last[0] - 0.010)
                lateness.append(late)
                if late > 0.05:
                    stalls.append((now - started, late, stage[0]))
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(10)
        timer.timeout.connect(tick)
        loop = QEventLoop()
        outcome: list[str] = []
        runner = window.processing.runner
        runner.stageChanged.connect(lambda name: stage.__setitem__(0, name))
        runner.finished.connect(lambda _r: (outcome.append("finished"), loop.quit()))
        runner.failed.connect(lambda e: (outcome.append(f"failed: {e.get('message')}"), loop.quit()))
        runner.cancelled.connect(lambda: (outcome.append("cancelled"), loop.quit()))
        failed = []
        window.processing.failed.connect(lambda e: failed.append(e))
        timer.start()
        # Baseline: the same timer for 3 s with no job, so a busy machine shows up as such.
        started = time.perf_counter()
        QTimer.singleShot(3000, loop.quit)
        loop.exec()
        baseline = sorted(lateness)
        lateness.clear()
        stalls.clear()
        started = time.perf_counter()
        if not window.processing.start():
            raise SystemExit(f"bench_gui: the job did not start: {failed}")
        loop.exec()
        elapsed = time.perf_counter() - started
        timer.stop()
        window.close()
    made = (frames - 1) * multiplier + 1
    ordered = sorted(lateness)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"\nGUI thread during a {backend} job ({frames} frames {width}x{height}, x{multiplier} -> {made})")
    print(f"  job {outcome[0] if outcome else 'did not end'} in {elapsed:.1f} s; {len(lateness)} timer ticks")
    late = f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    print(f"  10 ms timer late by: {late}")
    print("  targets: p99 <= 20 ms, max <= 100 ms")
    base = f"p99 {baseline[int(len(baseline) * 0.99)] * 1000:.1f} ms, max {baseline[-1] * 1000:.1f} ms"
    print(f"  baseline, same window with no job for 3 s: {base} (load average {os.getloadavg()[0]:.1f})")
    for when, late, during in sorted(stalls, key=lambda s: -s[1])[:5]:
        print(f"  stall {late * 1000:6.0f} ms at {when:5.1f} s (stage: {during})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="start-ups to time")
    parser.add_argument("--xvfb", action="store_true", help="time the start-up on a real X server (Xvfb)")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports at start-up")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", default="512x384", help="frame size WxH for the job")
    parser.add_argument("--multiplier", type=int, default=2)
    parser.add_argument("--backend", default="rife")
    parser.add_argument("--skip-job", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with isolated_user_dirs():
        if not args.skip_startup:
            bench_startup(args.runs, args.xvfb, args.importtime)
        if not args.skip_job:
            bench_job(args.frames, width, height, args.multiplier, args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
