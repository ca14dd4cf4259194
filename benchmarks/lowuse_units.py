"""Redevelopment units (连片改造单元) of low-efficiency parcels, next to a GeoPandas baseline.

Workload: 30 % of the demo parcels (seeded random choice, seed 6) stand in for the
low-efficiency parcels; gap 10 m. ``--scale city`` (40 000 parcels → 12 000 selected) or
``--scale province`` (1.2 M parcels in 90 county parts from ``iter_city_parts``, only
parcel_id, district and geometry kept per part → 360 000 selected; generating them takes a
few minutes and is not timed). The selection is written to a temporary GeoParquet and read
back before timing, as the pipeline reads parcels from storage (``--no-reload`` times the
frames as generated: the generator leaves a fragmented 1 GB heap in which creating GEOS
geometries and trees is several times slower).

ours: :func:`indspace.core.engines.units.delineate` — candidate pairs from a numpy grid over
the envelopes grown by the gap (no GEOS geometry or tree built), one exact ``shapely.dwithin``
per pair (int32, i < j), numpy connected components, and the stable unit ids (sha1 of the
sorted member ids), which the baseline does not compute.
baseline (written here, what an analyst would write; PERFORMANCE.md row "contiguous units"):
``gpd.sjoin(sel, sel, predicate="dwithin", distance=gap)`` → ``scipy.sparse.coo_matrix`` →
``scipy.sparse.csgraph.connected_components``. Its spatial index is dropped after every run
(GeoPandas caches it on the frame), so both sides build and free one index per run.
Both must give the same partition (asserted). Time: min/median of ``--repeat`` runs; memory:
the tracemalloc peak of one more run (Python and numpy buffers; GEOS and Arrow allocate
outside it), and the peak resident memory one more run adds (Linux VmHWM, reset before the
run; this one sees every allocation).
Target (issue #6): the city in under 5 s; ours at least as fast as the baseline, less memory.

The baseline needs scipy, which is not an indspace dependency:
``.tools/bin/uv pip install --python .venv/bin/python scipy`` (a ``make setup``/``uv sync``
removes it again).

Run: ``.venv/bin/python benchmarks/lowuse_units.py [--scale small|city|province] [--repeat 3]
[--no-reload]``
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import tempfile
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from _harness import measure, report

from indspace.core.engines.units import delineate
from indspace.demo.city import build_city, iter_city_parts

GAP_M = 10.0
SHARE = 0.30
SEED = 6

try:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
except ImportError as exc:            # pragma: no cover - message for the person running it
    raise SystemExit("the baseline needs scipy: .tools/bin/uv pip install --python "
                     ".venv/bin/python scipy") from exc


def load_parcels(scale: str) -> gpd.GeoDataFrame:
    cols = ["parcel_id", "district", "geometry"]
    if scale != "province":
        return build_city(scale).parcels[cols]
    parts = []
    for part in iter_city_parts("province"):
        parts.append(part.parcels[cols].copy())
        del part                                      # drop buildings, firms … of the part
    return pd.concat(parts, ignore_index=True)


def baseline(sel: gpd.GeoDataFrame, gap: float) -> np.ndarray:
    try:
        pairs = gpd.sjoin(sel, sel, predicate="dwithin", distance=gap)
        n = len(sel)
        graph = coo_matrix((np.ones(len(pairs), dtype=np.int8),
                            (pairs.index.to_numpy(), pairs["index_right"].to_numpy())),
                           shape=(n, n))
        return connected_components(graph, directed=False)[1]
    finally:
        sel.geometry.values._sindex = None    # GeoPandas caches the index: drop it each run


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))


def rss_peak_mib(fn: Callable[[], object]) -> float:
    """Peak resident memory one run adds (MiB): VmHWM after the run − VmRSS before, with the
    high-water mark reset (Linux ``clear_refs``) and freed heap returned to the system first.
    Unlike tracemalloc this sees GEOS's and Arrow's own allocations too."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    fn()
    return (_status_kib("VmHWM") - before) / 2**10


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = len(np.unique(np.stack([a, b]), axis=1).T)
    return pairs == len(np.unique(a)) == len(np.unique(b))


def bench_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-reload", action="store_true",
                    help="time on the parcels as generated (no GeoParquet round trip)")
    return ap.parse_args()


def main() -> None:
    args = bench_args()
    t0 = time.perf_counter()
    parcels = load_parcels(args.scale)
    rng = np.random.default_rng(SEED)
    pick = np.sort(rng.choice(len(parcels), round(SHARE * len(parcels)), replace=False))
    sel = parcels.iloc[pick].reset_index(drop=True)
    del parcels
    if not args.no_reload:        # as the pipeline gets them: read back from storage
        with tempfile.TemporaryDirectory() as tmp:
            sel.to_parquet(f"{tmp}/sel.parquet")
            del sel
            gc.collect()
            sel = gpd.read_parquet(f"{tmp}/sel.parquet")
    print(f"scale={args.scale}: {len(sel):,} low-efficiency parcels (30 %), gap {GAP_M:g} m; "
          f"data ready in {time.perf_counter() - t0:.0f} s")

    members = delineate(sel, GAP_M)
    ours_labels = pd.factorize(
        members.set_index("parcel_id")["unit_id"].reindex(sel["parcel_id"]))[0]
    base_labels = baseline(sel, GAP_M)
    assert same_partition(ours_labels, base_labels), "partitions differ"
    sizes = members.groupby("unit_id").size()
    print(f"same partition as the baseline: {len(sizes):,} units, "
          f"{(sizes > 1).sum():,} of 2+ parcels, largest {sizes.max()} parcels")
    ours = measure(lambda: delineate(sel, GAP_M), args.repeat)
    base = measure(lambda: baseline(sel, GAP_M), args.repeat)
    print(report(f"units of {len(sel):,} parcels, gap {GAP_M:g} m (memory: tracemalloc peak)",
                 ours, base, "sjoin+cc"))
    print(f"  memory ratio (indspace / baseline, tracemalloc): "
          f"{ours['peak_mib'] / base['peak_mib']:.2f}×")
    ours_rss = rss_peak_mib(lambda: delineate(sel, GAP_M))
    base_rss = rss_peak_mib(lambda: baseline(sel, GAP_M))
    print(f"  peak RSS added by one run: indspace {ours_rss:.0f} MiB, baseline {base_rss:.0f} MiB "
          f"({ours_rss / max(base_rss, 1e-9):.2f}×)")
    print(f"  process peak RSS (whole run, data generation included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")
    if args.scale == "city":
        print(f"  issue #6 target, city units < 5 s: {ours['min_s']:.2f} s "
              f"({'met' if ours['min_s'] < 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
