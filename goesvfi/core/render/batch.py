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
) -> BatchResult:
    """Render each of ``paths`` into ``out_dir``; cancellation stops the batch, errors do not."""
    batch = BatchResult()
    for path in paths:
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            result = render_file(path, out_dir, options, cancel=cancel)
        except CancelledByUser:
            raise
        except (GoesVfiError, OSError) as exc:  # OSError: writing the image (a full disk, say)
            message = str(exc) if isinstance(exc, GoesVfiError) else f"{path}: {exc.strerror or exc}"
            batch.errors.append((path, message))
            if on_result is not None:
                on_result(path, None, message)
            continue
        batch.outputs.append(result)
        if on_result is not None:
            on_result(path, result, None)
    return batch
