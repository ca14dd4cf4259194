"""差别化政策: the measures that follow from a grade, and their yearly money impact (§9).

Each measure of the profile is (grade, measure_type, amount, unit, basis,
consecutive_years_min). A firm gets a measure when its policy grade (ungraded firms: B) has
been that grade for at least ``consecutive_years_min`` years up to the evaluated year; of
several rows of the same grade and measure type it gets the one with the highest
``consecutive_years_min`` it satisfies (海宁 2025 draft: D +0.3 元/kWh, D ≥ 3 years +0.4).

Money impact (元/year) = amount (元 per basis unit) × the firm's basis figure of the year
(electricity_kwh, water_t, energy_tce, emissions, land_area_m2 or land_area_mu). Positive is
a charge (surcharge), negative a relief. Measures without an amount are qualitative
(money impact null); a basis figure that is missing leaves the impact null, never 0.

Inputs: ``results`` (credit_code, policy_grade, land_area_mu), ``figures`` (credit_code and
the year's figures), ``history`` (credit_code, year, policy_grade — earlier years; may be
empty), the profile's measures and the year. Output: one row per firm and measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.model.units import mu_to_m2
from indspace.core.policy.evaluation import PolicyMeasure

FIGURE_BASES = ("electricity_kwh", "water_t", "energy_tce", "emissions")
"""The firm figures a measure can be charged on (kWh, t, tce, t; the land bases come from
the result)."""
COLUMNS = ("credit_code", "grade", "measure_type", "label", "amount", "unit", "basis",
           "basis_value", "consecutive_years", "money_yuan", "note")


def consecutive_years(results: pd.DataFrame, history: pd.DataFrame, year: int) -> pd.Series:
    """Years in a row, up to ``year``, that each firm has held its current policy grade."""
    cur = results.set_index("credit_code")["policy_grade"]
    count = pd.Series(1, index=cur.index, dtype="int64").where(cur.notna(), 0)
    if history.empty:
        return count
    hist = history.pivot_table(index="credit_code", columns="year", values="policy_grade",
                               aggfunc="first")
    alive = cur.notna()
    y = year - 1
    while y in hist.columns and alive.any():
        same = hist[y].reindex(cur.index).eq(cur).fillna(False).astype(bool) & alive
        count += same.astype("int64")
        alive = same
        y -= 1
    return count


def apply_policies(results: pd.DataFrame, figures: pd.DataFrame, history: pd.DataFrame,
                   measures: Sequence[PolicyMeasure], year: int) -> pd.DataFrame:
    if not measures or results.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    table = pd.DataFrame([m.model_dump() for m in measures])
    firms = results[["credit_code", "policy_grade", "land_area_mu"]].dropna(
        subset=["policy_grade"]).copy()
    firms["consecutive_years"] = firms["credit_code"].map(
        consecutive_years(results, history, year))
    hit = firms.merge(table, left_on="policy_grade", right_on="grade")
    hit = hit[hit["consecutive_years"] >= hit["consecutive_years_min"]]
    hit = hit.sort_values(["credit_code", "measure_type", "consecutive_years_min"]) \
        .drop_duplicates(["credit_code", "measure_type"], keep="last")
    fig = figures.drop_duplicates("credit_code").set_index("credit_code")
    basis_value = pd.Series(np.nan, index=hit.index)
    for basis, rows in hit.groupby("basis").groups.items():
        codes = hit.loc[rows, "credit_code"]
        if basis == "land_area_mu":
            basis_value[rows] = hit.loc[rows, "land_area_mu"]
        elif basis == "land_area_m2":
            basis_value[rows] = mu_to_m2(hit.loc[rows, "land_area_mu"].to_numpy())
        elif basis != "none" and basis in fig.columns:
            basis_value[rows] = codes.map(fig[basis]).to_numpy(dtype="float64")
    hit["basis_value"] = basis_value
    hit["money_yuan"] = (hit["amount"] * hit["basis_value"]).round(2)
    return hit[list(COLUMNS)].sort_values(["credit_code", "measure_type"], ignore_index=True)


def firm_policies(policy_grade: str | None, land_area_mu: float,
                  figures: Mapping[str, float | None], history: Mapping[int, str | None],
                  measures: Sequence[PolicyMeasure], year: int) -> list[dict[str, Any]]:
    """:func:`apply_policies` for ONE firm, without a frame (a stored run's explanation reads
    it per request): the same rows in the same order, as dicts of the :data:`COLUMNS` but
    ``credit_code``, a missing number as None. ``history``: the firm's policy grade in
    earlier years (year → grade); ``figures``: its own basis figures of the year."""
    if not measures or policy_grade is None:
        return []
    years = 1
    y = year - 1
    while history.get(y) == policy_grade:
        years += 1
        y -= 1
    chosen: dict[str, PolicyMeasure] = {}
    for m in measures:
        if m.grade != policy_grade or years < m.consecutive_years_min:
            continue
        best = chosen.get(m.measure_type)
        if best is None or m.consecutive_years_min >= best.consecutive_years_min:
            chosen[m.measure_type] = m
    out = []
    for kind in sorted(chosen):
        m = chosen[kind]
        basis_value: float | None
        if m.basis == "land_area_mu":
            basis_value = float(land_area_mu)
        elif m.basis == "land_area_m2":
            basis_value = float(mu_to_m2(land_area_mu))
        elif m.basis != "none" and figures.get(m.basis) is not None:
            basis_value = float(figures[m.basis])  # type: ignore[arg-type]
        else:
            basis_value = None
        if basis_value is not None and np.isnan(basis_value):
            basis_value = None
        money = (None if m.amount is None or basis_value is None
                 else float(np.round(np.float64(m.amount) * basis_value, 2)))
        row = m.model_dump()
        out.append({"grade": policy_grade, "measure_type": kind, "label": row.get("label"),
                    "amount": None if m.amount is None else float(m.amount),
                    "unit": row.get("unit"), "basis": m.basis, "basis_value": basis_value,
                    "consecutive_years": years, "money_yuan": money, "note": row.get("note")})
    return out
