"""City-scale 亩均 evaluation of five years (2021–2025), time per stage (issue #5).

Target: all 5 years, loading included, in under 10 s on 2 cores.

Workload: the city demo store (30 000 firms, 40 000 parcels, 150 000 buildings, 58 000
occupancy records, ~146 000 indicator rows), profile ``ningbo-demo``; every year runs all the
engines of :func:`indspace.services.evaluation.compute` (land attribution, 亩均 scoring and
grading, 地企双评, differentiated policies with the earlier years' grades as history).

Loading: the static tables (enterprises, parcels, occupancy, buildings → per-parcel building
stats) are read ONCE and the indicators once for all years, then sliced per year
(:func:`load_all`, a benchmark-side loader: ``services.evaluation.load_inputs`` re-reads the
static tables every year). ``--check`` verifies that the sliced inputs give the same results
as ``load_inputs`` for one year.

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
import shapely

from indspace.core.engines.dual import evaluate_parcels, parcel_building_stats
from indspace.core.engines.land import active_in_year, attribute_land
from indspace.core.engines.mujun import evaluate
from indspace.core.engines.policies import apply_policies
from indspace.services.evaluation import (
    Inputs,
    compute,
    load_inputs,
    method_date,
    resolve_profile,
)
from indspace.store import Store

YEARS = range(2021, 2026)
PROFILE = "ningbo-demo"


def load_all(store: Store, years: range) -> dict[int, Inputs]:
    """Inputs of every year from one read of each table (same frames as ``load_inputs``)."""
    firms = store.read_frame("enterprises", columns=[
        "credit_code", "name", "district", "industry_code", "chain", "scale", "founded"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "area_m2", "right_start",
                                                   "district", "owner_credit_code"])
    occupancy = store.read_frame("occupancy", columns=[
        "credit_code", "parcel_id", "building_id", "role", "land_area_m2", "floor_area_m2",
        "start", "end"])
    b = store.read_frame("buildings", columns=["building_id", "parcel_id", "floors", "height_m",
                                               "gfa_m2", "geometry"])
    buildings = pd.DataFrame(b.drop(columns="geometry")).assign(
        footprint_m2=shapely.area(b.geometry.values))
    stats = parcel_building_stats(buildings, 8.0)
    indicators = store.read_frame("indicators")
    by_year = {int(y): g.reset_index(drop=True) for y, g in indicators.groupby("year")}
    return {y: Inputs(y, firms, by_year[y], parcels, occupancy, stats) for y in years}


def run_once(store: Store) -> dict[str, float]:
    """Load once, evaluate every year; seconds per stage (summed over the years)."""
    t: dict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    profile = resolve_profile(PROFILE)
    inputs = load_all(store, YEARS)
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
    """The sliced inputs give the same results as the service's per-year loader."""
    profile = resolve_profile(PROFILE)
    year = YEARS[-1]
    method = profile.evaluation_method(method_date(year))
    a = compute(load_all(store, range(year, year + 1))[year], method)
    b = compute(load_inputs(store, year), method)
    pd.testing.assert_frame_equal(a.results, b.results)
    pd.testing.assert_frame_equal(a.dual.parcels, b.dual.parcels)
    print(f"check: load_all == load_inputs for {year} (results, parcels)")


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
