"""亩均效益综合评价: indicators, scores, ranks, grades (shared/domain/mujun-evaluation.md §2–8).

Pure and vectorised: one call evaluates one year for a whole jurisdiction. Every parameter comes
from the profile's :class:`~indspace.core.policy.evaluation.EvaluationMethod`.

Inputs
------
``firms``       credit_code, district, industry_code, scale (above|below), founded (date), plus
                any column a profile groups by (e.g. chain, industry_group)
``indicators``  the year's rows: credit_code, revenue, tax, value_added, rd_spend (万元),
                employees (人), energy_tce (tce), electricity_kwh (kWh), emissions (t),
                optional water_t (t), and the veto flags named by the profile
``attribution`` :class:`~indspace.core.engines.land.Attribution` for the same year
``adjustments`` optional: credit_code, item — bonus/penalty items the firm earned

Method
------
1. Status (first match wins): no figures → ``not_evaluated/no_indicators``; a landless tenant
   under ``owner_merged`` → ``merged`` (figures added to its landlord, weighted by leased land);
   under ``owner_grade_inherited`` → ``inherited``; no land → ``not_evaluated/no_land``; no
   population matches → ``not_evaluated/out_of_scope``; a veto flag → ``vetoed`` (the worst
   class, §7: a veto outranks every exemption); exempt industry, new firm, or land in
   ramp-up → ``ungraded`` (参照B类); else ``graded``.
2. value = numerator ÷ denominator × factor; missing when the denominator is ≤ 0 or a figure is
   missing. Benchmarks: fixed, or the comparison group's Σnumerator ÷ Σdenominator
   (``aggregate_ratio``), mean or median of values — over every scored firm of the group.
3. points = max(value, 0) ÷ benchmark × weight, at most ``score_cap_ratio`` × weight; a missing
   value scores 0 or the group's mean points (``when_missing``).
4. score = Σ points + min(Σ bonus, bonus_cap) − Σ penalty.
5. The classes are the profile's ``grading.scale`` (best → worst; Zhejiang: A, B, C, D).
   ``rank_quota``: within each grading group r = 1 + #firms with a strictly higher score,
   n = graded firms; the firm takes the first class whose quota r/n does not exceed
   (A ≤ 0.25, B ≤ 0.70, C ≤ 0.95), else the worst. Vetoed firms are in the worst class
   outside the quota unless ``veto_in_quota``. Groups under ``min_group_size`` are pooled
   under ``fallback_group_by``; still-small groups are graded and flagged ``review``.
   ``score_threshold``: the first class whose threshold the score reaches, else the worst.
6. Merged and inherited tenants take the landlord's grade and policy grade; ungraded firms
   get no grade and the ``policy_grade`` of ``scale.ungraded_as`` (参照B类管理; so do
   tenants following an ungraded landlord).

Outputs (:class:`EvaluationResult`): ``results`` one row per firm (columns in
:data:`RESULT_COLUMNS` plus ``<indicator>``, ``<indicator>_points`` for every indicator of the
method); ``scores`` one row per firm × indicator with value, benchmark, weight, points, missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from indspace.core.engines.land import Attribution, isin
from indspace.core.memory import trim_heap
from indspace.core.policy.evaluation import EvaluationMethod, Grading, IndicatorSet

FIGURES = ("revenue", "tax", "value_added", "employees", "energy_tce", "electricity_kwh",
           "emissions", "rd_spend", "water_t")
RESULT_COLUMNS = ("credit_code", "year", "district", "scale", "population", "group",
                  "land_area_mu", "score", "rank", "group_size", "grade", "policy_grade",
                  "status", "reason", "landlord", "bonus_points", "penalty_points", "review")
STATUS_LABELS = {
    "graded": "已评级", "vetoed": "一票否决", "ungraded": "不定等级（参照B类）",
    "merged": "并入宗地主评价", "inherited": "沿用宗地主等级", "not_evaluated": "不参评"}
REASON_LABELS = {
    "no_indicators": "无当年指标数据", "no_land": "无可归属用地",
    "out_of_scope": "不在评价范围（规模或用地面积）", "exempt_industry": "豁免行业（公用事业等）",
    "new_firm": "新设企业（培育期）", "land_ramp_up": "供地未满培育期", "veto": "一票否决项",
    "tenant_merged": "承租企业并入宗地主", "tenant_inherits": "承租企业沿用宗地主等级"}
_SCORE_DECIMALS = 9  # ranks compare scores rounded to 1e-9: float noise never splits a tie


SCORE_COLUMNS = ("credit_code", "indicator", "value", "benchmark", "weight", "points",
                 "missing", "numerator", "denominator", "bench_group")
"""``numerator`` and ``denominator`` are the figures the value is the ratio of, as evaluated
(tenants' figures merged); ``bench_group`` numbers the benchmark group the firm is compared
in, unique within one evaluation (population × the benchmark's group_by): with them the
distance to the next grade can be found from the stored rows (engines/explain.py)."""
_BENCH_GROUP_STRIDE = 1_000_000   # bench_group = population index × stride + group code


class EvaluationResult:
    """``results`` (one row per firm, sorted by credit_code) and ``scores`` (one row per firm
    × indicator, sorted by credit_code then indicator; built on first access — unless the
    evaluation was asked not to keep them, ``parts=None``)."""

    def __init__(self, results: pd.DataFrame,
                 parts: list[dict[str, np.ndarray]] | None) -> None:
        self.results = results
        self._parts = parts
        self._scores: pd.DataFrame | None = None

    @property
    def scores(self) -> pd.DataFrame:
        if self._parts is None:
            raise ValueError("this evaluation kept no per-indicator scores (scores=False)")
        if self._scores is None:
            self._scores = _long_scores(self.results, self._parts)
        return self._scores


def _long_scores(results: pd.DataFrame, parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    names = sorted({str(p["indicator"]) for p in parts})
    rank_of = {n: i for i, n in enumerate(names)}
    pos = np.concatenate([p["pos"] for p in parts])
    name_rank = np.concatenate([np.full(len(p["pos"]), rank_of[str(p["indicator"])])
                                for p in parts])
    order = np.lexsort((name_rank, pos))
    codes = results["credit_code"].to_numpy(dtype=object)

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts])[order]

    return pd.DataFrame({
        "credit_code": codes[pos[order]],
        "indicator": np.asarray(names, dtype=object)[name_rank[order]],
        "value": cat("value"),
        "benchmark": np.concatenate([p["bench_per"][p["bench_at"]] for p in parts])[order],
        "weight": cat("weight"),
        "points": cat("points"), "missing": cat("missing"),
        "numerator": cat("numerator"), "denominator": cat("denominator"),
        "bench_group": cat("bench_group")})


def evaluate(firms: pd.DataFrame, indicators: pd.DataFrame, attribution: Attribution,
             method: EvaluationMethod, year: int,
             adjustments: pd.DataFrame | None = None, *,
             scores: bool = True) -> EvaluationResult:
    """Evaluate one year; see the module docstring for the method and the columns.
    ``scores=False``: the per-indicator rows (:attr:`EvaluationResult.scores`) are not kept —
    their figures, benchmarks and group codes are not held while grading (≈ 45 MiB less at
    the peak for 200 000 firms with six indicators)."""
    return evaluate_assembled(assemble(firms, indicators, attribution, method, year), method,
                              year, adjustments, consume=True, scores=scores)


TEXT_COLUMNS = ("district", "scale", "population", "group", "grade", "policy_grade", "status",
                "reason", "landlord")
"""The result columns :func:`evaluate_years` returns as categoricals (few distinct values: a
million rows of a dozen districts are 1 MiB of codes instead of 13 MiB of strings)."""


def evaluate_years(firms: pd.DataFrame, indicators: Mapping[int, pd.DataFrame],
                   attribution: Attribution | Mapping[int, Attribution],
                   method: EvaluationMethod | Mapping[int, EvaluationMethod],
                   adjustments: Mapping[int, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Several years in one frame: :func:`evaluate` for each year of ``indicators`` (its
    rows, in the order given), with that year's land, method and adjustments (one value for
    all years, or a mapping by year).

    The rows are year by year, credit_code ascending within a year; the columns those of
    :attr:`EvaluationResult.results` (an indicator a year's method lacks is NaN that year),
    with the :data:`TEXT_COLUMNS` as categoricals (categories sorted; values and missing
    values as in the yearly results). Memory: each year is kept compact once evaluated (its
    long scores table is never built, its text columns are categorical codes) and the frame
    is put together column by column, each year's piece of a column freed as soon as the
    column is joined — the years are never held twice, as a concatenation of the yearly
    results would hold them (benchmarks/mujun_1m.py).
    """
    pieces: list[dict[str, Any]] = []
    for year, ind in indicators.items():
        att = attribution[year] if isinstance(attribution, Mapping) else attribution
        m = method[year] if isinstance(method, Mapping) else method
        adj = adjustments.get(year) if adjustments is not None else None
        result = evaluate(firms, ind, att, m, year, adj, scores=False).results
        pieces.append(_compact(result))
        del result
    return _stack(pieces)


def _compact(results: pd.DataFrame) -> dict[str, Any]:
    """One year's results as columns: text as categoricals, numbers as their own arrays."""
    out: dict[str, Any] = {"__rows__": len(results)}
    for col in results.columns:
        values = results[col]
        if col in TEXT_COLUMNS:       # factorise (≈ 3× faster than pd.Categorical(values))
            # Arrow-backed strings factorised by Arrow, without a Python string per row
            codes, uniques = pd.factorize(
                values.array if isinstance(values.dtype, pd.StringDtype)
                else values.to_numpy(dtype=object), sort=True)
            out[col] = pd.Categorical.from_codes(codes, categories=uniques)
        elif isinstance(values.dtype, np.dtype) and _constant(values.to_numpy()):
            # one value in every row (the year; bonus and penalty points without any
            # adjustments): kept as (value, dtype)
            out[col] = (values.iat[0], values.dtype)
        elif isinstance(values.dtype, np.dtype):
            arr = values.to_numpy()
            # a view into a wider block would keep the whole block alive: own the column
            out[col] = arr.copy() if arr.base is not None and arr.base.size > arr.size else arr
        else:
            out[col] = values.array
    return out


def _constant(arr: np.ndarray) -> bool:
    """Every element the same value (NaN counting as equal to NaN)."""
    if not len(arr) or arr.dtype.kind not in "biuf":
        return False
    first = arr[0]
    if arr.dtype.kind == "f" and np.isnan(first):
        return bool(np.isnan(arr).all())
    return bool((arr == first).all())


def _stack(pieces: list[dict[str, Any]]) -> pd.DataFrame:
    """Join the yearly pieces column by column, freeing each piece as its column is joined."""
    if not pieces:
        return pd.DataFrame(columns=[*RESULT_COLUMNS])
    order: list[str] = []
    for p in pieces:
        order += [c for c in p if c != "__rows__" and c not in order]
    data: dict[str, Any] = {}
    for col in order:
        parts = [p.pop(col, None) for p in pieces]
        parts = [np.full(p["__rows__"], x[0], dtype=x[1]) if isinstance(x, tuple) else x
                 for x, p in zip(parts, pieces, strict=True)]
        if col in TEXT_COLUMNS:
            data[col] = pd.Series(union_categoricals(
                [x if x is not None else pd.Categorical([None] * p["__rows__"])
                 for x, p in zip(parts, pieces, strict=True)], sort_categories=True))
        elif all(isinstance(x, np.ndarray) for x in parts):
            data[col] = np.concatenate(parts)
        else:
            data[col] = pd.concat(
                [pd.Series(x) if x is not None else pd.Series(np.full(p["__rows__"], np.nan))
                 for x, p in zip(parts, pieces, strict=True)], ignore_index=True)
        del parts
        # the pieces just freed are heap holes the next column's allocation does not reuse:
        # give them back, or the resident size ends a third above the frame (1 M rows:
        # 221 MiB resident for a 179 MiB frame)
        trim_heap()
    return pd.DataFrame(data, copy=False)


def evaluate_assembled(df: pd.DataFrame, method: EvaluationMethod, year: int,
                       adjustments: pd.DataFrame | None = None, *,
                       consume: bool = False, scores: bool = True) -> EvaluationResult:
    """The evaluation of a frame made by :func:`assemble` (which it extends in place): lets a
    caller try changed figures or land without re-joining the inputs (engines/explain.py).
    ``consume``: the frame is this call's alone — its input figures, veto flags and land
    dates are deleted from it once scored (less memory while grading). ``scores``: keep
    the per-indicator rows (see :func:`evaluate`)."""
    _assign_status(df, method, year)
    n = len(df)
    keys = _KeyCodes(df)
    score = np.full(n, np.nan)
    columns: dict[str, np.ndarray] = {}      # <indicator>_value / _points, in first-seen order
    parts: list[dict[str, np.ndarray]] = []
    population = df["population"].to_numpy(dtype=object)
    scored_status = isin(df["status"], ("graded", "vetoed", "ungraded"))
    for p_index, pop in enumerate(method.populations):
        sel = (population == pop.name) & scored_status
        if not sel.any():
            continue
        rows = np.flatnonzero(sel)
        points, long = _score(df, rows, keys, method.indicator_sets[pop.indicator_set],
                              p_index * _BENCH_GROUP_STRIDE, long=scores)
        total = None
        whole = bool(sel.all())       # one population scores every row: no full-size copy
        for col, values in points.items():
            if whole and col not in columns:
                columns[col] = values
            else:
                columns.setdefault(col, np.full(n, np.nan))[sel] = values
            if col.endswith("_points"):      # Σ points left to right, as DataFrame.sum(axis=1)
                total = values.copy() if total is None else total + values
        score[sel] = total
        parts.extend(long)
    if consume:          # inputs no later step reads (each its own block: freed here)
        for col in (*FIGURES, *method.adjustments.veto_columns, "land_m2",
                    "first_right_start", "has_figures"):
            if col in df.columns:
                del df[col]
    _adjust(df, method, adjustments, score)
    _grade(df, method.grading, keys)
    df["policy_grade"] = df["grade"].where(df["status"] != "ungraded",
                                           method.grading.scale.ungraded_as)
    _inherit(df)
    df["grade"] = df["grade"].astype("string")
    df["policy_grade"] = df["policy_grade"].astype("string")
    # one construction instead of one insert per indicator column (each insert re-lays out
    # the frame's blocks)
    data: dict[str, pd.Series | np.ndarray] = {c: df[c] for c in RESULT_COLUMNS}
    for col, values in columns.items():
        data[col.removesuffix("_value")] = values
    # copy=False: the columns are this call's own arrays, kept as they are (no consolidated
    # copy of every float column: one copy fewer of the result at the peak)
    out = pd.DataFrame(data, copy=False)
    codes = out["credit_code"]
    if _strictly_increasing(_arrow(codes)):
        order = np.arange(n)
    else:
        order = np.asarray(codes.argsort(kind="stable"))
        out = out.take(order).reset_index(drop=True)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    for part in parts:                       # firm rows → rows of the sorted results
        part["pos"] = inverse[part["pos"]]
    return EvaluationResult(out, parts if scores else None)


def assemble(firms: pd.DataFrame, indicators: pd.DataFrame, attribution: Attribution,
             method: EvaluationMethod, year: int) -> pd.DataFrame:
    """One row per firm (first record of a repeated code) with its land (land_m2,
    land_area_mu) and figures (landless tenants' figures already added to their landlords
    under ``owner_merged``)."""
    codes = _arrow(firms["credit_code"])
    if not _strictly_increasing(codes) and \
            pc.count_distinct(codes, mode="all").as_py() != len(codes):
        keep = ~pd.Index(np.asarray(codes.to_pylist(), dtype=object)).duplicated()
        firms = firms[keep]
        codes = _arrow(firms["credit_code"])
    df = firms.reset_index(drop=True)
    land = attribution.firms
    at = _positions(land["credit_code"], codes)
    for col in ("land_m2", "land_area_mu", "merged", "landlord", "first_right_start"):
        df[col] = _take(land[col], at)
    ind = indicators
    at = _positions(ind["credit_code"], codes)
    df["has_figures"] = at >= 0
    for col in FIGURES:
        if col in ind.columns and len(ind):
            values = pd.to_numeric(ind[col], errors="coerce").to_numpy(dtype="float64",
                                                                      na_value=np.nan)
            df[col] = np.where(at >= 0, values[np.maximum(at, 0)], np.nan)
        else:
            df[col] = np.nan
    for col in method.adjustments.veto_columns:
        df[col] = _take(ind[col], at) if col in ind.columns else np.nan
    if method.attribution_mode == "owner_merged":
        df = df.set_index("credit_code")
        _merge_tenant_figures(df, attribution.links)
        df = df.reset_index()
    df["year"] = year
    df["merged"] = df["merged"].astype("boolean").fillna(False).astype(bool)
    df["land_area_mu"] = df["land_area_mu"].astype("float64").fillna(0.0)
    return df


def _strictly_increasing(codes: pa.Array) -> bool:
    """Sorted without repeats (the usual case: the store reads records in key order)."""
    if codes.null_count:
        return False
    return len(codes) < 2 or bool(pc.all(pc.greater(codes[1:], codes[:-1])).as_py())


def _arrow(values: pd.Series) -> pa.Array:
    """The column as one Arrow string array (zero-copy for pyarrow-backed strings)."""
    arr = pa.array(values.array) if isinstance(values.dtype, pd.StringDtype) else \
        pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr


def _positions(keys: pd.Series, codes: pa.Array) -> np.ndarray:
    """For each code, the position of its FIRST occurrence in ``keys`` (−1: none)."""
    k = _arrow(keys)
    if len(k) == len(codes) and k.equals(codes):
        return np.arange(len(codes))
    found = pc.index_in(codes, value_set=k)      # first occurrence in the value set
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def _take(column: pd.Series, at: np.ndarray) -> pd.Series:
    """``column`` values at positions ``at`` (−1 → missing), keeping the column's dtype."""
    if len(column) == 0:
        return pd.Series([None] * len(at), dtype=object) if column.dtype == object \
            else pd.Series(np.full(len(at), np.nan))
    taken = column.take(np.maximum(at, 0)).reset_index(drop=True)
    missing = at < 0
    return taken.where(~missing) if missing.any() else taken


def _merge_tenant_figures(df: pd.DataFrame, links: pd.DataFrame) -> None:
    """Add landless tenants' figures to their landlords, weighted by leased land (§3)."""
    moves = links[links["merged"] & (links["merge_weight"] > 0)]
    if moves.empty:
        return
    figures = df.loc[df.index[isin(df.index, moves["credit_code"])], list(FIGURES)]
    moves = moves[isin(moves["credit_code"], figures.index)]
    moved = figures.loc[moves["credit_code"]].mul(moves["merge_weight"].to_numpy(), axis=0)
    moved.index = moves["landlord"].to_numpy()
    gain = moved.groupby(level=0).sum(min_count=1)
    gain = gain[isin(gain.index, df.index)]
    base = df.loc[gain.index, list(FIGURES)]
    df.loc[gain.index, list(FIGURES)] = base.add(gain, fill_value=0.0).where(
        base.notna() | gain.notna())


def _assign_status(df: pd.DataFrame, method: EvaluationMethod, year: int) -> None:
    status = pd.Series("graded", index=df.index, dtype=object)
    reason = pd.Series("", index=df.index, dtype=object)
    population = pd.Series(None, index=df.index, dtype=object)
    scale = df["scale"].fillna("below")
    for pop in reversed(method.populations):      # first listed population wins
        hit = (df["land_area_mu"] >= pop.min_land_mu)
        if pop.max_land_mu is not None:
            hit &= df["land_area_mu"] < pop.max_land_mu
        if pop.scale != "any":
            hit &= scale.eq(pop.scale)
        population[hit] = pop.name

    year_end = pd.Timestamp(date(year, 12, 31))
    ex = method.exemptions
    exempt_industry = pd.Series(False, index=df.index)
    if ex.industry_prefixes:
        exempt_industry = df["industry_code"].fillna("").astype(str).str.startswith(
            ex.industry_prefixes)
    new_firm = _younger_than(df["founded"], year_end, ex.registration_years)
    ramp_up = _younger_than(df["first_right_start"], year_end, ex.land_years)
    veto = pd.Series(False, index=df.index)
    for col in method.adjustments.veto_columns:
        veto |= df[col].astype("boolean").fillna(False).astype(bool)

    rules = [  # in reverse order of precedence: later assignments win
        (ramp_up, "ungraded", "land_ramp_up"),
        (new_firm, "ungraded", "new_firm"),
        (exempt_industry, "ungraded", "exempt_industry"),
        (veto, "vetoed", "veto"),         # 一票否决 → D even for a firm otherwise ungraded
        (population.isna(), "not_evaluated", "out_of_scope"),
        (~(df["land_area_mu"] > 0), "not_evaluated", "no_land"),
    ]
    if method.attribution_mode == "owner_grade_inherited":   # landless tenants (landlord set)
        rules.append((df["landlord"].notna(), "inherited", "tenant_inherits"))
    rules.append((df["merged"], "merged", "tenant_merged"))
    rules.append((~df["has_figures"], "not_evaluated", "no_indicators"))
    for mask, st, why in rules:
        status[mask.to_numpy()] = st
        reason[mask.to_numpy()] = why
    reason[status.eq("graded")] = ""
    df["status"] = status
    df["reason"] = reason
    df["population"] = population.where(~status.isin(["not_evaluated", "merged", "inherited"]))


def _younger_than(dates: pd.Series, year_end: pd.Timestamp, years: float | None) -> pd.Series:
    if years is None:
        return pd.Series(False, index=dates.index)
    # calendar years: founded exactly N years before the year end is not "fewer than N years"
    # (a 365.25-day year would call 2021-12-31 → 2023-12-31, 730 days, younger than 2 years)
    whole = int(years)
    cutoff = year_end - pd.DateOffset(years=whole) - pd.Timedelta(days=(years - whole) * 365.25)
    start = pd.to_datetime(dates)
    return (start > cutoff).fillna(False).astype(bool)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a key column as ``astype(str)`` would group it (missing: one code)."""
    if isinstance(values.dtype, pd.StringDtype):     # one kind of missing: factorise as is
        return pd.factorize(values, use_na_sentinel=False)[0]
    return pd.factorize(np.asarray(values.astype(str), dtype=object),
                        use_na_sentinel=False)[0]


class _KeyCodes:
    """Integer codes of the key columns of one evaluation frame, computed once per column."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._cache: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self._cache:
            if name == "population":     # grouped rows always have one: no missing to tell apart
                self._cache[name] = pd.factorize(self.df[name].to_numpy(dtype=object),
                                                 use_na_sentinel=False)[0]
            else:
                self._cache[name] = _codes(self.df[name])
        return self._cache[name]

    def groups(self, cols: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
        """Dense codes of the groups (population, *cols) among ``rows``, numbered in order of
        first appearance (as factorising the subset itself would number them)."""
        codes = self.column("population")[rows].astype(np.int64)
        for c in cols:
            nxt = self.column(c)[rows].astype(np.int64)
            codes = codes * (int(nxt.max(initial=0)) + 1) + nxt
        return pd.factorize(codes)[0]


def _group_codes(df: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    """Dense integer codes of the groups (population, *cols) of ``df``'s rows."""
    return _KeyCodes(df).groups(cols, np.arange(len(df)))


def _score(df: pd.DataFrame, rows: np.ndarray, keys: _KeyCodes, iset: IndicatorSet,
           group_base: int = 0, *, long: bool = True,
           ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
    """Points per indicator for the firms ``rows`` of one population (``group_base``: added
    to its benchmark group codes so that they are unique across populations; ``long``:
    also return the per-indicator rows the scores table is built from)."""
    out: dict[str, np.ndarray] = {}
    longs = []
    group_codes: dict[tuple[str, ...], np.ndarray] = {}
    for ind in iset.indicators:
        num = df[ind.numerator].to_numpy(dtype="float64")[rows]
        den = df[ind.denominator].to_numpy(dtype="float64")[rows]
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        value = np.full(len(rows), np.nan)
        value[ok] = num[ok] / den[ok] * ind.factor
        by = ind.benchmark.group_by
        if by not in group_codes:
            group_codes[by] = keys.groups(by, rows)
        codes = group_codes[by]
        per = _benchmark(ind.benchmark.mode, ind.benchmark.average_method,
                         ind.benchmark.value, codes, num, den, value, ok, ind.factor)
        bench = per[codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            points = np.maximum(value, 0.0) / bench * ind.weight
        points[~np.isfinite(bench) | (bench <= 0)] = np.nan
        if iset.score_cap_ratio is not None:
            points = np.minimum(points, iset.score_cap_ratio * ind.weight)
        missing = ~np.isfinite(points)
        if ind.when_missing == "average_score":
            sums = np.bincount(codes, np.where(missing, 0.0, points))
            counts = np.bincount(codes, ~missing)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = sums / counts
            points = np.where(missing, mean[codes], points)
        points = np.where(np.isfinite(points), points, 0.0)
        out[f"{ind.name}_value"] = value
        out[f"{ind.name}_points"] = points
        if not long:
            continue
        # the benchmark kept per group (expanded when the long table is built)
        longs.append({"indicator": np.asarray(ind.name), "pos": rows, "value": value,
                      "bench_per": per, "bench_at": codes,
                      "weight": np.broadcast_to(np.float64(ind.weight), len(rows)),
                      "points": points, "missing": missing, "numerator": num,
                      "denominator": den, "bench_group": codes + group_base})
    return out, longs


def _benchmark(mode: str, average: str, fixed: float | None, codes: np.ndarray,
               num: np.ndarray, den: np.ndarray, value: np.ndarray, ok: np.ndarray,
               factor: float) -> np.ndarray:
    """The benchmark of each group (``codes``: dense group codes of the rows)."""
    groups = int(codes.max(initial=-1)) + 1
    if mode == "fixed":
        return np.full(groups, float(fixed))  # type: ignore[arg-type]
    if mode == "group_median":
        med = pd.Series(value).groupby(codes).median()
        return med.reindex(np.arange(groups)).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        if average == "aggregate_ratio":
            per = (np.bincount(codes, np.where(ok, num, 0.0))
                   / np.bincount(codes, np.where(ok, den, 0.0)) * factor)
        else:
            per = np.bincount(codes, np.where(ok, value, 0.0)) / np.bincount(codes, ok)
    return per


def designation_items(designations: pd.DataFrame, on: date) -> pd.DataFrame:
    """The bonus items firms hold on day ``on``: their designations (高新技术企业, 专精特新, …;
    columns credit_code, designation, start, end — end null = open) valid that day, one row
    per firm and designation, as ``adjustments`` (credit_code, item). The profile's bonus
    list decides which items score and how much.

    >>> d = pd.DataFrame({"credit_code": ["F1", "F1", "F2", "F3"],
    ...                   "designation": ["high_tech_enterprise"] * 2 + ["specialised_sme"] * 2,
    ...                   "start": pd.to_datetime(["2022-01-01", "2024-06-01", "2025-01-01",
    ...                                            "2020-01-01"]).date,
    ...                   "end": [pd.NaT, pd.NaT, pd.NaT, date(2023, 12, 31)]})
    >>> designation_items(d, date(2024, 12, 31)).to_dict("records")
    [{'credit_code': 'F1', 'item': 'high_tech_enterprise'}]
    """
    if designations.empty:
        return pd.DataFrame({"credit_code": pd.Series(dtype=object),
                             "item": pd.Series(dtype=object)})
    start = pd.to_datetime(designations["start"]).dt.date
    end = pd.to_datetime(designations["end"]).dt.date
    valid = (start <= on) & (end.isna() | (end >= on))
    out = designations.loc[valid, ["credit_code", "designation"]].rename(
        columns={"designation": "item"})
    return out.drop_duplicates().sort_values(["credit_code", "item"], ignore_index=True)


def _adjust(df: pd.DataFrame, method: EvaluationMethod,
            adjustments: pd.DataFrame | None, score: np.ndarray) -> None:
    """score (Σ points, NaN: not scored) + min(Σ bonus, cap) − Σ penalty, into ``df`` with the
    bonus and penalty points (NaN where not scored). Plain arrays: no frame-wide setitem
    (which would consolidate the frame's float columns into one copied block)."""
    adj = method.adjustments
    n = len(df)
    earned = {"bonus_points": np.zeros(n), "penalty_points": np.zeros(n)}
    if adjustments is not None and len(adjustments):
        for items, col in ((adj.bonus, "bonus_points"), (adj.penalty, "penalty_points")):
            pts = {i.item: i.points for i in items}
            got = adjustments[adjustments["item"].isin(pts)]
            per_firm = got["item"].map(pts).groupby(got["credit_code"]).sum()
            earned[col] = df["credit_code"].map(per_firm).fillna(0.0).to_numpy(
                dtype="float64", copy=True)
    bonus, penalty = earned["bonus_points"], earned["penalty_points"]
    if adj.bonus_cap is not None:
        np.minimum(bonus, adj.bonus_cap, out=bonus)
    scored = ~np.isnan(score)
    score[scored] += bonus[scored] - penalty[scored]
    bonus[~scored] = np.nan
    penalty[~scored] = np.nan
    df["score"] = score
    df["bonus_points"] = bonus
    df["penalty_points"] = penalty


def _grade(df: pd.DataFrame, g: Grading, keys: _KeyCodes | None = None) -> None:
    status = df["status"].to_numpy(dtype=object)
    vetoed = status == "vetoed"
    ranked = (status == "graded") | (vetoed & g.veto_in_quota)
    n = len(df)
    classes = g.scale.codes
    limited, worst = list(classes[:-1]), classes[-1]   # every class but the worst has a limit
    grade = np.full(n, None, dtype=object)
    grade[vetoed] = worst
    rank = np.full(n, np.nan)
    group_size = np.full(n, np.nan)
    group = np.full(n, None, dtype=object)
    review = np.zeros(n, dtype=bool)
    keys = keys or _KeyCodes(df)
    if ranked.any():
        rows = np.flatnonzero(ranked)
        code, labels = _group_labels(df, g.group_by, keys, rows)
        size = _sizes(code)
        if g.fallback_group_by is not None:
            small = size < g.min_group_size
            if small.any():
                fb_code, fb_labels = _group_labels(df, g.fallback_group_by, keys, rows)
                fb_code = np.where(fb_code >= 0, fb_code + len(labels), -1)
                labels = np.concatenate([labels, fb_labels + "（合并）"])
                code, labels = _relabel(np.where(small, fb_code, code), labels)
                size = _sizes(code)
        score = np.round(df["score"].to_numpy(dtype="float64")[rows], _SCORE_DECIMALS)
        sub_rank = _min_rank_desc(code, score)
        if g.mode == "rank_quota":
            q = g.quotas or {}
            share = sub_rank / size
            sub_grade = np.select([share <= q[c] for c in limited], limited, worst)
        else:
            t = g.thresholds or {}
            sub_grade = np.select([score >= t[c] for c in limited], limited, worst)
        group[ranked] = _label_of(code, labels)
        rank[ranked] = sub_rank
        group_size[ranked] = size
        review[ranked] = size < g.min_group_size
        grade[ranked] = np.where(vetoed[ranked], worst, sub_grade).astype(object)
    # vetoed firms outside the quota still show their group for the reports
    out = vetoed & ~ranked
    if out.any():
        code, labels = _group_labels(df, g.group_by, keys, np.flatnonzero(out))
        group[out] = _label_of(code, labels)
    df["grade"] = pd.Series(grade, index=df.index, dtype=object)
    df["rank"] = rank
    df["group_size"] = group_size
    df["group"] = pd.Series(group, index=df.index, dtype=object)
    df["review"] = review


def _group_labels(df: pd.DataFrame, cols: tuple[str, ...], keys: _KeyCodes,
                  rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row in ``rows`` of ``df`` a group code, and per code the label "population/col/…":
    the label is built once per group (from its first row), then codes are merged where
    labels coincide."""
    code = keys.groups(cols, rows)
    first = np.full(int(code.max(initial=-1)) + 1, len(code))
    np.minimum.at(first, code, np.arange(len(code)))
    labels = _group_label(df.iloc[rows[first]], cols).to_numpy(dtype=object)
    return _relabel(code, labels)


def _relabel(code: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge codes whose labels are equal (grouping is by the label text); a missing label
    (a missing key value) gives code −1: no group, no rank, no size."""
    lab_code, uniq = pd.factorize(labels)
    return np.where(code >= 0, lab_code[code], -1), np.asarray(uniq, dtype=object)


def _sizes(code: np.ndarray) -> np.ndarray:
    """Rows per group, per row (NaN without a group)."""
    ok = code >= 0
    counts = np.bincount(code[ok]).astype("float64")
    return np.where(ok, counts[np.where(ok, code, 0)] if len(counts) else np.nan, np.nan)


def _label_of(code: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.full(len(code), np.nan, dtype=object)
    out[code >= 0] = labels[code[code >= 0]]
    return out


def _min_rank_desc(code: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Within each group: 1 + the number of rows with a strictly higher score (NaN: NaN)."""
    score = np.where(code >= 0, score, np.nan)
    # group-major, score-descending order (ties in any order: only run starts matter)
    by_score = np.argsort(-score)
    small = code.astype(np.int32) if len(code) and code.max() < 2**31 else code
    order = by_score[np.argsort(small[by_score], kind="stable")]
    c, s = code[order], score[order]
    n = len(order)
    pos = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = c[1:] != c[:-1]
    new_run = new_group.copy()
    new_run[1:] |= s[1:] != s[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0))
    ranks = (run_start - group_start + 1).astype("float64")
    ranks[np.isnan(s)] = np.nan
    out = np.empty(n)
    out[order] = ranks
    return out


def _group_label(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    label = df["population"].astype(str)
    for c in cols:
        label = label + "/" + df[c].astype(str)
    return label


def _inherit(df: pd.DataFrame) -> None:
    """Merged and inherited tenants take their landlord's grade and policy grade (B under an
    ungraded landlord)."""
    follow = df["status"].isin(["merged", "inherited"])
    if follow.any():
        of = df.set_index("credit_code")
        for col in ("grade", "policy_grade"):
            df.loc[follow, col] = df.loc[follow, "landlord"].map(of[col]).to_numpy()
