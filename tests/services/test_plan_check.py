"""工业上楼 plan check, golden cases by hand at every boundary (issue #18, first Done-when).

The base plan (鄞州 330212, 市区; industry 3981, division 39; M1; approved 2025-06-30, so the
2023 national edition and the 2025-04-29 seed rules are in force):

    site 10 000 m², footprint 4 000 m² → 建筑系数 4 000 / 10 000 = 0.40
    admin/living land 500 m²            → 500 / 10 000 = 5 %
    green 1 000 m²                      → 1 000 / 10 000 = 10 %
    storeys (all ≤ 8 m, above ground):
        production 4 000 @ 6 m, 4 000 @ 5 m, 4 000 @ 5 m, 4 000 @ 5 m   = 16 000
        rnd 2 000 @ 4.5 m, admin_living 2 000 @ 4.5 m                   =  4 000
    total 20 000 m² → FAR 20 000 / 10 000 = 2.0 (市区 minimum 2.0); R&D 2 000 / 20 000 = 10 %
    investment 5 000 万元 on 1 ha → 5 000 万元/公顷 (table unknown: reported, not judged)

Each case changes one figure and asserts value, limit, pass and the clause cited (the
source of the profile value in force).
"""

from __future__ import annotations

import copy
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from indspace.core.engines import plan_check as engine
from indspace.core.errors import ValidationError
from indspace.core.policy import load_profile, parse_profile
from indspace.services.plan_check import check_plan, plan_from_data, read_plan, rules_on

PROFILE = load_profile("ningbo-demo")
TODAY = date(2026, 12, 7)

# the clauses, as the ningbo-demo profile words them
URBAN_FAR = "宁波日报 2025-04-29 第6版（研究院政策建议）"
A6_2023 = "自然资发〔2023〕72号《工业项目建设用地控制指标》容积率（规范性指标）"
A6_2008 = "国土资发〔2008〕24号 附表"
ADMIN_2023 = "自然资发〔2023〕72号《工业项目建设用地控制指标》行政办公及生活服务设施用地所占比重"
ADMIN_2008 = "国土资发〔2008〕24号"
COEF_2023 = "自然资发〔2023〕72号《工业项目建设用地控制指标》建筑系数"
RND = "最高可达工业项目总建筑面积的15%"
STOREY_2023 = "自然资发〔2023〕72号《工业项目建设用地控制指标》容积率计算：层高超过8米"
GREEN_2023 = "自然资发〔2023〕72号《工业项目建设用地控制指标》绿地率"

BASE: dict[str, Any] = {
    "plan_id": "golden",
    "district": "330212",
    "industry_code": "3981",
    "land_class": "M1",
    "site_area_m2": 10000,
    "footprint_m2": 4000,
    "admin_living_land_m2": 500,
    "green_area_m2": 1000,
    "investment_wan": 5000,
    "approved": "2025-06-30",
    "storeys": [
        {"use": "production", "area_m2": 4000, "height_m": 6.0, "underground": False},
        {"use": "production", "area_m2": 4000, "height_m": 5.0, "underground": False},
        {"use": "production", "area_m2": 4000, "height_m": 5.0, "underground": False},
        {"use": "production", "area_m2": 4000, "height_m": 5.0, "underground": False},
        {"use": "rnd", "area_m2": 2000, "height_m": 4.5, "underground": False},
        {"use": "admin_living", "area_m2": 2000, "height_m": 4.5, "underground": False},
    ],
}


def plan(**over: Any) -> dict[str, Any]:
    p = copy.deepcopy(BASE)
    p.update(over)
    return p


def run(data: dict[str, Any], profile: Any = PROFILE) -> dict[str, Any]:
    return check_plan(plan_from_data(data), profile, today=TODAY)


def edited(old: str, new: str, name: str) -> Any:
    """ningbo-demo with one value changed (the text must be there: a test that edits
    nothing would pass for the wrong reason)."""
    assert PROFILE.text.count(old) == 1, old
    return parse_profile(PROFILE.text.replace(old, new), name)


