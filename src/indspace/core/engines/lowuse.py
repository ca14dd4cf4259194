"""低效用地 identification, parcel by parcel (shared/domain/land-rules.md §C5, default [I]).

Every criterion is reported per parcel with its numbers; a parcel is low-efficiency when it
meets at least one. Thresholds come from the policy profile (:class:`LowuseParams`).

Criteria (identifier — rule):

* ``grade_d``           — an enterprise using the parcel is graded D in the year's 亩均 run;
* ``low_tax``           — 亩均税收 of the parcel (Σ occupants' tax, each firm's tax split over its
                          parcels by land used, ÷ parcel 亩) < ``tax_ratio_to_avg`` × the
                          same-industry (GB/T 4754 division of the principal owner) district
                          average (Σ tax ÷ Σ 亩), or < ``min_tax_per_mu``. With
                          ``tax_average_by_scale`` the average is also taken within the
                          principal owner's population (规上 / 规下, column ``scale``), as the
                          亩均 evaluation benchmarks each population on its own average
                          (mujun-evaluation §2, §8): 规下 亩均税收 is about a third of 规上
                          (synthetic-data §1: 11.6–16.6 vs 43 万元/亩), so against a mixed
                          average nearly every 规下 parcel is "below half" whatever it pays;
* ``low_far``           — FAR (storeys > 8 m counted twice) < ``min_plot_ratio``, or <
                          ``plot_ratio_to_standard`` × the industry minimum (A6), unless the A6
                          minimum is < ``low_far_exemption_standard_below`` (1.0) and
                          亩均税收 > ``low_far_tax_exemption`` (C5);
* ``vacant``            — vacant floor share (not used by any occupant) > ``max_vacant_share``;
* ``old_buildings``     — floor-weighted mean building age ≥ ``building_age_years``;
* ``outside_line``      — outside the industrial control line;
* ``nonconforming_use`` — land-use code not under one of ``conforming_use_prefixes``;
* ``idle``              — no building at all, land right started more than ``idle_after_years``
                          before the year end (D1: not started one year after the agreed date).

Every criterion is reported; which make a parcel low-efficiency is the profile's
``triggers`` list: a trigger is one criterion or several joined by ``+`` (all must hold), e.g.
``["low_far+low_tax", "grade_d", "idle"]``. C5 lists each criterion as a trigger on its own;
on the demo city that flags half of all parcels (the demo's tax per mu is skewed, so half of
them sit under 50 % of their group's mean), while the calibration target is 12–18 % "mostly
pre-2005, FAR < 1.0, with tax below 50 % of the average" — which the combined trigger meets.

Only parcels of at least ``min_area_mu`` are tested (C5). Parcels whose land right started
fewer than ``ramp_up_land_years`` before the year end are exempt from the performance
criteria (grade_d, low_tax, low_far, vacant) but not from idle, outside_line or use.

Input ``parcels`` columns: parcel_id, district, area_m2, land_use_code, right_start, division
(2-digit industry of the principal owner), tax (万元, Σ apportioned; NaN: no occupant),
far, vacant_share, n_occupants, mean_year_built, floor_area_m2, line_status
(inside|outside|partial), any_d (bool), and with ``tax_average_by_scale`` scale (population of
the principal owner: above|below). Output: the same rows with, per criterion, a bool
column, plus tax_per_mu, industry_avg_tax_per_mu, industry_min_far, building_age,
``criteria`` (met criteria joined by ``;`` in the order above), ``n_criteria``, ``tested``
and ``low_efficiency``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.errors import PolicyError
from indspace.core.model.units import m2_to_mu

CRITERIA = ("grade_d", "low_tax", "low_far", "vacant", "old_buildings", "outside_line",
            "nonconforming_use", "idle")
CRITERION_LABELS = {
    "grade_d": "D类企业占用", "low_tax": "亩均税收偏低", "low_far": "容积率偏低",
    "vacant": "厂房空置", "old_buildings": "建筑老旧", "outside_line": "位于控制线外",
    "nonconforming_use": "用途不符", "idle": "闲置土地"}


@dataclass(frozen=True)
class LowuseParams:
    """The thresholds of the test, all from the profile (``low_efficiency_criteria`` and
    ``min_plot_ratio_by_industry``); the engine holds none. ``tax_average_by_scale`` may be
    left out: false, the average over both populations (profiles older than the option)."""

    min_area_mu: float
    tax_ratio_to_avg: float
    min_tax_per_mu: float
    min_plot_ratio: float
    plot_ratio_to_standard: float
    low_far_tax_exemption: float
    low_far_exemption_standard_below: float
    max_vacant_share: float
    building_age_years: float
    conforming_use_prefixes: tuple[str, ...]
    idle_after_years: float
    ramp_up_land_years: float
    tax_average_by_scale: bool
    triggers: tuple[str, ...]
    min_plot_ratio_by_industry: dict[str, float]

    @classmethod
    def from_values(cls, criteria: Mapping[str, Any],
                    by_industry: Mapping[str, Any]) -> LowuseParams:
        """From the profile's ``low_efficiency_criteria`` (every field but the last) and
        ``min_plot_ratio_by_industry`` (division → FAR)."""
        names = [f.name for f in fields(cls) if f.name != "min_plot_ratio_by_industry"]
        # added later: a profile without it (e.g. the copy a past run stored) keeps the
        # average over both populations it was computed with
        criteria = {"tax_average_by_scale": False, **criteria}
        unknown = sorted(set(criteria) - set(names))
        missing = [n for n in names if n not in criteria]
        if unknown or missing:
            raise PolicyError(
                f"low_efficiency_criteria 参数有误：未知 {', '.join(unknown) or '无'}，"
                f"缺少 {', '.join(missing) or '无'}",
                f"low_efficiency_criteria: unknown {', '.join(unknown) or 'none'}, missing "
                f"{', '.join(missing) or 'none'}", where="low_efficiency_criteria")
        raw: dict[str, Any] = {}
        for n in names:
            v = criteria[n]
            if n in ("conforming_use_prefixes", "triggers"):
                raw[n] = tuple(str(x) for x in v)
            elif n == "tax_average_by_scale":
                if not isinstance(v, bool):
                    raise PolicyError(
                        f"low_efficiency_criteria.tax_average_by_scale 应为 true 或 false，"
                        f"现为 {v!r}",
                        f"low_efficiency_criteria.tax_average_by_scale must be true or false, "
                        f"got {v!r}", where="low_efficiency_criteria.tax_average_by_scale")
                raw[n] = v
            else:
                raw[n] = float(v)
        return cls(**raw, min_plot_ratio_by_industry={str(k): float(v)
                                                      for k, v in by_industry.items()})


def identify(parcels: pd.DataFrame, params: LowuseParams, year: int) -> pd.DataFrame:
    df = parcels.reset_index(drop=True).copy()
    year_end = pd.Timestamp(date(year, 12, 31))
    area_mu = m2_to_mu(df["area_m2"].to_numpy(dtype="float64"))
    tax = df["tax"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["tax_per_mu"] = np.where(area_mu > 0, np.nan_to_num(tax, nan=0.0) / area_mu, np.nan)
    # same-industry district average: Σ tax ÷ Σ 亩 over occupied parcels of the group
    occupied = df["n_occupants"].to_numpy() > 0
    key = df["district"].astype(str) + "/" + df["division"].fillna("—").astype(str)
    if params.tax_average_by_scale:
        key = key + "/" + df["scale"].fillna("—").astype(str)
    sums = pd.DataFrame({"key": key[occupied], "tax": np.nan_to_num(tax)[occupied],
                         "mu": area_mu[occupied]}).groupby("key").sum()
    avg = (sums["tax"] / sums["mu"].where(sums["mu"] > 0))
    df["industry_avg_tax_per_mu"] = key.map(avg).to_numpy(dtype="float64")

    start = pd.to_datetime(df["right_start"])
    ramp_up = (start > year_end - pd.DateOffset(years=int(params.ramp_up_land_years))) \
        .fillna(False).to_numpy(dtype=bool)
    tested = (area_mu >= params.min_area_mu)
    perf = tested & ~ramp_up & occupied

    std = df["division"].map(params.min_plot_ratio_by_industry).to_numpy(dtype="float64")
    df["industry_min_far"] = std
    far = df["far"].to_numpy(dtype="float64")
    tpm = df["tax_per_mu"].to_numpy(dtype="float64")
    low_far = (far < params.min_plot_ratio) | (far < params.plot_ratio_to_standard * std)
    low_far &= ~((std < params.low_far_exemption_standard_below)
                 & (tpm > params.low_far_tax_exemption))
    age = year - df["mean_year_built"].to_numpy(dtype="float64", na_value=np.nan)
    df["building_age"] = age
    built = df["floor_area_m2"].to_numpy(dtype="float64", na_value=np.nan) > 0
    codes = df["land_use_code"].fillna("").astype(str)
    conforming = codes.str.startswith(params.conforming_use_prefixes).to_numpy(dtype=bool)
    idle_since = (start <= year_end - pd.DateOffset(years=int(params.idle_after_years))) \
        .fillna(False).to_numpy(dtype=bool)
    avg_tax = df["industry_avg_tax_per_mu"].to_numpy(dtype="float64")

    met = {
        "grade_d": perf & df["any_d"].fillna(False).to_numpy(dtype=bool),
        "low_tax": perf & ((tpm < params.tax_ratio_to_avg * avg_tax)
                           | (tpm < params.min_tax_per_mu)),
        "low_far": perf & built & low_far,
        "vacant": perf & (df["vacant_share"].to_numpy(dtype="float64", na_value=np.nan)
                          > params.max_vacant_share),
        "old_buildings": tested & built & (age >= params.building_age_years),
        "outside_line": tested & df["line_status"].eq("outside").to_numpy(dtype=bool),
        "nonconforming_use": tested & ~conforming,
        "idle": tested & ~built & idle_since,
    }
    text = np.full(len(df), "", dtype=object)
    for name in CRITERIA:
        df[name] = met[name]
        text = np.where(met[name], text + ";" + name, text)
    df["criteria"] = pd.Series(text).str.lstrip(";")
    df["n_criteria"] = np.sum([met[c] for c in CRITERIA], axis=0).astype("int64")
    df["tested"] = tested
    fired = np.full(len(df), "", dtype=object)
    for trigger in params.triggers:
        parts = trigger.split("+")
        unknown = [c for c in parts if c not in met]
        if unknown:
            raise PolicyError(f"低效用地触发条件含未知指标：{', '.join(unknown)}",
                              f"unknown criteria in a low-efficiency trigger: "
                              f"{', '.join(unknown)} (known: {', '.join(CRITERIA)})",
                              where=f"low_efficiency_criteria.triggers: {trigger}")
        hit = np.logical_and.reduce([met[c] for c in parts])
        fired = np.where(hit, fired + ";" + trigger, fired)
    df["triggers"] = pd.Series(fired).str.lstrip(";")
    df["low_efficiency"] = df["triggers"].ne("").to_numpy()
    return df
