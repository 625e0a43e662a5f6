"""From settings to a fetch: the one way a front end (CLI, GUI) makes a :class:`FetchRequest`.

Defaults: the satellite in the East role at each scan's time (the satellite registry knows when
each one held it), the CONUS radiances ``ABI-L1b-RadC``, band 13 (clean IR), and the ``remote``
settings section.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from goesvfi.core.config import RemoteSettings
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.remote.base import FetchInputError
from goesvfi.core.remote.fill import fill_request
from goesvfi.core.remote.job import FetchRequest
from goesvfi.core.satellites import get_product

DEFAULT_SATELLITE = "east"
DEFAULT_PRODUCT = "ABI-L1b-RadC"
DEFAULT_BAND = 13


def build_fetch_request(
    remote: RemoteSettings,
    *,
    dest: Path | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    satellite: str | None = None,
    product: str | None = None,
    band: int | None = None,
    meso: str | None = None,
    fill: Path | None = None,
    follow: bool = False,
    cancel: CancelToken | None = None,
) -> FetchRequest:
    """The fetch asked for, checked; raises :class:`FetchInputError` naming the field at fault.

    ``fill``: fetch only the frames that folder is missing (satellite, product and band default
    to what its file names say). ``follow``: keep ``dest`` up to date, so no end is needed.
    """
    if band is not None and not 1 <= band <= 16:
        raise FetchInputError("not an ABI band", setting="band", value=band, hint="use 1 to 16")
    if meso not in (None, "M1", "M2"):
        raise FetchInputError("unknown mesoscale sector", setting="meso", value=meso, hint="use M1 or M2")
    if product is not None:
        get_product(product)  # an unknown product is refused here, before any network
    if start is not None and end is not None and end < start:
        raise FetchInputError(
            "the end is before the start", setting="end", value=f"{end:%Y-%m-%dT%H:%M}Z",
            hint="give an end time after the start",
        )  # fmt: skip
    if fill is not None:
        if follow:
            raise FetchInputError(
                "following new scans keeps a destination folder up to date; it cannot fill one",
                setting="fill", value=fill, hint="fill the folder first, then follow it",
            )  # fmt: skip
        if dest is not None and dest.resolve() != fill.resolve():
            raise FetchInputError(
                "filling writes into the folder it fills", setting="dest", value=dest,
                hint="leave the destination out, or make it the folder to fill",
            )  # fmt: skip
        return fill_request(
            fill, satellite=satellite, product=product, band=band, start=start, end=end,
            settings=remote, cancel=cancel,
        )  # fmt: skip
    if dest is None:
        raise FetchInputError(
            "no destination folder", setting="dest", hint="choose a folder to write into, or one to fill"
        )
    if not follow and (start is None or end is None):
        raise FetchInputError(
            "a fetch needs a start and an end time", setting="start" if start is None else "end",
            hint="give both times, fill a folder, or follow new scans",
        )  # fmt: skip
    request = FetchRequest(
        satellite or DEFAULT_SATELLITE,
        product or DEFAULT_PRODUCT,
        DEFAULT_BAND if band is None else band,
        dest,
        start=start,
        end=end,
        meso=meso,
        settings=remote,
    )
    if not follow:
        request.wanted_frames()  # every other check (satellite, range size) before any network
    return request
