"""Reaching a Dask cluster (``pipeline.cluster``, ``goesvfi render``'s cluster): an address or ``local:N``.

``local:N`` starts a LocalCluster of N single-threaded worker processes on this machine for the
length of the job; any other address is a running scheduler (``dask scheduler``, see
docs/cluster.md), reached within :data:`CONNECT_TIMEOUT_S`. ``dask`` is imported only inside
these functions: nothing imports it unless a cluster is named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from goesvfi.core.errors import OperationError, UserInputError
from goesvfi.core.jobs.control import CancelToken

CONNECT_TIMEOUT_S = 5.0
"""How long to try reaching a scheduler before telling the user it cannot be reached."""
POLL_S = 0.25  # how often a client waiting for tasks looks at its cancel token

T = TypeVar("T")
R = TypeVar("R")


class ClusterAddressError(UserInputError):
    """``pipeline.cluster`` is neither a scheduler address nor ``local:N``."""


class ClusterUnreachableError(OperationError):
    """The scheduler at ``pipeline.cluster`` could not be reached."""


def local_workers(address: str) -> int | None:
    """N for ``local:N`` (a LocalCluster on this machine), None for a scheduler address."""
    if not address.startswith("local:"):
        return None
    count = address.removeprefix("local:")
    if not count.isdigit() or not 1 <= int(count) <= 256:
        raise ClusterAddressError(
            "a local cluster needs a number of worker processes from 1 to 256",
            setting="pipeline.cluster", value=address,
            hint="use local:N, for example local:4, or a scheduler address such as tcp://host:8786",
        )  # fmt: skip
    return int(count)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def connect(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address`` (``local:N`` starts, and afterwards stops, a
    LocalCluster); :class:`ClusterUnreachableError` when the scheduler cannot be reached."""
    workers = local_workers(address)
    from distributed import Client, LocalCluster

    if workers is not None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        try:
            with Client(cluster) as client:  # type: ignore[no-untyped-call]
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout=timeout_s)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterUnreachableError(
            f"cannot reach the Dask scheduler at {address} ({_first_line(exc)})",
            setting="pipeline.cluster", value=address,
            hint="start it with 'dask scheduler' (see docs/cluster.md), check the address, "
            "or leave the cluster setting empty to run on this machine",
        ) from None  # fmt: skip
    with client:
        yield client


def worker_count(client: Any) -> int:
    """Workers connected to the scheduler now (what a connection test reports)."""
    return len(client.scheduler_info()["workers"])


def has_gpu_workers(client: Any) -> bool:
    """Whether any worker was started with ``--resources GPU=N``."""
    workers = client.scheduler_info()["workers"].values()
    return any(worker.get("resources", {}).get("GPU", 0) > 0 for worker in workers)


def wait_each(futures: Sequence[Any], between: Callable[[], None] | None = None) -> Iterator[Any]:
    """The futures as they finish (any order), calling ``between()`` meanwhile (it raises to stop,
    or blocks to pause); the unfinished ones are cancelled when the caller stops early or raises."""
    from distributed import wait

    pending = set(futures)
    try:
        while pending:
            if between is not None:
                between()
            try:
                done, pending = wait(  # type: ignore[no-untyped-call]
                    pending, timeout=POLL_S, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:
                continue
            yield from done
    finally:
        for future in pending:
            future.cancel()


def map_on_cluster(
    address: str,
    function: Callable[[T], R],
    items: Sequence[T],
    on_done: Callable[[int, R | None, BaseException | None], None],
    cancel: CancelToken | None = None,
) -> None:
    """Run ``function(item)`` for each item as one task on the cluster at ``address``; call
    ``on_done(index, result, None)`` or ``on_done(index, None, error)`` as each finishes."""
    with connect(address) as client:
        futures = [client.submit(function, item, pure=False) for item in items]
        index = {future.key: i for i, future in enumerate(futures)}
        for future in wait_each(futures, cancel.raise_if_cancelled if cancel is not None else None):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - handed to the caller, which decides
                on_done(index[future.key], None, exc)
                continue
            on_done(index[future.key], result, None)
