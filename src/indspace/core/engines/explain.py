"""Distance to the next grade: how much more tax, or how much less land, lifts a firm one class.

The classes and their order are the method's ``grading.scale`` (best → worst).

Under group-average benchmarks and rank quotas one firm's change moves the benchmark and the
other firms' scores too, so the answer is found by re-evaluating, not by a formula: the
smallest extra tax Δ (万元, other figures unchanged) and the smallest land reduction R (亩)
whose re-evaluation gives the firm a better grade, each by bisection. Both are monotone: more
tax (or less land) raises the firm's own points and lowers everyone else's relative standing.
Only the firm's population is re-evaluated (benchmarks and grading groups never cross
populations), with the merged tenants of its members.

The returned amounts are rounded up (to 0.01 万元 and 0.001 亩), so applying exactly the
suggested change does lift the firm (tests re-evaluate to check).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indspace.core.engines.land import Attribution
from indspace.core.engines.mujun import assemble, evaluate, evaluate_assembled
from indspace.core.model.units import mu_to_m2
from indspace.core.policy.evaluation import EvaluationMethod

_ITERATIONS = 60


@dataclass(frozen=True)
class NextGrade:
    grade: str | None
    target: str | None
    extra_tax_wan: float | None          # 万元 more tax in the year
    extra_tax_per_mu: float | None       # the same per 亩 of the firm's land
    land_reduction_mu: float | None      # 亩 less land (same figures)
    note: str                            # why there is no answer, if there is none


def next_grade(firms: pd.DataFrame, indicators: pd.DataFrame, attribution: Attribution,
               method: EvaluationMethod, year: int, credit_code: str,
               results: pd.DataFrame | None = None,
               adjustments: pd.DataFrame | None = None) -> NextGrade:
    if results is None:
        results = evaluate(firms, indicators, attribution, method, year, adjustments).results
    me = results.set_index("credit_code").loc[credit_code]
    grade = None if pd.isna(me["grade"]) else str(me["grade"])
    scale = method.grading.scale
    if me["status"] != "graded":
        like = scale.ungraded_as
        why = {"vetoed": "一票否决：消除否决事项后方可升级 / vetoed: remove the veto cause",
               "ungraded": f"不定等级（参照{like}类）/ ungraded (managed as {like})",
               "merged": "并入宗地主评价，等级随宗地主 / merged into the landlord",
               "inherited": "沿用宗地主等级 / takes the landlord's grade"}
        return NextGrade(grade, None, None, None, None,
                         why.get(str(me["status"]), "不参评 / not evaluated"))
    if grade == scale.best:
        return NextGrade(grade, None, None, None, None,
                         f"已是{scale.label(scale.best)} / already {scale.best}")
    target = scale.codes[scale.rank(str(grade)) - 1]

    peers = results.loc[results["population"].eq(me["population"]), "credit_code"]
    tenants = results.loc[results["landlord"].isin(peers), "credit_code"]
    keep = set(peers) | set(tenants)
    f = firms[firms["credit_code"].isin(keep)]
    ind = indicators[indicators["credit_code"].isin(keep)].reset_index(drop=True)
    att = Attribution(firms=attribution.firms[attribution.firms["credit_code"].isin(keep)]
                      .reset_index(drop=True),
                      links=attribution.links[attribution.links["credit_code"].isin(keep)])

    base = assemble(f, ind, att, method, year)     # joined once; each trial edits a copy
    at = int(np.flatnonzero(base["credit_code"].to_numpy(dtype=object) == credit_code)[0])

    def better(df: pd.DataFrame) -> bool:
        r = evaluate_assembled(df, method, year, adjustments).results
        g = r.loc[r["credit_code"].eq(credit_code), "grade"].iloc[0]
        return bool(pd.notna(g) and scale.rank(str(g)) < scale.rank(str(grade)))

    # the firm's tax as evaluated (its own, plus merged tenants' under owner_merged)
    tax0 = base.at[at, "tax"]
    tax0 = float(tax0) if pd.notna(tax0) else 0.0

    def with_tax(delta: float) -> bool:
        x = base.copy()
        x.at[at, "tax"] = tax0 + delta
        return better(x)

    land_mu = float(me["land_area_mu"])
    # less land must keep the firm in its population (e.g. 规下 ≥ 3亩), else it leaves the list
    pop = next(p for p in method.populations if p.name == me["population"])
    land_floor = pop.min_land_mu

    def with_less_land(cut: float) -> bool:
        x = base.copy()
        x.at[at, "land_area_mu"] = land_mu - cut
        x.at[at, "land_m2"] = mu_to_m2(land_mu - cut)
        return better(x)

    extra = _smallest(with_tax, lo=0.0, hi=max(tax0, 1.0), grow=True, tol=0.002)
    max_cut = (land_mu - land_floor) * (1 - 1e-9) if land_floor > 0 else land_mu * (1 - 1e-9)
    cut = _smallest(with_less_land, lo=0.0, hi=max_cut, grow=False,
                    tol=0.0002) if max_cut > 0 else None
    extra = None if extra is None else _round_up(extra, 2)
    cut = None if cut is None else min(_round_up(cut, 3), max_cut)
    note = ("" if extra is not None or cut is not None
            else "无法通过税收或用地变化升级 / unreachable")
    return NextGrade(grade, target, extra,
                     None if extra is None else extra / land_mu, cut, note)


def _smallest(ok: Callable[[float], bool], lo: float, hi: float, grow: bool,
              tol: float) -> float | None:
    """Smallest x in (lo, hi] with ok(x) (monotone) to within ``tol``; ``grow`` doubles hi
    until ok."""
    if grow:
        for _ in range(40):
            if ok(hi):
                break
            lo, hi = hi, hi * 2
        else:
            return None
    elif not ok(hi):
        return None
    for _ in range(_ITERATIONS):
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo <= tol:
            break
    return hi


def _round_up(x: float, digits: int) -> float:
    f = 10 ** digits
    return math.ceil(x * f) / f