def check(result: dict[str, Any], rule: str) -> dict[str, Any]:
    (c,) = [c for c in result["checks"] if c["rule"] == rule]
    return c


def test_the_base_plan_passes_every_judged_check() -> None:
    r = run(BASE)
    assert [c["rule"] for c in r["checks"]] == list(engine.RULES)
    assert r["pass"] is True and r["approved"] == "2025-06-30"
    assert {c["rule"]: c["value"] for c in r["checks"]} == {
        "plot_ratio": 2.0,
        "building_coefficient": 0.4,
        "admin_living_land_share": 0.05,
        "rnd_floor_share": 0.1,
        "green_ratio": 0.1,
        "investment_intensity": 5000.0,
    }
    assert r["figures"]["far_floor_m2"] == 20000.0 and r["figures"]["doubled_m2"] == 0.0


# ---------------------------------------------------------------- admin/living land 7 %
@pytest.mark.parametrize(("land", "value", "ok"), [(700, 0.07, True), (701, 0.0701, False)])
def test_admin_living_land_share_at_seven_percent(land: int, value: float, ok: bool) -> None:
    # 700 / 10 000 = 0.07 exactly: passes (≤ 7 %); 701 / 10 000 = 0.0701: fails
    c = check(run(plan(admin_living_land_m2=land)), "admin_living_land_share")
    assert (c["value"], c["limit"], c["pass"], c["comparison"]) == (value, 0.07, ok, "<=")
    assert c["clause"].startswith(ADMIN_2023)


def test_exactly_seven_percent_is_decided_on_the_exact_figure() -> None:
    # 0.07 is not a binary float; as decimals 700.00 / 10 000 = 7/100 = the cap
    c = engine.check_plan(
        plan_from_data(plan(admin_living_land_m2=700.00)), rules_on(PROFILE, date(2025, 6, 30))
    ).checks[2]
    assert c.value == Fraction(7, 100) == c.limit and c.passed is True


# ---------------------------------------------------------------- a storey of 8 m
def _storey_plan(height: float) -> dict[str, Any]:
    """One 4 000 m² production storey of the given height, then 4 000 + 4 000 production,
    2 000 R&D and 2 000 admin/living: 16 000 m² built."""
    p = plan()
    p["storeys"] = [dict(p["storeys"][0], height_m=height), *p["storeys"][1:3], *p["storeys"][4:]]
    return p


def test_a_storey_of_exactly_8_m_counts_once() -> None:
    # 4 000 (8.00 m, once) + 4 000 + 4 000 + 2 000 + 2 000 = 16 000 → FAR 1.6 < 2.0: fails
    r = run(_storey_plan(8.00))
    c = check(r, "plot_ratio")
    assert (c["value"], c["limit"], c["pass"]) == (1.6, 2.0, False)
    assert c["clause"] == URBAN_FAR
    assert r["figures"]["doubled_m2"] == 0.0 and r["figures"]["far_floor_m2"] == 16000.0
    assert r["figures"]["storey_rule_clause"].startswith(STOREY_2023)


def test_a_storey_of_8_01_m_counts_twice() -> None:
    # 4 000 × 2 (8.01 m > 8 m) + 4 000 + 4 000 + 2 000 + 2 000 = 20 000 → FAR 2.0: passes
    r = run(_storey_plan(8.01))
    c = check(r, "plot_ratio")
    assert (c["value"], c["limit"], c["pass"]) == (2.0, 2.0, True)
    assert c["clause"] == URBAN_FAR
    assert r["figures"]["doubled_m2"] == 4000.0 and r["figures"]["total_floor_m2"] == 16000.0
    assert r["figures"]["storey_rule_clause"].startswith(STOREY_2023)
    assert "4,000.00 m²" in c["note_zh"]
    # the mix that maximises production keeps the 20 000 m² FAR budget with every storey
    # ≤ 8 m: production 20 000 − 2 000 R&D − 2 000 admin = 16 000, i.e. 16 000 − 12 000 =
    # 4 000 m² more than planned; 20 000 / 4 000 footprint = 5 storeys
    mix = r["production_mix"]
    assert (
        mix["budget_m2"],
        mix["basis"],
        mix["production_m2"],
        mix["production_gain_m2"],
        mix["storeys_on_footprint"],
        mix["max_storey_height_m"],
    ) == (20000.0, "plan", 16000.0, 4000.0, 5, 8.0)


