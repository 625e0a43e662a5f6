"""Gap filling: scan a folder with the integrity check and fetch only its missing slots, and the
frames that are there but damaged (empty or truncated)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from goesvfi.core.config import RemoteSettings
from goesvfi.core.framefiles import dated_frames
from goesvfi.core.integrity import scan_folder
from goesvfi.core.jobs.control import CancelToken
from goesvfi.core.remote.base import FetchInputError
from goesvfi.core.remote.job import FetchRequest
from goesvfi.core.satellites import MESO_SECTORS, SECTOR_CODES, sector_product
from goesvfi.core.signatures import file_damage


def _dominant_frame_kind(folder: Path) -> tuple[int | None, int | None, str | None]:
    """The (satellite, band, sector) most files in ``folder`` are named for."""
    kinds = Counter((parsed.satellite, parsed.band, parsed.sector) for _, parsed in dated_frames(folder))
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
    product_name = product or (sector_product(sector_seen).name if sector_seen in SECTOR_CODES else None)
    if sat_name is None or band_value is None or product_name is None:
        raise FetchInputError(
            f"cannot tell satellite, product and band from the file names in {folder}",
            setting="fill",
            value=folder,
            hint="give the satellite, product and band",
        )
    report = scan_folder(folder, start=start, end=end, satellite=sat_name, cancel=cancel)
    meso = sector_seen if sector_seen in MESO_SECTORS else None
    request = FetchRequest(sat_name, product_name, band_value, folder, meso=meso, settings=settings)
    times = sorted({*report.missing, *_damaged_times(folder)})
    return replace(request, times=tuple(times), tolerance=report.tolerance or None)


def _damaged_times(folder: Path) -> list[datetime]:
    """Times of the frames in ``folder`` that are there but damaged (empty, truncated): the fetch
    replaces them (see :func:`goesvfi.core.signatures.file_damage`)."""
    return [parsed.timestamp for path, parsed in dated_frames(folder) if file_damage(path) is not None]
