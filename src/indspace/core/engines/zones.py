"""Zone roll-up of a 亩均 evaluation: districts, parks, chains (mujun-evaluation.md §11).

Pure pandas, no I/O. One call rolls up one evaluated year.

Inputs
------
``results``   :attr:`~indspace.core.engines.mujun.EvaluationResult.results`: credit_code,
              status, grade (a class of the scale or missing); ``year`` is carried over
              when present
``scale``     the method's grade scale (``grading.scale``: classes best → worst, the good
              ones; Zhejiang A, B, C, D with A and B good)
``figures``   the firms' own figures for the year: credit_code, tax (万元), value_added (万元),
              land_area_mu (亩, the attributed land). Own, i.e. *not* the tenant-merged
              figures: a merged tenant keeps its tax here and has no land, so a zone's sums
              count every yuan and every mu once
``zones``     firm → zone mapping, long form: credit_code, zone_kind (district|park|chain|…),
              zone. A firm may sit in several zones of a kind (e.g. two chains). Build it from
              enterprise columns with :func:`zone_map`
``previous``  optional: last year's roll-up (this function's output) for year-on-year changes

Who counts
----------
* **evaluated** firms: status graded, vetoed or ungraded (evaluated in their own right);
* **graded** firms: evaluated firms with a grade (graded and vetoed firms);
* sums of tax, value added and land run over the evaluated firms **plus** the tenants whose
  figures were merged into, or whose grade follows, a landlord (status merged / inherited):
  their land is the landlord's, so only their tax and value added add anything.
  ``not_evaluated`` firms (no figures, no land, out of scope) are left out.

Output columns (one row per zone_kind × zone, sorted by zone_kind, rank, zone)
------------------------------------------------------------------------------
zone_kind, zone, [year],
firms_evaluated, firms_graded, firms_ungraded,
n_<class>                      firms by grade, one column per class (lower case: n_a … n_d);
<class>_share                  n_<class> ÷ firms_graded (NaN when nothing is graded);
tax, value_added, land_area_mu sums (万元, 万元, 亩);
tax_per_mu, value_added_per_mu Σtax ÷ Σland, Σvalue_added ÷ Σland (万元/亩; NaN without land);
ab_land_share, d_land_share    land of the good-class (A+B) firms, and of the worst-class (D)
                               firms, ÷ land of all counted firms (the names are kept
                               whatever the scale's classes are called);
rank                           among zones of the same kind by tax_per_mu, descending; ties
                               share the better rank (1, 1, 3); NaN tax_per_mu → no rank;
tax_per_mu_yoy, value_added_per_mu_yoy   this ÷ last − 1 (fraction);
ab_land_share_change, d_land_share_change, firms_evaluated_change   this − last;
rank_change                    last rank − this rank (positive = moved up).
The year-on-year columns are missing (NaN / <NA>) without ``previous`` or for new zones.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from indspace.core.policy.evaluation import GradeScale

EVALUATED = ("graded", "vetoed", "ungraded")
FOLLOWERS = ("merged", "inherited")
ZONE_KINDS = ("district", "park", "chain")
def rollup_columns(scale: GradeScale) -> tuple[str, ...]:
    """The output columns for a grade scale (A–D: n_a … n_d, a_share … d_share)."""
    low = [c.lower() for c in scale.codes]
    return ("zone_kind", "zone", "firms_evaluated", "firms_graded", "firms_ungraded",
            *(f"n_{c}" for c in low), *(f"{c}_share" for c in low),
            "tax", "value_added", "land_area_mu", "tax_per_mu", "value_added_per_mu",
            "ab_land_share", "d_land_share", "rank",
            "tax_per_mu_yoy", "value_added_per_mu_yoy", "ab_land_share_change",
            "d_land_share_change", "firms_evaluated_change", "rank_change")
_KEY = ["zone_kind", "zone"]


def zone_map(firms: pd.DataFrame, kinds: Iterable[str] = ZONE_KINDS) -> pd.DataFrame:
    """The long firm → zone mapping from enterprise columns named after the zone kinds.

    >>> f = pd.DataFrame({"credit_code": ["a", "b"], "district": ["海曙区", "鄞州区"],
    ...                   "chain": ["汽车", None]})
    >>> zone_map(f).values.tolist()
    [['a', 'district', '海曙区'], ['b', 'district', '鄞州区'], ['a', 'chain', '汽车']]
    """
    parts = [pd.DataFrame({"credit_code": firms["credit_code"], "zone_kind": kind,
                           "zone": firms[kind]})
             for kind in kinds if kind in firms.columns]
    if not parts:
        return pd.DataFrame(columns=["credit_code", "zone_kind", "zone"])
    out = pd.concat(parts, ignore_index=True)
    out = out[out["zone"].notna() & out["zone"].astype(str).ne("")]
    return out.reset_index(drop=True)


def rollup_zones(results: pd.DataFrame, figures: pd.DataFrame, zones: pd.DataFrame,
                 scale: GradeScale, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-zone KPIs of one evaluated year; see the module docstring for the columns."""
    year = (int(results["year"].dropna().iloc[0])
            if "year" in results.columns and results["year"].notna().any() else None)
    return zone_kpis(zone_sums(results, figures, zones, scale), scale, previous, year)


