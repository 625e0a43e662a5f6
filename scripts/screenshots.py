"""Render the desktop app offscreen to docs/screenshots/*.png, driving it as a user would.

Synthetic GOES-19 Band 13 files (the core's test data) are loaded into the Processing tab and
shown in native false colour; then: each tab, the crop dialog, the pair preview, a real small job
caught half-way, and the F1 shortcuts overlay. With ``--tables`` it also prints the shortcut and
object-name tables of docs/gui.md, read from the live window.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--tables]

Settings, caches and QSettings go to a temporary folder: the user's are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_TMP = tempfile.TemporaryDirectory(prefix="goesvfi-screenshots-")
for _key in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
    os.environ[_key] = str(Path(_TMP.name) / _key.lower())

from PyQt6.QtCore import QPoint, QSettings  # noqa: E402
from PyQt6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402

SIZE = (1280, 860)


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Run the event loop until ``predicate()`` holds (a script, not a test: polling is fine)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 0.3) -> None:
    """Let queued signals, layouts and repaints run."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def no_workers() -> bool:
    from goesvfi.viewmodels.workers import active_workers

    return not active_workers()


def save(widget: QWidget, path: Path) -> None:
    settle()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def visible_dialog(kind: str) -> QDialog:
    found: list[QDialog] = []

    def look() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
                    and type(w).__name__ == kind]  # fmt: skip
        return bool(found)

    wait_for(look, 20, f"the {kind}")
    return found[0]


def make_frames(folder: Path) -> None:
    from goesvfi.core.render.synthetic import write_sequence

    folder.mkdir(parents=True)
    write_sequence(folder, 8, shape=(384, 640), product="ABI-L1b-RadC", band=13, satellite=19)


