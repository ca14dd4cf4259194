"""Laws of the plan checker (issue #18), over generated plans under the ningbo-demo rules of
2025-06-30 (FAR ≥ 2.0 in 市区, R&D ≤ 15 %, storeys above 8 m count twice)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indspace.core.engines.plan_check import check_plan, floor_figures
from indspace.core.model.plan import Plan
from indspace.core.policy import load_profile
from indspace.services.plan_check import rules_on

RULES = rules_on(load_profile("ningbo-demo"), date(2025, 6, 30))
LIMIT = Decimal("8")

areas = st.decimals(min_value=Decimal("1"), max_value=Decimal("20000"), places=2)
heights = st.decimals(min_value=Decimal("3"), max_value=Decimal("15"), places=2)
storey = st.fixed_dictionaries(
    {
        "use": st.sampled_from(["production", "rnd", "admin_living", "warehouse"]),
        "area_m2": areas,
        "height_m": heights,
        "underground": st.booleans(),
    }
)


@st.composite
def plans(draw: Any) -> Plan:
    site = draw(st.decimals(min_value=Decimal("1000"), max_value=Decimal("50000"), places=2))
    share = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4)
    return Plan.model_validate(
        {
            "plan_id": "law",
            "district": draw(st.sampled_from(["330212", "330225", "330282"])),
            "industry_code": draw(st.sampled_from(["3981", "2511", "4320", "1310"])),
            "land_class": draw(st.sampled_from(["M1", "M2", "M0"])),
            "site_area_m2": site,
            "footprint_m2": site * draw(share),
            "admin_living_land_m2": site * draw(share) / 10,
            "green_area_m2": site * draw(share) / 5,
            "investment_wan": draw(areas),
            "storeys": draw(st.lists(storey, min_size=1, max_size=8)),
        }
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(plans())
def test_the_production_mix_complies(plan: Plan) -> None:
    """The mix (every storey at most 8 m, so built = counted) fills exactly its budget, meets
    the FAR minimum and the R&D cap, and keeps the plan's non-production floors (exact
    fractions: the R&D cap may bind to the square metre)."""
    result = check_plan(plan, RULES)
    mix, far = result.mix, result.checks[0]
    assert mix is not None  # no FAR cap in ningbo-demo: some floor area always complies
    assert mix.production_m2 >= 0
    assert mix.production_m2 + mix.rnd_m2 + mix.admin_living_m2 + mix.warehouse_m2 == (
        mix.budget_m2
    )
    if far.limit is not None:
        assert mix.budget_m2 >= far.limit * Fraction(plan.site_area_m2)
    assert mix.rnd_m2 <= Fraction(15, 100) * mix.budget_m2
    assert mix.rnd_m2 == result.figures.by_use_m2["rnd"]
    assert mix.budget_m2 >= result.figures.far_floor_m2 or far.limit_max is not None


@settings(max_examples=60, deadline=None, derandomize=True)
@given(plans(), st.integers(min_value=0, max_value=7))
def test_raising_a_storey_above_8_m_never_lowers_far(plan: Plan, i: int) -> None:
    i %= len(plan.storeys)
    before = floor_figures(plan, LIMIT, False).far_floor_m2
    taller = [s.model_copy() for s in plan.storeys]
    taller[i] = taller[i].model_copy(update={"height_m": Decimal("8.01")})
    after = floor_figures(plan.model_copy(update={"storeys": taller}), LIMIT, False).far_floor_m2
    assert after >= before
    if not plan.storeys[i].underground and plan.storeys[i].height_m <= LIMIT:
        assert after - before == Fraction(plan.storeys[i].area_m2)  # counted twice
