"""Bundled evaluation methods: they parse, are in force, and bad ones fail with the key named."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pandas as pd
import pytest

from indspace.core.engines.land import Attribution
from indspace.core.engines.mujun import evaluate
from indspace.core.errors import PolicyError
from indspace.core.policy import bundled_profiles, load_profile, parse_profile

PROFILE_DIR = resources.files("indspace.core.policy").joinpath("profiles")
BUNDLED = sorted(p.name for p in PROFILE_DIR.iterdir() if p.name.endswith(".yaml"))
EVALUATION_IDS = ("huangyan-2022", "linhai-2016", "ningbo-demo", "zhejiang-reference")


def _text(name: str) -> str:
    return PROFILE_DIR.joinpath(name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_profile_parses(name: str) -> None:
    profile = parse_profile(_text(name), name)
    assert f"{profile.id}.yaml" == name


@pytest.mark.parametrize("name", BUNDLED)
def test_method_in_force_at_end_of_2024(name: str) -> None:
    method = parse_profile(_text(name), name).evaluation_method(date(2024, 12, 31))
    for iset in method.indicator_sets.values():   # each set is a 100-point scheme
        assert sum(i.weight for i in iset.indicators) == pytest.approx(100)
    used = {p.indicator_set for p in method.populations}
    assert used == set(method.indicator_sets)     # no dead indicator set


def test_expected_profiles_are_bundled() -> None:
    assert set(EVALUATION_IDS) <= set(bundled_profiles())


def test_no_method_before_first_date() -> None:
    with pytest.raises(PolicyError, match="2017-12-31"):
        load_profile("zhejiang-reference").evaluation_method(date(2017, 12, 31))


def test_zhejiang_reference_template() -> None:
    m = load_profile("zhejiang-reference").evaluation_method(date(2018, 1, 1))
    above = m.indicator_sets["above_scale"]
    assert [(i.name, i.weight) for i in above.indicators] == [
        ("tax_per_mu", 30), ("value_added_per_mu", 20), ("value_added_per_energy", 20),
        ("value_added_per_emission", 10), ("labour_productivity", 10), ("rd_intensity", 10)]
    assert all(i.benchmark.mode == "group_average" and i.benchmark.group_by == ("district",)
               and i.benchmark.average_method == "aggregate_ratio" for i in above.indicators)
    assert {i.name: i.when_missing for i in above.indicators}["value_added_per_emission"] \
        == "average_score"
    assert above.score_cap_ratio == 2.0
    assert [i.name for i in m.indicator_sets["below_scale"].indicators] == [
        "tax_per_mu", "tax_per_electricity"]
    below = {p.name: p for p in m.populations}["below_scale_3mu_plus"]
    assert (below.scale, below.min_land_mu) == ("below", 3)
    assert m.grading.group_by == ("district",) and m.grading.min_group_size == 20
    assert m.exemptions.industry_prefixes == ("44", "45", "46", "782")
    assert (m.exemptions.registration_years, m.exemptions.land_years) == (2, 3)
    surcharge = sorted((p.consecutive_years_min, p.amount) for p in m.policies
                       if p.measure_type == "electricity_surcharge")
    assert surcharge == [(1, 0.3), (3, 0.4)]
    assert all(p.grade == "D" and p.basis == "electricity_kwh" for p in m.policies
               if p.measure_type == "electricity_surcharge")
    # every quantified measure without a published figure says so
    for p in m.policies:
        if p.measure_type in {"water_surcharge", "sewage_fee", "land_use_tax_relief"}:
            assert p.amount is not None and "U" in p.note and "DEMO" in p.note
    assert {p.grade for p in m.policies if p.measure_type == "priority_land_supply"} == {"A", "B"}


def test_ningbo_demo_keeps_parameters_and_adds_method() -> None:
    p = load_profile("ningbo-demo")
    assert p.value("min_building_coefficient", date(2024, 1, 1)) == 0.30
    assert p.value("low_efficiency_target_mu", date(2025, 6, 1)) == 30000
    m = p.evaluation_method(date(2024, 12, 31))
    assert [x.name for x in m.populations] == [
        "above_scale", "below_scale_3mu_plus", "below_scale_under_3mu"]
    under = m.populations[2]
    assert (under.scale, under.min_land_mu, under.max_land_mu) == ("below", 0, 3)
    assert m.attribution_mode == "owner_merged"
    assert {b.item for b in m.adjustments.bonus} == {
        "high_tech_enterprise", "provincial_tech_center", "specialised_sme"}
    assert m.adjustments.bonus_cap == 5
    zj = load_profile("zhejiang-reference").evaluation_method(date(2024, 12, 31))
    assert m.indicator_sets == zj.indicator_sets
    assert [x.model_copy(update={"note": ""}) for x in m.policies] == \
        [x.model_copy(update={"note": ""}) for x in zj.policies]
    assert m.grading == zj.grading


def _attribution(land: dict[str, float]) -> Attribution:
    firms = pd.DataFrame({
        "credit_code": list(land), "land_m2": [v * 2000 / 3 for v in land.values()],
        "land_area_mu": list(land.values()), "merged": False, "landlord": None,
        "first_right_start": pd.Timestamp("2010-01-01")})
    links = pd.DataFrame({"credit_code": pd.Series(dtype=object),
                          "landlord": pd.Series(dtype=object),
                          "merged": pd.Series(dtype=bool),
                          "merge_weight": pd.Series(dtype="float64")})
    return Attribution(firms=firms, links=links)


def test_linhai_fixed_benchmarks_score_100_at_benchmark() -> None:
    """A firm exactly at every 临海 benchmark scores the full 100 in either population."""
    method = load_profile("linhai-2016").evaluation_method(date(2016, 12, 31))
    firms = pd.DataFrame({"credit_code": ["BIG", "SMALL"], "district": "临海市",
                          "industry_code": "3311", "scale": ["above", "below"],
                          "founded": pd.Timestamp("2005-01-01")})
    # BIG, 10 亩: tax 150 → 15/亩; revenue 3000 → 300/亩; VA 300 / 100 tce = 3;
    # 300 / 0.6 t COD = 500; 300 / 3000 t water = 0.1; 300 / 20 people = 15.
    # SMALL, 2 亩: tax 30 → 15/亩; revenue 600 → 300/亩; 30 万元 / 150 000 kWh × 10⁴ = 2 元/kWh.
    ind = pd.DataFrame({
        "credit_code": ["BIG", "SMALL"], "revenue": [3000.0, 600.0], "tax": [150.0, 30.0],
        "value_added": [300.0, 50.0], "employees": [20.0, 5.0], "energy_tce": [100.0, 10.0],
        "electricity_kwh": [1e6, 150_000.0], "emissions": [0.6, 0.1],
        "rd_spend": [0.0, 0.0], "water_t": [3000.0, 100.0],
        "safety_veto": False, "environment_veto": False})
    res = evaluate(firms, ind, _attribution({"BIG": 10.0, "SMALL": 2.0}), method, 2016).results
    res = res.set_index("credit_code")
    assert res.loc["BIG", "population"] == "land_3mu_plus"
    assert res.loc["SMALL", "population"] == "land_under_3mu"
    assert res.loc["BIG", "score"] == pytest.approx(100)
    assert res.loc["SMALL", "score"] == pytest.approx(100)
    assert res.loc["BIG", "value_added_per_water_points"] == pytest.approx(5)
    assert res.loc["SMALL", "tax_per_electricity"] == pytest.approx(2)


# ---- schema errors name the offending key -------------------------------------------------

HUANGYAN = "huangyan-2022.yaml"


def _broken(old: str, new: str) -> str:
    text = _text(HUANGYAN)
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "key", "why"), [
    ("indicator_set: below_scale}", "indicator_set: nowhere}", "method",
     "population below_scale uses unknown indicator set nowhere"),
    ("B: 0.70", "B: 0.20", "method.grading", "quotas must satisfy"),
    ("{mode: fixed, value: 26.01}", "{mode: fixed}",
     "method.indicator_sets.above_scale.indicators.0.benchmark", "needs a value"),
    ("weight: 30, benchmark: {mode: fixed, value: 26.01}",
     "weight: 30, benchmark: {mode: group_average, value: 26.01}",
     "indicators.0.benchmark", "takes no value"),
    ("quotas: {A: 0.25, B: 0.70, C: 0.95}", "quotas: {A: 0.25, B: 0.70}",
     "method.grading", "needs quotas for A, B and C"),
    ("numerator: tax, denominator: land_area_mu, weight: 30",
     "numerator: taxes, denominator: land_area_mu, weight: 30",
     "indicators.0.numerator", ""),
], ids=["missing-indicator-set", "quotas-out-of-order", "fixed-without-value",
        "average-with-value", "quota-missing", "unknown-input"])
def test_schema_error_names_the_key(old: str, new: str, key: str, why: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_profile(_broken(old, new), HUANGYAN)
    assert err.value.where is not None
    assert err.value.where.startswith(f"{HUANGYAN}: evaluation.")
    assert err.value.where.endswith(key)
    assert why in str(err.value)


def test_evaluation_date_must_be_a_date() -> None:
    with pytest.raises(PolicyError) as err:
        parse_profile(_broken("  2022-01-01:", "  sometime:"), HUANGYAN)
    assert "evaluation" in str(err.value)