# ---------------------------------------------------------------- R&D 15 %
@pytest.mark.parametrize(("rnd", "value", "ok"), [(3000, 0.15, True), (3200, 0.16, False)])
def test_rnd_floor_share_at_fifteen_percent(rnd: int, value: float, ok: bool) -> None:
    # total kept at 20 000: production 4 000 × 3 + (6 000 − rnd), R&D rnd, admin 2 000;
    # 3 000 / 20 000 = 15 % passes, 3 200 / 20 000 = 16 % fails
    p = plan()
    p["storeys"] = [
        *p["storeys"][:3],
        {"use": "production", "area_m2": 6000 - rnd, "height_m": 5.0},
        {"use": "rnd", "area_m2": rnd, "height_m": 4.5},
        {"use": "admin_living", "area_m2": 2000, "height_m": 4.5},
    ]
    r = run(p)
    c = check(r, "rnd_floor_share")
    assert (c["value"], c["limit"], c["pass"]) == (value, 0.15, ok)
    assert RND in c["clause"]
    # counted apart from admin/living: the admin/living land share is unchanged at 5 %
    assert check(r, "admin_living_land_share")["value"] == 0.05
    assert r["figures"]["total_floor_m2"] == 20000.0


# ---------------------------------------------------------------- FAR 2.0 in 市区, M0 2.5
@pytest.mark.parametrize(("cut", "value", "ok"), [(0, 2.0, True), (100, 1.99, False)])
def test_far_minimum_in_the_urban_districts(cut: int, value: float, ok: bool) -> None:
    # 20 000 / 10 000 = 2.0 passes; (20 000 − 100) / 10 000 = 1.99 fails
    p = plan()
    p["storeys"][1]["area_m2"] = 4000 - cut
    c = check(run(p), "plot_ratio")
    assert (c["value"], c["limit"], c["pass"], c["limit_max"]) == (value, 2.0, ok, None)
    assert c["clause"] == URBAN_FAR and c["parameter"] == "min_plot_ratio_new_supply_urban"


@pytest.mark.parametrize(("extra", "value", "ok"), [(5000, 2.5, True), (4999, 2.4999, False)])
def test_m0_plan_at_two_and_a_half(extra: int, value: float, ok: bool) -> None:
    # M0: 20 000 + 5 000 = 25 000 / 10 000 = 2.5 passes; 24 999 → 2.4999 fails
    p = plan(land_class="M0")
    p["storeys"].append({"use": "production", "area_m2": extra, "height_m": 4.5})
    c = check(run(p), "plot_ratio")
    assert (c["value"], c["limit"], c["pass"]) == (value, 2.5, ok)
    assert c["clause"] == URBAN_FAR and c["parameter"] == "min_plot_ratio_m0"


# ---------------------------------------------------------------- 建筑系数 0.30
@pytest.mark.parametrize(("fp", "value", "ok"), [(3000, 0.3, True), (2999, 0.2999, False)])
def test_building_coefficient_at_thirty_percent(fp: int, value: float, ok: bool) -> None:
    # 3 000 / 10 000 = 0.30 passes; 2 999 / 10 000 = 0.2999 fails
    c = check(run(plan(footprint_m2=fp)), "building_coefficient")
    assert (c["value"], c["limit"], c["pass"], c["comparison"]) == (value, 0.3, ok, ">=")
    assert c["clause"].startswith(COEF_2023)


# ---------------------------------------------------------------- 绿地率 20 %
@pytest.mark.parametrize(("green", "ok"), [(2000, True), (2001, False)])
def test_green_ratio_at_twenty_percent(green: int, ok: bool) -> None:
    # 2 000 / 10 000 = 0.20 passes (≤ 20 %); 2 001 → 0.2001 fails
    c = check(run(plan(green_area_m2=green)), "green_ratio")
    assert (c["limit"], c["pass"]) == (0.2, ok) and c["clause"].startswith(GREEN_2023)


