"""工改工 project type, mode and outside-line firm classes on hand-made frames.

Every expected outcome is worked by hand from the ningbo-demo rules (the profile's values
on 2025-06-01; the engine holds none): project type relocation below 50 % inside / above
50 % D; mode factors large ≥ 50 亩 (gov +3, operator +2), small < 15 亩 (enterprise +2),
one owner (enterprise +3), ≥ 5 owners (gov +2, operator +1), collective ≥ 50 % (village +3,
gov −1), A/B ≥ 50 % (enterprise +2), C/D ≥ 50 % (gov +1, operator +2), fiscal ≥ 0.7
(gov +2), fiscal < 0.4 (gov −2, operator +1); tie order enterprise, village, operator, gov.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.redevelop import (
    MODES,
    PARAMETERS,
    RedevelopRules,
    classify_outside_firms,
    classify_projects,
    conversion_by_unit,
    recommend_modes,
    trailing_d_years,
    unit_districts,
)
from indspace.core.errors import PolicyError
from indspace.core.policy import load_profile

NA = pd.NA
ON = date(2025, 6, 1)
VALUES = {n: load_profile("ningbo-demo").value(n, ON) for n in PARAMETERS}
"""The ningbo-demo values of every rule parameter; a test overrides one of them."""
SCALE = load_profile("ningbo-demo").evaluation_method(ON).grading.scale
"""The ningbo-demo grade classes: A, B, C, D best → worst, A and B good."""
RULES = RedevelopRules.from_values(VALUES, SCALE)


def with_values(**changed: Any) -> RedevelopRules:
    """The ningbo-demo rules with some parameters (or, for a dict parameter, some of its
    keys) changed."""
    values = dict(VALUES)
    for name, value in changed.items():
        values[name] = {**VALUES[name], **value} if isinstance(value, dict) and isinstance(
            VALUES[name], dict) else value
    return RedevelopRules.from_values(values, SCALE)


def uid(district: str, n: int) -> str:
    return f"U-{district}-{n:016x}"


# -- profile -----------------------------------------------------------------------------------

def test_profile_rules_hold_the_profile_values() -> None:
    rules = RedevelopRules.from_profile(load_profile("ningbo-demo"), ON)
    assert rules == RULES
    assert rules.projects.relocation_d_share_above == 0.5
    assert rules.modes.tie_order[0] == "enterprise_led" and len(rules.modes.factors) == 9
    assert rules.outside.exit_min_consecutive_d_years == 2           # shared H2 parameter
    assert "3011" in rules.outside.banned_industry_prefixes           # project_negative_list
    assert len(rules.modes.fiscal_capacity) == 10                     # Ningbo's 10 districts


def test_bad_rule_values_are_refused() -> None:
    bad_metric = {"factors": [{"factor": "x", "metric": "tax", "op": ">=", "threshold": 1,
                               "points": {"operator_led": 1}}]}
    with pytest.raises(PolicyError, match="unknown metric tax"):
        with_values(redevelopment_mode_scoring=bad_metric)
    bad_mode = {"factors": [{"factor": "x", "metric": "far", "op": ">=", "threshold": 1,
                             "points": {"shanghai": 1}}]}
    with pytest.raises(PolicyError, match="unknown modes shanghai"):
        with_values(redevelopment_mode_scoring=bad_mode)
    with pytest.raises(PolicyError, match="tie_order"):
        with_values(redevelopment_mode_scoring={
            "tie_order": ["enterprise_led", "operator_led"]})
    with pytest.raises(PolicyError, match="unknown keys"):
        with_values(redevelopment_project_type_rules={"inside_below": 0.5})
    # a profile without the rules: the engine has no values of its own to fall back on
    with pytest.raises(PolicyError, match="district_fiscal_capacity"):
        RedevelopRules.from_values({k: v for k, v in VALUES.items()
                                    if k != "district_fiscal_capacity"}, SCALE)


# -- 3. project type ---------------------------------------------------------------------------

def units_for_types() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        # unit, inside_share, A, B, C, D
        {"unit_id": "T1", "inside_share": 1.0, "grade_A": 1, "grade_B": 0, "grade_C": 0,
         "grade_D": 0},                                   # all inside, no D → upgrade
        {"unit_id": "T2", "inside_share": 0.5, "grade_A": 0, "grade_B": 1, "grade_C": 0,
         "grade_D": 0},                                   # exactly 50 % inside: not < 50 %
        {"unit_id": "T3", "inside_share": 0.49, "grade_A": 0, "grade_B": 1, "grade_C": 0,
         "grade_D": 0},                                   # 49 % < 50 % → relocate
        {"unit_id": "T4", "inside_share": 1.0, "grade_A": 1, "grade_B": 0, "grade_C": 0,
         "grade_D": 1},                                   # D 1 of 2 = 50 %: not > 50 %
        {"unit_id": "T5", "inside_share": 1.0, "grade_A": 1, "grade_B": 0, "grade_C": 1,
         "grade_D": 3},                                   # D 3 of 5 = 60 % > 50 % → relocate
        {"unit_id": "T6", "inside_share": 1.0, "grade_A": 0, "grade_B": 0, "grade_C": 2,
         "grade_D": 0},                                   # plan allows → transformation
        {"unit_id": "T7", "inside_share": 0.2, "grade_A": 0, "grade_B": 0, "grade_C": 0,
         "grade_D": 2},                                   # both triggers; beats conversion
        {"unit_id": "T8", "inside_share": np.nan, "grade_A": NA, "grade_B": NA,
         "grade_C": NA, "grade_D": NA},                   # nothing known → upgrade
    ]
    df = pd.DataFrame(rows)
    for g in "ABCD":
        df[f"grade_{g}"] = df[f"grade_{g}"].astype("Int64")
    return df


def test_project_types_and_boundaries() -> None:
    allowed = {"T6": True, "T7": True}
    r = classify_projects(units_for_types(), RULES, conversion_allowed=allowed) \
        .set_index("unit_id")
    assert r["project_type"].to_dict() == {
        "T1": "upgrade_in_place", "T2": "upgrade_in_place", "T3": "relocation_transfer",
        "T4": "upgrade_in_place", "T5": "relocation_transfer",
        "T6": "renewal_transformation", "T7": "relocation_transfer", "T8": "upgrade_in_place"}
    assert r.loc["T4", "d_share"] == pytest.approx(0.5)
    assert r.loc["T5", "d_share"] == pytest.approx(0.6)
    assert np.isnan(r.loc["T8", "d_share"])
    assert r.loc["T6", "project_type_label"] == "更新转型"
    assert r["plan_allows_conversion"].tolist() == [False] * 5 + [True, True, False]


def test_project_type_reasons() -> None:
    r = classify_projects(units_for_types(), RULES,
                          conversion_allowed={"T6": True, "T7": True}).set_index("unit_id")
    assert r.loc["T3", "project_type_reason"] == (
        "控制线内用地仅占 49%（低于 50%） → 腾挪流转：企业迁入园区，土地收回储备 / only 49% "
        "of the land inside the control line (below 50%) → relocation_transfer: occupants "
        "move into parks, land returns to the reserve")
    # T7: both triggers named, in rule order
    t7 = r.loc["T7", "project_type_reason"]
    assert "控制线内用地仅占 20%（低于 50%），D类企业占企业数 100%（高于 50%）" in t7
    assert "; D-class share of occupants 100% (above 50%)" in t7
    assert "规划允许转换为 M0 或其他用途 → 更新转型" in r.loc["T6", "project_type_reason"]
    t1 = r.loc["T1", "project_type_reason"]
    assert t1.startswith("线内 100%、D类企业占企业数 0%，规划未允许转换 → 改造提升")
    assert "incl. zero-land renovation" in t1


def test_conversion_from_column_scalar_and_parcels() -> None:
    units = units_for_types().assign(plan_allows_conversion=[True] + [False] * 7)
    assert classify_projects(units, RULES)["project_type"].iloc[0] == "renewal_transformation"
    everywhere = classify_projects(units_for_types(), RULES, conversion_allowed=True)
    assert (everywhere["project_type"] == "renewal_transformation").sum() == 5   # T1 T2 T4 T6 T8
    # parcel flags: a unit converts only when all its parcels may
    members = pd.DataFrame({"parcel_id": ["a", "b", "c"], "unit_id": ["T1", "T1", "T2"]})
    by_unit = conversion_by_unit(members, {"a": True, "b": False, "c": True})
    assert by_unit.to_dict() == {"T1": False, "T2": True}


def test_land_share_of_d_replaces_the_count() -> None:
    # T5 has D in 3 of 5 occupants (60 %) but they use only 30 % of the land
    units = units_for_types().assign(d_land_share=[np.nan] * 4 + [0.3] + [np.nan] * 3)
    r = classify_projects(units, RULES).set_index("unit_id")
    assert r.loc["T5", "project_type"] == "upgrade_in_place"
    assert r.loc["T5", "d_share_basis"] == "land"
    assert "D类企业用地占 30%" in r.loc["T5", "project_type_reason"]
    assert r.loc["T4", "d_share_basis"] == "occupants"


def test_thresholds_come_from_the_rules() -> None:
    rules = with_values(redevelopment_project_type_rules={
        "relocation_inside_share_below": 0.6, "relocation_d_share_above": 0.4})
    r = classify_projects(units_for_types(), rules).set_index("unit_id")
    assert r.loc["T2", "project_type"] == "relocation_transfer"          # 0.5 < 0.6
    assert r.loc["T4", "project_type"] == "relocation_transfer"          # 0.5 > 0.4


# -- 4. mode -----------------------------------------------------------------------------------

def units_for_modes() -> pd.DataFrame:
    rows = [
        # gov: 80 亩 (+3 gov, +2 op), 8 owners (+2 gov, +1 op), C/D 5 of 6 (+1 gov, +2 op),
        #      鄞州 0.9 (+2 gov) → gov 8, operator 5
        (uid("330212", 1), 80.0, 8, 0.0, 0, 1, 3, 2),
        # enterprise: 10 亩 (+2), one owner (+3), A 1 of 1 (+2) → 7; 江北 0.6 fires nothing;
        #      the others tie at 0 → runner-up village (next in the tie order)
        (uid("330205", 2), 10.0, 1, 0.0, 1, 0, 0, 0),
        # village: collective 80 % (+3 village, −1 gov), C/D 3 of 3 (+1 gov, +2 op),
        #      余姚 0.6 → village 3, operator 2, gov 0
        (uid("330281", 3), 20.0, 3, 0.8, 0, 0, 2, 1),
        # operator: 6 owners (+2 gov, +1 op), C/D 2 of 2 (+1 gov, +2 op), 象山 0.35
        #      (−2 gov, +1 op) → operator 4, gov 1
        (uid("330225", 4), 30.0, 6, 0.0, 0, 0, 1, 1),
        # tie: 60 亩 (+3 gov, +2 op), one owner (+3 ent), no grades, 江北 0.6
        #      → enterprise 3 = gov 3: enterprise first in the tie order; runner-up gov
        (uid("330205", 5), 60.0, 1, 0.0, 0, 0, 0, 0),
        # nothing known, unknown district → all 0 → enterprise, runner-up village
        ("U-999999-" + "f" * 16, np.nan, NA, np.nan, 0, 0, 0, 0),
    ]
    df = pd.DataFrame(rows, columns=["unit_id", "area_mu", "n_owners", "collective_share",
                                     "grade_A", "grade_B", "grade_C", "grade_D"])
    df["n_owners"] = df["n_owners"].astype("Int64")
    return df


def test_each_mode_wins_once_with_scores() -> None:
    r = recommend_modes(units_for_modes(), RULES)
    assert r["mode"].tolist() == ["gov_led_contiguous", "enterprise_led",
                                  "village_enterprise_coop", "operator_led", "enterprise_led",
                                  "enterprise_led"]
    assert r["mode_score"].tolist() == [8, 7, 3, 4, 3, 0]
    assert r["runner_up"].tolist() == ["operator_led", "village_enterprise_coop",
                                       "operator_led", "gov_led_contiguous",
                                       "gov_led_contiguous", "village_enterprise_coop"]
    assert r["runner_up_score"].tolist() == [5, 0, 2, 1, 3, 0]
    assert set(MODES) <= set(r["mode"])
    assert r.loc[2, "score_gov_led_contiguous"] == 0       # −1 collective + 1 weak
    assert r["district"].tolist() == ["330212", "330205", "330281", "330225", "330205",
                                      "999999"]
    assert r["fiscal_capacity"].iloc[:5].tolist() == [0.9, 0.6, 0.6, 0.35, 0.6]
    assert np.isnan(r["fiscal_capacity"].iloc[5])
    assert r["mode_label"].iloc[2] == "村企协作共赢改造"


def test_mode_reasons_list_the_deciding_factors() -> None:
    r = recommend_modes(units_for_modes(), RULES)
    zh, en = r.loc[2, "mode_reasons"].split(" / ")
    assert zh == ("集体土地占 80%（≥ 50%）→ 村企协作 +3、政府统筹 -1；"
                  "C/D类企业占 100%（≥ 50%）→ 政府统筹 +1、运营商驱动 +2"
                  " → 推荐村企协作 3 分，次选运营商驱动 2 分")
    assert en == ("collective land 80% (≥ 50%) → village–enterprise +3, government-led -1; "
                  "C/D-grade occupants 100% (≥ 50%) → government-led +1, operator-led +2"
                  " → recommended village–enterprise 3, runner-up operator-led 2")
    assert "单元面积 80 亩（≥ 50 亩）→ 政府统筹 +3、运营商驱动 +2" in r.loc[0, "mode_reasons"]
    assert "区县财力 0.9（≥ 0.7）→ 政府统筹 +2" in r.loc[0, "mode_reasons"]
    assert "district fiscal capacity 0.35 (< 0.4) → government-led -2, operator-led +1" \
        in r.loc[3, "mode_reasons"]
    assert "同分按默认顺序" in r.loc[4, "mode_reasons"]
    assert "tie broken by the default order" in r.loc[4, "mode_reasons"]
    assert r.loc[5, "mode_reasons"].startswith("无加分因素 → 推荐企业自主 0 分")


def test_fiscal_capacity_override_and_district_sources() -> None:
    # 江北 raised to 0.95: unit 2 gets gov +2 → runner-up gov 2 instead of village 0
    r = recommend_modes(units_for_modes(), RULES, fiscal_capacity={"330205": 0.95})
    assert (r.loc[1, "runner_up"], r.loc[1, "runner_up_score"]) == ("gov_led_contiguous", 2)
    # the tie unit now has gov 5 > enterprise 3
    assert r.loc[4, "mode"] == "gov_led_contiguous"
    units = units_for_modes()
    explicit = pd.Series(["330212"] * 6, index=units["unit_id"])
    assert unit_districts(units, explicit).tolist() == ["330212"] * 6
    assert unit_districts(units.assign(district="330282")).tolist() == ["330282"] * 6
    assert unit_districts(pd.DataFrame({"unit_id": ["U-abc"]})).tolist() == [None]


def test_tie_order_from_the_profile_values() -> None:
    rules = with_values(redevelopment_mode_scoring={
        "tie_order": ["gov_led_contiguous", "operator_led", "village_enterprise_coop",
                      "enterprise_led"]})
    assert rules.modes.factors == RULES.modes.factors       # only the order changed
    r = recommend_modes(units_for_modes(), rules)
    assert r.loc[4, "mode"] == "gov_led_contiguous"         # 3 = 3, gov now first
    assert r.loc[4, "runner_up"] == "enterprise_led"
    assert r.loc[5, "mode"] == "gov_led_contiguous"


# -- 5. outside-line firms ---------------------------------------------------------------------

def firms() -> pd.DataFrame:
    cols = ["credit_code", "industry_code", "land_use_code", "grade_history", "chain_361",
            "risk_flag", "idle", "low_efficiency", "needs_expansion", "land_retained"]
    rows = [
        ("F01", "3011", "100101", "AAA", "绿色石化", False, False, False, False, True),
        ("F02", "3391", "100101", "BBB", None, True, False, False, False, True),
        ("F03", "3391", "100101", "BDD", "新材料", False, False, False, False, True),
        ("F04", "2614", "100103", "CCC", None, False, False, False, False, True),
        ("F05", "2614", "100103", "CCC", "新材料", False, False, False, False, True),
        ("F06", "3391", "100102", "CC-", None, False, True, False, False, True),
        ("F07", "3484", "100101", "CB", "新能源汽车及高端装备", False, False, False, False, True),
        ("F08", "3484", "100101", "CC", "新能源汽车及高端装备", False, False, False, True, True),
        ("F09", "1810", "100101", "BA", None, False, False, False, False, False),
        ("F10", "1810", "100101", "CCD", None, False, False, True, False, True),
        ("F11", "1810", "100101", "CC", None, False, False, False, False, False),
        ("F12", "1810", "100101", "B", None, False, False, False, False, NA),
        ("F13", "1810", "100101", "DDC", None, False, False, False, False, True),
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["land_retained"] = df["land_retained"].astype("boolean")
    return df


EXPECTED = {
    # firm: (class, rule) — hand reasoning in the comments of test_outside_classes
    "F01": ("exit", "banned_industry"), "F02": ("exit", "risk_flag"),
    "F03": ("exit", "consecutive_d"), "F04": ("exit", "high_risk_use"),
    "F05": ("relocate", "chain_over_exit"), "F06": ("exit", "idle_land"),
    "F07": ("relocate", "chain_361"), "F08": ("relocate", "chain_361"),
    "F09": ("relocate", "good_grade_nonconforming_land"), "F10": ("retain", "retained_land"),
    "F11": ("relocate", "not_retained"), "F12": ("retain", "retained_land"),
    "F13": ("retain", "retained_land"),
}


def test_outside_classes() -> None:
    # F01 3011 on the negative list: exit even as grade A in a chain; F02 risk flag;
    # F03 "BDD" = D two years running ≥ 2 (chain does not save it); F04 100103, no chain;
    # F05 100103 in a chain → park; F06 idle, no chain; F07 chain + latest grade B;
    # F08 chain, grade C but needs expansion; F09 grade A, land not retained;
    # F10 retained low-efficiency land, D this year only; F11 C on land not retained;
    # F12 retention pending (NA) → retained; F13 "DDC": the D run ended → 0
    r = classify_outside_firms(firms(), RULES).set_index("credit_code")
    got = {k: (r.loc[k, "outside_line_class"], r.loc[k, "outside_line_rule"]) for k in r.index}
    assert got == EXPECTED
    assert r["consecutive_d_years"].tolist() == [0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert pd.isna(r.loc["F06", "grade"])                    # latest year ungraded
    assert r.loc["F07", "grade"] == "B"
    assert r.loc["F05", "outside_line_class_label"] == "搬迁入园"


def test_outside_reasons() -> None:
    r = classify_outside_firms(firms(), RULES).set_index("credit_code")["outside_line_reason"]
    assert r["F01"] == "行业 3011 属禁止/淘汰类产业 → 关停退出 / industry 3011 is banned → exit"
    assert r["F03"] == ("连续 2 年 D 类（≥ 2 年）→ 关停退出 / graded D for 2 consecutive "
                        "years (≥ 2) → exit")
    assert r["F04"].startswith("用地 100103 属高风险工业用途（三类工业），非\"361\"产业链企业")
    assert "but the firm is in a \"361\" chain (新材料) → relocate into a park rather than " \
           "exit" in r["F05"]
    assert r["F06"].startswith("土地闲置，非\"361\"产业链企业 → 关停退出，土地收回")
    assert r["F07"].startswith("属\"361\"产业链（新能源汽车及高端装备）且B 类 → 搬迁入园")
    assert "needs expansion" in r["F08"]
    assert r["F09"].startswith("A 类企业，用地未认定保留 → 搬迁入园")
    assert r["F10"] == (
        "用地已认定保留，D 类 → 保留提升（允许零土地技改）；用地低效，须改造提升；"
        "已连续 1 年 D 类，须关注 / land recognised as retained, graded D → retain "
        "(zero-land renovation allowed); the land is low-efficiency: upgrade required; "
        "D for 1 year(s) in a row: watch")
    assert r["F11"].endswith("no exit trigger → relocate into a park")
    assert r["F12"].startswith("用地待认定保留（暂按保留），B 类")
    assert r["F02"].endswith("safety or environmental risk flag → exit")


def test_exit_years_and_columns_instead_of_history() -> None:
    rules = with_values(outside_exit_min_consecutive_d_years=3)
    r = classify_outside_firms(firms(), rules).set_index("credit_code")
    # F03 "BDD": 2 < 3 years; in a chain but graded D, no expansion → retained land
    assert (r.loc["F03", "outside_line_class"], r.loc["F03", "outside_line_rule"]) == \
        ("retain", "retained_land")
    assert "已连续 2 年 D 类，须关注" in r.loc["F03", "outside_line_reason"]
    # explicit columns: consecutive_d_years and grade, chain as bool, no optional flags
    plain = pd.DataFrame({"credit_code": ["G1", "G2", "G3"], "grade": ["D", "A", "C"],
                          "consecutive_d_years": [2, 0, 0],
                          "chain_361": [False, True, False]})
    out = classify_outside_firms(plain, RULES)
    assert out["outside_line_class"].tolist() == ["exit", "relocate", "retain"]
    assert out["outside_line_rule"].tolist() == ["consecutive_d", "chain_361", "retained_land"]


def test_trailing_d_years() -> None:
    hist = pd.Series(["BCDD", "DDC", "D", "", None, "dd", "D-D"])
    assert trailing_d_years(hist, SCALE).tolist() == [2, 0, 1, 0, 0, 2, 1]


def test_empty_frames() -> None:
    empty_units = units_for_modes().iloc[:0]
    assert recommend_modes(empty_units, RULES).empty
    assert classify_projects(units_for_types().iloc[:0], RULES).empty
    assert classify_outside_firms(firms().iloc[:0], RULES).empty
