"""City-scale 亩均 evaluation of five years (2021–2025), time per stage (issue #5).

Target: all 5 years, loading included, in under 10 s on 2 cores.

Workload: the city demo store (30 000 firms, 40 000 parcels, 150 000 buildings, 58 000
occupancy records, ~146 000 indicator rows), profile ``ningbo-demo``; every year runs all the
engines of :func:`indspace.services.evaluation.compute` (land attribution, 亩均 scoring and
grading, 地企双评, differentiated policies with the earlier years' grades as history).

Loading: :func:`indspace.services.evaluation.load_years` reads the static tables
(enterprises, parcels, occupancy, buildings → per-parcel building stats) ONCE for all years and
the indicators per year (the service's run, explain and zone roll-up load the same way).
``--check`` verifies that the multi-year inputs equal ``load_inputs`` for every year (same
digest) and give the same results for one year.

Run: ``.venv/bin/python benchmarks/evaluate_city.py [--db city.gpkg] [--repeat 3] [--check]``
(without ``--db`` the city demo store is built first into a temporary folder, ~10 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from indspace.core.engines.dual import evaluate_parcels
from indspace.core.engines.land import active_in_year, attribute_land
from indspace.core.engines.mujun import evaluate
from indspace.core.engines.policies import apply_policies
from indspace.services.evaluation import (
    compute,
    load_inputs,
    load_years,
    method_date,
    resolve_profile,
)
from indspace.store import Store

YEARS = range(2021, 2026)
PROFILE = "ningbo-demo"


def run_once(store: Store) -> dict[str, float]:
    """Load once, evaluate every year; seconds per stage (summed over the years)."""
    t: dict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    profile = resolve_profile(PROFILE)
    inputs = load_years(store, YEARS, required=YEARS)
    t["load (once)"] = time.perf_counter() - t0
    history: list[pd.DataFrame] = []
    for year in YEARS:
        inp = inputs[year]
        method = profile.evaluation_method(method_date(year))
        s = time.perf_counter()
        parcels = inp.parcels.merge(inp.building_stats[["parcel_id", "floor_area_m2"]],
                                    on="parcel_id", how="left")
        att = attribute_land(parcels, inp.occupancy, year,
                             merge_landless_tenants=method.attribution_mode == "owner_merged")
        t["attribute_land"] += time.perf_counter() - s
        s = time.perf_counter()
        ev = evaluate(inp.firms, inp.indicators, att, method, year)
        t["evaluate (mujun)"] += time.perf_counter() - s
        s = time.perf_counter()
        occ = inp.occupancy[active_in_year(inp.occupancy, year)]
        occupied = occ.groupby("parcel_id", as_index=False)["floor_area_m2"].sum().rename(
            columns={"floor_area_m2": "occupied_floor_m2"})
        figures = inp.firms[["credit_code", "scale"]].merge(inp.indicators, on="credit_code",
                                                            how="inner")
        evaluate_parcels(inp.parcels, inp.building_stats, occupied, att, figures, ev.results,
                         method, year)
        t["evaluate_parcels (dual)"] += time.perf_counter() - s
        s = time.perf_counter()
        hist = (pd.concat(history, ignore_index=True) if history else
                pd.DataFrame(columns=["credit_code", "year", "policy_grade"]))
        apply_policies(ev.results, inp.indicators, hist, method.policies, year)
        history.append(ev.results[["credit_code", "policy_grade"]].assign(year=year))
        t["apply_policies"] += time.perf_counter() - s
    t["total"] = time.perf_counter() - t0
    return t


def check(store: Store) -> None:
    """The multi-year inputs equal the one-year loader's and give the same results."""
    profile = resolve_profile(PROFILE)
    loaded = load_years(store, YEARS, required=YEARS)
    for y in YEARS:
        assert loaded[y].digest() == load_inputs(store, y).digest(), y
    year = YEARS[-1]
    method = profile.evaluation_method(method_date(year))
    a = compute(loaded[year], method)
    b = compute(load_inputs(store, year), method)
    pd.testing.assert_frame_equal(a.results, b.results)
    pd.testing.assert_frame_equal(a.dual.parcels, b.dual.parcels)
    print(f"check: load_years == load_inputs for {YEARS.start}–{YEARS.stop - 1} (digests), "
          f"{year} (results, parcels)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="an existing city demo store (else built)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    db = args.db
    if db is None:
        from indspace.services.demo import build_demo_store

        db = str(Path(tempfile.mkdtemp()) / "city.gpkg")
        t0 = time.perf_counter()
        build_demo_store(db, scale="city")
        print(f"built the city demo store in {time.perf_counter() - t0:.1f} s: {db}")
    store = Store.open(db)
    if args.check:
        check(store)
    runs = [run_once(store) for _ in range(args.repeat)]
    print(f"5-year evaluation {YEARS.start}–{YEARS.stop - 1}, profile {PROFILE}, "
          f"{args.repeat} runs (target: total < 10 s)")
    for stage in runs[0]:
        v = [r[stage] for r in runs]
        print(f"  {stage:24s} min {min(v):6.2f} s  median {statistics.median(v):6.2f} s")


if __name__ == "__main__":
    main()