# ---------------------------------------------------------------- editions and districts
def test_the_edition_in_force_on_the_approval_date_is_cited() -> None:
    # approved 2020-01-01: the 2008 edition; the seed's 市区 2.0 (2025-04-29) is not yet in
    # force, so the FAR minimum is A6 for division 39: 1.0 (FAR 2.0 passes)
    r = run(plan(approved="2020-01-01", admin_living_land_m2=701))
    far, admin = check(r, "plot_ratio"), check(r, "admin_living_land_share")
    assert (far["limit"], far["pass"]) == (1.0, True) and far["clause"].startswith(A6_2008)
    assert admin["pass"] is False and admin["clause"] == ADMIN_2008
    assert check(r, "rnd_floor_share")["pass"] is None  # the 15 % came with the 2025 seed
    # approved 2024-01-01: the 2023 edition's A6 table
    assert check(run(plan(approved="2024-01-01")), "plot_ratio")["clause"].startswith(A6_2023)


def test_counties_use_their_own_floor_or_else_the_industry_floor() -> None:
    # 慈溪 330282 sets 2.0 for new supply; 象山 330225 has none: A6 division 39 = 1.0
    cixi = check(run(plan(district="330282")), "plot_ratio")
    assert (cixi["limit"], cixi["parameter"]) == (2.0, "min_plot_ratio_new_supply_by_district")
    assert cixi["clause"].startswith("慈溪 2023")
    xs = check(run(plan(district="330225")), "plot_ratio")
    assert (xs["limit"], xs["parameter"]) == (1.0, "min_plot_ratio_by_industry")
    assert xs["clause"].startswith(A6_2023)
    # division 43 has no A6 minimum: outside 市区 nothing to judge
    none = check(run(plan(district="330225", industry_code="4320")), "plot_ratio")
    assert none["limit"] is None and none["pass"] is None


def test_underground_is_not_counted_unless_the_profile_says_so() -> None:
    # + 5 000 m² underground warehouse: FAR stays 2.0 …
    p = plan()
    p["storeys"].append({"use": "warehouse", "area_m2": 5000, "height_m": 4.0, "underground": True})
    r = run(p)
    assert check(r, "plot_ratio")["value"] == 2.0 and r["figures"]["underground_m2"] == 5000
    # … and counts (25 000 / 10 000 = 2.5) under a profile that counts it
    counting = edited(
        '2008-01-31: {value: false, source: "地下空间',
        '2008-01-31: {value: true, source: "地下空间',
        "counting.yaml",
    )
    assert check(run(p, counting), "plot_ratio")["value"] == 2.5


def test_investment_intensity_is_judged_only_with_a_known_table() -> None:
    # ningbo-demo has no table: 5 000 万元 / 1 ha = 5 000 万元/公顷, reported, not judged
    c = check(run(BASE), "investment_intensity")
    assert (c["value"], c["limit"], c["pass"]) == (5000.0, None, None)
    assert c["clause"].startswith("自然资发〔2023〕72号")
    # a profile with a table for 鄞州 division 39 of 4 400 万元/公顷 judges it
    table = edited(
        '2023-06-25: {value: null, source: "自然资发〔2023〕72号《工业项目建设用地控制指标》投资',
        '2023-06-25: {value: {"330212": {"39": 4400}}, source: '
        '"自然资发〔2023〕72号'
        "《工业项目建设用地控制指标》投资",
        "table.yaml",
    )
    judged = check(run(BASE, table), "investment_intensity")
    assert (judged["limit"], judged["pass"]) == (4400.0, True)
    assert check(run(plan(investment_wan=4399), table), "investment_intensity")["pass"] is False


