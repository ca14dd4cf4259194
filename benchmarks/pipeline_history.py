"""The pipeline's evaluation step, split (pol20, issue #20): one grade-history year evaluated
as the code before pol20 did (``compute(..., dual=False)``: score rows, policy measures,
occupied floor) against :func:`indspace.services.evaluation.policy_grades` (the policy
grades alone), and the evaluated year with and without the per-indicator score rows.

Rotated rounds in one process on the same frames (a partitioned GeoParquet input as
``indspace pipeline`` reads it, its overlay run once first); per contender the min and
median of wall and CPU time. The history contenders must give the same grades (checked).

Run: ``.venv/bin/python benchmarks/pipeline_history.py --input DIR [--year 2025]
[--rounds 5] [--districts 3301 3302 …]`` (``--districts``: a subset by code prefix, linked
into a temporary folder, as in ``benchmarks/pipeline_province.py``).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd


def main() -> None:
    from indspace.services.evaluation import Inputs, compute, method_date, policy_grades
    from indspace.services.land import storey_limit
    from indspace.services.pipeline import read_tables
    from indspace.services.pipeline_overlay import overlay_stats
    from indspace.services.profiles import resolve_profile

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--method-date", type=date.fromisoformat, default=date(2026, 3, 1))
    ap.add_argument("--profile", default="ningbo-demo")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--districts", nargs="*", default=None)
    args = ap.parse_args()
    src: Path = args.input
    if args.districts:
        sys.path.insert(0, str(Path(__file__).parent))
        from pipeline_province import subset

        links = tempfile.TemporaryDirectory(prefix="history-")  # removed at exit
        src = subset(src, args.districts, Path(links.name))
    on, year = args.method_date, args.year
    profile = resolve_profile(args.profile)
    t = read_tables(src, on, contracts=False)
    stats, _ = overlay_stats(src, storey_limit(profile, on))
    base = t.parcels[["parcel_id", "area_m2", "right_start", "district", "owner_credit_code"]]

    def inputs(y: int) -> Inputs:
        ind = t.indicators[t.indicators["year"] == y].reset_index(drop=True)
        return Inputs(y, t.firms, ind, base, t.occupancy, stats, t.designations)

    h, cur = inputs(year - 1), inputs(year)
    mh = profile.evaluation_method(method_date(year - 1))
    mc = profile.evaluation_method(on)
    history = pd.concat(
        [
            policy_grades(inputs(y), profile.evaluation_method(method_date(y))).assign(year=y)
            for y in (year - 2, year - 1)
        ],
        ignore_index=True,
    )
    old = compute(h, mh, dual=False).results[["credit_code", "policy_grade"]]
    pd.testing.assert_frame_equal(policy_grades(h, mh), old)
    contenders: dict[str, Callable[[], Any]] = {
        f"history year {year - 1}: compute(dual=False) (before)": lambda: compute(
            h, mh, dual=False
        ),
        f"history year {year - 1}: policy_grades (after)": lambda: policy_grades(h, mh),
        f"year {year}: compute with score rows (before)": lambda: compute(cur, mc, history),
        f"year {year}: compute(scores=False) (after)": lambda: compute(
            cur, mc, history, scores=False
        ),
    }
    walls: dict[str, list[float]] = {k: [] for k in contenders}
    cpus: dict[str, list[float]] = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            w, c = time.perf_counter(), time.process_time()
            contenders[name]()
            walls[name].append(time.perf_counter() - w)
            cpus[name].append(time.process_time() - c)
    print(f"input {args.input} ({len(t.firms):,} firms), {args.rounds} rotated rounds")
    print("\n| contender | wall min | wall median | CPU min | CPU median |\n|---|---|---|---|---|")
    for name in names:
        print(
            f"| {name} | {min(walls[name]):.2f} s | {statistics.median(walls[name]):.2f} s | "
            f"{min(cpus[name]):.2f} s | {statistics.median(cpus[name]):.2f} s |"
        )


if __name__ == "__main__":
    main()
