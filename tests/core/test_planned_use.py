"""Planned use of redevelopment units by majority overlay (issue #14), worked by hand.

Every unit is one 100 m × 100 m parcel (10 000 m²); the rules are the ningbo-demo ones
(industrial = codes under 1001, 1101, M, W; a zone decides when it covers more than 50 %).
Method date 2025-06-30.

    U60  residential zone 0701 over x 0–60 m:   6 000 / 10 000 = 60 % > 50 % → 0701, not
         industrial → the plan allows conversion → 更新转型
    U40  residential zone 0701 over x 0–40 m:   4 000 / 10 000 = 40 % ≤ 50 % → no zone
         decides → 改造提升
    ULATE residential zone over 100 %, approved 2025-07-01 (after the method date) → it does
         not exist yet → 改造提升
    UIND zone Z-IND re-approved: 1001 on 2020-01-01, 0901 on 2026-01-01 → on 2025-06-30
         the 1001 approval is in force → industrial → 改造提升
    USPLIT two zones: 09 (commercial) over x 0–55 (55 %), 1001 over x 55–100 (45 %) → 09
         wins → 更新转型
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from indspace.core.engines.planned_use import (
    PlannedUseRules,
    planned_use_by_unit,
    zones_in_force,
)
from indspace.core.engines.redevelop import RedevelopRules, classify_projects
from indspace.core.errors import PolicyError
from indspace.core.policy import load_profile

ON = date(2025, 6, 30)
RULES = PlannedUseRules(("1001", "1101", "M", "W"), 0.5)


def _unit(i: int) -> tuple[float, float]:
    return 1000.0 * i, 0.0  # units 1 km apart


def _parcels() -> gpd.GeoDataFrame:
    names = ["U60", "U40", "ULATE", "UIND", "USPLIT"]
    geoms = [box(x, y, x + 100, y + 100) for x, y in map(_unit, range(len(names)))]
    return gpd.GeoDataFrame({"unit_id": names}, geometry=geoms, crs=4549)


def _zones() -> gpd.GeoDataFrame:
    def strip(i: int, x0: float, x1: float):  # type: ignore[no-untyped-def]
        x, y = _unit(i)
        return box(x + x0, y, x + x1, y + 100)

    rows = [
        ("Z-R60", "0701", date(2024, 1, 1), "甬规〔2024〕1号", strip(0, 0, 60)),
        ("Z-R40", "0701", date(2024, 1, 1), None, strip(1, 0, 40)),
        ("Z-LATE", "0701", date(2025, 7, 1), None, strip(2, 0, 100)),
        ("Z-IND", "1001", date(2020, 1, 1), None, strip(3, 0, 100)),
        ("Z-IND", "0901", date(2026, 1, 1), None, strip(3, 0, 100)),
        ("Z-C55", "09", date(2023, 1, 1), None, strip(4, 0, 55)),
        ("Z-M45", "1001", date(2023, 1, 1), None, strip(4, 55, 100)),
    ]
    z = pd.DataFrame(rows, columns=["zone_id", "planned_use", "approved", "document", "geometry"])
    return gpd.GeoDataFrame(z, geometry="geometry", crs=4549)


def test_majority_zone_in_force_decides_the_planned_use() -> None:
    out = planned_use_by_unit(_parcels(), _zones(), ON, RULES).set_index("unit_id")
    assert out.loc["U60", "plan_share"] == pytest.approx(0.6)
    assert out.loc["U60", ["plan_zone_id", "planned_use"]].tolist() == ["Z-R60", "0701"]
    assert out.loc["U60", "plan_document"] == "甬规〔2024〕1号"
    assert out.loc["U40", "plan_share"] == pytest.approx(0.4)
    assert pd.isna(out.loc["U40", "plan_zone_id"])
    assert out.loc["ULATE", "plan_share"] == 0.0  # not approved yet on 2025-06-30
    assert out.loc["UIND", ["planned_use", "plan_approved"]].tolist() == ["1001", date(2020, 1, 1)]
    assert out.loc["USPLIT", ["plan_zone_id", "plan_share"]].tolist() == [
        "Z-C55",
        pytest.approx(0.55),
    ]
    assert out["plan_allows_conversion"].to_dict() == {
        "U40": False,
        "U60": True,
        "UIND": False,
        "ULATE": False,
        "USPLIT": True,
    }
    # a year later the 2025-07-01 zone and the 0901 re-approval are in force
    later = planned_use_by_unit(_parcels(), _zones(), date(2026, 1, 1), RULES)
    assert later.set_index("unit_id")["plan_allows_conversion"].to_dict() == {
        "U40": False,
        "U60": True,
        "UIND": True,
        "ULATE": True,
        "USPLIT": True,
    }


def test_units_of_a_non_industrial_plan_become_renewal_transformation() -> None:
    plans = planned_use_by_unit(_parcels(), _zones(), ON, RULES)
    # in the line, no D-class occupant: no relocation trigger
    units = plans.assign(inside_share=1.0, grade_A=1, grade_B=1, grade_C=0, grade_D=0)
    rules = RedevelopRules.from_profile(load_profile("ningbo-demo"), ON)
    out = classify_projects(units, rules).set_index("unit_id")
    assert out["project_type"].to_dict() == {
        "U60": "renewal_transformation",
        "U40": "upgrade_in_place",
        "ULATE": "upgrade_in_place",
        "UIND": "upgrade_in_place",
        "USPLIT": "renewal_transformation",
    }
    reason = out.loc["U60", "project_type_reason"]
    assert "规划单元 Z-R60 覆盖 60%，规划用途 0701（非工业，甬规〔2024〕1号） → 更新转型" in reason
    assert "plan zone Z-R60 covers 60%, planned use 0701 (not industrial" in reason


def test_zones_in_force_and_rules_from_the_profile() -> None:
    live = zones_in_force(_zones(), ON)
    assert live["zone_id"].tolist() == ["Z-C55", "Z-IND", "Z-M45", "Z-R40", "Z-R60"]
    rules = PlannedUseRules.from_values(load_profile("ningbo-demo").value("planned_use_rules", ON))
    assert rules == RULES
    with pytest.raises(PolicyError, match="min_share"):
        PlannedUseRules.from_values({"industrial_use_prefixes": ["1001"]})
    # no zones at all: nothing converts
    empty = _zones().iloc[0:0]
    assert not planned_use_by_unit(_parcels(), empty, ON, RULES)["plan_allows_conversion"].any()
