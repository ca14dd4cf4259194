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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from indspace.core.model.units import mu_to_m2
from indspace.core.policy.evaluation import PolicyMeasure

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
