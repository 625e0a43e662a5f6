"""Error classification, Retry-After and the retry loop of goesvfi.core.remote.retry."""

from __future__ import annotations

import errno
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from goesvfi.core.remote.base import (
    AccessDeniedError,
    NoSuchBucketError,
    NotFoundError,
    RemoteError,
    ServiceUnavailableError,
    ThrottledError,
)
from goesvfi.core.remote.retry import RetryPolicy, classify, parse_retry_after


def client_error(code: str, status: int, headers: dict[str, str] | None = None) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
    }
    return ClientError(response, "GetObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind", "retried"),
    [
        (client_error("NoSuchKey", 404), "not_found", False),
        (client_error("AccessDenied", 403), "access_denied", False),
        (client_error("NoSuchBucket", 404), "no_bucket", False),
        (client_error("SlowDown", 503), "throttled", True),
        (client_error("InternalError", 500), "unavailable", True),
        (client_error("ThrottlingException", 400), "throttled", True),
        (ReadTimeoutError(endpoint_url="http://x"), "timeout", True),
        (aiohttp.ClientPayloadError("Response payload is not completed"), "truncated", True),
        (TimeoutError(), "timeout", True),
        (ConnectionResetError(104, "Connection reset by peer"), "network", True),
    ],
)
def test_classify(error: BaseException, kind: str, retried: bool) -> None:
    found = classify(error, "s3")
    assert found is not None
    assert found.kind == kind
    assert found.source == "s3"
    assert (found.kind in ("throttled", "unavailable", "timeout", "truncated", "network")) is retried


def test_classify_leaves_bugs_and_local_errors_alone() -> None:
    assert classify(OSError(errno.ENOSPC, "No space left on device"), "s3") is None
    assert classify(ValueError("bug"), "s3") is None
    assert classify(KeyError("bug"), "cdn") is None


def test_retry_after_header_is_read_from_slowdown() -> None:
    found = classify(client_error("SlowDown", 503, {"retry-after": "7"}), "s3")
    assert isinstance(found, ThrottledError)
    assert found.retry_after == 7.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 < (parse_retry_after(later) or 0) <= 120


def test_delay_grows_with_jitter_and_cap() -> None:
    policy = RetryPolicy(
        retries=5, initial_s=1.0, multiplier=2.0, max_s=5.0, jitter=0.3, rng=random.Random(1)
    )
    assert 1.0 <= policy.delay(1, None) <= 1.3
    assert 2.0 <= policy.delay(2, None) <= 2.6
    assert 4.0 <= policy.delay(3, None) <= 5.0
    assert policy.delay(6, None) == 5.0


def test_delay_honours_retry_after_within_cap() -> None:
    policy = RetryPolicy(initial_s=1.0, max_s=30.0, rng=random.Random(1))
    assert policy.delay(1, ThrottledError("slow", retry_after=12.0)) == 12.0
    assert policy.delay(1, ThrottledError("slow", retry_after=300.0)) == 30.0


async def test_run_retries_transient_then_succeeds() -> None:
    calls = []
    retried: list[str] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ServiceUnavailableError("busy")
        return "ok"

    policy = RetryPolicy(retries=3, initial_s=0.0, max_s=0.0)
    assert await policy.run(flaky, source="s3", on_retry=lambda e, _p: retried.append(e.kind)) == "ok"
    assert len(calls) == 3
    assert retried == ["unavailable", "unavailable"]


@pytest.mark.parametrize("error", [NotFoundError("gone"), AccessDeniedError("no"), NoSuchBucketError("no")])
async def test_run_does_not_retry_permanent(error: RemoteError) -> None:
    calls = []

    async def failing() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        await RetryPolicy(retries=5, initial_s=0.0).run(failing, source="s3")
    assert len(calls) == 1


async def test_run_gives_up_after_retries_and_classifies_raw_errors() -> None:
    calls = []

    async def resetting() -> None:
        calls.append(1)
        raise aiohttp.ServerDisconnectedError()

    with pytest.raises(RemoteError) as caught:
        await RetryPolicy(retries=2, initial_s=0.0, max_s=0.0).run(resetting, source="cdn")
    assert len(calls) == 3
    assert caught.value.kind == "network"
    assert "cdn: " in str(caught.value)
