"""The redevelopment pro forma by hand: one unit, two years (issue #18 item 2).

Parameters are round numbers set here (not the demo profile) so every figure can be worked
out in the comments; the last tests check the ningbo-demo profile loads and behaves.

The unit: site 10 000 m² (15 亩), existing floor 5 000 m², no collective land, target FAR
1.0, no change of use. Horizon 2 years (t = 0, 1), building in year 0, discount rate 10 %.

Costs: land compensation 1 000 元/m² × 10 000 = 1 000 万, buildings 400 × 5 000 = 200 万
→ 1 200 万; demolition 100 × 5 000 = 50 万; construction 10 000 m² (all heavy-load: heavy
FAR 1.0) × 2 000 = 2 000 万 (2 storeys at coefficient 0.5, below the 6-storey base: no
height premium); infrastructure 100 × 10 000 = 100 万; fees 5 % × 2 000 = 100 万; no land
premium; the government's land transfer 500 × 10 000 = 500 万 (gov-led only).
Loan 50 % of the builder's construction + fees (+ infrastructure when the builder pays it):
gov-led 0.5 × 2 100 = 1 050 万, drawn in year 0, repaid over 1 year from year 1: the
balance is 1 050 in both years → interest 4 % × 1 050 = 42 万 a year.
Revenue in year 1: strata sale 50 % (the cap is 50 %) × 10 000 × 6 000 = 3 000 万, sale taxes
5 % = 150 万; rent on the other 5 000 m² (lettable 100 %) × 10 元/月 × 12 × 50 % occupancy
= 30 万, operating cost 25 % = 7.5 万; new tax: occupied 10 000 × 50 % = 5 000 m² × 100 元
× local 50 % = 25 万; the old tax 2 万/亩 × 15 × 50 % = 15 万 is lost in both years.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.proforma import (
    MODES,
    PARAMETERS,
    PARTIES,
    ModeRoles,
    ProformaParams,
    Units,
    appraise,
    best_far,
    to_wan,
    tornado,
    wan_decimals,
    wan_text,
)
from indspace.core.policy import load_profile

ROLES = {
    "gov_led_contiguous": ModeRoles(
        "government", "operator", "government", True, False, False, True, False
    ),
    "enterprise_led": ModeRoles("owners", "owners", "government", False, True, False, False, False),
    "village_enterprise_coop": ModeRoles(
        "operator", "operator", "builder", False, False, True, True, True
    ),
    "operator_led": ModeRoles("operator", "operator", "builder", False, False, False, True, False),
}
HAND = ProformaParams(
    horizon_years=2,
    construction_years=1,
    discount_rate=0.10,
    land_compensation_yuan_m2=1000,
    collective_land_compensation_yuan_m2=500,
    building_compensation_yuan_m2=400,
    demolition_yuan_m2=100,
    construction_yuan_m2={"heavy_load": 2000, "standard": 2000, "rnd": 2000},
    heavy_load_far=1.0,
    rnd_floor_share=0.15,
    building_coefficient=0.5,
    base_storeys=6,
    storey_cost_step=0.03,
    infrastructure_yuan_m2=100,
    fees_share=0.05,
    conversion_premium_yuan_m2=0,
    far_increase_premium_yuan_m2=0,
    far_increase_waived=True,
    land_transfer_yuan_m2=500,
    loan_share=0.5,
    loan_rate=0.04,
    repayment_years=1,
    special_loan_share=0.5,
    interest_subsidy_rate=0.02,
    rent_yuan_m2_month=10,
    rent_growth=0.0,
    occupancy=(0.5,),
    lettable_share=1.0,
    operating_cost_share=0.25,
    strata_sale_share=0.5,
    strata_sale_max_share=0.5,
    sale_price_yuan_m2=6000,
    sale_tax_share=0.05,
    collective_rent_share=0.5,
    tax_yuan_per_floor_m2=100,
    old_tax_wan_per_mu=2,
    local_tax_share=0.5,
    roles=ROLES,
    far_grid=(1.0, 1.5, 2.0),
    sensitivity_step=0.2,
)
UNIT = pd.DataFrame(
    {
        "unit_id": ["U-1"],
        "area_m2": [10_000.0],
        "floor_area_m2": [5_000.0],
        "collective_share": [0.0],
        "target_far": [1.0],
        "project_type": ["upgrade_in_place"],
    }
)


def one(mode: str, params: ProformaParams = HAND, frame: pd.DataFrame = UNIT):
    return appraise(Units.from_frame(frame), params, (mode,))


def test_gov_led_two_year_cash_flow_npv_irr_payback() -> None:
    """Project (all four parties together) = the flows with the outside world:
    t0 = −50 demolition − 2 000 construction − 100 infrastructure − 42 interest − 15 old tax
       = −2 207;
    t1 = −42 interest + 3 000 sales + 30 rent − 7.5 operating + 25 new tax − 15 old tax
       = 2 990.5.
    NPV = −2 207 + 2 990.5 / 1.1 = −2 207 + 2 718.636 = 511.636 万.
    IRR: −2 207 + 2 990.5 / (1 + r) = 0 → r = 2 990.5 / 2 207 − 1 = 0.355007.
    Payback: cumulative −2 207 then +783.5 → 2 207 / 2 990.5 = 0.738 of year 1 → 0.738 y.
    (Compensation, fees, land transfer and sale taxes move money between parties only.)
    """
    r = one("gov_led_contiguous")
    np.testing.assert_allclose(r.cash_flow[0], [-2207.0, 2990.5])
    assert r.npv[0] == pytest.approx(511.636364, abs=1e-6)
    assert r.irr[0] == pytest.approx(2990.5 / 2207 - 1, abs=1e-9)
    assert r.payback_years[0] == pytest.approx(2207 / 2990.5, abs=1e-12)


def test_gov_led_party_balances() -> None:
    """government: t0 −1 200 compensation − 50 demolition − 100 infrastructure + 100 fees
    + 500 land transfer − 15 old tax = −765; t1 +150 sale taxes + 25 new tax − 15 = 160
    → −765 + 160 / 1.1 = −619.545.
    operator: t0 −2 000 − 100 fees − 500 land − 42 interest = −2 642; t1 −42 + 3 000 − 150
    + 30 − 7.5 = 2 830.5 → −2 642 + 2 573.182 = −68.818.
    owners: +1 200 compensation in year 0 → 1 200. collective: 0.
    Sum −619.545 − 68.818 + 1 200 = 511.636 = the project NPV.
    """
    r = one("gov_led_contiguous")
    b = {p: r.balances[p][0] for p in PARTIES}
    assert b["government"] == pytest.approx(-765 + 160 / 1.1, abs=1e-9)
    assert b["operator"] == pytest.approx(-2642 + 2830.5 / 1.1, abs=1e-9)
    assert b["owners"] == pytest.approx(1200.0, abs=1e-9)
    assert b["collective"] == 0.0
    assert sum(b.values()) == pytest.approx(r.npv[0], abs=1e-9)


def test_enterprise_led_special_loan_and_interest_subsidy() -> None:
    """The owners rebuild: no compensation, no land transfer; they pay demolition; the
    government pays infrastructure and a 2-point subsidy on the special half of the loan:
    1 050 × 0.5 × 0.02 = 10.5 万 a year.
    owners: t0 −50 − 2 000 − 100 fees − 42 + 10.5 = −2 181.5; t1 −42 + 10.5 + 3 000 − 150
    + 30 − 7.5 = 2 841 → −2 181.5 + 2 582.727 = 401.227.
    government: t0 −100 + 100 − 15 − 10.5 = −25.5; t1 150 + 25 − 15 − 10.5 = 149.5 →
    −25.5 + 135.909 = 110.409. Sum 511.636: the project NPV is the same as gov-led.
    """
    r = one("enterprise_led")
    assert r.balances["owners"][0] == pytest.approx(-2181.5 + 2841 / 1.1, abs=1e-9)
    assert r.balances["government"][0] == pytest.approx(-25.5 + 149.5 / 1.1, abs=1e-9)
    assert r.balances["operator"][0] == 0.0
    assert r.npv[0] == pytest.approx(511.636364, abs=1e-6)
    np.testing.assert_allclose(r.flows["interest_subsidy"][0], [10.5, 10.5])


def test_village_coop_rent_share_and_builder_pays_infrastructure() -> None:
    """The operator pays infrastructure, so the loan is 0.5 × (2 000 + 100 + 100) = 1 100
    and interest 44 a year; half the rent (15 万) goes to the collective.
    project: t0 −50 − 2 000 − 100 − 44 − 15 = −2 209; t1 −44 + 3 000 + 30 − 7.5 + 25 − 15
    = 2 988.5 → NPV −2 209 + 2 716.818 = 507.818. collective: 15 / 1.1 = 13.636.
    """
    r = one("village_enterprise_coop")
    np.testing.assert_allclose(r.cash_flow[0], [-2209.0, 2988.5])
    assert r.balances["collective"][0] == pytest.approx(15 / 1.1, abs=1e-9)
    assert r.npv[0] == pytest.approx(-2209 + 2988.5 / 1.1, abs=1e-9)


def test_collective_land_is_compensated_unless_contributed() -> None:
    """Half the site collective: gov-led pays the collective 5 000 m² × 500 = 250 万 and the
    owners 5 000 × 1 000 + 200 = 700 万; in the village mode the collective contributes its
    land (no land payment), the owners still get 700."""
    frame = UNIT.assign(collective_share=[0.5])
    gov = one("gov_led_contiguous", frame=frame)
    village = one("village_enterprise_coop", frame=frame)
    assert gov.balances["collective"][0] == pytest.approx(250.0)
    assert gov.balances["owners"][0] == pytest.approx(700.0)
    assert village.balances["owners"][0] == pytest.approx(700.0)
    assert village.balances["collective"][0] == pytest.approx(15 / 1.1)


def test_strata_sale_is_capped_at_the_allowed_share() -> None:
    """Asking to sell 80 % when 50 % is allowed sells 50 %: the same 3 000 万."""
    r = one("gov_led_contiguous", replace(HAND, strata_sale_share=0.8))
    assert r.flows["sales"][0].sum() == pytest.approx(3000.0)


def test_never_pays_back_gives_nan_payback_and_irr() -> None:
    """No sales and no rent: cumulative stays negative → payback and IRR are NaN."""
    r = one("gov_led_contiguous", replace(HAND, sale_price_yuan_m2=0, rent_yuan_m2_month=0))
    assert np.isnan(r.payback_years[0]) and np.isnan(r.irr[0])


def test_best_far_and_tornado() -> None:
    """Each extra 0.5 FAR adds 5 000 m² of upper (standard/R&D) floor, still ≤ 6 storeys:
    year 0: 5 000 × 2 000 = 1 000 万 construction (+ 50 fees, internal) and interest on
    0.5 × 1 050 = 525 → 21; year 1: interest 21, half sold 2 500 × 6 000 = 1 500, rent
    2 500 × 10 × 12 × 0.5 = 15, operating −3.75, tax 5 000 × 0.5 × 100 × 0.5 = 12.5.
    Marginal NPV = −1 021 + (−21 + 1 500 + 15 − 3.75 + 12.5) / 1.1 = −1 021 + 1 366.136
    = +345.136 per step, so the grid's top, FAR 2.0, wins: 511.636 + 2 × 345.136 = 1 201.909.
    At 3 000 元/m² the step costs 1 500 + 31.5 interest in year 0 and earns
    (−31.5 + 1 500 + 15 − 3.75 + 12.5) / 1.1 = 1 356.591 → −174.909: FAR 1.0 (the target,
    the floor of the search) wins. Raising rent raises the NPV."""
    units = Units.from_frame(UNIT)
    best = best_far(units, HAND, ("gov_led_contiguous",))
    assert best["best_far"].tolist() == [2.0]
    assert best["best_far_npv_wan"].iloc[0] == pytest.approx(
        -2207 + 2990.5 / 1.1 + 2 * (-1021 + 1502.75 / 1.1)
    )
    dear = replace(HAND, construction_yuan_m2={k: 3000 for k in HAND.construction_yuan_m2})
    assert best_far(units, dear, ("gov_led_contiguous",))["best_far"].tolist() == [1.0]
    t = tornado(units, HAND, ("gov_led_contiguous",))
    rent = t[t["parameter"] == "rent_yuan_m2_month"].iloc[0]
    # ±20 % rent = ±6 万 in year 1 less 25 % operating cost = ±4.5 → ±4.5 / 1.1 = ±4.0909
    assert rent["npv_high_wan"] - rent["npv_base_wan"] == pytest.approx(4.5 / 1.1, abs=1e-9)
    assert rent["swing_wan"] == pytest.approx(9 / 1.1, abs=1e-9)


def test_vectorised_rows_equal_one_by_one() -> None:
    """Many units × 4 modes at once give exactly what each unit alone gives."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "unit_id": [f"U{i}" for i in range(50)],
            "area_m2": rng.uniform(2_000, 80_000, 50),
            "floor_area_m2": rng.uniform(0, 40_000, 50),
            "collective_share": rng.uniform(0, 1, 50),
            "target_far": rng.choice([1.0, 2.0, 2.5], 50),
            "project_type": rng.choice(["upgrade_in_place", "renewal_transformation"], 50),
        }
    )
    params = demo_params()
    together = appraise(Units.from_frame(frame), params).frame()
    for i in (0, 17, 49):
        alone = appraise(Units.from_frame(frame.iloc[[i]]), params).frame()
        pd.testing.assert_frame_equal(
            together.iloc[4 * i : 4 * i + 4].reset_index(drop=True), alone
        )


def demo_params() -> ProformaParams:
    prof = load_profile("ningbo-demo")
    on = date(2025, 6, 1)
    return ProformaParams.from_values({n: prof.value(n, on) for n in PARAMETERS})


def test_demo_profile_loads_and_balances_add_up() -> None:
    params = demo_params()
    assert set(params.roles) == set(MODES)
    r = appraise(Units.from_frame(UNIT), params)
    np.testing.assert_allclose(sum(r.balances.values()), r.npv, rtol=1e-12)


def test_money_is_rounded_to_a_hundredth_of_a_wan() -> None:
    assert to_wan(511.636363636) == Decimal("511.64")
    assert to_wan(0.125) == Decimal("0.12")  # half-even on the exact binary value
    assert to_wan(-68.8181818) == Decimal("-68.82")
    assert to_wan(float("nan")) is None
    assert str(to_wan(-0.001)) == "0.00"
    xs = np.random.default_rng(3).normal(0, 1e4, 20_000)
    xs[:4] = [0.125, -0.125, 2.675, -0.004]
    assert wan_text(xs) == [str(to_wan(x)) for x in xs]
    assert wan_decimals(xs) == [to_wan(x) for x in xs]
