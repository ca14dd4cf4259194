"""One firm's differentiated policies without a frame (engines/policies.firm_policies, issue
#16): the rows apply_policies gives for that firm, worked out by hand.

Measures (海宁-style): D +0.3 元/kWh; D three years running +0.4 元/kWh; D water +1 元/t;
A land-use tax relief −2 元/m²·年; A credit support (qualitative).

  firm  grade  history (2023, 2024)  kWh        t     land 亩   → rows
  F1    D      D, D                  1 000 000  500   3        D 3 years: +0.4 × 1e6 = 400 000 元;
                                                                water +1 × 500 = 500 元
  F2    D      C, D                  2 000 000  None  6        D 2 years: +0.3 × 2e6 = 600 000 元;
                                                                water: no figure → money None
  F3    A      —                     …          …     3        relief −2 × 2 000 m² = −4 000 元;
                                                                credit support, no money
  F4    None   —                                                (not evaluated) no rows
"""

from __future__ import annotations

import math

import pandas as pd

from indspace.core.engines.policies import apply_policies, firm_policies
from indspace.core.policy.evaluation import PolicyMeasure

MEASURES = [
    PolicyMeasure(
        grade="D",
        measure_type="electricity_surcharge",
        label="电价加价",
        amount=0.3,
        unit="元/kWh",
        basis="electricity_kwh",
    ),
    PolicyMeasure(
        grade="D",
        measure_type="electricity_surcharge",
        label="电价加价",
        amount=0.4,
        unit="元/kWh",
        basis="electricity_kwh",
        consecutive_years_min=3,
    ),
    PolicyMeasure(
        grade="D",
        measure_type="water_surcharge",
        label="水价加价",
        amount=1.0,
        unit="元/t",
        basis="water_t",
    ),
    PolicyMeasure(
        grade="A",
        measure_type="land_use_tax_relief",
        label="城镇土地使用税减免",
        amount=-2.0,
        unit="元/m²·年",
        basis="land_area_m2",
    ),
    PolicyMeasure(grade="A", measure_type="credit_support", label="信贷优先支持"),
]
FIRMS = {
    "F1": ("D", 3.0, 1_000_000.0, 500.0, {2023: "D", 2024: "D"}),
    "F2": ("D", 6.0, 2_000_000.0, None, {2023: "C", 2024: "D"}),
    "F3": ("A", 3.0, 10.0, 1.0, {}),
    "F4": (None, 0.0, None, None, {}),
}


def test_one_firm_gives_the_frame_rows_by_hand() -> None:
    results = pd.DataFrame(
        {
            "credit_code": list(FIRMS),
            "policy_grade": [v[0] for v in FIRMS.values()],
            "land_area_mu": [v[1] for v in FIRMS.values()],
        }
    )
    figures = pd.DataFrame(
        {
            "credit_code": list(FIRMS),
            "electricity_kwh": [v[2] for v in FIRMS.values()],
            "water_t": [v[3] for v in FIRMS.values()],
        }
    )
    history = pd.DataFrame(
        [
            {"credit_code": c, "year": y, "policy_grade": g}
            for c, v in FIRMS.items()
            for y, g in v[4].items()
        ]
    )
    frame = apply_policies(results, figures, history, MEASURES, 2025)
    money = {}
    for code, (grade, land, kwh, water, hist) in FIRMS.items():
        rows = firm_policies(
            grade, land, {"electricity_kwh": kwh, "water_t": water}, hist, MEASURES, 2025
        )
        want = frame[frame["credit_code"] == code].drop(columns="credit_code")
        assert [r["measure_type"] for r in rows] == list(want["measure_type"])
        for got, exp in zip(rows, want.to_dict("records"), strict=True):
            for k, v in exp.items():
                if isinstance(v, float) and math.isnan(v):
                    assert got[k] is None, (code, k)
                else:
                    assert got[k] == v, (code, k)
        money[code] = {r["measure_type"]: r["money_yuan"] for r in rows}
    assert money == {
        "F1": {"electricity_surcharge": 400_000.0, "water_surcharge": 500.0},
        "F2": {"electricity_surcharge": 600_000.0, "water_surcharge": None},
        "F3": {"credit_support": None, "land_use_tax_relief": -4_000.0},
        "F4": {},
    }