def test_a_far_cap_when_the_profile_sets_one() -> None:
    capped = edited(
        '2025-04-29: {value: null, source: "宁波日报 2025-04-29 第6版：'
        '新增供地项目容积率一般不设上限"',
        "2025-04-29: {value: 3.0, source: 上限示例",
        "capped.yaml",
    )
    p = plan()
    p["storeys"].append({"use": "production", "area_m2": 10000, "height_m": 5.0})
    ok = run(p, capped)  # 30 000 / 10 000 = 3.0 ≤ 3.0
    c = check(ok, "plot_ratio")
    assert (c["value"], c["limit"], c["limit_max"], c["pass"], c["clause_max"]) == (
        3.0,
        2.0,
        3.0,
        True,
        "上限示例",
    )
    # the largest compliant floor area is 3.0 × 10 000; the mix fills it: 30 000 − 4 000
    assert ok["floor_area_range"]["max_m2"] == 30000.0
    assert ok["production_mix"]["basis"] == "max_plot_ratio"
    assert ok["production_mix"]["production_m2"] == 26000.0
    p["storeys"][-1]["area_m2"] = 10001  # 3.0001 > 3.0
    assert check(run(p, capped), "plot_ratio")["pass"] is False
    # without a cap (ningbo-demo: 一般不设上限) there is no largest area
    assert run(p)["floor_area_range"]["max_m2"] is None


def test_smallest_compliant_floor_area() -> None:
    # 市区: 2.0 × 10 000 = 20 000; R&D 2 000 / 0.15 = 13 333.33 does not bind
    r = run(BASE)
    assert r["floor_area_range"] == {
        **r["floor_area_range"],
        "min_m2": 20000.0,
        "max_m2": None,
        "binding_min": "plot_ratio",
    }
    # 象山 (A6 1.0 → 10 000) with 4 000 m² R&D: 4 000 / 0.15 = 26 666.67 binds
    p = plan(district="330225")
    p["storeys"][4]["area_m2"] = 4000
    rng = run(p)["floor_area_range"]
    assert (rng["min_m2"], rng["binding_min"]) == (26666.67, "rnd_floor_share")


# ---------------------------------------------------------------- input errors
@pytest.mark.parametrize(
    ("text", "where", "zh"),
    [
        ('{"plan_id": "x"', "plan.json", "不是有效的 JSON"),
        ("[1, 2]", "plan.json", "JSON 对象"),
    ],
)
def test_bad_json_is_refused_bilingually(text: str, where: str, zh: str) -> None:
    with pytest.raises(ValidationError) as e:
        read_plan(text, "plan.json")
    assert e.value.where == where and zh in e.value.message_zh and e.value.message_en


@pytest.mark.parametrize(
    ("change", "field", "zh"),
    [
        ({"site_area_m2": "ten"}, "site_area_m2", "须为数字"),
        ({"land_class": "M3"}, "land_class", "取值不在允许范围内"),
        ({"district": "鄞州"}, "district", "格式不对"),
        ({"approved": "2025/06/30"}, "approved", "日期"),
        ({"footprint_m2": -1}, "footprint_m2", "负数"),
        ({"colour": "red"}, "colour", "未知字段"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], field: str, zh: str) -> None:
    with pytest.raises(ValidationError) as e:
        plan_from_data(plan(**change), "plan.json")
    assert e.value.where == f"plan.json: {field}" and zh in e.value.message_zh
    assert field in e.value.message_en


def test_a_bad_storey_field_is_named_with_its_position() -> None:
    p = plan()
    p["storeys"][2]["height_m"] = 0
    with pytest.raises(ValidationError) as e:
        plan_from_data(p, "plan.json")
    assert e.value.where == "plan.json: storeys[2].height_m"
    del p["storeys"][2]["height_m"]
    with pytest.raises(ValidationError, match="缺少必填字段"):
        plan_from_data(p, "plan.json")


def test_an_approval_date_before_any_rule_is_refused() -> None:
    with pytest.raises(ValidationError) as e:
        run(plan(approved="2001-01-01"))
    assert e.value.where == "approved" and "2008-01-31" in e.value.message_zh


def test_today_is_the_default_approval_date_and_output_is_stable() -> None:
    p = plan()
    del p["approved"]
    a, b = run(p), run(p)
    assert a["approved"] == TODAY.isoformat() and a["approved_given"] is False
    assert a == b
