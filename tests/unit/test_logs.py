"""Logging: JSON lines, correlation ids across tasks and threads, debug components, log file."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from goesvfi.core.logs import (
    LOG_FILE_NAME,
    ROOT_LOGGER,
    JsonFormatter,
    correlation_scope,
    get_correlation_id,
    parse_debug,
    run_with_context,
    setup_logging,
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger(ROOT_LOGGER)
    before = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_formatter_fields_and_extras() -> None:
    stream = io.StringIO()
    setup_logging(json_format=True, stream=stream, console_level=logging.INFO)
    with correlation_scope("job-42"):
        logging.getLogger("goesvfi.core.cache").info("stored %d rows", 7, extra={"rows": 7, "folder": "/x"})
    (record,) = json_lines(stream)
    assert record["message"] == "stored 7 rows"
    assert record["level"] == "INFO"
    assert record["logger"] == "goesvfi.core.cache"
    assert record["correlation_id"] == "job-42"
    assert (record["rows"], record["folder"]) == (7, "/x")
    assert str(record["time"]).endswith("+00:00")


def test_formatter_includes_exception() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("goesvfi.x").makeRecord(
            "goesvfi.x", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    payload = json.loads(formatter.format(record))
    assert "ValueError: boom" in payload["exc_info"]


async def test_correlation_id_reaches_asyncio_tasks() -> None:
    stream = io.StringIO()
    setup_logging(json_format=True, stream=stream, console_level=logging.INFO)
    log = logging.getLogger("goesvfi.core.remote")

    async def child(n: int) -> str:
        await asyncio.sleep(0)
        log.info("child %d", n)
        return get_correlation_id()

    with correlation_scope("fetch-1"):
        ids = await asyncio.gather(*(asyncio.create_task(child(n)) for n in range(3)))
    assert ids == ["fetch-1"] * 3
    assert {r["correlation_id"] for r in json_lines(stream)} == {"fetch-1"}
    assert get_correlation_id() == "-"


def test_correlation_id_reaches_a_thread_through_run_with_context() -> None:
    seen: dict[str, str] = {}

    def work(key: str) -> None:
        seen[key] = get_correlation_id()

    with correlation_scope("render-7"):
        wrapped = threading.Thread(target=run_with_context(work), args=("wrapped",))
        plain = threading.Thread(target=work, args=("plain",))
    wrapped.start()
    plain.start()
    wrapped.join()
    plain.join()
    assert seen == {"wrapped": "render-7", "plain": "-"}


def test_debug_component_filter() -> None:
    stream = io.StringIO()
    setup_logging(debug="cache", stream=stream)
    logging.getLogger("goesvfi.core.cache").debug("cache detail")
    logging.getLogger("goesvfi.core.remote").debug("remote detail")
    logging.getLogger("goesvfi.core.remote").warning("remote problem")
    text = stream.getvalue()
    assert "cache detail" in text
    assert "remote detail" not in text
    assert "remote problem" in text


def test_parse_debug_values() -> None:
    assert parse_debug(None) == []
    assert parse_debug("0") == []
    assert parse_debug(True) == ["goesvfi"]
    assert parse_debug("1") == ["goesvfi"]
    assert parse_debug("remote, cache,") == ["goesvfi.core.remote", "goesvfi.core.cache"]
    assert parse_debug("goesvfi.cli") == ["goesvfi.cli"]
    assert parse_debug("cli,viewmodels.processing") == ["goesvfi.cli", "goesvfi.viewmodels.processing"]


def test_rotating_file_in_log_folder(tmp_path: Path) -> None:
    path = setup_logging(log_directory=tmp_path / "log", stream=io.StringIO())
    assert path == tmp_path / "log" / LOG_FILE_NAME
    logging.getLogger("goesvfi.core.integrity").info("scan finished")
    logging.getLogger("goesvfi.core.integrity").debug("not in the file without --debug")
    handlers = [h for h in logging.getLogger(ROOT_LOGGER).handlers if isinstance(h, logging.FileHandler)]
    assert len(handlers) == 1
    assert handlers[0].maxBytes > 0
    assert handlers[0].backupCount > 0
    handlers[0].flush()
    text = path.read_text(encoding="utf-8")
    assert "scan finished" in text
    assert "not in the file" not in text


def test_unwritable_log_folder_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    stream = io.StringIO()
    assert setup_logging(log_directory=blocker / "log", stream=stream) is None
    assert "cannot write log file" in stream.getvalue()


def test_extra_file_gets_the_same_records_and_is_replaced_not_doubled(tmp_path: Path) -> None:
    """The job log of a detached run goes through setup_logging, not a second ad-hoc handler."""
    job_log = tmp_path / "job" / "job.log"
    for _ in range(2):  # a second call must not add a second handler (doubled lines)
        setup_logging(stream=io.StringIO(), extra_file=job_log)
    logging.getLogger("goesvfi.core.pipeline").info("segment 3 finished")
    logging.getLogger("goesvfi.core.pipeline").debug("not in the job log without debug")
    files = [h for h in logging.getLogger(ROOT_LOGGER).handlers if isinstance(h, logging.FileHandler)]
    assert [Path(h.baseFilename) for h in files] == [job_log]
    files[0].flush()
    lines = job_log.read_text(encoding="utf-8").splitlines()
    assert len([line for line in lines if "segment 3 finished" in line]) == 1
    assert not any("not in the job log" in line for line in lines)
