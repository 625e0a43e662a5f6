"""The one CLI progress bar, as ``run`` and ``fetch`` use it."""

from __future__ import annotations

import io

from goesvfi.cli.progress import ProgressBar
from goesvfi.core.jobs.progress import ProgressEvent


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fetch_event(done: int, total: int | None) -> ProgressEvent:
    extra: dict[str, float | int | str] = {"bytes": 3_500_000 * done, "speed_bps": 1_250_000.0}
    return ProgressEvent("job", "fetch", done, total, 1.0, 5.0, "GOES-19 ...", extra)


def test_fetch_bar_shows_files_bytes_and_speed_on_a_terminal() -> None:
    terminal = _Terminal()
    bar = ProgressBar(terminal, level="job", unit="files", off_tty=False)
    bar(ProgressEvent("item", "GOES-19 13", 1, 2))  # another level: not drawn
    bar(_fetch_event(4, 4))
    bar.close()
    assert terminal.getvalue() == "\r\033[K[" + "#" * 30 + "] 4/4 files 14.0 MB 1.25 MB/s ETA 0:05\n"


def test_fetch_bar_is_silent_off_a_terminal_and_run_bar_is_not() -> None:
    plain = io.StringIO()
    fetch = ProgressBar(plain, level="job", unit="files", off_tty=False)
    fetch(_fetch_event(2, None))
    fetch.close()
    assert plain.getvalue() == ""
    run = ProgressBar(plain)
    run(ProgressEvent("item", "frames", 3, None))
    assert plain.getvalue() == "[" + "." * 30 + "] 3/? frames -- fr/s\n"


def test_bar_is_redrawn_at_most_ten_times_a_second_but_always_at_the_end() -> None:
    terminal = _Terminal()
    bar = ProgressBar(terminal)
    for done in range(1, 101):
        bar(ProgressEvent("item", "frames", done, 100, rate=50.0))
    draws = terminal.getvalue().count("\r\033[K")
    assert 2 <= draws < 50
    assert terminal.getvalue().endswith("100/100 frames 50.0 fr/s")
