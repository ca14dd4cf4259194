"""亩均 score + quota grade of 1 M enterprise-years, side by side with plain pandas (issue #5).

Workload (generated, seeded): 200 000 firms × 5 years in 12 districts; 30 % above scale;
land 0.5–300 亩 (log-normal); revenue, tax, value added, R&D, employees, energy,
electricity, emissions in realistic ranges, ~3 % of emissions missing.
Method (both sides): one population (every firm with land), the six indicators of the
``ningbo-demo`` above-scale set (亩均税收 30, 亩均增加值 20, 单位能耗增加值 20, 单位排放增加值 10
— missing → the district's mean points —, 全员劳动生产率 10, R&D 强度 10), benchmarks = the
district's Σnumerator ÷ Σdenominator, points capped at 2 × weight, rank quota by district
(A ≤ 25 %, B ≤ 70 %, C ≤ 95 %, else D; rank = 1 + firms with a strictly higher score).
No tenants, exemptions, adjustments or vetoes.

* indspace: the method is read from a policy profile (``PROFILE``, through the memoised
  policy book) and :func:`indspace.core.engines.mujun.evaluate_years` evaluates the five
  years into one frame (:func:`~indspace.core.engines.mujun.evaluate` once per year, land
  given as an :class:`~indspace.core.engines.land.Attribution`: firms only, no links; each
  year kept compact, the frame joined column by column);
* baseline: the same formula and quota rule as plain pandas ``groupby`` over all 1 M rows at
  once (:func:`pandas_baseline`); a check ties its constants to the profile's values.
Like with like: both return, per enterprise-year, each indicator's value and points, the
score, the rank, the group size and the grade, and must agree on all of them (1e-9; grades
exactly); the engine also returns status, reason, population and group labels, which the
baseline has no equivalent for (as categoricals: few distinct values). Time is min /
median over ``--repeat``, memory the tracemalloc peak of one extra run
(``_harness.measure``). tracemalloc sees NumPy and Python allocations but not Arrow's own
allocator, which holds the pyarrow-backed string columns (credit codes, districts) of both
sides; so the peak resident memory is measured too, each side in a fresh process on the same
generated data (``--rss``: the rise of VmHWM over VmRSS before the run, Linux). For
reference the script also measures the yearly results joined by ``pd.concat`` (the way
before ``evaluate_years``), which holds every year twice at the end.

Run: ``.venv/bin/python benchmarks/mujun_1m.py [--firms 200000] [--years 5] [--repeat 3]
[--cpu] [--rss]``; ``--cpu`` also compares process CPU time (the three functions rotated in one
process, ``--repeat`` runs each, min), steadier than wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from _harness import measure, report

from indspace.core.engines.land import Attribution
from indspace.core.engines.mujun import evaluate, evaluate_years
from indspace.core.policy import parse_profile
from indspace.core.policy.evaluation import EvaluationMethod

MU_M2 = 2000 / 3
QUOTAS = {"A": 0.25, "B": 0.70, "C": 0.95}
CAP = 2.0
# name, numerator, denominator, weight, factor, missing → district mean points
INDICATORS = (("tax_per_mu", "tax", "land_area_mu", 30, 1.0, False),
              ("value_added_per_mu", "value_added", "land_area_mu", 20, 1.0, False),
              ("value_added_per_energy", "value_added", "energy_tce", 20, 1.0, False),
              ("value_added_per_emission", "value_added", "emissions", 10, 1.0, True),
              ("labour_productivity", "value_added", "employees", 10, 1.0, False),
              ("rd_intensity", "rd_spend", "revenue", 10, 1.0, False))


PROFILE = """\
id: bench-1m
version: "1"
jurisdiction: benchmark
description: the six above-scale indicators of ningbo-demo, one population, district quotas
evaluation:
  2020-01-01:
    source: benchmarks/mujun_1m.py
    confidence: I
    method:
      attribution_mode: tenant_separate
      populations:
        - {name: all, label: 全部, scale: any, indicator_set: all}
      indicator_sets:
        all:
          score_cap_ratio: 2.0
          indicators:
            - {name: tax_per_mu, label: 亩均税收, unit: 万元/亩, numerator: tax,
               denominator: land_area_mu, weight: 30,
               benchmark: &d {mode: group_average, group_by: [district],
                              average_method: aggregate_ratio}}
            - {name: value_added_per_mu, label: 亩均增加值, unit: 万元/亩,
               numerator: value_added, denominator: land_area_mu, weight: 20, benchmark: *d}
            - {name: value_added_per_energy, label: 单位能耗增加值, unit: 万元/tce,
               numerator: value_added, denominator: energy_tce, weight: 20, benchmark: *d}
            - {name: value_added_per_emission, label: 单位排放增加值, unit: 万元/t,
               numerator: value_added, denominator: emissions, weight: 10, benchmark: *d,
               when_missing: average_score}
            - {name: labour_productivity, label: 全员劳动生产率, unit: 万元/人·年,
               numerator: value_added, denominator: employees, weight: 10, benchmark: *d}
            - {name: rd_intensity, label: R&D强度, unit: "1", numerator: rd_spend,
               denominator: revenue, weight: 10, benchmark: *d}
      exemptions: {}
      adjustments: {veto_columns: []}
      grading: {mode: rank_quota, group_by: [district],
                quotas: {A: 0.25, B: 0.70, C: 0.95}, min_group_size: 20}
