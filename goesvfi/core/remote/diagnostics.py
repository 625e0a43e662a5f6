"""``goesvfi doctor``: time-boxed checks of the host, the network sources, proxies and the cache.

Every network check has a short time limit, so an offline machine gets a clear "offline"
answer in seconds instead of a hang. Name resolution runs in a daemon thread: a resolver that
never returns cannot keep the process alive.
"""

from __future__ import annotations

import asyncio
import platform
import socket
import sqlite3
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from goesvfi.core.config import RemoteSettings
from goesvfi.core.satellites import SATELLITES


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report."""

    name: str
    status: str  # ok | warn | fail | offline
    detail: str
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _resolve(host: str, port: int) -> asyncio.Future[list[Any]]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Any]] = loop.create_future()

    def work() -> None:
        try:
            result: list[Any] | BaseException = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result = exc
        loop.call_soon_threadsafe(_settle, future, result)

    threading.Thread(target=work, name=f"doctor-resolve-{host}", daemon=True).start()
    return future


def _settle(future: asyncio.Future[list[Any]], result: list[Any] | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


async def check_source(name: str, url: str, timeout_s: float) -> Check:
    """Resolve the host of ``url`` and send it one request, each within ``timeout_s``."""
    import aiohttp

    started = time.monotonic()
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(timeout_s):
            addresses = await _resolve(host, port)
    except (TimeoutError, OSError) as exc:
        reason = "no answer from DNS" if isinstance(exc, TimeoutError) else f"cannot resolve: {exc}"
        return Check(name, "offline", f"{host}: {reason}", time.monotonic() - started)
    address = addresses[0][4][0] if addresses else "?"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, trust_env=True) as session,
            session.head(url, allow_redirects=False) as response,
        ):
            status = response.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        detail = f"{host} ({address}) resolves but does not answer: {exc or type(exc).__name__}"
        return Check(name, "fail", detail, time.monotonic() - started)
    return Check(name, "ok", f"{url} answered HTTP {status}", time.monotonic() - started)


def _proxies() -> Check:
    found = urllib.request.getproxies()
    if not found:
        return Check("proxy", "ok", "no proxy configured")
    shown = ", ".join(f"{scheme}={value}" for scheme, value in sorted(found.items()))
    return Check("proxy", "ok", f"using {shown}")


def _cache() -> Check:
    from goesvfi.core.cache import default_cache_path

    path = default_cache_path()
    if not path.exists():
        return Check("cache", "ok", f"{path} not created yet (created on first scan)")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        return Check("cache", "fail", f"{path}: {exc}; delete it to start a fresh cache")
    if verdict != "ok":
        return Check("cache", "fail", f"{path} is damaged ({verdict}); delete it to start a fresh cache")
    return Check("cache", "ok", f"{path} passed an integrity check")


def source_urls(settings: RemoteSettings) -> dict[str, str]:
    """The URL each source is checked at: the S3 endpoint (or the newest bucket) and the CDN."""
    newest = max(SATELLITES, key=lambda sat: sat.number)
    s3 = settings.s3_endpoint or f"https://{newest.bucket}.s3.amazonaws.com"
    return {"s3": s3.rstrip("/") + "/", "cdn": settings.cdn_base.rstrip("/") + "/"}


async def run_checks(settings: RemoteSettings) -> list[Check]:
    """Every check, the network ones concurrently; the whole run takes about one time limit."""
    host = Check("python", "ok", f"Python {sys.version.split()[0]} on {platform.platform()}")
    network = await asyncio.gather(
        *(check_source(name, url, settings.doctor_timeout_s) for name, url in source_urls(settings).items())
    )
    return [host, *network, _proxies(), _cache()]


def run_checks_sync(settings: RemoteSettings) -> list[Check]:
    return asyncio.run(run_checks(settings))
