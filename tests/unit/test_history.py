"""The operation history store: recording, concurrency, queries, retention, export, log lines."""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from goesvfi.core.config import HistorySettings
from goesvfi.core.errors import UserInputError
from goesvfi.core.history import HistoryStore, export, log_lines, record
from goesvfi.core.history import recording as recording_module
from goesvfi.core.jobs.control import CancelledByUser
from goesvfi.core.logs import correlation_scope, get_correlation_id


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3", retention_days=0, max_rows=0)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Any:
    """caplog for the ``goesvfi`` logger, which stops propagating once logging is set up."""
    logger = logging.getLogger("goesvfi")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    old = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # caplog's root handler would see each record a second time
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(old[0])
    logger.propagate = old[1]


def _age(store: HistoryStore, op_id: int, days: float) -> None:
    """Move operation ``op_id``'s start ``days`` into the past (straight in the database)."""
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE operations SET started = started - ? WHERE id = ?", (days * 86400.0, op_id))


# -- recording ---------------------------------------------------------------------------------------


def test_record_ok_with_results_duration_and_the_scope_s_correlation_id(store: HistoryStore) -> None:
    with correlation_scope("abc123def456"), record("render", {"out": Path("/x"), "n": 3}, store=store) as op:
        assert get_correlation_id() == "abc123def456"
        assert store.get(op.id or 0).status == "running"  # type: ignore[union-attr]
        op.results = {"frames": 4}
    row = store.get(op.id or 0)
    assert row is not None
    assert (row.kind, row.status, row.correlation_id) == ("render", "ok", "abc123def456")
    assert row.params == {"out": "/x", "n": 3}
    assert row.results == {"frames": 4}
    assert row.error is None
    assert row.ended is not None
    assert row.duration_s is not None
    assert 0 <= row.duration_s <= (row.ended - row.started).total_seconds() + 0.01
    assert row.pid == os.getpid()


def test_record_opens_a_correlation_scope_when_there_is_none(store: HistoryStore) -> None:
    assert get_correlation_id() == "-"
    with record("check", {}, store=store) as op:
        inside = get_correlation_id()
    assert inside != "-"
    assert op.correlation_id == inside
    assert store.get(op.id or 0).correlation_id == inside  # type: ignore[union-attr]
    assert get_correlation_id() == "-"


def test_failed_operation_keeps_the_structured_error(store: HistoryStore) -> None:
    with pytest.raises(UserInputError), record("run", {}, store=store) as op:
        raise UserInputError("fps must be positive", setting="fps", value=-1, hint="give a number above 0")
    row = store.get(op.id or 0)
    assert row is not None
    assert row.status == "failed"
    assert row.error == {
        "kind": "UserInputError",
        "message": "fps must be positive",
        "setting": "fps",
        "value": "-1",
        "hint": "give a number above 0",
    }


def test_other_exceptions_fail_with_the_same_shape(store: HistoryStore) -> None:
    with pytest.raises(ZeroDivisionError), record("fetch", {}, store=store) as op:
        _ = 1 / 0
    row = store.get(op.id or 0)
    assert row is not None
    assert row.status == "failed"
    assert row.error is not None
    assert row.error["kind"] == "ZeroDivisionError"
    assert set(row.error) == {"kind", "message", "setting", "value", "hint"}


@pytest.mark.parametrize("exc", [CancelledByUser("cancelled"), KeyboardInterrupt()])
def test_cancelled(store: HistoryStore, exc: BaseException) -> None:
    with pytest.raises(type(exc)), record("run", {}, store=store) as op:
        raise exc
    assert store.get(op.id or 0).status == "cancelled"  # type: ignore[union-attr]


def test_handle_can_fail_an_operation_that_returns(store: HistoryStore) -> None:
    with record("fetch", {}, store=store) as op:
        op.fail("exited with code 1")
    row = store.get(op.id or 0)
    assert row is not None
    assert row.status == "failed"
    assert row.error is not None
    assert row.error["message"] == "exited with code 1"


def test_disabled_history_records_nothing(store: HistoryStore) -> None:
    with record("check", {}, settings=HistorySettings(enabled=False), store=store) as op:
        pass
    assert op.id is None
    assert store.query() == []


