"""Low-efficiency criteria on a hand-made parcel table (numbers worked by hand)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from indspace.core.engines.lowuse import LowuseParams, identify
from indspace.core.errors import PolicyError

MU = 2000 / 3          # m² per 亩
C5 = {"min_area_mu": 3, "tax_ratio_to_avg": 0.5, "min_tax_per_mu": 4, "min_plot_ratio": 1.0,
      "plot_ratio_to_standard": 0.6, "low_far_tax_exemption": 8,
      "low_far_exemption_standard_below": 1.0, "max_vacant_share": 0.5,
      "building_age_years": 30, "conforming_use_prefixes": ["1001", "1101"],
      "idle_after_years": 1, "ramp_up_land_years": 3, "tax_average_by_scale": False,
      "triggers": ["low_far+low_tax", "grade_d", "idle"]}
"""The land-rules C5 default test (the engine has no values of its own)."""


def params(by_industry: dict[str, float] | None = None, **over: Any) -> LowuseParams:
    return LowuseParams.from_values({**C5, **over}, by_industry or {})


def table(**over: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "parcel_id": ["P1", "P2", "P3", "P4", "P5"], "district": "330212",
        "area_m2": [10 * MU, 10 * MU, 10 * MU, 2 * MU, 10 * MU],
        "land_use_code": ["100101", "100102", "100101", "100101", "0701"],
        "right_start": pd.to_datetime(["2000-01-01"] * 4 + ["2024-06-01"]),
        "division": ["34", "34", "34", "34", "34"],
        # tax 万元: P1 20 → 2/亩; P2 600 → 60/亩; P3 400 → 40/亩; P4 2 → 1/亩; P5 none
        "tax": [20.0, 600.0, 400.0, 2.0, float("nan")],
        "far": [0.6, 1.5, 0.9, 0.5, 0.0], "vacant_share": [0.0, 0.6, 0.1, 0.0, float("nan")],
        "n_occupants": [1, 1, 1, 1, 0], "mean_year_built": [1990, 2010, 2005, 1992, None],
        "floor_area_m2": [4000.0, 10000.0, 6000.0, 700.0, 0.0],
        "line_status": ["inside", "inside", "outside", "inside", "inside"],
        "any_d": [False, False, True, False, False]}
    base.update(over)
    return pd.DataFrame(base)


def test_criteria_and_numbers_by_hand() -> None:
    # group 330212/34 over occupied parcels: Σtax 20+600+400+2 = 1022 on Σ 32 亩 → 31.9375
    r = identify(table(), params({"34": 0.7}),
                 2025).set_index("parcel_id")
    assert r.loc["P1", "industry_avg_tax_per_mu"] == pytest.approx(1022 / 32)
    assert r.loc["P1", "tax_per_mu"] == pytest.approx(2.0)
    # P1: 2 < 0.5 × 31.94 and < 4 → low_tax; FAR 0.6 < 1.0 → low_far; 35 years old → old
    assert r.loc["P1", "criteria"] == "low_tax;low_far;old_buildings"
    assert r.loc["P1", "triggers"] == "low_far+low_tax" and r.loc["P1", "low_efficiency"]
    # P2: 60/亩, FAR 1.5, but 60 % of its floor is vacant → reported, not a default trigger
    assert r.loc["P2", "criteria"] == "vacant" and not r.loc["P2", "low_efficiency"]
    # P3: 40/亩 ≥ 15.97, FAR 0.9 < 1.0 (A6 minimum 0.7 < 1.0 but tax 40 > 8 → exempt);
    # a D-class occupant → grade_d fires; outside the line is reported too
    assert r.loc["P3", "criteria"] == "grade_d;outside_line"
    assert r.loc["P3", "triggers"] == "grade_d"
    # P4: 2 亩 < 3 亩 → not tested at all
    assert not r.loc["P4", "tested"] and r.loc["P4", "criteria"] == ""
    # P5: no building, right from 2024-06-01 (≥ 1 year before 2025-12-31 → idle), land use
    # 0701 is not industrial; within the 3-year ramp-up, so no performance criteria
    assert r.loc["P5", "criteria"] == "nonconforming_use;idle"
    assert r.loc["P5", "triggers"] == "idle"


def test_triggers_are_configurable_and_checked() -> None:
    every = params(min_area_mu=0, triggers=("low_tax", "vacant", "outside_line"))
    r = identify(table(), every, 2025).set_index("parcel_id")
    assert list(r.index[r["low_efficiency"]]) == ["P1", "P2", "P3", "P4"]
    with pytest.raises(PolicyError, match="far_low"):
        identify(table(), params(triggers=("far_low",)), 2025)
    with pytest.raises(PolicyError, match="missing building_age_years"):
        LowuseParams.from_values({k: v for k, v in C5.items() if k != "building_age_years"},
                                 {})


def test_the_average_within_the_owners_population() -> None:
    # one district, division 13 (A6 minimum 1.0, so no low-FAR exemption), five 10-亩 parcels
    # all at FAR 0.8 < 1.0 (low_far); tax 万元 → per 亩:
    #   A 规上 600 → 60, B 规上 400 → 40, C 规下 100 → 10, D 规下 140 → 14, E 规下 40 → 4
    t = table(parcel_id=["A", "B", "C", "D", "E"], area_m2=[10 * MU] * 5,
              land_use_code=["100101"] * 5, right_start=pd.to_datetime(["2000-01-01"] * 5),
              division=["13"] * 5, tax=[600.0, 400.0, 100.0, 140.0, 40.0], far=[0.8] * 5,
              vacant_share=[0.0] * 5, n_occupants=[1] * 5, mean_year_built=[2000] * 5,
              floor_area_m2=[5000.0] * 5, line_status=["inside"] * 5, any_d=[False] * 5,
              scale=["above", "above", "below", "below", "below"])
    # mixed: Σ 1 280 / 50 亩 = 25.6, half 12.8 → C (10) and E (4) are low; D (14) is not
    mixed = identify(t, params(), 2025).set_index("parcel_id")
    assert mixed.loc["C", "industry_avg_tax_per_mu"] == pytest.approx(25.6)
    assert list(mixed.index[mixed["low_efficiency"]]) == ["C", "E"]
    # by population: 规上 1 000 / 20 = 50 (half 25: A, B fine); 规下 280 / 30 = 9.333…,
    # half 4.667 → only E (4; and 4 is not below the 4 万元/亩 floor) is low
    own = identify(t, params(tax_average_by_scale=True), 2025).set_index("parcel_id")
    assert own.loc["A", "industry_avg_tax_per_mu"] == pytest.approx(50.0)
    assert own.loc["C", "industry_avg_tax_per_mu"] == pytest.approx(280 / 30)
    assert list(own.index[own["low_tax"]]) == ["E"]
    assert list(own.index[own["low_efficiency"]]) == ["E"]
    with pytest.raises(PolicyError, match="true or false"):
        params(tax_average_by_scale="yes")
    # a profile written before the option (a past run's stored copy) keeps the mixed average
    older = LowuseParams.from_values({k: v for k, v in C5.items()
                                      if k != "tax_average_by_scale"}, {})
    assert older.tax_average_by_scale is False
