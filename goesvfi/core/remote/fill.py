"""Gap filling: scan a folder with the integrity check and fetch only its missing slots, and the
frames that are there but damaged (empty or truncated)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from goesvfi.core.config import RemoteSettings
from goesvfi.core.integrity import scan_folder
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.remote.base import FetchInputError
from goesvfi.core.remote.job import FetchRequest
from goesvfi.core.signatures import file_damage
from goesvfi.core.timeindex import AmbiguousNameError, parse_name

SECTOR_PRODUCT = {"FD": "ABI-L1b-RadF", "CONUS": "ABI-L1b-RadC", "M1": "ABI-L1b-RadM", "M2": "ABI-L1b-RadM"}


def _dominant_frame_kind(folder: Path) -> tuple[int | None, int | None, str | None]:
    """The (satellite, band, sector) most files in ``folder`` are named for."""
    kinds: Counter[tuple[int | None, int | None, str | None]] = Counter()
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        try:
            parsed = parse_name(path.name)
        except AmbiguousNameError:
            continue
        if parsed is not None:
            kinds[(parsed.satellite, parsed.band, parsed.sector)] += 1
    return kinds.most_common(1)[0][0] if kinds else (None, None, None)


def fill_request(
    folder: Path,
    *,
    satellite: str | None = None,
    product: str | None = None,
    band: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    settings: RemoteSettings,
    cancel: CancelToken | None = None,
) -> FetchRequest:
    """A request for exactly the slots the integrity scan of ``folder`` reports missing.

    Satellite, band and sector default to what the folder's file names say.
    """
    if not folder.is_dir():
        raise FetchInputError(
            "this is not a folder", setting="fill", value=folder, hint="give the folder to complete"
        )
    sat_seen, band_seen, sector_seen = _dominant_frame_kind(folder)
    sat_name = satellite or (f"GOES-{sat_seen}" if sat_seen else None)
    band_value = band or band_seen
    product_name = product or SECTOR_PRODUCT.get(sector_seen or "")
    if sat_name is None or band_value is None or product_name is None:
        raise FetchInputError(
            f"cannot tell satellite, product and band from the file names in {folder}",
            setting="fill",
            value=folder,
            hint="give the satellite, product and band",
        )
    report = scan_folder(folder, start=start, end=end, satellite=sat_name, cancel=cancel)
    meso = sector_seen if sector_seen in ("M1", "M2") else None
    request = FetchRequest(sat_name, product_name, band_value, folder, meso=meso, settings=settings)
    times = sorted({*report.missing, *_damaged_times(folder)})
    return replace(request, times=tuple(times), tolerance=report.tolerance or None)


def _damaged_times(folder: Path) -> list[datetime]:
    """Times of the frames in ``folder`` that are there but damaged (empty, truncated): the fetch
    replaces them (see :func:`goesvfi.core.signatures.file_damage`)."""
    times = []
    for path in folder.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            parsed = parse_name(path.name)
        except AmbiguousNameError:
            continue
        if parsed is not None and file_damage(path) is not None:
            times.append(parsed.timestamp)
    return times
