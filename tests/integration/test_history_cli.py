"""The CLI records its commands in the operation history; ``goesvfi history`` reads them back."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import run_goesvfi

from goesvfi.cli import main
from goesvfi.core.config import log_dir
from goesvfi.core.history import HistoryStore, default_history_path
from goesvfi.core.logs import LOG_FILE_NAME
from goesvfi.core.timeindex import canonical_name

START = datetime(2024, 5, 1, 12, 1, 17, tzinfo=UTC)
FIVE = timedelta(minutes=5)


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """Eight CONUS frames five minutes apart, one of them missing."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(8):
        if i != 3:
            (folder / canonical_name(19, "CONUS", 13, START + i * FIVE, "nc")).write_bytes(b"x")
    return folder


def history() -> HistoryStore:
    return HistoryStore(default_history_path())


def test_a_check_is_recorded_with_status_duration_and_its_log_s_correlation_id(frames: Path) -> None:
    began = time.time()
    result = run_goesvfi("check", str(frames), "--json")
    wall = time.time() - began
    assert result.returncode == 0, result.stderr
    (op,) = history().query()
    assert (op.kind, op.status, op.error) == ("check", "ok", None)
    assert op.params["folder"] == str(frames)
    assert "settings" not in op.params
    assert op.results == {"exit_code": 0}
    assert op.duration_s is not None
    assert 0 < op.duration_s < wall
    assert began <= op.started.timestamp() <= began + wall
    log_text = (log_dir() / LOG_FILE_NAME).read_text(encoding="utf-8")
    scanned = [line for line in log_text.splitlines() if f"scanned {frames}" in line]
    assert len(scanned) == 1
    (logged_id,) = re.findall(r"\[([0-9a-f]{12})\]", scanned[0])
    assert op.correlation_id == logged_id


def test_a_failing_command_records_failed_with_the_structured_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert main(["check", str(missing)]) == 2
    (op,) = history().query()
    assert op.status == "failed"
    assert op.error is not None
    assert op.error["kind"] == "ScanInputError"
    assert "does not exist" in op.error["message"]
    assert op.results == {"exit_code": 2}


def test_history_list_show_stats_export_and_clear(
    frames: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(frames)]) == 0
    assert main(["check", str(tmp_path / "missing")]) == 2
    capsys.readouterr()

    assert main(["history", "--json"]) == 0  # reading the history is not recorded itself
    ops = json.loads(capsys.readouterr().out)["operations"]
    assert [op["status"] for op in ops] == ["failed", "ok"]
    failed_id, ok_id = ops[0]["id"], ops[1]["id"]

    assert main(["history", "--status", "ok"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].split()[:4][0] == str(ok_id)
    assert main(["history", "--kind", "fetch"]) == 0
    assert capsys.readouterr().out.strip() == "no operations recorded that match"
    assert main(["history", "--since", "2999-01-01T00:00Z", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["operations"] == []

    assert main(["history", "show", str(ok_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["params"]["folder"] == str(frames)
    assert any(f"scanned {frames}" in line for line in shown["log"])
    assert all(shown["correlation_id"] in line for line in shown["log"])
    assert main(["history", "show", str(failed_id)]) == 0
    text = capsys.readouterr().out
    assert "error.kind    ScanInputError" in text
    assert "check failed in" in text  # its log line

    assert main(["history", "stats", "--json"]) == 0
    (check,) = json.loads(capsys.readouterr().out)["kinds"]
    assert (check["kind"], check["count"], check["successes"], check["failures"]) == ("check", 2, 1, 1)

    out = tmp_path / "history.csv"
    assert main(["history", "export", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["failed", "ok"]

    assert main(["history", "clear", "--older-than", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "removed 2 operations"
    assert history().query() == []


def test_history_user_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv, words in (
        (["history", "show", "999"], "no operation 999"),
        (["history", "show", "x"], "needs an operation id"),
        (["history", "clear"], "--older-than DAYS"),
        (["history", "export"], "needs a file"),
        (["history", "export", str(tmp_path / "h.txt")], "FILE"),
        (["history", "--since", "yesterday"], "ISO 8601"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert words in err[0]


def test_disabled_history_records_nothing(frames: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOESVFI_HISTORY__ENABLED", "false")
    assert main(["check", str(frames)]) == 0
    assert not default_history_path().exists()


def test_an_unwritable_history_does_not_fail_the_command(frames: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = {**os.environ, "XDG_DATA_HOME": str(blocker)}  # the history's folder cannot be made
    result = run_goesvfi("check", str(frames), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["found"] == 7
    assert result.stderr.count("operation history not recorded") == 1


def test_the_parser_does_not_load_the_store_and_knows_its_statuses() -> None:
    code = "import sys, goesvfi.cli as c; c.build_parser(); print('goesvfi.core.history' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr  # `goesvfi --help` stays fast
    from goesvfi.cli import history as cli_history
    from goesvfi.core import history as core_history

    assert cli_history.STATUSES == core_history.STATUSES
