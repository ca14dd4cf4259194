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

:func:`next_grade_stored` answers the same question from what a run stored (issue #16): each
scored firm's numerator, denominator, points and benchmark group per indicator, its bonus
and penalty points and its grading group. A trial changes the firm's figure, recomputes the
benchmark and points of its own benchmark groups for the indicators that figure enters and
re-ranks its grading group — the same arithmetic as a re-evaluation of the population (the
other groups cannot change), on the run's own numbers, with the same bisection; no input is
read and nothing else is evaluated. Used by the web answers (a few ms instead of seconds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indspace.core.engines.land import Attribution
from indspace.core.engines.mujun import (
    _SCORE_DECIMALS,
    _benchmark,
    assemble,
    evaluate,
    evaluate_assembled,
)
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
    stop = _no_next(me, grade, method)
    if stop is not None:
        return stop
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


def _no_next(me: pd.Series, grade: str | None, method: EvaluationMethod) -> NextGrade | None:
    """The answer when there is nothing to search: a firm not graded in its own right, or
    already in the best class."""
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
    return None


_LAND = ("land_area_mu", "land_m2")


@dataclass
class StoredPopulation:
    """A stored run's rows of one population as arrays, ready for :func:`next_grade_stored`
    (built once per run and population by :func:`stored_population`)."""

    codes: np.ndarray                    # the scored firms (graded, vetoed, ungraded)
    at: dict[str, int]                   # credit_code → position
    status: np.ndarray
    group_label: np.ndarray
    grade: np.ndarray
    land_mu: np.ndarray
    adjust: np.ndarray                   # bonus − penalty points
    num: dict[str, np.ndarray]           # per indicator: numerator, denominator, points,
    den: dict[str, np.ndarray]           # benchmark group of each firm
    points: dict[str, np.ndarray]
    bench: dict[str, np.ndarray]


def stored_population(results: pd.DataFrame, scores: pd.DataFrame,
                      method: EvaluationMethod, population: str) -> StoredPopulation:
    """The arrays of one population from a stored run's rows.

    ``results``: the run's result rows (credit_code, population, group_label, status,
    grade, bonus_points, penalty_points, land_area_mu); ``scores``: the stored
    per-indicator rows of the same firms (credit_code, indicator, numerator, denominator,
    points, bench_group; :data:`~indspace.core.engines.mujun.SCORE_COLUMNS`)."""
    pop = next(p for p in method.populations if p.name == population)
    iset = method.indicator_sets[pop.indicator_set]
    res = results[results["population"].eq(population)
                  & results["status"].isin(["graded", "vetoed", "ungraded"])]
    codes = res["credit_code"].to_numpy(dtype=object)
    at = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    sc = scores[scores["credit_code"].isin(at)]
    pos = sc["credit_code"].map(at).to_numpy(dtype=np.int64)
    names = sc["indicator"].to_numpy(dtype=object)

    def column(ind: str, col: str) -> np.ndarray:
        out = np.full(n, np.nan)
        hit = names == ind
        out[pos[hit]] = sc[col].to_numpy(dtype="float64", na_value=np.nan)[hit]
        return out

    inds = [i.name for i in iset.indicators]
    return StoredPopulation(
        codes=codes, at=at, status=res["status"].to_numpy(dtype=object),
        group_label=res["group_label"].to_numpy(dtype=object),
        grade=res["grade"].to_numpy(dtype=object),
        land_mu=res["land_area_mu"].to_numpy(dtype="float64", na_value=np.nan),
        adjust=(res["bonus_points"].to_numpy(dtype="float64", na_value=0.0)
                - res["penalty_points"].to_numpy(dtype="float64", na_value=0.0)),
        num={i: column(i, "numerator") for i in inds},
        den={i: column(i, "denominator") for i in inds},
        points={i: np.nan_to_num(column(i, "points")) for i in inds},
        bench={i: column(i, "bench_group") for i in inds})


def next_grade_stored(results: pd.DataFrame | StoredPopulation, scores: pd.DataFrame | None,
                      method: EvaluationMethod, credit_code: str,
                      me: pd.Series | None = None) -> NextGrade:
    """:func:`next_grade` from a stored run's rows, without evaluating anything again.

    ``results`` and ``scores`` as for :func:`stored_population` (or its result, with
    ``scores`` None and the firm's stored result row ``me``: status, grade, population,
    group_label, land_area_mu). Amounts in 万元 and 亩, rounded up as in :func:`next_grade`.
    """
    if isinstance(results, StoredPopulation):
        assert me is not None
        stored = results
    else:
        me = results.set_index("credit_code").loc[credit_code]
        stored = None
    grade = None if pd.isna(me["grade"]) else str(me["grade"])
    scale = method.grading.scale
    stop = _no_next(me, grade, method)
    if stop is not None:
        return stop
    target = scale.codes[scale.rank(str(grade)) - 1]
    pop = next(p for p in method.populations if p.name == me["population"])
    iset = method.indicator_sets[pop.indicator_set]
    g = method.grading
    if stored is None:
        assert isinstance(results, pd.DataFrame) and scores is not None
        stored = stored_population(results, scores, method, str(me["population"]))
    a = stored.at[credit_code]
    num, den, points, bench = stored.num, stored.den, stored.points, stored.bench
    ranked = (stored.status == "graded") | ((stored.status == "vetoed") & g.veto_in_quota)
    group = np.flatnonzero(ranked & (stored.group_label == me["group_label"]))
    size = len(group)
    mine_at = int(np.flatnonzero(group == a)[0])
    adjust = stored.adjust[group]
    members = {i.name: np.flatnonzero(bench[i.name] == bench[i.name][a])
               for i in iset.indicators}
    by_name = {i.name: i for i in iset.indicators}

    def points_with(ind_name: str, n_a: float, d_a: float) -> np.ndarray:
        """The indicator's points of the firm's benchmark group, the firm's figures set."""
        ind = by_name[ind_name]
        m = members[ind_name]
        nu, de = num[ind_name][m].copy(), den[ind_name][m].copy()
        me_at = int(np.flatnonzero(m == a)[0])
        nu[me_at], de[me_at] = n_a, d_a
        ok = np.isfinite(nu) & np.isfinite(de) & (de > 0)
        value = np.full(len(m), np.nan)
        value[ok] = nu[ok] / de[ok] * ind.factor
        per = _benchmark(ind.benchmark.mode, ind.benchmark.average_method,
                         ind.benchmark.value, np.zeros(len(m), dtype=np.int64), nu, de,
                         value, ok, ind.factor)
        b = per[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.maximum(value, 0.0) / b * ind.weight
        if not (np.isfinite(b) and b > 0):
            p[:] = np.nan
        if iset.score_cap_ratio is not None:
            p = np.minimum(p, iset.score_cap_ratio * ind.weight)
        missing = ~np.isfinite(p)
        if ind.when_missing == "average_score":
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(missing, 0.0, p).sum() / (~missing).sum()
            p = np.where(missing, mean, p)
        out = points[ind_name].copy()
        out[m] = np.where(np.isfinite(p), p, 0.0)
        return out

    def better(changed: dict[str, tuple[float, float]]) -> bool:
        total = None
        for ind in iset.indicators:
            pts = (points_with(ind.name, *changed[ind.name]) if ind.name in changed
                   else points[ind.name])[group]
            total = pts.copy() if total is None else total + pts
        assert total is not None
        score = np.round(total + adjust, _SCORE_DECIMALS)
        mine = score[mine_at]
        if g.mode == "rank_quota":
            share = (1 + int((score > mine).sum())) / size
            new = next((c for c in scale.codes[:-1] if share <= (g.quotas or {})[c]),
                       scale.worst)
        else:
            new = next((c for c in scale.codes[:-1] if mine >= (g.thresholds or {})[c]),
                       scale.worst)
        return scale.rank(new) < scale.rank(str(grade))

    taxed = [i.name for i in iset.indicators if "tax" in (i.numerator, i.denominator)]
    tax0 = next((num[i.name][a] if i.numerator == "tax" else den[i.name][a]
                 for i in iset.indicators if i.name in taxed), 0.0)
    tax0 = float(tax0) if np.isfinite(tax0) else 0.0

    def with_tax(delta: float) -> bool:
        changed = {}
        for i in iset.indicators:
            if i.name in taxed:
                n_a = tax0 + delta if i.numerator == "tax" else num[i.name][a]
                d_a = tax0 + delta if i.denominator == "tax" else den[i.name][a]
                changed[i.name] = (n_a, d_a)
        return bool(changed) and better(changed)

    land_mu = float(me["land_area_mu"])
    landed = [i for i in iset.indicators if i.numerator in _LAND or i.denominator in _LAND]

    def with_less_land(cut: float) -> bool:
        left = {"land_area_mu": land_mu - cut, "land_m2": mu_to_m2(land_mu - cut)}
        changed = {i.name: (left.get(i.numerator, num[i.name][a]),
                            left.get(i.denominator, den[i.name][a])) for i in landed}
        return bool(changed) and better(changed)

    land_floor = pop.min_land_mu
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