"""
"""The method as a policy profile (read through the policy book, as a run reads it)."""


def method() -> EvaluationMethod:
    """The profile's method in force in 2025 (parsed once per text: the memoised book)."""
    return parse_profile(PROFILE, "bench-1m.yaml").evaluation_method(date(2025, 12, 31))


def _check_profile_matches_the_baseline(m: EvaluationMethod) -> None:
    """The baseline's constants are the profile's values (one formula, one rule)."""
    inds = m.indicator_sets["all"].indicators
    assert [(i.name, i.numerator, i.denominator, i.weight, i.factor,
             i.when_missing == "average_score") for i in inds] == [
        (n, a, b, float(w), f, avg) for n, a, b, w, f, avg in INDICATORS]
    assert m.indicator_sets["all"].score_cap_ratio == CAP
    assert m.grading.quotas == QUOTAS and m.grading.group_by == ("district",)


def generate(n_firms: int, years: range, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms (static) and one indicator row per firm and year."""
    rng = np.random.default_rng(seed)
    codes = pd.array([f"91330200MA{i:08d}" for i in range(n_firms)], dtype="str")
    districts = np.array([f"3302{d:02d}" for d in range(1, 13)], dtype=object)
    firms = pd.DataFrame({
        "credit_code": codes,
        "district": pd.array(districts[rng.integers(0, len(districts), n_firms)], dtype="str"),
        "industry_code": pd.array(rng.choice(["3311", "3411", "3670", "2929"], n_firms),
                                  dtype="str"),
        "scale": pd.array(np.where(rng.random(n_firms) < 0.3, "above", "below"), dtype="str"),
        "founded": pd.Timestamp("2005-01-01"),
        "land_area_mu": np.clip(rng.lognormal(2.5, 1.1, n_firms), 0.5, 300.0)})
    size = firms["land_area_mu"].to_numpy() * np.where(firms["scale"] == "above", 3.0, 1.0)
    rows = []
    for y in years:
        g = rng.lognormal(0.0, 0.5, n_firms) * size          # firm-year vigour × land
        revenue = g * rng.uniform(200, 600, n_firms)         # 万元
        emissions = g * rng.uniform(0.5, 5.0, n_firms)       # t
        emissions[rng.random(n_firms) < 0.03] = np.nan
        rows.append(pd.DataFrame({
            "credit_code": codes, "year": y, "revenue": revenue,
            "tax": revenue * rng.uniform(0.01, 0.08, n_firms),
            "value_added": revenue * rng.uniform(0.15, 0.35, n_firms),
            "rd_spend": revenue * rng.uniform(0.0, 0.05, n_firms),
            "employees": np.ceil(g * rng.uniform(2, 12, n_firms)),
            "energy_tce": g * rng.uniform(5, 60, n_firms),
            "electricity_kwh": g * rng.uniform(3e4, 3e5, n_firms),
            "emissions": emissions}))
    return firms, pd.concat(rows, ignore_index=True)


def land_attribution(firms: pd.DataFrame) -> Attribution:
    """The land engine's output for firms that each own one parcel (no leases)."""
    mu = firms["land_area_mu"].to_numpy()
    land = pd.DataFrame({
        "credit_code": firms["credit_code"], "owned_m2": mu * MU_M2, "leased_m2": 0.0,
        "leased_out_m2": 0.0, "merged": False, "land_m2": mu * MU_M2, "land_area_mu": mu,
        "n_parcels": 1, "first_right_start": pd.Timestamp("2005-01-01"), "landlord": None})
    links = pd.DataFrame({"credit_code": pd.Series([], dtype="str"),
                          "parcel_id": pd.Series([], dtype="str"),
                          "tenure": pd.Series([], dtype="str"), "land_m2": [], "merged": False,
                          "landlord": pd.Series([], dtype="str"), "merge_weight": []})
    return Attribution(firms=land, links=links)


def pandas_baseline(firms: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    """The same formula and quota rule, hand-written with pandas groupby over all years at
    once, returning what the engine's result holds for these firms: each indicator's value
    and points, the score, the rank, the group size and the grade."""
    df = ind.merge(firms[["credit_code", "district", "land_area_mu"]], on="credit_code")
    keys = [df["year"], df["district"]]
    score = pd.Series(0.0, index=df.index)
    for name, a, b, w, f, avg in INDICATORS:
        num, den = df[a], df[b]
        ok = num.notna() & den.notna() & (den > 0)
        value = (num / den * f).where(ok)
        bench = (num.where(ok, 0.0).groupby(keys).transform("sum")
                 / den.where(ok, 0.0).groupby(keys).transform("sum") * f)
        pts = (value.clip(lower=0.0) / bench * w).where(bench > 0).clip(upper=CAP * w)
        if avg:
            pts = pts.fillna(pts.groupby(keys).transform("mean"))
        pts = pts.fillna(0.0)
        df[name] = value
        df[f"{name}_points"] = pts
        score = score + pts
    df["score"] = score
    rank = score.round(9).groupby(keys).rank(method="min", ascending=False)
    size = score.groupby(keys).transform("size")
    share = rank / size
    df["rank"] = rank
    df["group_size"] = size.astype("float64")
    df["grade"] = np.select([share <= QUOTAS["A"], share <= QUOTAS["B"], share <= QUOTAS["C"]],
                            ["A", "B", "C"], "D")
    cols = [n for n, *_ in INDICATORS]
    return df[["credit_code", "year", "district", "land_area_mu", *cols,
               *(f"{c}_points" for c in cols), "score", "rank", "group_size", "grade"]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=200_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", action="store_true", help="also compare process CPU time")
    ap.add_argument("--rss", action="store_true",
                    help="also compare the peak resident memory, each side in a fresh process")
    ap.add_argument("--rss-child", choices=("ours", "pandas"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    years = range(2025 - args.years + 1, 2026)
    firms, ind = generate(args.firms, years)
    per_year = {y: g.drop(columns="year").reset_index(drop=True)
                for y, g in ind.groupby("year")}
    att, m = land_attribution(firms), method()
    _check_profile_matches_the_baseline(m)
    registry = firms.drop(columns="land_area_mu")       # the enterprises table

    def ours() -> pd.DataFrame:
        return evaluate_years(registry, per_year, att, m)

    def concatenated() -> pd.DataFrame:
        return pd.concat([evaluate(registry, per_year[y], att, m, y).results for y in years],
                         ignore_index=True)

    def baseline() -> pd.DataFrame:
        return pandas_baseline(firms, ind)

    if args.rss_child:
        print(rss_rise(ours if args.rss_child == "ours" else baseline))
        return
    print(f"{args.firms:,} firms × {len(years)} years = {len(ind):,} enterprise-years")

    a = ours()
    b = baseline().sort_values(["year", "credit_code"], ignore_index=True)
    assert (a["credit_code"].to_numpy() == b["credit_code"].to_numpy()).all()
    numbers = [c for c in b.columns if c not in ("credit_code", "year", "district", "grade")]
    for col in numbers:            # values, points, score, rank, group size: the same rows
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float),
                                   rtol=1e-9, atol=1e-9, err_msg=col)
    assert (a["grade"].to_numpy(object) == b["grade"].to_numpy(object)).all(), "grades differ"
    c = concatenated()
    assert list(a.columns) == list(c.columns)
    for col in c.columns:          # the same frame as the yearly results joined
        left, right = a[col], c[col]
        if isinstance(left.dtype, pd.CategoricalDtype):
            left, right = left.astype(object), right.astype(object)
        pd.testing.assert_series_equal(left, right, check_exact=True, check_dtype=False,
                                       obj=col)
    del c
    print(f"same values, points, scores, ranks (1e-9) and grades; grades "
          f"{a['grade'].value_counts().to_dict()}")
    del a, b
    title = "亩均 score + quota grade, 1 M enterprise-years (tracemalloc peak)"
    print(report(title, measure(ours, args.repeat), measure(baseline, args.repeat), "pandas"))
    print(report(title + " — yearly results + pd.concat",
                 measure(concatenated, args.repeat), measure(baseline, 1), "pandas"))
    if args.cpu:
        print(cpu_times({"evaluate_years": ours, "yearly + pd.concat": concatenated,
                         "pandas": baseline}, args.repeat))
    if args.rss:
        rise = {}
        for side in ("ours", "pandas", "ours", "pandas"):     # twice each, interleaved
            out = subprocess.run([sys.executable, __file__, "--rss-child", side,
                                  "--firms", str(args.firms), "--years", str(args.years)],
                                 check=True, capture_output=True, text=True).stdout
            rise.setdefault(side, []).append(float(out.split()[-1]))
        print("peak resident memory over the run (VmHWM − VmRSS before, fresh process, "
              "max of 2):\n" + "\n".join(f"  {k:8s}: {max(v):.0f} MiB" for k, v in rise.items()))


def _status_mib(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_rise(fn: Any) -> float:
    """How far the resident set rises above its size before ``fn()`` (MiB): the high-water
    mark is reset first (``clear_refs`` 5, Linux ≥ 4.0), then read after the run. Counts
    every allocator — NumPy's, Python's and Arrow's."""
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")
    before = _status_mib("VmRSS")
    result = fn()
    peak = _status_mib("VmHWM")
    del result
    return peak - before


def cpu_times(fns: dict[str, Any], repeat: int) -> str:
    """Process CPU time and wall time of each function, min over ``repeat`` rounds (order
    rotated every round, so that a busy moment of the machine does not fall on one side
    only), and each one's ratio to the last (the baseline)."""
    names = list(fns)
    cpu: dict[str, list[float]] = {k: [] for k in names}
    wall: dict[str, list[float]] = {k: [] for k in names}
    for r in range(repeat):
        for k in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            t0, w0 = time.process_time(), time.perf_counter()
            fns[k]()
            cpu[k].append(time.process_time() - t0)
            wall[k].append(time.perf_counter() - w0)
    base_cpu, base_wall = min(cpu[names[-1]]), min(wall[names[-1]])
    return f"rotated rounds (min of {repeat}), CPU time and wall time:\n" + "\n".join(
        f"  {k:20s}: CPU {min(cpu[k]):.2f} s ({min(cpu[k]) / base_cpu:.2f}×)  "
        f"wall {min(wall[k]):.2f} s ({min(wall[k]) / base_wall:.2f}×)" for k in names)


if __name__ == "__main__":
    main()
