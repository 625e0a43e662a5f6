"""Render many files: one bad file is reported and the batch goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from goesvfi.core.errors import GoesVfiError
from goesvfi.core.jobs.control import CancelledByUser
from goesvfi.core.render.api import RenderOptions, RenderResult, render_file

if TYPE_CHECKING:
    from goesvfi.core.jobs.control import CancelToken


@dataclass
class BatchResult:
    """What a batch produced: rendered files and, per failed input, its one-line message."""

    outputs: list[RenderResult] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, list[dict[str, object]]]:
        return {
            "outputs": [result.to_json() for result in self.outputs],
            "errors": [{"input": str(path), "message": message} for path, message in self.errors],
        }


def render_batch(
    paths: Iterable[Path],
    out_dir: Path,
    options: RenderOptions,
    *,
    cancel: CancelToken | None = None,
    on_result: Callable[[Path, RenderResult | None, str | None], None] | None = None,
    cluster: str = "",
) -> BatchResult:
    """Render each of ``paths`` into ``out_dir``; cancellation stops the batch, errors do not.

    ``cluster`` (a Dask scheduler address or ``local:N``) renders each file as one task on its
    workers, which write the PNGs (atomically) into ``out_dir``: a folder they must reach.
    """
    if cluster:
        return _render_on_cluster(list(paths), out_dir, options, cancel, on_result, cluster)
    batch = BatchResult()
    for path in paths:
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            result = render_file(path, out_dir, options, cancel=cancel)
        except CancelledByUser:
            raise
        except (GoesVfiError, OSError) as exc:  # OSError: writing the image (a full disk, say)
            message = _message(path, exc)
            batch.errors.append((path, message))
            if on_result is not None:
                on_result(path, None, message)
            continue
        batch.outputs.append(result)
        if on_result is not None:
            on_result(path, result, None)
    return batch


def _message(path: Path, exc: GoesVfiError | OSError) -> str:
    return str(exc) if isinstance(exc, GoesVfiError) else f"{path}: {exc.strerror or exc}"


def _render_one(job: tuple[Path, Path, RenderOptions]) -> RenderResult:
    """One file, on a cluster worker."""
    return render_file(*job)


def _render_on_cluster(
    paths: list[Path],
    out_dir: Path,
    options: RenderOptions,
    cancel: CancelToken | None,
    on_result: Callable[[Path, RenderResult | None, str | None], None] | None,
    cluster: str,
) -> BatchResult:
    from goesvfi.core.jobs.cluster import map_on_cluster

    results: dict[int, RenderResult] = {}
    batch = BatchResult()

    def done(index: int, result: RenderResult | None, error: BaseException | None) -> None:
        path = paths[index]
        if isinstance(error, GoesVfiError | OSError):
            message = _message(path, error)
            batch.errors.append((path, message))
            if on_result is not None:
                on_result(path, None, message)
            return
        if error is not None:
            raise error
        assert result is not None
        results[index] = result
        if on_result is not None:
            on_result(path, result, None)

    map_on_cluster(cluster, _render_one, [(path, out_dir, options) for path in paths], done, cancel)
    batch.outputs = [results[index] for index in sorted(results)]
    return batch