def fetch_mid_way(window: Any, removed: dict[int, bytes], shot: Path) -> None:
    """Serve the removed frames from a local S3 (moto, 127.0.0.1) and grab the tab mid-fetch."""
    from datetime import UTC, datetime, timedelta

    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"  # moto has no public port attribute
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    client.create_bucket(Bucket="noaa-goes19")
    client.put_bucket_acl(Bucket="noaa-goes19", ACL="public-read")
    first = datetime(2025, 5, 8, 0, 1, 17, tzinfo=UTC)

    def stamp(when: datetime) -> str:
        return f"{when:%Y%j%H%M%S}{when.microsecond // 100_000}"

    for index, data in removed.items():
        start = first + timedelta(minutes=5 * index)
        end = start + timedelta(minutes=2, seconds=23)
        name = (
            f"OR_ABI-L1b-RadC-M6C13_G19_s{stamp(start)}_e{stamp(end)}_c{stamp(end + timedelta(seconds=4))}.nc"
        )
        client.put_object(Bucket="noaa-goes19", Key=f"ABI-L1b-RadC/{start:%Y/%j/%H}/{name}", Body=data,
                          ACL="public-read")  # fmt: skip
    window.settings.set_values({"remote.source": "s3", "remote.s3_endpoint": url, "remote.concurrency": 1,
                                "remote.max_rate": 20_000})  # fmt: skip
    landed: list[int] = []
    window.integrity.slotChanged.connect(landed.append)
    window.integrity.fetch_missing()
    wait_for(lambda: len(landed) >= 3, 120, "three fetched frames")
    save(window, shot)
    wait_for(no_workers, 120, "the fetch")
    server.stop()
    window.settings.set_values({"remote.source": "auto", "remote.s3_endpoint": None, "remote.concurrency": 32,
                                "remote.max_rate": 0})  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    parser.add_argument("--tables", action="store_true", help="print docs/gui.md's tables from the window")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(_TMP.name)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp / "qsettings"))

    from goesvfi.gui import create_main_window

    frames = tmp / "frames"
    make_frames(frames)
    window = create_main_window()
    window.resize(*SIZE)
    window.show()
    window.settings.set_values(
        {"pipeline.colour": "native", "vfi.backend": "flow", "pipeline.multiplier": 4, "pipeline.fps": 12}
    )
    output = tmp / "goesvfi-demo.mp4"
    window.processing.set_input(frames)
    window.processing.set_output(output)
    wait_for(lambda: window.processing.frame_count == 8, 60, "the frames")
    wait_for(no_workers, 120, "the thumbnails and the folder check")
    window.tabs.setCurrentIndex(0)
    save(window, args.out / "processing.png")

    window.ffmpeg.set_job(frames, output)
    window.tabs.setCurrentIndex(1)
    wait_for(lambda: not window.ffmpeg.busy and bool(window.ffmpeg.commands()), 60, "the ffmpeg command")
    save(window, args.out / "ffmpeg.png")
    window.tabs.setCurrentIndex(0)

    window.commands.crop.trigger()
    crop = visible_dialog("CropDialog")
    crop.resize(900, 640)
    canvas = crop.findChild(QWidget, "cropCanvas")
    if canvas is not None and hasattr(canvas, "drag"):
        canvas.drag(QPoint(int(canvas.width() * 0.25), int(canvas.height() * 0.2)),
                    QPoint(int(canvas.width() * 0.75), int(canvas.height() * 0.7)))  # fmt: skip
    save(crop, args.out / "crop.png")
    crop.reject()

    window.commands.preview_pair.trigger()
    wait_for(lambda: window.commands.preview_pair.isEnabled() and no_workers(), 120, "the pair preview")
    settle(0.8)  # a few frames of the A -> in-betweens -> B loop
    save(window, args.out / "pair_preview.png")

    runner = window.processing.runner
    shot = args.out / "running.png"
    caught: list[bool] = []

    def on_progress(done: int, total: int) -> None:
        if not caught and total and done >= total // 2:
            caught.append(True)
            window.grab().save(str(shot))  # in the GUI thread, while the job runs
            print(f"wrote {shot} ({done}/{total} frames)")

    runner.progressChanged.connect(on_progress)
    if not window.processing.start():
        raise SystemExit("screenshots: the job did not start")
    wait_for(lambda: not runner.busy and no_workers(), 300, "the job")
    if not caught:
        raise SystemExit("screenshots: the job ended before half-way was seen")
    settle()
    save(window, args.out / "done.png")
    for dialog in [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]:
        dialog.reject()

    window.commands.shortcuts.trigger()
    overlay = visible_dialog("ShortcutsOverlay")
    save(overlay, args.out / "shortcuts.png")
    overlay.reject()

    gaps = tmp / "gaps"  # a day's CONUS folder with an outage and a few single gaps
    gaps.mkdir()
    from goesvfi.core.render.synthetic import write_sequence

    written = write_sequence(gaps, 48, shape=(60, 100), product="ABI-L1b-RadC", band=13)
    removed = {}
    for index in (5, 17, 18, 19, 20, 31, 40):
        removed[index] = Path(written[index]).read_bytes()
        Path(written[index]).unlink()
    window.integrity.set_folder(gaps)
    window.tabs.setCurrentWidget(window.integrity_tab)
    window.integrity.scan()
    wait_for(lambda: bool(window.integrity.slots) and no_workers(), 60, "the integrity scan")
    settle()
    save(window, args.out / "integrity.png")
    fetch_mid_way(window, removed, args.out / "integrity_fetch.png")

    from goesvfi.cli import main as cli  # the command line's operations appear in the history too

    cli(["check", str(frames)])
    cli(["check", str(tmp / "not-there")])
    window.tabs.setCurrentWidget(window.history_tab)  # with the pair preview and the job above
    wait_for(lambda: window.history.table.rowCount() >= 4, 30, "the history rows")
    window.history_tab.table.selectRow(2)  # the job
    wait_for(lambda: bool(window.history_tab.details.toPlainText()), 30, "the operation's details")
    save(window, args.out / "history.png")
    window.settings.set_value("remote.doctor_timeout_s", 3)
    window.commands.diagnostics.trigger()
    diagnostics = visible_dialog("DiagnosticsDialog")
    wait_for(lambda: bool(window.diagnostics.checks) and no_workers(), 60, "the diagnostics")
    save(diagnostics, args.out / "diagnostics.png")
    diagnostics.reject()

    if args.tables:
        print_tables(window)
    window.close()
    return 0


def print_tables(window: QWidget) -> None:
    from goesvfi.gui.dialogs.shortcuts import shortcut_rows

    print("\n| Command | Shortcut | Menu |\n|---|---|---|")
    for row in shortcut_rows(window):
        print(f"| {row.command} | {row.shortcuts or '—'} | {row.menu or '—'} |")
    print("\n| objectName | accessible name | kind |\n|---|---|---|")
    seen = set()
    for widget in [window, *window.findChildren(QWidget)]:
        name = widget.objectName()
        if not name or name.startswith("qt_") or name in seen or not widget.accessibleName():
            continue
        seen.add(name)
        print(f"| `{name}` | {widget.accessibleName()} | {type(widget).__name__} |")


if __name__ == "__main__":
    sys.exit(main())