SUM_COLUMNS = ("firms_evaluated", "firms_graded", "firms_ungraded", "tax", "value_added",
               "land_area_mu", "ab_land", "d_land")
"""The additive columns of :func:`zone_sums` besides the class counts ``n_<class>``."""


def zone_sums(results: pd.DataFrame, figures: pd.DataFrame, zones: pd.DataFrame,
              scale: GradeScale) -> pd.DataFrame:
    """The additive part of the roll-up (what a run stores, issue #16): per zone_kind ×
    zone with at least one evaluated firm, sorted by zone_kind and zone: firms_evaluated,
    firms_graded, firms_ungraded, n_<class> per class, tax, value_added (万元),
    land_area_mu, ab_land and d_land (亩: land of the good classes and of the worst class).
    :func:`zone_kpis` turns it into the roll-up. Integer codes and ``np.bincount``, no
    frame join (a city run: 30 000 firms, 90 000 zone links)."""
    firms = results[["credit_code", "status", "grade"]].drop_duplicates("credit_code")
    firms = firms[isin_values(firms["status"], EVALUATED + FOLLOWERS)].reset_index(drop=True)
    n = len(firms)
    fig = figures.drop_duplicates("credit_code").set_index("credit_code").reindex(
        columns=["tax", "value_added", "land_area_mu"])
    fig = fig.apply(pd.to_numeric, errors="coerce").astype("float64")
    at = fig.index.get_indexer(firms["credit_code"])
    values = {c: np.where(at >= 0, np.nan_to_num(fig[c].to_numpy(), nan=0.0)[np.maximum(at, 0)]
                          if len(fig) else 0.0, 0.0)
              for c in ("tax", "value_added", "land_area_mu")}

    status = firms["status"].to_numpy(dtype=object)
    evaluated = isin_values(firms["status"], EVALUATED)
    grade = firms["grade"].astype("string").where(evaluated)

    def has(choices: Iterable[str]) -> np.ndarray:
        return np.asarray(grade.isin(list(choices)).to_numpy(dtype=bool, na_value=False))

    codes = scale.codes
    per_firm: dict[str, np.ndarray] = {
        "firms_evaluated": evaluated.astype(np.int64),
        "firms_graded": (evaluated & has(codes)).astype(np.int64),
        "firms_ungraded": (status == "ungraded").astype(np.int64),
        **{f"n_{g.lower()}": has((g,)).astype(np.int64) for g in codes},
        "tax": values["tax"], "value_added": values["value_added"],
        "land_area_mu": values["land_area_mu"],
        "ab_land": np.where(has(scale.good), values["land_area_mu"], 0.0),
        "d_land": np.where(has((scale.worst,)), values["land_area_mu"], 0.0)}

    links = zones[["credit_code", "zone_kind", "zone"]].dropna()
    firm_at = pd.Index(firms["credit_code"]).get_indexer(links["credit_code"])
    keep = firm_at >= 0
    kind_code, kinds = pd.factorize(links["zone_kind"].to_numpy(dtype=object)[keep], sort=True)
    zone_code, names = pd.factorize(links["zone"].astype(str).to_numpy(dtype=object)[keep],
                                    sort=True)
    firm_at = firm_at[keep]
    pair = kind_code.astype(np.int64) * (len(names) + 1) + zone_code
    link_key = pair * (n + 1) + firm_at
    first = ~pd.Series(link_key).duplicated().to_numpy()       # one link per firm and zone
    pair, firm_at = pair[first], firm_at[first]
    group, uniq = pd.factorize(pair, sort=True)
    m = len(uniq)
    out = pd.DataFrame({"zone_kind": np.asarray(kinds, dtype=object)[uniq // (len(names) + 1)],
                        "zone": np.asarray(names, dtype=object)[uniq % (len(names) + 1)]})
    for col, per in per_firm.items():
        summed = np.bincount(group, weights=per[firm_at].astype("float64"), minlength=m)
        out[col] = summed.round().astype(np.int64) if per.dtype.kind == "i" else summed
    return out[out["firms_evaluated"] > 0].reset_index(drop=True)


def isin_values(values: pd.Series, choices: Iterable[str]) -> np.ndarray:
    """``values.isin(choices)`` as a boolean array (missing → False)."""
    return np.asarray(values.isin(list(choices)).to_numpy(dtype=bool, na_value=False))


def zone_kpis(sums: pd.DataFrame, scale: GradeScale, previous: pd.DataFrame | None = None,
              year: int | None = None) -> pd.DataFrame:
    """The roll-up of :func:`zone_sums` (shares, per-mu figures, ranks, year-on-year against
    ``previous``, a roll-up of the year before); arithmetic only."""
    codes = scale.codes
    out = sums.copy()
    graded = out["firms_graded"].where(out["firms_graded"] > 0).astype("float64")
    land = out["land_area_mu"].where(out["land_area_mu"] > 0)
    for g in codes:
        out[f"{g.lower()}_share"] = out[f"n_{g.lower()}"] / graded
    out["tax_per_mu"] = out["tax"] / land
    out["value_added_per_mu"] = out["value_added"] / land
    out["ab_land_share"] = out["ab_land"] / land
    out["d_land_share"] = out["d_land"] / land
    out["rank"] = out.groupby("zone_kind")["tax_per_mu"].rank(
        method="min", ascending=False).astype("Int64")
    out = _year_on_year(out, previous)
    if year is not None:
        out.insert(2, "year", year)
    cols = [c for c in rollup_columns(scale) if c in out.columns]
    if "year" in out.columns:
        cols.insert(2, "year")
    out = out.sort_values(["zone_kind", "rank", "zone"], na_position="last",
                          ignore_index=True)
    return out[cols]


def _year_on_year(out: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    prev_cols = ["tax_per_mu", "value_added_per_mu", "ab_land_share", "d_land_share",
                 "firms_evaluated", "rank"]
    if previous is None:
        prev = pd.DataFrame({c: pd.Series(dtype="float64") for c in [*_KEY, *prev_cols]})
        prev = prev.astype({"zone_kind": object, "zone": object})
    else:
        prev = previous[[*_KEY, *prev_cols]].drop_duplicates(_KEY)
    prev = prev.rename(columns={c: f"{c}_last" for c in prev_cols})
    out = out.merge(prev, on=_KEY, how="left")
    for c in ("tax_per_mu", "value_added_per_mu"):
        last = out[f"{c}_last"].astype("float64")
        out[f"{c}_yoy"] = out[c] / last.where(last > 0) - 1.0
    for c in ("ab_land_share", "d_land_share"):
        out[f"{c}_change"] = out[c] - out[f"{c}_last"].astype("float64")
    out["firms_evaluated_change"] = (out["firms_evaluated"].astype("Int64")
                                     - out["firms_evaluated_last"].astype("Int64"))
    last_rank = out["rank_last"].astype("Int64")
    out["rank_change"] = last_rank - out["rank"]
    for c in ("tax_per_mu_yoy", "value_added_per_mu_yoy"):
        out[c] = out[c].replace([np.inf, -np.inf], np.nan)
    return out.drop(columns=[f"{c}_last" for c in prev_cols])