def test_an_unwritable_history_never_fails_the_work(
    tmp_path: Path, logged: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x")
    broken = HistoryStore(tmp_path / "file" / "history.sqlite3")  # its folder cannot be made
    monkeypatch.setattr(recording_module, "_warned", threading.Event())
    for _ in range(2):
        with record("check", {}, store=broken) as op:
            op.results["done"] = True
        assert op.id is None
    with pytest.raises(ValueError, match="real"), record("check", {}, store=broken):
        raise ValueError("the real error")
    warnings = [r for r in logged.records if "history not recorded" in r.getMessage()]
    assert len(warnings) == 1


def test_a_row_left_running_by_a_dead_process_reads_as_interrupted(store: HistoryStore) -> None:
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_start_and_die, args=(str(store.path),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    with record("check", {}, store=store) as mine:
        rows = store.query(status="running")
        assert [r.id for r in rows] == [mine.id]  # this process's own row is still running
    (dead,) = store.query(status="interrupted")
    assert dead.kind == "run"
    assert dead.pid == child.pid


def _start_and_die(path: str) -> None:
    HistoryStore(Path(path)).start("run", {})
    os._exit(0)  # no finish: a process killed mid-operation


# -- threads and processes -----------------------------------------------------------------------------

PER_WRITER = 25


def _write_many(path: str, tag: str, barrier: Any) -> None:
    target = HistoryStore(Path(path), retention_days=0, max_rows=0)
    barrier.wait(60)
    for i in range(PER_WRITER):
        with record("fetch", {"writer": tag, "i": i}, store=target) as op:
            op.results = {"i": i}


def test_eight_threads_and_two_processes_lose_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"  # a new database: all of them switch it to WAL at once
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(10)
    children = [ctx.Process(target=_write_many, args=(str(path), f"p{n}", barrier)) for n in range(2)]
    for child in children:
        child.start()
    errors: list[BaseException] = []

    def thread_writer(tag: str) -> None:
        try:
            _write_many(str(path), tag, barrier)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=thread_writer, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for child in children:
        child.join(120)
    assert errors == []
    assert [c.exitcode for c in children] == [0, 0]
    rows = HistoryStore(path).query(limit=None)
    assert len(rows) == 10 * PER_WRITER
    assert len({r.id for r in rows}) == len(rows)
    assert {r.status for r in rows} == {"ok"}
    written = {(r.params["writer"], r.params["i"]) for r in rows}
    assert written == {
        (f"{k}{n}", i) for k, m in (("t", 8), ("p", 2)) for n in range(m) for i in range(PER_WRITER)
    }


# -- queries, metrics, retention -------------------------------------------------------------------------


def _fill(store: HistoryStore) -> list[int]:
    ids = []
    for kind, fails, params in (
        ("check", False, {"folder": "/data/east_50%"}),
        ("fetch", True, {"dest": "/data/west"}),
        ("check", True, {"folder": "/data/a_b"}),
        ("run", False, {"output": "/v.mp4"}),
    ):
        try:
            with record(kind, params, store=store) as op:
                ids.append(op.id or 0)
                if fails:
                    raise UserInputError(f"{kind} went wrong", setting="input_dir")
        except UserInputError:
            pass
    return ids


def test_queries_filter_by_kind_status_dates_and_text(store: HistoryStore) -> None:
    check_ok, fetch_failed, check_failed, run_ok = _fill(store)
    _age(store, check_ok, 10)
    assert [r.id for r in store.query()] == [run_ok, check_failed, fetch_failed, check_ok]  # newest first
    assert [r.id for r in store.query(kind="check")] == [check_failed, check_ok]
    assert [r.id for r in store.query(status="failed")] == [check_failed, fetch_failed]
    assert [r.id for r in store.query(kind="check", status="ok")] == [check_ok]
    week_ago = datetime.now(UTC) - timedelta(days=7)
    assert [r.id for r in store.query(since=week_ago)] == [run_ok, check_failed, fetch_failed]
    assert [r.id for r in store.query(until=week_ago)] == [check_ok]
    assert [r.id for r in store.query(text="WEST")] == [fetch_failed]  # parameters, any case
    assert [r.id for r in store.query(text="went wrong")] == [check_failed, fetch_failed]  # the error
    assert [r.id for r in store.query(text="50%")] == [check_ok]  # % and _ are literal
    assert [r.id for r in store.query(text="a_b")] == [check_failed]
    assert [r.id for r in store.query(limit=2, offset=1)] == [check_failed, fetch_failed]


def test_stats_per_kind(store: HistoryStore) -> None:
    _fill(store)
    with pytest.raises(CancelledByUser), record("check", {}, store=store):
        raise CancelledByUser("stop")
    stats = {s.kind: s for s in store.stats()}
    assert sorted(stats) == ["check", "fetch", "run"]
    check = stats["check"]
    assert (check.count, check.successes, check.failures, check.cancelled) == (3, 1, 1, 1)
    durations = [r.duration_s or 0.0 for r in store.query(kind="check")]
    assert check.total_s == pytest.approx(sum(durations))
    assert (check.min_s, check.max_s) == (min(durations), max(durations))
    assert check.mean_s == pytest.approx(sum(durations) / 3)
    assert check.success_rate == 0.5
    assert [s.kind for s in store.stats(kind="run")] == ["run"]


def test_retention_by_count_and_by_age(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", retention_days=30, max_rows=3)
    ids = []
    for i in range(5):
        ids.append(store.start("check", {"i": i}))
        store.finish(ids[-1], "ok")
    assert [r.id for r in store.query()] == ids[:1:-1]  # the newest three
    _age(store, ids[2], 31)
    store.finish(store.start("check", {}), "ok")  # retention runs as an operation starts
    kept = [r.id for r in store.query()]
    assert ids[2] not in kept
    assert len(kept) == 3


def test_retention_keeps_running_operations_and_clear_older_than(store: HistoryStore) -> None:
    old_done = store.start("check", {})
    store.finish(old_done, "ok")
    running = store.start("run", {})
    recent = store.start("fetch", {})
    store.finish(recent, "failed", error={"message": "x"})
    _age(store, old_done, 40)
    _age(store, running, 40)
    assert store.clear(older_than_days=30) == 1
    assert {r.id for r in store.query()} == {running, recent}
    assert store.clear(older_than_days=0) == 1  # everything finished
    assert [r.id for r in store.query()] == [running]
    capped = HistoryStore(store.path, retention_days=30, max_rows=1)
    capped.finish(capped.start("check", {}), "ok")
    assert running in [r.id for r in capped.query()]  # neither age nor count removes it


# -- export and log lines ---------------------------------------------------------------------------------


def test_export_json_and_csv(store: HistoryStore, tmp_path: Path) -> None:
    _fill(store)
    rows = store.query()
    export(rows, tmp_path / "h.json")
    data = json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))
    assert [op["id"] for op in data["operations"]] == [r.id for r in rows]
    assert data["operations"][1]["error"]["setting"] == "input_dir"
    export(rows, tmp_path / "h.csv")
    with (tmp_path / "h.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [int(r["id"]) for r in table] == [r.id for r in rows]
    assert table[1]["status"] == "failed"
    assert table[1]["error_message"] == "check went wrong"
    assert json.loads(table[0]["params"]) == {"output": "/v.mp4"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files
    with pytest.raises(UserInputError, match=r"\.csv or \.json"):
        export(rows, tmp_path / "h.txt")


def test_log_lines_of_one_operation_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "goesvfi.log.1").write_text(
        "2026-01-01 10:00:00,000 INFO    goesvfi.cli [aaaaaaaaaaaa] first\n"
        "2026-01-01 10:00:01,000 INFO    goesvfi.cli [bbbbbbbbbbbb] other\n",
        encoding="utf-8",
    )
    (tmp_path / "goesvfi.log").write_text(
        "2026-01-01 10:00:02,000 ERROR   goesvfi.cli [aaaaaaaaaaaa] broke\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
        "2026-01-01 10:00:03,000 INFO    goesvfi.cli [bbbbbbbbbbbb] later\n"
        + json.dumps({"message": "as json", "correlation_id": "aaaaaaaaaaaa"})
        + "\n",
        encoding="utf-8",
    )
    lines = log_lines("aaaaaaaaaaaa", tmp_path)
    assert [line.split("] ")[-1] for line in lines[:2]] == ["first", "broke"]  # the older file first
    assert lines[2:4] == ["Traceback (most recent call last):", '  File "x.py", line 1']
    assert json.loads(lines[4])["message"] == "as json"
    assert len(lines) == 5
    assert log_lines("-", tmp_path) == []
    assert log_lines("cccccccccccc", tmp_path / "none") == []


def test_recorded_operations_log_a_line_with_their_id(
    store: HistoryStore, logged: pytest.LogCaptureFixture
) -> None:
    with record("demo", {}, store=store) as op:
        op.results["frames"] = 1
    lines = [r for r in logged.records if r.name == "goesvfi.core.history"]
    assert [r.getMessage().split(" in ")[0] for r in lines] == ["demo ok"]
    assert op.correlation_id != "-"
