"""Benchmark: render a synthetic full-disk 5424x5424 Band 13 file; print seconds and peak RSS.

Each renderer runs in its own child process so its peak RSS is its own:

* goesvfi: ``render_file`` (row blocks, packed-integer value table, streamed PNG), grey table;
* baseline: the naive way — xarray loads the whole ``Rad`` array (masked and scaled to
  float), Planck brightness temperature on the whole array, ``matplotlib.pyplot.imsave``.

Targets: goesvfi <= 2 s and <= 600 MB, and faster than the baseline. Figures only, never
pass/fail (the machine may be shared: CPU seconds, printed beside wall seconds, are less
sensitive to other load). Usage: ``python bench/bench_render.py [--size 5424]
[--colour grey] [--keep DIR]``; ``--band 2 --size 21696`` checks that a 21696² C02 file
completes in bounded memory (slow: the file alone takes minutes to generate).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# VmHWM is the peak RSS of this process image; ru_maxrss would carry the parent's peak over exec.
PEAK = """
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

OURS = (
    PEAK
    + """
import json, sys, time
from pathlib import Path
from goesvfi.core.render import RenderOptions, render_file
start, cpu = time.perf_counter(), time.process_time()
result = render_file(Path(sys.argv[1]), Path(sys.argv[2]), RenderOptions(colour=sys.argv[3],
                     downsample=int(sys.argv[4])))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss_mb = peak_rss_mb()
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb, "width": result.width,
                  "height": result.height}))
"""
)

BASELINE = (
    PEAK
    + """
import json, sys, time
import numpy as np, xarray as xr
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
start, cpu = time.perf_counter(), time.process_time()
ds = xr.open_dataset(sys.argv[1])
rad = ds["Rad"].values
fk1, fk2 = float(ds["planck_fk1"]), float(ds["planck_fk2"])
bc1, bc2 = float(ds["planck_bc1"]), float(ds["planck_bc2"])
with np.errstate(all="ignore"):
    bt = (fk2 / np.log(fk1 / rad + 1.0) - bc1) / bc2
plt.imsave(sys.argv[2] + "/baseline.png", bt, cmap="Greys", vmin=180, vmax=320)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss_mb = peak_rss_mb()
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb}))
"""
)


def child(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5424)
    parser.add_argument("--band", type=int, default=13)
    parser.add_argument("--colour", default="grey")
    parser.add_argument("--downsample", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="folder to keep the generated file and images in")
    args = parser.parse_args()

    from goesvfi.core.render.synthetic import write_abi_file

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-render-"))
    folder.mkdir(parents=True, exist_ok=True)
    nc = folder / f"synthetic_FD_C{args.band:02d}_{args.size}.nc"
    if not nc.exists():
        started = time.perf_counter()
        write_abi_file(
            nc,
            product="ABI-L1b-RadF",
            band=args.band,
            shape=(args.size, args.size),
            start=datetime(2025, 5, 8, 0, 0, 20, tzinfo=UTC),
        )
        print(
            f"generated {nc.name} ({nc.stat().st_size / 2**20:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
    ours = child(OURS, str(nc), str(folder), args.colour, str(args.downsample))
    print(
        f"goesvfi  render_file ({args.colour}, downsample {args.downsample}): {ours['seconds']:.2f} s "
        f"(CPU {ours['cpu']:.2f} s), peak RSS {ours['rss_mb']:.0f} MB, "
        f"{ours['width']:.0f}x{ours['height']:.0f}   [targets: <= 2 s, <= 600 MB]"
    )
    if not args.no_baseline:
        base = child(BASELINE, str(nc), str(folder))
        print(
            f"baseline xarray + matplotlib: {base['seconds']:.2f} s (CPU {base['cpu']:.2f} s), "
            f"peak RSS {base['rss_mb']:.0f} MB"
        )
        print(
            f"speed-up {base['seconds'] / ours['seconds']:.1f}x, "
            f"memory {base['rss_mb'] / ours['rss_mb']:.1f}x less"
        )


if __name__ == "__main__":
    main()
