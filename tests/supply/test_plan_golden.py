"""Golden tests of supply planning (issue #17, land-rules E1–E10).

Reserve price: the national minimum by land grade (国土资发〔2006〕307号, 元/m², grades 1–15:
840, 720, 600, 480, 384, 336, 288, 252, 204, 168, 144, 120, 96, 84, 60); a listed priority
project that is also in a provincial priority industry and land-intensive may go down to
70 % of it (国土资发〔2009〕56号), never below the land cost. The parcel is 20 000 m² = 30 亩,
so the total in 万元 is price × 20 000 ÷ 10 000 = price × 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from indspace.core.engines.supply_plan import plan
from indspace.core.policy import load_profile
from indspace.services.supply import plan_params, plan_supply
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store

DAY = date(2025, 6, 30)
MINIMUM = [840, 720, 600, 480, 384, 336, 288, 252, 204, 168, 144, 120, 96, 84, 60]
PRIORITY = {"little_giant": True, "land_intensive": True, "provincial_priority_industry": True}


def _plan(grade: int, project: dict[str, object], **kw: object) -> dict[str, object]:
    params = plan_params(load_profile(DEFAULT_PROFILE), DAY, "330212", "3481")
    parcel = {"parcel_id": "P1", "area_m2": 20000.0, "district": "330212", "land_grade": grade,
              "neighbour_owners": kw.pop("neighbours", [])}
    return plan(parcel, project, params, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("grade", range(1, 16))
def test_reserve_price_by_grade_without_and_with_priority(grade: int) -> None:
    m = MINIMUM[grade - 1]
    plain = _plan(grade, {})["reserve_price"]
    assert plain["min_price_yuan_m2"] == str(m)
    assert plain["reserve_floor_yuan_m2"] == str(m)
    assert Decimal(plain["reserve_floor_total_wan"]) == Decimal(m) * 2
    assert plain["priority"] is False
    prio = _plan(grade, PRIORITY)["reserve_price"]
    # 70 % of the minimum, e.g. grade 4: 480 × 0.7 = 336 元/m² → 672 万元
    assert Decimal(prio["reserve_floor_yuan_m2"]) == Decimal(m) * Decimal("0.7")
    assert Decimal(prio["reserve_floor_total_wan"]) == Decimal(m) * Decimal("1.4")
    assert prio["priority"] is True and prio["priority_reasons"] == ["little_giant"]


def test_priority_floor_never_below_land_cost() -> None:
    # grade 4: 70 % = 336 < cost 400 → the floor is the cost, 400 × 2 = 800 万元
    p = _plan(4, {**PRIORITY, "land_cost_yuan_m2": 400})["reserve_price"]
    assert (p["reserve_floor_yuan_m2"], p["reserve_floor_total_wan"]) == ("400", "800")


def test_listed_but_not_land_intensive_keeps_the_minimum() -> None:
    p = _plan(4, {"single_champion": True, "provincial_priority_industry": True})
    price = p["reserve_price"]
    assert price["priority"] is False and price["reserve_floor_yuan_m2"] == "480"
    assert "priority_note" in price


def test_designations_and_361_chain_qualify() -> None:
    base = {"land_intensive": True, "provincial_priority_industry": True}
    p = _plan(7, base, designations=["single_champion", "high_tech_enterprise"])
    assert p["reserve_price"]["priority_reasons"] == ["single_champion"]
    assert p["reserve_price"]["reserve_floor_yuan_m2"] == "201.6"       # 288 × 0.7
    p = _plan(7, base, chain_361=True)
    assert p["reserve_price"]["priority_reasons"] == ["chain_361"]
    # a high-tech designation alone is not on the priority list
    assert _plan(7, base, designations=["high_tech_enterprise"])["reserve_price"][
        "priority"] is False


def test_modes_terms_and_lease_then_grant() -> None:
    p = _plan(4, {"mode": "flexible_term", "term_years": 35})
    modes = {m["mode"]: m for m in p["modes"]}
    assert modes["grant"]["max_years"] == 50
    assert modes["long_term_lease"]["max_years"] == 20
    assert (modes["flexible_term"]["max_years"], modes["flexible_term"]["default_years"]) == (
        30, 20)
    # 先租后让: a 5-year lease, then a grant of at most 50 − 5 = 45 years
    assert (modes["lease_then_grant"]["lease_years"],
            modes["lease_then_grant"]["grant_years_max"]) == (5, 45)
    assert p["requested"]["term_allowed"] is False                      # 35 > 30
    assert _plan(4, {"mode": "flexible_term", "term_years": 30})["requested"][
        "term_allowed"] is True


def test_negotiated_grant_of_a_scattered_parcel_and_joint_bidding() -> None:
    code = "91330200MA2AAAAA0G"
    ok = _plan(4, {"credit_code": code, "scattered_parcel": True}, neighbours=[code])
    assert ok["negotiated_grant"]["eligible"] is True
    assert ok["negotiated_grant"]["price_floor_yuan_m2"] == "480"
    assert _plan(4, {"credit_code": code, "scattered_parcel": True})["negotiated_grant"][
        "eligible"] is False                                            # not a neighbour
    assert _plan(4, {"credit_code": code}, neighbours=[code])["negotiated_grant"][
        "eligible"] is False                                            # usable alone
    two = [{"credit_code": "A", "share": "0.6"}, {"credit_code": "B", "share": "0.4"}]
    assert _plan(4, {"co_bidders": two})["joint_bidding"]["eligible"] is True
    assert _plan(4, {"co_bidders": two[:1]})["joint_bidding"]["eligible"] is False


def test_conditions_carry_their_clauses() -> None:
    # 330212 (鄞州) is in the 市区: new supply FAR ≥ 2.0; 9000 万元 on 30 亩 = 300 万元/亩
    p = _plan(4, {"investment_commitment_wan": 9000, "tax_per_mu_commitment_wan": 30,
                  "far_max": 3.5})
    cond = {c["condition"]: c for c in p["conditions"]}
    assert cond["far_window"]["value"] == "2–3.5"
    assert cond["investment_intensity_wan_per_mu"]["value"] == "300"
    assert all(c["clause"] for c in p["conditions"])


CODE = "91330200MA2AAAAA0G"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    x0, y0 = 649_000.0, 3_306_000.0
    s.write_frames({
        "enterprises": pd.DataFrame({"credit_code": [CODE], "name": ["甲"],
                                     "district": ["330212"], "industry_code": ["3481"],
                                     "chain": [None]}),
        "parcels": gpd.GeoDataFrame(
            {"parcel_id": ["NEW", "OWN", "FAR"], "area_m2": [20000.0] * 3,
             "district": ["330212"] * 3, "owner_credit_code": [None, CODE, CODE]},
            geometry=[MultiPolygon([box(x0, y0, x0 + 200, y0 + 100)]),
                      MultiPolygon([box(x0 + 200, y0, x0 + 400, y0 + 100)]),   # touching
                      MultiPolygon([box(x0 + 900, y0, x0 + 1100, y0 + 100)])],
            crs=s.srid),
        "designations": pd.DataFrame({"credit_code": [CODE], "designation": ["little_giant"],
                                      "start": [date(2024, 1, 1)], "end": [date(2026, 12, 31)]}),
    }, valid_from=now)
    yield s
    s.close()


def test_plan_from_the_store(store: Store) -> None:
    # 330212 is grade 7 in the demo profile (288 元/m², [U]); the firm's 小巨人 designation is
    # valid on the day → 288 × 0.7 = 201.6 元/m² → 403.2 万元
    project = {"credit_code": CODE, "land_intensive": True, "provincial_priority_industry": True,
               "scattered_parcel": True}
    r = plan_supply(store, "NEW", project, DAY, profile=DEFAULT_PROFILE)
    assert r["reserve_price"]["land_grade"] == 7
    assert r["reserve_price"]["reserve_floor_total_wan"] == "403.2"
    assert r["reserve_price"]["priority_reasons"] == ["little_giant"]
    assert r["negotiated_grant"]["eligible"] is True                   # OWN touches NEW
    after = plan_supply(store, "NEW", project, date(2027, 1, 1), profile=DEFAULT_PROFILE)
    assert after["reserve_price"]["priority"] is False                 # designation expired
