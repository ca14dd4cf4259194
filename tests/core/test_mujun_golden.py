"""Golden tests for the 亩均效益综合评价 engine (mujun-evaluation.md §2–8, engines/mujun.py).

Every expected number is worked out by hand: the arithmetic is in the docstrings and comments.
Land: 1 亩 = 2000/3 m², so x m² = x × 3 / 2000 亩 (2 000 m² = 3 亩, 6 000 m² = 9 亩, …).
Money in 万元; 单位用电税收 in 元/kWh = tax 万元 × 10 000 ÷ kWh.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.land import attribute_land
from indspace.core.engines.mujun import EvaluationResult, evaluate, evaluate_years
from indspace.core.policy import load_profile
from indspace.core.policy.evaluation import EvaluationMethod

YEAR = 2024
OLD = date(2010, 1, 1)
TOL = 1e-6


@cache
def huangyan() -> EvaluationMethod:
    """The bundled 黄岩 method in force for the 2024 evaluation (the 2022 version)."""
    return load_profile("huangyan-2022").evaluation_method(date(2024, 12, 31))


# -- input builder ----------

class Case:
    """Tiny input frames: firms, indicators, parcels and occupancy."""

    def __init__(self) -> None:
        self.firms: list[dict[str, Any]] = []
        self.indicators: list[dict[str, Any]] = []
        self.parcels: list[dict[str, Any]] = []
        self.occupancy: list[dict[str, Any]] = []

    def firm(self, code: str, area_m2: float | None = None, *, district: str = "D1",
             industry: str = "3311", scale: str = "above", founded: date = OLD,
             right_start: date | None = OLD, figures: bool = True,
             **values: Any) -> Case:
        """A firm; with ``area_m2`` it owns parcel ``P-<code>`` of that area."""
        self.firms.append({"credit_code": code, "district": district, "industry_code": industry,
                           "scale": scale, "founded": founded})
        if figures:
            self.indicators.append({"credit_code": code, **values})
        if area_m2 is not None:
            self.parcel(f"P-{code}", area_m2, right_start=right_start)
            self.occupy(code, f"P-{code}", "owner")
        return self

    def parcel(self, parcel_id: str, area_m2: float, *, floor_m2: float | None = None,
               right_start: date | None = OLD) -> Case:
        self.parcels.append({"parcel_id": parcel_id, "area_m2": float(area_m2),
                             "right_start": right_start, "floor_area_m2": floor_m2})
        return self

    def occupy(self, code: str, parcel_id: str, role: str, *, land_m2: float | None = None,
               floor_m2: float | None = None, start: date | None = OLD,
               end: date | None = None) -> Case:
        self.occupancy.append({"credit_code": code, "parcel_id": parcel_id, "role": role,
                               "land_area_m2": land_m2, "floor_area_m2": floor_m2,
                               "start": start, "end": end})
        return self

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        ind = pd.DataFrame(self.indicators)
        if "credit_code" not in ind.columns:
            ind = pd.DataFrame({"credit_code": pd.Series([], dtype=object)})
        return (pd.DataFrame(self.firms), ind, pd.DataFrame(self.parcels),
                pd.DataFrame(self.occupancy))


def run_frames(firms: pd.DataFrame, indicators: pd.DataFrame, parcels: pd.DataFrame,
               occupancy: pd.DataFrame, method: EvaluationMethod, year: int = YEAR,
               adjustments: pd.DataFrame | None = None) -> EvaluationResult:
    att = attribute_land(parcels, occupancy, year,
                         merge_landless_tenants=method.attribution_mode == "owner_merged")
    return evaluate(firms, indicators, att, method, year, adjustments)


def run(case: Case, method: EvaluationMethod, year: int = YEAR,
        adjustments: pd.DataFrame | None = None) -> EvaluationResult:
    return run_frames(*case.frames(), method, year, adjustments)


_ROWS: dict[int, tuple[EvaluationResult, dict[str, dict[str, Any]]]] = {}


def row(res: EvaluationResult, code: str) -> dict[str, Any]:
    """The result row of ``code`` (one row per firm), as a dict."""
    if id(res) not in _ROWS:
        codes = res.results["credit_code"]
        assert codes.is_unique
        _ROWS[id(res)] = (res, res.results.set_index("credit_code").to_dict("index"))
    return _ROWS[id(res)][1][code]


def grade(res: EvaluationResult, code: str) -> str | None:
    g = row(res, code)["grade"]
    return None if pd.isna(g) else str(g)


def grades(res: EvaluationResult) -> dict[str, str | None]:
    return {c: grade(res, c) for c in res.results["credit_code"]}


# -- custom methods ----------

def tax_per_mu(weight: float = 1.0, **benchmark: Any) -> dict[str, Any]:
    return {"name": "tax_per_mu", "label": "亩均税收", "unit": "万元/亩", "numerator": "tax",
            "denominator": "land_area_mu", "weight": weight,
            "benchmark": benchmark or {"mode": "fixed", "value": 1.0}}


def method(*indicators: dict[str, Any], cap: float | None = None,
           grading: dict[str, Any] | None = None, **extra: Any) -> EvaluationMethod:
    """One population ``all`` (any scale, any land) scored by ``indicators``."""
    return EvaluationMethod.model_validate({
        "attribution_mode": "tenant_separate",
        "populations": [{"name": "all", "label": "全部", "scale": "any", "indicator_set": "s"}],
        "indicator_sets": {"s": {"indicators": list(indicators) or [tax_per_mu()],
                                 "score_cap_ratio": cap}},
        "grading": grading or {"mode": "rank_quota", "group_by": ["district"],
                               "quotas": {"A": 0.25, "B": 0.70, "C": 0.95}},
        **extra})


def scored(case: Case, code: str, score: float, *, district: str = "D1", **kw: Any) -> None:
    """A firm on 2 000 m² (= 3 亩) with tax 3 × score, so that 亩均税收 = score (万元/亩);
    with the one-indicator method (fixed benchmark 1, weight 1) its score is ``score``."""
    case.firm(code, 2_000, district=district, tax=3.0 * score, **kw)


# -- 1, 2: the published 黄岩 2022 formulas ----------

def _huangyan_above(case: Case, c_emissions: float | None = 0.15) -> Case:
    """Three 规上 firms; land 20 000 m² = 30 亩, 10 000 m² = 15 亩, 6 000 m² = 9 亩."""
    case.firm("A", 20_000, tax=723, value_added=4080, energy_tce=1500, emissions=0.8,
              employees=240, rd_spend=150, revenue=5000)
    case.firm("B", 10_000, tax=600, value_added=3000, energy_tce=1000, emissions=0.5,
              employees=100, rd_spend=100, revenue=2000)
    case.firm("C", 6_000, tax=90, value_added=450, energy_tce=300, emissions=c_emissions,
              employees=50, rd_spend=10, revenue=1000)
    return case


# A: 亩均税收 723/30 = 24.1; 亩均增加值 4080/30 = 136; 能耗 4080/1500 = 2.72;
#    排放 4080/0.8 = 5100; 劳动生产率 4080/240 = 17; R&D 150/5000 = 0.03
A_TERMS = {"tax_per_mu": 24.1 / 24.097 * 30,                  # 30.003735
           "value_added_per_mu": 136 / 136.16 * 20,           # 19.976498
           "value_added_per_energy": 2.72 / 2.694 * 20,       # 20.193022
           "value_added_per_emission": 5100 / 4929.81 * 10,   # 10.345226
           "labour_productivity": 17 / 18.14 * 10,            #  9.371555
           "rd_intensity": 0.03 / 0.0302 * 10}                #  9.933775   Σ = 99.823810
# B: 600/15 = 40; 3000/15 = 200; 3000/1000 = 3; 3000/0.5 = 6000; 3000/100 = 30; 100/2000 = 0.05
B_TERMS = {"tax_per_mu": 40 / 24.097 * 30,                    # 49.798730
           "value_added_per_mu": 200 / 136.16 * 20,           # 29.377203
           "value_added_per_energy": 3 / 2.694 * 20,          # 22.271715
           "value_added_per_emission": 6000 / 4929.81 * 10,   # 12.170854
           "labour_productivity": 30 / 18.14 * 10,            # 16.538037
           "rd_intensity": 0.05 / 0.0302 * 10}                # 16.556291   Σ = 146.712832
# C: 90/9 = 10; 450/9 = 50; 450/300 = 1.5; 450/0.15 = 3000; 450/50 = 9; 10/1000 = 0.01
C_TERMS = {"tax_per_mu": 10 / 24.097 * 30,                    # 12.449683
           "value_added_per_mu": 50 / 136.16 * 20,            #  7.344301
           "value_added_per_energy": 1.5 / 2.694 * 20,        # 11.135857
           "value_added_per_emission": 3000 / 4929.81 * 10,   #  6.085427
           "labour_productivity": 9 / 18.14 * 10,             #  4.961411
           "rd_intensity": 0.01 / 0.0302 * 10}                #  3.311258   Σ = 45.287938


@cache
def _huangyan_result() -> EvaluationResult:
    """A, B, C (规上) and S1, S2 (规下, see the 规下 test) in one run: the populations are
    scored and graded apart."""
    case = _huangyan_above(Case())
    case.firm("S1", 5_000, scale="below", tax=60, electricity_kwh=2_000_000)
    case.firm("S2", 3_000, scale="below", tax=45, electricity_kwh=3_000_000)
    return run(case, huangyan())


def test_huangyan_2022_above_scale_formula() -> None:
    """规上 = 亩均税收/24.097×30 + 亩均增加值/136.16×20 + 单位能耗增加值/2.694×20
    + 单位排放增加值/4929.81×10 + 全员劳动生产率/18.14×10 + R&D占比/0.0302×10.

    Scores A 99.823810, B 146.712832, C 45.287938 → ranks B 1, A 2, C 3 of n = 3:
    1/3 = 0.33 > 0.25 → B; 2/3 = 0.67 ≤ 0.70 → B; 3/3 = 1 > 0.95 → D. n < 20 → review.
    """
    res = _huangyan_result()
    values = {"A": [24.1, 136, 2.72, 5100, 17, 0.03], "B": [40, 200, 3, 6000, 30, 0.05],
              "C": [10, 50, 1.5, 3000, 9, 0.01]}
    for code, terms, total in (("A", A_TERMS, 99.823810), ("B", B_TERMS, 146.712832),
                               ("C", C_TERMS, 45.287938)):
        r = row(res, code)
        for (name, pts), value in zip(terms.items(), values[code], strict=True):
            assert r[name] == pytest.approx(value, rel=1e-12), (code, name)
            assert r[f"{name}_points"] == pytest.approx(pts, abs=TOL), (code, name)
        assert r["score"] == pytest.approx(sum(terms.values()), abs=TOL)
        assert r["score"] == pytest.approx(total, abs=1e-6)
        assert r["population"] == "above_scale"
        assert r["status"] == "graded"
        assert r["group_size"] == 3
        assert r["review"]
    assert row(res, "A")["land_area_mu"] == pytest.approx(30.0)
    assert [row(res, c)["rank"] for c in "BAC"] == [1, 2, 3]
    assert [grade(res, c) for c in "ABC"] == ["B", "B", "D"]
    # the long frame carries the published benchmarks and weights
    sc = res.scores.set_index(["credit_code", "indicator"])
    assert sc.loc[("A", "tax_per_mu"), "benchmark"] == 24.097
    assert sc.loc[("A", "tax_per_mu"), "weight"] == 30
    assert sc.loc[("C", "rd_intensity"), "points"] == pytest.approx(C_TERMS["rd_intensity"])
    assert not sc["missing"].any()


def test_huangyan_2022_below_scale_formula() -> None:
    """规下 = 亩均税收/11.5932×50 + 单位用电税收/0.2352×50, 单位用电税收 = tax×10 000 ÷ kWh.

    S1: 5 000 m² = 7.5 亩, tax 60 万元, 2 000 000 kWh
        亩均税收 = 60 / 7.5 = 8 → 8/11.5932×50 = 34.502985
        用电税收 = 60 × 10 000 / 2 000 000 = 0.3 元/kWh → 0.3/0.2352×50 = 63.775510
        score = 98.278495
    S2: 3 000 m² = 4.5 亩, tax 45 万元, 3 000 000 kWh
        亩均税收 = 45 / 4.5 = 10 → 10/11.5932×50 = 43.128731
        用电税收 = 45 × 10 000 / 3 000 000 = 0.15 元/kWh → 0.15/0.2352×50 = 31.887755
        score = 75.016486
    """
    res = _huangyan_result()
    s1, s2 = row(res, "S1"), row(res, "S2")
    assert s1["population"] == s2["population"] == "below_scale"
    assert s1["land_area_mu"] == pytest.approx(7.5)
    assert s1["tax_per_mu"] == pytest.approx(8.0)
    assert s1["tax_per_electricity"] == pytest.approx(0.3)
    assert s1["tax_per_mu_points"] == pytest.approx(8 / 11.5932 * 50, abs=TOL)
    assert s1["tax_per_electricity_points"] == pytest.approx(0.3 / 0.2352 * 50, abs=TOL)
    assert s1["score"] == pytest.approx(8 / 11.5932 * 50 + 0.3 / 0.2352 * 50, abs=TOL)
    assert s1["score"] == pytest.approx(98.278495, abs=1e-6)
    assert s2["tax_per_electricity"] == pytest.approx(0.15)
    assert s2["score"] == pytest.approx(10 / 11.5932 * 50 + 0.15 / 0.2352 * 50, abs=TOL)
    assert s2["score"] == pytest.approx(75.016486, abs=1e-6)
    assert pd.isna(s1["value_added_per_mu_points"])     # 规上 indicators are not scored
    assert s1["group"] == "below_scale/D1"
    assert s1["group_size"] == 2
    assert [grade(res, "S1"), grade(res, "S2")] == ["B", "D"]  # n = 2: 1/2 → B; 2/2 → D


# -- 3, 4: quota grading ----------

@cache
def _quota_result() -> EvaluationResult:
    """One run, four grading groups (one-indicator method: score = 亩均税收):
    D1: 20 distinct scores 99, 98, …, 80 (position k scores 100 − k);
    D4: the same but the 6th firm ties the 5th: 99, 98, 97, 96, 95, 95, 93, …, 80;
    D2: 7 firms 49, 48, …, 43;  D3: one firm."""
    case = Case()
    for pos in range(1, 21):
        scored(case, f"D1-{pos:02d}", 100 - pos)
        scored(case, f"D4-{pos:02d}", 95 if pos == 6 else 100 - pos, district="D4")
    for pos in range(1, 8):
        scored(case, f"D2-{pos}", 50 - pos, district="D2")
    scored(case, "D3-1", 99, district="D3")
    return run(case, method())


def test_rank_quota_n20_distinct_scores() -> None:
    """§8: r = 1 + #strictly higher; r/n ≤ 0.25 → A, ≤ 0.70 → B, ≤ 0.95 → C, else D.

    n = 20: r ≤ 5 (5/20 = 0.25) → A; r 6…14 (14/20 = 0.70) → B; r 15…19 (19/20 = 0.95) → C;
    r 20 → D.  §8 example: r 5 → A, 6 → B, 14 → B, 15 → C, 19 → C, 20 → D.
    """
    res = _quota_result()
    for pos in range(1, 21):
        r = row(res, f"D1-{pos:02d}")
        assert r["score"] == pytest.approx(100 - pos)
        assert r["rank"] == pos
        assert r["group_size"] == 20
        assert r["group"] == "all/D1"
        assert not r["review"]
        want = "A" if pos <= 5 else "B" if pos <= 14 else "C" if pos <= 19 else "D"
        assert grade(res, f"D1-{pos:02d}") == want, pos
    example = {5: "A", 6: "B", 14: "B", 15: "C", 19: "C", 20: "D"}
    assert {pos: grade(res, f"D1-{pos:02d}") for pos in example} == example


def test_rank_quota_tie_at_positions_5_and_6() -> None:
    """Two firms tied at positions 5 and 6 both have r = 5 → 5/20 = 0.25 → A (§8 example).
    The 7th firm has r = 1 + 6 = 7 → 7/20 = 0.35 → B; six A firms in all."""
    res = _quota_result()
    assert row(res, "D4-05")["rank"] == row(res, "D4-06")["rank"] == 5
    assert grade(res, "D4-05") == grade(res, "D4-06") == "A"
    assert row(res, "D4-07")["rank"] == 7
    assert grade(res, "D4-07") == "B"
    assert grade(res, "D4-20") == "D"
    assert sum(grade(res, f"D4-{p:02d}") == "A" for p in range(1, 21)) == 6


def test_rank_quota_small_groups() -> None:
    """n = 7: 1/7 = 0.14 A; 2/7 = 0.29, 3/7 = 0.43, 4/7 = 0.57 B; 5/7 = 0.71, 6/7 = 0.86 C;
    7/7 = 1 D (for n < 20 the last firm is always D). One-firm group: 1/1 = 1 → D.
    Both are under min_group_size 20 (no fallback configured) → graded and flagged review."""
    res = _quota_result()
    assert [grade(res, f"D2-{p}") for p in range(1, 8)] == ["A", "B", "B", "B", "C", "C", "D"]
    assert all(row(res, f"D2-{p}")["review"] for p in range(1, 8))
    assert row(res, "D2-7")["group_size"] == 7
    assert grade(res, "D3-1") == "D"
    assert row(res, "D3-1")["rank"] == 1
    assert row(res, "D3-1")["group_size"] == 1
    assert row(res, "D3-1")["review"]


def _veto_case() -> Case:
    """Five firms scoring 50, 40, 30, 20, 10; the best one (V) has a safety veto."""
    case = Case()
    scored(case, "V", 50, safety_veto=True)
    for code, s in (("W", 40), ("X", 30), ("Y", 20), ("Z", 10)):
        scored(case, code, s, safety_veto=False)
    return case


def test_veto_is_d_outside_the_quota() -> None:
    """Vetoed → D and no quota place: n = 4, not 5.

    W r 1: 1/4 = 0.25 → A; X 2/4 = 0.5 → B; Y 3/4 = 0.75 → C; Z 4/4 → D.
    (Had V counted, W would be 2/5 = 0.4 → B.)
    """
    res = run(_veto_case(), method())
    v = row(res, "V")
    assert v["status"] == "vetoed"
    assert v["reason"] == "veto"
    assert grade(res, "V") == "D"
    assert v["policy_grade"] == "D"
    assert pd.isna(v["rank"])
    assert v["score"] == pytest.approx(50)       # still scored, for the record
    assert v["group"] == "all/D1"
    assert grades(res) == {"V": "D", "W": "A", "X": "B", "Y": "C", "Z": "D"}
    assert {row(res, c)["group_size"] for c in "WXYZ"} == {4}


def test_veto_in_quota_takes_a_place() -> None:
    """veto_in_quota: n = 5 and V holds r = 1 (still D).
    W 2/5 = 0.4 → B; X 3/5 = 0.6 → B; Y 4/5 = 0.8 → C; Z 5/5 → D."""
    m = method(grading={"mode": "rank_quota", "group_by": ["district"], "veto_in_quota": True,
                        "quotas": {"A": 0.25, "B": 0.70, "C": 0.95}})
    res = run(_veto_case(), m)
    assert row(res, "V")["rank"] == 1
    assert grades(res) == {"V": "D", "W": "B", "X": "B", "Y": "C", "Z": "D"}
    assert row(res, "W")["group_size"] == 5


THREE = {"classes": [{"code": "优", "label": "优等", "label_en": "good"},
                     {"code": "良", "label": "良等", "label_en": "fair"},
                     {"code": "差", "label": "差等", "label_en": "poor"}],
         "good": ["优"], "ungraded_as": "良", "source": "test", "confidence": "I"}
"""A three-class scale with other names: nothing in the engine knows A–D."""


def test_a_scale_of_three_named_classes_by_threshold() -> None:
    """score_threshold on the three classes 优 ≥ 40, 良 ≥ 20, else 差 (the worst):
    V is vetoed → 差 whatever its 50; W 40 → 优; X 30 → 良; Y 20 → 良; Z 10 → 差."""
    m = method(grading={"mode": "score_threshold", "scale": THREE,
                        "thresholds": {"优": 40, "良": 20}})
    res = run(_veto_case(), m)
    assert grades(res) == {"V": "差", "W": "优", "X": "良", "Y": "良", "Z": "差"}
    assert row(res, "V")["policy_grade"] == "差"


@pytest.mark.parametrize(("grading", "message"), [
    ({"quotas": {"A": 0.25, "B": 0.70, "C": 0.95}}, "needs quotas for 优 and 良"),
    ({"quotas": {"优": 0.8, "良": 0.5}}, "quotas must satisfy 0 < 优 ≤ 良 ≤ 1"),
    ({"quotas": {"优": 0.3, "良": 0.9}, "scale": {**THREE, "good": ["优", "差"]}},
     "the worst class 差 cannot count as good"),
    ({"quotas": {"优": 0.3, "良": 0.9}, "scale": {**THREE, "ungraded_as": "B"}},
     r"unknown grade classes \['B'\]"),
    ({"quotas": {"一": 0.3, "十一": 0.9}, "scale": {**THREE, "classes": [
        {"code": c, "label": c, "label_en": c} for c in ("一", "十一", "差")], "good": ["一"],
        "ungraded_as": "一"}}, "class 十一 ends with class 一"),
])
def test_the_scale_is_checked(grading: dict[str, Any], message: str) -> None:
    spec = {"mode": "rank_quota", "scale": THREE, **grading}
    with pytest.raises(ValueError, match=message):
        method(grading=spec)


def test_policies_name_classes_of_the_scale() -> None:
    spec = {"mode": "rank_quota", "scale": THREE, "quotas": {"优": 0.3, "良": 0.9}}
    with pytest.raises(ValueError, match=r"policies name unknown grade classes \['D'\]"):
        method(grading=spec, policies=[{"grade": "D", "measure_type": "x", "label": "x"}])


def test_evaluate_years_is_the_yearly_results_stacked() -> None:
    """The veto case in 2023 and 2024: each year graded as alone (V D, W A, X B, Y C, Z D,
    see above), the rows year by year, the text columns categorical, every value equal to
    the yearly results joined."""
    firms, indicators, parcels, occupancy = _veto_case().frames()
    m = method()
    years = (2023, 2024)
    att = {y: attribute_land(parcels, occupancy, y, merge_landless_tenants=False)
           for y in years}
    out = evaluate_years(firms, {y: indicators for y in years}, att, m)
    assert out["year"].tolist() == [2023] * 5 + [2024] * 5
    assert out["grade"].dtype == "category" and out["status"].dtype == "category"
    assert out["district"].dtype == "category" and out["scale"].dtype == "category"
    assert out["grade"].astype(object).tolist() == ["D", "A", "B", "C", "D"] * 2
    alone = pd.concat([evaluate(firms, indicators, att[y], m, y).results for y in years],
                      ignore_index=True)
    assert list(out.columns) == list(alone.columns)
    for col in alone.columns:
        left, right = out[col], alone[col]
        if isinstance(left.dtype, pd.CategoricalDtype):
            left, right = left.astype(object), right.astype(object)
        pd.testing.assert_series_equal(left, right, check_exact=True, check_dtype=False,
                                       obj=col)


# -- 5: exemptions ----------

def _above(case: Case, code: str, area_m2: float = 6_000, **kw: Any) -> None:
    case.firm(code, area_m2, tax=90, value_added=450, energy_tce=300, emissions=0.15,
              employees=50, rd_spend=10, revenue=1000, **kw)


def test_exemptions_are_ungraded_with_policy_b() -> None:
    """黄岩 profile: utilities (44/45/46/782), founded < 2 years, land right < 3 years → ungraded.

    Year end 2024-12-31: N founded 2023-06-01 (1.6 years); R's land right from 2022-06-01
    (2.6 years); U is in industry 4411 (电力生产). G1, G2 are graded, n = 2 (the ungraded
    firms take no quota place): G1 (tax 180 on 9 亩) r 1 → 1/2 → B; G2 r 2 → D.
    NT, a landless tenant of R (owner_merged in 黄岩), shares R's result: no grade, B policies.
    """
    case = Case()
    _above(case, "U", industry="4411")
    _above(case, "W", industry="7820")               # 环境卫生管理 (782) → exempt
    _above(case, "N", founded=date(2023, 6, 1))
    _above(case, "R", right_start=date(2022, 6, 1))
    _above(case, "G1", founded=date(2022, 12, 31))   # exactly 2 years: not fewer → graded
    case.indicators[-1]["tax"] = 180
    _above(case, "G2", right_start=date(2021, 12, 31))  # exactly 3 years → graded
    case.firm("NT", scale="below", tax=5).occupy("NT", "P-R", "tenant", floor_m2=100)
    res = run(case, huangyan())
    for code, why in (("U", "exempt_industry"), ("W", "exempt_industry"), ("N", "new_firm"),
                      ("R", "land_ramp_up")):
        r = row(res, code)
        assert r["status"] == "ungraded", code
        assert r["reason"] == why, code
        assert grade(res, code) is None, code
        assert r["policy_grade"] == "B", code
        assert pd.isna(r["rank"]), code
        assert not pd.isna(r["score"]), code                   # scored all the same
    # U is scored like firm C of the formula test: 45.287938
    assert row(res, "U")["score"] == pytest.approx(45.287938, abs=1e-6)
    # R = C's figures + NT's tax 5 on 9 亩: 亩均税收 (90 + 5)/9 → 95/9/24.097×30 = 13.141331
    assert row(res, "R")["tax_per_mu_points"] == pytest.approx(95 / 9 / 24.097 * 30, abs=TOL)
    nt = row(res, "NT")
    assert (nt["status"], nt["landlord"]) == ("merged", "R")
    assert grade(res, "NT") is None
    assert nt["policy_grade"] == "B"
    assert grades(res)["G1"] == "B"
    assert grades(res)["G2"] == "D"
    assert row(res, "G1")["group_size"] == 2


def test_exemption_year_boundaries_are_calendar_years() -> None:
    """Evaluating 2023 (year end 2023-12-31, no leap day in 2021–2023):
    founded 2021-12-31 is exactly 2 years before → not fewer → graded; 2022-01-01 → new_firm.
    Land right from 2020-12-31 is exactly 3 years → graded; 2021-01-01 → land_ramp_up."""
    case = Case()
    _above(case, "F-2Y", founded=date(2021, 12, 31))
    _above(case, "F-NEW", founded=date(2022, 1, 1))
    _above(case, "L-3Y", right_start=date(2020, 12, 31))
    _above(case, "L-NEW", right_start=date(2021, 1, 1))
    res = run(case, huangyan(), year=2023)
    assert row(res, "F-2Y")["status"] == "graded"
    assert row(res, "F-NEW")["reason"] == "new_firm"
    assert row(res, "L-3Y")["status"] == "graded"
    assert row(res, "L-NEW")["reason"] == "land_ramp_up"


# -- 6: tenants ----------

# Two indicators: 亩均税收 (fixed 20, weight 60) and 单位能耗增加值 (fixed 2, weight 40).
# Quotas A 0.34, B 0.67, C 0.95 so that n = 3 gives A, B, D and n = 4 gives A, B, C, D.
TENANT_INDICATORS = (
    tax_per_mu(60, mode="fixed", value=20.0),
    {"name": "value_added_per_energy", "label": "单位能耗增加值", "unit": "万元/tce",
     "numerator": "value_added", "denominator": "energy_tce", "weight": 40,
     "benchmark": {"mode": "fixed", "value": 2.0}})


def _tenant_case() -> Case:
    """P1: 12 000 m² (18 亩), floor 9 000 m². Landlord L owns it, tenant T (no land of its own)
    leases 3 000 m² of floor. G1, G2 own 6 000 m² (9 亩) each.

    G1: tax 360 → 40/亩 → 40/20×60 = 120; VA/energy 400/100 = 4 → 4/2×40 = 80; score 200
    G2: tax  90 → 10/亩 → 10/20×60 =  30; VA/energy 200/200 = 1 → 1/2×40 = 20; score  50
    """
    case = Case()
    case.firm("G1", 6_000, tax=360, value_added=400, energy_tce=100)
    case.firm("G2", 6_000, tax=90, value_added=200, energy_tce=200)
    case.firm("L", tax=180, value_added=600, energy_tce=200)
    case.firm("T", scale="below", tax=60, value_added=300, energy_tce=100)
    case.parcel("P1", 12_000, floor_m2=9_000)
    case.occupy("L", "P1", "owner")
    case.occupy("T", "P1", "tenant", floor_m2=3_000)
    return case


def _tenant_method(mode: str) -> EvaluationMethod:
    m = method(*TENANT_INDICATORS, grading={
        "mode": "rank_quota", "group_by": ["district"],
        "quotas": {"A": 0.34, "B": 0.67, "C": 0.95}})
    return m.model_copy(update={"attribution_mode": mode})


def test_tenant_owner_merged() -> None:
    """owner_merged: T's figures go to L; L is evaluated on the whole parcel.

    L land = 12 000 m² = 18 亩; tax 180 + 60 = 240; VA 600 + 300 = 900; energy 200 + 100 = 300
        亩均税收 240 / 18 = 13.3333 → 13.3333/20×60 = 40;  900/300 = 3 → 3/2×40 = 60;  score 100
    n = 3 (G1 200, L 100, G2 50): 1/3 = 0.33 → A, 2/3 = 0.67 → B, 3/3 → D. T: merged, takes B.
    """
    res = run(_tenant_case(), _tenant_method("owner_merged"))
    landlord, t = row(res, "L"), row(res, "T")
    assert landlord["land_area_mu"] == pytest.approx(18.0)
    assert landlord["tax_per_mu"] == pytest.approx(240 / 18)
    assert landlord["tax_per_mu_points"] == pytest.approx(40.0, abs=TOL)
    assert landlord["value_added_per_energy"] == pytest.approx(3.0)
    assert landlord["score"] == pytest.approx(100.0, abs=TOL)
    assert t["status"] == "merged"
    assert t["reason"] == "tenant_merged"
    assert t["landlord"] == "L"
    assert t["land_area_mu"] == 0
    assert pd.isna(t["score"])
    assert pd.isna(t["population"])
    assert grades(res) == {"G1": "A", "G2": "D", "L": "B", "T": "B"}
    assert t["policy_grade"] == "B"
    assert row(res, "G1")["group_size"] == 3       # the merged tenant takes no quota place


def test_tenant_separate() -> None:
    """tenant_separate: T's land = 3 000 / 9 000 × 12 000 = 4 000 m² = 6 亩; L keeps
    12 000 − 4 000 = 8 000 m² = 12 亩.

    L: 180 / 12 = 15 → 15/20×60 = 45;  600/200 = 3 → 60;  score 105
    T:  60 /  6 = 10 → 10/20×60 = 30;  300/100 = 3 → 60;  score  90
    n = 4 (G1 200, L 105, T 90, G2 50): 1/4 → A, 2/4 → B, 3/4 → C, 4/4 → D.
    """
    res = run(_tenant_case(), _tenant_method("tenant_separate"))
    landlord, t = row(res, "L"), row(res, "T")
    assert landlord["land_area_mu"] == pytest.approx(12.0)
    assert t["land_area_mu"] == pytest.approx(6.0)
    assert landlord["score"] == pytest.approx(105.0, abs=TOL)
    assert t["score"] == pytest.approx(90.0, abs=TOL)
    assert t["status"] == "graded"
    assert grades(res) == {"G1": "A", "L": "B", "T": "C", "G2": "D"}


def test_tenant_owner_grade_inherited() -> None:
    """owner_grade_inherited: T takes L's grade; L is evaluated on its own figures over the land
    it keeps (12 亩, as in tenant_separate): score 105.
    n = 3 (G1 200, L 105, G2 50): A, B, D; T inherits B (on its own it would be C)."""
    res = run(_tenant_case(), _tenant_method("owner_grade_inherited"))
    t = row(res, "T")
    assert t["status"] == "inherited"
    assert t["reason"] == "tenant_inherits"
    assert t["landlord"] == "L"
    assert pd.isna(t["score"])
    assert row(res, "L")["land_area_mu"] == pytest.approx(12.0)
    assert row(res, "L")["score"] == pytest.approx(105.0, abs=TOL)
    assert grades(res) == {"G1": "A", "G2": "D", "L": "B", "T": "B"}


# -- 7: multi-parcel firm ----------

def test_multi_parcel_firm_land_in_score() -> None:
    """M owns P1 (6 000 m²) and P2 (4 000 m²), leases 2 000 m² on P3 (owned by N, 5 000 m²) and
    leases 1 000 m² of P1 out to X (X owns P4, 2 000 m², so it is not a landless tenant).

    M land = 6 000 + 4 000 + 2 000 − 1 000 = 11 000 m² = 16.5 亩; tax 330 → 330/16.5 = 20 万元/亩
    N land = 5 000 − 2 000 = 3 000 m² = 4.5 亩; tax 45 → 10 万元/亩
    X land = 2 000 + 1 000 = 3 000 m² = 4.5 亩; tax 135 → 30 万元/亩
    Z, landless, leases 2 000 m² (3 亩) of P5, whose owner is not on record (e.g. a village
    collective): there is no landlord to merge into, so Z is evaluated on its own in both
    modes: tax 12 → 4 万元/亩.
    (One-indicator method, fixed benchmark 1, weight 1: score = 亩均税收.)
    """
    case = Case()
    case.firm("M", tax=330).parcel("P1", 6_000).parcel("P2", 4_000).parcel("P3", 5_000)
    case.occupy("M", "P1", "owner").occupy("M", "P2", "owner")
    case.firm("N", tax=45).occupy("N", "P3", "owner")
    case.occupy("M", "P3", "tenant", land_m2=2_000)
    case.firm("X", 2_000, tax=135).occupy("X", "P1", "tenant", land_m2=1_000)
    case.firm("Z", tax=12).parcel("P5", 9_000).occupy("Z", "P5", "tenant", land_m2=2_000)
    for mode in ("tenant_separate", "owner_merged"):   # nobody is landless: same land either way
        res = run(case, method().model_copy(update={"attribution_mode": mode}))
        assert row(res, "M")["land_area_mu"] == pytest.approx(16.5), mode
        assert row(res, "M")["score"] == pytest.approx(20.0), mode
        assert row(res, "N")["land_area_mu"] == pytest.approx(4.5), mode
        assert row(res, "N")["score"] == pytest.approx(10.0), mode
        assert row(res, "X")["land_area_mu"] == pytest.approx(4.5), mode
        assert row(res, "X")["score"] == pytest.approx(30.0), mode
        assert row(res, "X")["status"] == "graded", mode
        assert row(res, "Z")["status"] == "graded", mode
        assert row(res, "Z")["land_area_mu"] == pytest.approx(3.0), mode
        assert row(res, "Z")["score"] == pytest.approx(4.0), mode


# -- 8: missing emissions ----------

def test_missing_emissions_get_the_group_mean_points() -> None:
    """黄岩: 单位排放增加值 has when_missing: average_score. CM and CZ have C's figures but no
    emissions (CM: missing; CZ: 0 t, so the ratio cannot be computed). Each gets the mean
    emission points of the firms of the benchmark group (规上) that have a value, A, B and C:
        (5100 + 6000 + 3000) / 3 / 4929.81 × 10 = 4700/4929.81×10 = 9.533836
    CM score = C's 45.287938 − C's emission points 6.085427 + 9.533836 = 48.736346.
    A, B and C are unchanged (the benchmark is fixed). 0 points for a missing value is the
    default (``when_missing: zero``): F6 in the group-average test."""
    case = _huangyan_above(Case())
    for code, emissions in (("CM", None), ("CZ", 0.0)):
        case.firm(code, 6_000, tax=90, value_added=450, energy_tce=300, emissions=emissions,
                  employees=50, rd_spend=10, revenue=1000)
    res = run(case, huangyan())
    mean_pts = (A_TERMS["value_added_per_emission"] + B_TERMS["value_added_per_emission"]
                + C_TERMS["value_added_per_emission"]) / 3
    assert mean_pts == pytest.approx(4700 / 4929.81 * 10)
    expect = sum(C_TERMS.values()) - C_TERMS["value_added_per_emission"] + mean_pts
    sc = res.scores.set_index(["credit_code", "indicator"])
    for code in ("CM", "CZ"):
        r = row(res, code)
        assert r["value_added_per_emission_points"] == pytest.approx(mean_pts, abs=TOL)
        assert pd.isna(r["value_added_per_emission"])
        assert r["score"] == pytest.approx(expect, abs=TOL)
        assert r["score"] == pytest.approx(48.736346, abs=1e-6)
        assert sc.loc[(code, "value_added_per_emission"), "missing"]
    assert row(res, "A")["score"] == pytest.approx(sum(A_TERMS.values()), abs=TOL)
    assert row(res, "C")["score"] == pytest.approx(sum(C_TERMS.values()), abs=TOL)
    assert not sc.loc[("A", "value_added_per_emission"), "missing"]


# -- 9: group averages, cap, negatives, bonus and penalty ----------

def _group_average_case() -> Case:
    """District X: F1 6 000 m² = 9 亩, tax 90 → 10/亩;  F2 4 000 m² = 6 亩, tax 120 → 20/亩;
    F3 2 000 m² = 3 亩, tax −30 → −10/亩;  F4 2 000 m² = 3 亩, tax 240 → 80/亩;
    F6 2 000 m² = 3 亩, no tax (not in the average).  District Y: F5 3 亩, tax 15 → 5/亩."""
    case = Case()
    case.firm("F1", 6_000, district="X", tax=90)
    case.firm("F2", 4_000, district="X", tax=120)
    case.firm("F3", 2_000, district="X", tax=-30)
    case.firm("F4", 2_000, district="X", tax=240)
    case.firm("F6", 2_000, district="X", revenue=50)
    case.firm("F5", 2_000, district="Y", tax=15)
    return case


def _group_average_method(average: str) -> EvaluationMethod:
    return method(
        tax_per_mu(100, mode="group_average", group_by=["district"], average_method=average),
        cap=2.0,
        adjustments={"bonus": [{"item": "hitech", "label": "高新技术企业", "points": 3},
                               {"item": "tech_center", "label": "省级企业技术中心", "points": 4}],
                     "bonus_cap": 5,
                     "penalty": [{"item": "pollution", "label": "环保处罚", "points": 2}]})


ADJUSTMENTS = pd.DataFrame({"credit_code": ["F1", "F1", "F1", "F2", "F4", "F5"],
                            "item": ["hitech", "tech_center", "pollution", "hitech",
                                     "pollution", "unknown_item"]})


def test_group_average_aggregate_ratio_cap_negative_bonus() -> None:
    """aggregate_ratio: benchmark X = Σtax ÷ Σland = (90 + 120 − 30 + 240) / (9 + 6 + 3 + 3)
    = 420 / 21 = 20 万元/亩 (F6 has no tax, so its land is not in Σland); Y = 15 / 3 = 5.

    points (weight 100, cap 2 × 100 = 200):
        F1 10/20×100 = 50; F2 20/20×100 = 100; F3 max(−10, 0) = 0; F4 80/20×100 = 400 → 200;
        F5 5/5×100 = 100; F6 missing → 0.
    bonus: F1 hitech 3 + tech_center 4 = 7 → cap 5; penalty F1 2, F4 2; F2 hitech 3;
        F5's unknown item counts for nothing.
    scores: F1 50 + 5 − 2 = 53; F2 103; F3 0; F4 200 − 2 = 198; F5 100; F6 0.
    """
    res = run(_group_average_case(), _group_average_method("aggregate_ratio"),
              adjustments=ADJUSTMENTS)
    sc = res.scores.set_index("credit_code")
    assert sc.loc["F1", "benchmark"] == pytest.approx(20.0)
    assert sc.loc["F5", "benchmark"] == pytest.approx(5.0)
    pts = {c: row(res, c)["tax_per_mu_points"] for c in ("F1", "F2", "F3", "F4", "F5", "F6")}
    assert pts == pytest.approx({"F1": 50, "F2": 100, "F3": 0, "F4": 200, "F5": 100, "F6": 0})
    assert row(res, "F3")["tax_per_mu"] == pytest.approx(-10.0)
    assert row(res, "F1")["bonus_points"] == 5
    assert row(res, "F1")["penalty_points"] == 2
    assert row(res, "F5")["bonus_points"] == 0
    scores = {c: row(res, c)["score"] for c in ("F1", "F2", "F3", "F4", "F5", "F6")}
    assert scores == pytest.approx({"F1": 53, "F2": 103, "F3": 0, "F4": 198, "F5": 100, "F6": 0})


def test_group_average_mean_of_ratios() -> None:
    """mean_of_ratios: benchmark X = (10 + 20 − 10 + 80) / 4 = 25 (negative value included,
    F6 has none); Y = 5.
    points: F1 10/25×100 = 40; F2 20/25×100 = 80; F3 0; F4 80/25×100 = 320 → cap 200; F5 100."""
    res = run(_group_average_case(), _group_average_method("mean_of_ratios"))
    assert res.scores.set_index("credit_code").loc["F1", "benchmark"] == pytest.approx(25.0)
    pts = {c: row(res, c)["tax_per_mu_points"] for c in ("F1", "F2", "F3", "F4", "F5")}
    assert pts == pytest.approx({"F1": 40, "F2": 80, "F3": 0, "F4": 200, "F5": 100})
    assert row(res, "F1")["score"] == pytest.approx(40)   # no adjustments given


def test_group_median_benchmark() -> None:
    """group_median: X = median(10, 20, −10, 80) = (10 + 20) / 2 = 15;
    F1 10/15×100 = 66.666667; F2 20/15×100 = 133.333333."""
    m = method(tax_per_mu(100, mode="group_median", group_by=["district"]), cap=2.0)
    res = run(_group_average_case(), m)
    assert row(res, "F1")["tax_per_mu_points"] == pytest.approx(200 / 3, abs=TOL)
    assert row(res, "F2")["tax_per_mu_points"] == pytest.approx(400 / 3, abs=TOL)


# -- 10: score thresholds ----------

def test_score_threshold_grading() -> None:
    """Thresholds A 90, B 70, C 50 (score ≥ threshold): 95 → A, 90 → A, 70 → B, 69.99 → C,
    50 → C, 49 → D. No quota: two A firms out of six."""
    m = method(grading={"mode": "score_threshold", "group_by": ["district"],
                        "thresholds": {"A": 90, "B": 70, "C": 50}})
    case = Case()
    for code, s in (("S95", 95), ("S90", 90), ("S70", 70), ("S6999", 69.99), ("S50", 50),
                    ("S49", 49)):
        scored(case, code, s)
    res = run(case, m)
    assert grades(res) == {"S95": "A", "S90": "A", "S70": "B", "S6999": "C", "S50": "C",
                           "S49": "D"}


# -- 11: population and the evaluated year ----------

def test_population_scope_and_year() -> None:
    """黄岩: 规下 needs ≥ 3 亩; 规上 has no land minimum.

    SMALL 规下 1 800 m² = 2.7 亩 → not_evaluated / out_of_scope
    EDGE  规下 2 000 m² = 3 亩   → below_scale (3 ≥ 3)
    TINY  规上 1 000 m² = 1.5 亩 → above_scale
    GONE  its only parcel ended 2023-12-31 → no land in 2024 → not_evaluated / no_land
    LATER its only parcel starts 2025-01-01 → no_land
    NOFIG land but no indicator row → not_evaluated / no_indicators
    Also (黄岩 is owner_merged): TT, landless, leases 1 000 m² from L1 and 3 000 m² from L2
    (6 000 m² = 9 亩 each, tax 90): merge weights 1 000/4 000 = 0.25 and 0.75, so TT's tax 40
    adds 10 to L1 and 30 to L2: 亩均税收 L1 = 100/9 = 11.111, L2 = 120/9 = 13.333. TT's
    missing value added leaves the landlords' own value added unchanged.
    """
    case = Case()
    case.firm("SMALL", 1_800, scale="below", tax=10, electricity_kwh=100_000)
    case.firm("EDGE", 2_000, scale="below", tax=10, electricity_kwh=100_000)
    _above(case, "TINY", 1_000)
    _above(case, "GONE")
    _above(case, "LATER")
    case.firm("NOFIG", 2_000, figures=False)
    case.occupancy = [o for o in case.occupancy if o["credit_code"] not in ("GONE", "LATER")]
    case.occupy("GONE", "P-GONE", "owner", end=date(2023, 12, 31))
    case.occupy("LATER", "P-LATER", "owner", start=date(2025, 1, 1))
    _above(case, "L1")
    _above(case, "L2")
    case.firm("TT", tax=40).occupy("TT", "P-L1", "tenant", land_m2=1_000)
    case.occupy("TT", "P-L2", "tenant", land_m2=3_000)
    res = run(case, huangyan())
    expect = {"SMALL": ("not_evaluated", "out_of_scope"), "EDGE": ("graded", ""),
              "TINY": ("graded", ""), "GONE": ("not_evaluated", "no_land"),
              "LATER": ("not_evaluated", "no_land"), "NOFIG": ("not_evaluated", "no_indicators")}
    for code, (status, why) in expect.items():
        r = row(res, code)
        assert (r["status"], r["reason"]) == (status, why), code
    assert row(res, "SMALL")["land_area_mu"] == pytest.approx(2.7)
    assert pd.isna(row(res, "SMALL")["population"])
    assert pd.isna(row(res, "SMALL")["score"])
    assert grade(res, "SMALL") is None
    assert row(res, "EDGE")["population"] == "below_scale"
    assert row(res, "TINY")["population"] == "above_scale"
    assert row(res, "GONE")["land_area_mu"] == 0
    assert row(res, "L1")["tax_per_mu"] == pytest.approx(100 / 9)
    assert row(res, "L2")["tax_per_mu"] == pytest.approx(120 / 9)
    assert row(res, "L1")["value_added_per_mu"] == pytest.approx(450 / 9)
    assert (row(res, "TT")["status"], row(res, "TT")["landlord"]) == ("merged", "L2")
    # the out-of-scope firms are no part of any benchmark or quota: EDGE is alone → D
    assert row(res, "EDGE")["group_size"] == 1
    assert grade(res, "EDGE") == "D"


# -- 12: determinism ----------

def _rich_case() -> tuple[Case, EvaluationMethod]:
    """Tenants, a landless tenant, ties, a veto, an exemption and a missing value."""
    case = _tenant_case()
    for i in range(12):
        scored(case, f"Q{i:02d}", 10 + (i // 2))            # pairs of tied scores
    scored(case, "VETO", 99, safety_veto=True)
    scored(case, "UTIL", 60, industry="4500")
    case.firm("NOTAX", 2_000, revenue=10)
    m = method(*TENANT_INDICATORS,
               exemptions={"industry_prefixes": ["45"]},
               adjustments={"bonus": [{"item": "hitech", "label": "高新", "points": 3}],
                            "bonus_cap": 5})
    return case, m.model_copy(update={"attribution_mode": "owner_merged"})


RICH_ADJUSTMENTS = pd.DataFrame({"credit_code": ["Q03", "L"], "item": ["hitech", "hitech"]})


@cache
def _rich_result() -> EvaluationResult:
    case, m = _rich_case()
    return run(case, m, adjustments=RICH_ADJUSTMENTS)


def test_same_inputs_same_results() -> None:
    case, m = _rich_case()
    first = _rich_result()
    second = run(case, m, adjustments=RICH_ADJUSTMENTS)
    pd.testing.assert_frame_equal(first.results, second.results, check_exact=True)
    pd.testing.assert_frame_equal(first.scores, second.scores, check_exact=True)
    assert grade(first, "T") == grade(first, "L")     # the merged tenant follows L


def test_shuffled_inputs_same_results() -> None:
    case, m = _rich_case()
    frames = case.frames()
    base = _rich_result()
    rng = np.random.default_rng(20241231)
    shuffled = [f.sample(frac=1.0, random_state=rng).reset_index(drop=True) for f in frames]
    again = run_frames(*shuffled, m, adjustments=RICH_ADJUSTMENTS.iloc[::-1])
    pd.testing.assert_frame_equal(base.results, again.results)
    pd.testing.assert_frame_equal(base.scores, again.scores)


def test_an_evaluation_without_scores_gives_the_same_results() -> None:
    """``scores=False`` (what :func:`evaluate_years` asks for) keeps no per-indicator rows:
    the results are the same, and asking for the scores is an error, not an empty table."""
    firms, indicators, parcels, occupancy = _veto_case().frames()
    att = attribute_land(parcels, occupancy, 2024, merge_landless_tenants=False)
    full = evaluate(firms, indicators, att, method(), 2024)
    lean = evaluate(firms, indicators, att, method(), 2024, scores=False)
    pd.testing.assert_frame_equal(lean.results, full.results)
    assert len(full.scores) > 0
    with pytest.raises(ValueError, match="kept no per-indicator scores"):
        _ = lean.scores
