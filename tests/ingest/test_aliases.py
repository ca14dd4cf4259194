"""Header aliases: Chinese headers, cadastral codes, units, conflicts, and the generated doc."""

from __future__ import annotations

import doctest
import re
from fractions import Fraction
from pathlib import Path

import pytest

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.ingest import aliases, report, rules, validate
from indspace.ingest.aliases import (
    ALIASES,
    COALESCE,
    EXTRAS,
    KINDS,
    _index,
    aliases_markdown,
    normalise_header,
    refresh_doc,
    resolve_headers,
    table_for,
)
from indspace.ingest.rules import RULES, render, rules_markdown

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "import-format.md"
GLOSSARY = ROOT.parent / "shared" / "domain" / "glossary.md"


def field_of(kind: str, header: str) -> str:
    res = resolve_headers(kind, [header])
    assert header in res.mapping, (kind, header, res.issues)
    return res.mapping[header].field


def test_kinds_map_cli_names_to_tables() -> None:
    assert KINDS["control-lines"] == "control_lines"
    assert set(KINDS.values()) == set(ENTITIES) - {"districts"}
    assert table_for("control_lines") == "control_lines"
    with pytest.raises(ValidationError, match="unknown import kind"):
        table_for("farms")


def test_alias_tables_name_only_contract_fields_and_no_alias_maps_twice() -> None:
    for table, fields in ALIASES.items():
        assert set(fields) <= set(ENTITIES[table].columns), table
        assert not set(EXTRAS[table]) & set(ENTITIES[table].columns), table
        _index(table)        # raises AssertionError when an alias maps to two fields
    for table, groups in COALESCE.items():
        for name, group in groups.items():
            assert set(group) <= set(ALIASES[table][name]), (table, name)


@pytest.mark.parametrize("header", [
    "税收(万元)", "税收（万元）", "税收（单位：万元）", "税收(单位:万元)", " 税收 [万元] ",
    "税收【万元】", "＊税收（万元）", "税收 单位：万元", "tax", "TAX", " Tax ",
    "评价税收/实缴税金(万元)", "实缴税金（万元）",
])
def test_header_matching_is_robust(header: str) -> None:
    res = resolve_headers("indicators", [header])
    assert res.mapping[header].field == "tax"
    assert res.mapping[header].factor == 1


def test_normalise_header() -> None:
    assert normalise_header("税收（单位：万元）") == "税收(万元)"
    assert normalise_header("“361”产业链") == "361产业链"
    assert normalise_header("Owner_Credit-Code") == "ownercreditcode"
    assert normalise_header("\ufeff统一社会信用代码") == "统一社会信用代码"


@pytest.mark.parametrize(("kind", "header", "field", "factor"), [
    # golden unit factors: value × factor = stored value in the contract unit
    ("indicators", "税收(元)", "tax", Fraction(1, 10_000)),          # 123456 元 = 12.3456 万元
    ("indicators", "营业收入（亿元）", "revenue", Fraction(10_000)),
    ("parcels", "用地面积(亩)", "area_m2", Fraction(2000, 3)),        # 3 亩 = 2000 m²
    ("parcels", "宗地面积（公顷）", "area_m2", Fraction(10_000)),
    ("parcels", "宗地面积(㎡)", "area_m2", Fraction(1)),
    ("parcels", "宗地面积(m²)", "area_m2", Fraction(1)),
    ("indicators", "用电量(万千瓦时)", "electricity_kwh", Fraction(10_000)),  # 1.5 → 15 000 kWh
    ("indicators", "用电量(万kWh)", "electricity_kwh", Fraction(10_000)),
    ("indicators", "用电量(千瓦时)", "electricity_kwh", Fraction(1)),
    ("indicators", "综合能耗(等价值)(吨标煤)", "energy_tce", Fraction(1)),
    ("indicators", "综合能耗(万吨标准煤)", "energy_tce", Fraction(10_000)),
    ("indicators", "主要污染物排放量(千克)", "emissions", Fraction(1, 1000)),
    ("occupancy", "占地面积(亩)", "land_area_m2", Fraction(2000, 3)),
    ("occupancy", "用地面积", "land_area_m2", Fraction(2000, 3)),     # glossary: 用地面积 in 亩
    ("parcels", "用地面积", "area_m2", Fraction(2000, 3)),
    ("buildings", "建筑高度(米)", "height_m", Fraction(1)),
])
def test_unit_factors(kind: str, header: str, field: str, factor: Fraction) -> None:
    res = resolve_headers(kind, [header])
    assert res.mapping[header] == (field, factor)


def test_bare_chinese_header_of_a_unit_field_is_read_in_the_contract_unit_with_info() -> None:
    res = resolve_headers("indicators", ["统一社会信用代码", "年度", "税收", "ZDMJ_not", "用电量"])
    assert res.mapping["税收"] == ("tax", 1)
    codes = [(i.code, i.header) for i in res.issues]
    assert ("I121", "税收") in codes and ("I121", "用电量") in codes
    assert ("I120", "ZDMJ_not") in codes
    assert res.ok


def test_bare_yongdi_mianji_is_read_in_mu() -> None:
    res = resolve_headers("parcels", ["宗地代码", "用地面积"])
    assert res.mapping["用地面积"].factor == Fraction(2000, 3)
    assert [i.params["unit"] for i in res.issues if i.code == "I121"] == ["亩"]


@pytest.mark.parametrize(("kind", "header", "field"), [
    ("parcels", "ZDDM", "parcel_id"), ("parcels", "zddm", "parcel_id"),
    ("parcels", "ZDMJ", "area_m2"), ("parcels", "TBMJ", "area_m2"),
    ("parcels", "DLBM", "land_use_code"), ("parcels", "YT", "land_use_code"),
    ("parcels", "QLLX", "right_type"), ("parcels", "QLXZ", "right_type"),
    ("parcels", "BDCDYH", "unit_number"), ("parcels", "ZL", "address"),
    ("parcels", "RJL", "plot_ratio_limit"), ("parcels", "JZMD", "building_density_limit"),
    ("parcels", "MJDW", "area_unit"),
    ("buildings", "ZRZH", "building_id"), ("buildings", "ZDDM", "parcel_id"),
    ("buildings", "JZWGD", "height_m"), ("buildings", "DSCS", "floors"),
    ("buildings", "ZCS", "floors"), ("buildings", "SCJZMJ", "gfa_m2"),
    ("buildings", "YCJZMJ", "gfa_m2"), ("buildings", "JGRQ", "year_built"),
    ("buildings", "GHYT", "use"), ("buildings", "JZWJBYT", "use"),
    ("buildings", "ZZDMJ", "footprint_m2"), ("buildings", "DXCS", "underground_floors"),
    ("buildings", "BDCDYH", "unit_number"),
])
def test_cadastral_field_codes(kind: str, header: str, field: str) -> None:
    assert field_of(kind, header) == field


# The "Import columns and their Chinese headers" table of shared/domain/glossary.md, plus the
# glossary's other terms that name an import field (kept here so the test runs without it).
GLOSSARY_HEADERS = [
    ("enterprises", "credit_code", "统一社会信用代码"), ("enterprises", "credit_code", "信用代码"),
    ("enterprises", "name", "企业名称"), ("enterprises", "name", "单位名称"),
    ("enterprises", "district", "所在区县"), ("enterprises", "district", "区县(市)"),
    ("enterprises", "district", "所属区域"), ("enterprises", "industry_code", "行业代码"),
    ("enterprises", "industry_code", "国民经济行业代码"), ("enterprises", "chain", "产业链"),
    ("enterprises", "scale", "企业规模"), ("enterprises", "founded", "成立日期"),
    ("indicators", "year", "年度"), ("indicators", "year", "评价年度"),
    ("indicators", "revenue", "营业收入(万元)"), ("indicators", "revenue", "主营业务收入(万元)"),
    ("indicators", "tax", "税收(万元)"), ("indicators", "tax", "实缴税金(万元)"),
    ("indicators", "tax", "评价税收(万元)"), ("indicators", "value_added", "工业增加值(万元)"),
    ("indicators", "value_added", "增加值(万元)"), ("indicators", "employees", "年平均职工人数"),
    ("indicators", "employees", "从业人员数"), ("indicators", "energy_tce", "综合能耗(吨标煤)"),
    ("indicators", "electricity_kwh", "用电量(千瓦时)"),
    ("indicators", "emissions", "主要污染物排放量(吨)"),
    ("indicators", "emissions", "排放当量(吨)"),
    ("indicators", "rd_spend", "研发经费(万元)"), ("indicators", "rd_spend", "R&D经费支出(万元)"),
    ("indicators", "safety_veto", "安全生产否决"), ("indicators", "environment_veto", "环保否决"),
    ("parcels", "parcel_id", "宗地代码"), ("parcels", "parcel_id", "地块编号"),
    ("parcels", "land_use_code", "用地分类代码"), ("parcels", "land_use_code", "地类编码"),
    ("parcels", "land_use_code", "用途"), ("parcels", "area_m2", "宗地面积(平方米)"),
    ("parcels", "area_m2", "用地面积(亩)"), ("parcels", "right_type", "权利类型"),
    ("parcels", "right_type", "权利性质"), ("parcels", "right_type", "供地方式"),
    ("parcels", "right_start", "使用期限起"), ("parcels", "right_end", "使用期限止"),
    ("parcels", "owner_credit_code", "权利人统一社会信用代码"),
    ("parcels", "district", "所在区县"), ("buildings", "district", "所在区县"),
    ("buildings", "building_id", "建筑编号"), ("buildings", "building_id", "幢号"),
    ("buildings", "floors", "层数"), ("buildings", "floors", "地上层数"),
    ("buildings", "height_m", "建筑高度(米)"), ("buildings", "gfa_m2", "建筑面积(平方米)"),
    ("buildings", "use", "建筑用途"), ("buildings", "year_built", "建成年份"),
    ("occupancy", "role", "使用方式"), ("occupancy", "land_area_m2", "占地面积(平方米)"),
    ("occupancy", "floor_area_m2", "使用建筑面积(平方米)"), ("occupancy", "start", "起始日期"),
    ("occupancy", "end", "终止日期"), ("control-lines", "block_id", "区块编号"),
    ("control-lines", "name", "区块名称"), ("control-lines", "line_type", "控制线类型"),
    ("control-lines", "effective_from", "生效日期"), ("parks", "park_id", "园区编号"),
    ("parks", "name", "园区名称"), ("parks", "tier", "层级"),
    # other glossary terms naming an import field
    ("indicators", "tax", "评价税收 / 实缴税金"),
    ("indicators", "revenue", "主营业务收入 / 营业收入"),
    ("indicators", "energy_tce", "综合能耗(等价值)"), ("indicators", "rd_spend", "R&D经费支出"),
    ("indicators", "electricity_kwh", "用电量"), ("indicators", "emissions", "主要污染物排放量"),
    ("enterprises", "industry_code", "国民经济行业分类"),
    ("enterprises", "chain", '"361"产业链归属'),
    ("parcels", "land_use_code", "用地用海分类"), ("parcels", "land_use_code", "土地利用现状分类"),
    ("parcels", "parcel_id", "宗地 / 地块"), ("parcels", "area_m2", "用地面积"),
    ("buildings", "gfa_m2", "建筑面积"), ("occupancy", "floor_area_m2", "建筑面积"),
    ("enterprises", "scale", "规上 / 规下企业"), ("occupancy", "role", "自有 / 承租"),
    ("control-lines", "line_type", "一级/二级控制线"),
    ("contracts", "contract_id", "合同编号"), ("contracts", "mode", "供地方式"),
    ("contracts", "signed", "签订日期"), ("contracts", "term_years", "出让年限"),
    ("contracts", "price_wan", "成交价款(万元)"), ("contracts", "start_deadline", "约定动工日期"),
    ("contracts", "completion_deadline", "约定竣工日期"),
    ("contracts", "investment_commitment_wan", "承诺投资总额(万元)"),
    ("contracts", "tax_per_mu_commitment_wan", "承诺亩均税收(万元)"),
    ("contracts", "far_min", "容积率下限"), ("contracts", "far_max", "容积率上限"),
    ("contract-events", "event", "事件"),
    ("is_synthetic", "is_synthetic", "合成数据标记"),
]


@pytest.mark.parametrize(("kind", "field", "header"), GLOSSARY_HEADERS)
def test_glossary_terms_are_accepted(kind: str, field: str, header: str) -> None:
    kinds = list(KINDS) if kind == "is_synthetic" else [kind]
    for k in kinds:
        assert field_of(k, header) == field


def _glossary_rows() -> list[tuple[str, str, str]]:
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## Import columns and their Chinese headers", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        kinds, cols, heads = cells
        if cols.endswith(" values"):       # a row of accepted values, not of headers
            continue
        heads = re.sub(r"\s+\([^)]*\)", "", heads)     # value lists: "(规上 → `above` …)"
        fields = re.findall(r"`([a-z_0-9]+)`", cols)
        sep = " / " if " / " in cols else ", "
        groups = [h.strip() for h in heads.split(sep)] if len(fields) > 1 else [heads]
        for kind in (k.strip() for k in kinds.split(",")):
            if kind not in KINDS:          # kinds of later issues (contracts, transactions …)
                continue
            for field, group in zip(fields, groups, strict=True):
                field = STORED_AS.get((kind, field), field)
                out += [(kind, field, h.strip()) for h in group.split(",")]
    return out


# Glossary names the store keeps under another name: every entity table already has
# ``valid_from``/``valid_to`` as its version columns, so a designation's period is stored as
# ``start``/``end`` (docs/import-format.md; the glossary's names are accepted as headers).
STORED_AS = {("designations", "valid_from"): "start", ("designations", "valid_to"): "end"}


@pytest.mark.skipif(not GLOSSARY.exists(), reason="shared/domain/glossary.md not beside the repo")
def test_every_header_of_the_glossary_import_table_resolves() -> None:
    rows = _glossary_rows()
    assert len(rows) > 60
    bad = [(k, f, h) for k, f, h in rows if resolve_headers(k, [h]).mapping.get(h, ("",))[0] != f]
    assert bad == []


def test_coalescing_codes_do_not_conflict() -> None:
    res = resolve_headers("buildings", ["ZRZH", "YCJZMJ", "SCJZMJ", "ZCS", "DSCS", "JZWJBYT",
                                        "GHYT", "JZWGD"])
    assert res.ok and res.conflicts == {}
    assert res.sources("gfa_m2") == ["SCJZMJ", "YCJZMJ"]           # measured first
    assert res.sources("floors") == ["DSCS", "ZCS"]
    assert res.sources("use") == ["GHYT", "JZWJBYT"]
    res = resolve_headers("parcels", ["ZDDM", "ZDMJ", "QLLX", "QLXZ"])
    assert res.ok and res.sources("right_type") == ["QLXZ", "QLLX"]


def test_two_headers_for_one_field_conflict() -> None:
    res = resolve_headers("indicators",
                          ["统一社会信用代码", "年度", "税收(万元)", "实缴税金(万元)"])
    assert res.conflicts == {"tax": ("税收(万元)", "实缴税金(万元)")}
    assert not res.ok
    assert "tax" not in res.fields
    conflict = [i for i in res.issues if i.code == "E118"]
    zh, en, _, _ = render("E118", **conflict[0].params)
    assert "税收(万元)、实缴税金(万元)" in zh and "several columns map to field tax" in en


def test_pandas_mangled_duplicate_header_is_a_conflict() -> None:
    res = resolve_headers("enterprises", ["统一社会信用代码", "企业名称", "企业名称.1"])
    assert "name" in res.conflicts


def test_measured_floor_area_and_a_plain_floor_area_conflict() -> None:
    res = resolve_headers("buildings", ["ZRZH", "DSCS", "SCJZMJ", "建筑面积"])
    assert set(res.conflicts) == {"gfa_m2"}


def test_unknown_headers_are_kept_and_reported_as_info() -> None:
    res = resolve_headers("enterprises", ["统一社会信用代码", "企业名称", "备注", "联系人"])
    assert res.unknown == ("备注", "联系人")
    assert [i.code for i in res.issues] == ["I120", "I120"]
    assert res.ok


@pytest.mark.parametrize(("kind", "header"), [
    ("indicators", "税收(美元)"), ("indicators", "用电量(吨)"), ("parcels", "宗地面积(平方英尺)"),
    ("buildings", "建筑高度(厘米)"), ("indicators", "综合能耗(吨)"),
])
def test_unrecognised_unit_is_a_header_error(kind: str, header: str) -> None:
    res = resolve_headers(kind, [header])
    assert header not in res.mapping
    assert [i.code for i in res.issues if i.header == header] == ["E119"]
    assert not res.ok


def test_brackets_on_a_unitless_field_are_notes() -> None:
    assert field_of("enterprises", "成立日期(年-月-日)") == "founded"
    assert field_of("enterprises", "企业规模(规上/规下)") == "scale"


def test_missing_required_columns_are_reported_once_at_the_header() -> None:
    res = resolve_headers("enterprises", ["统一社会信用代码"])
    assert [(i.code, i.field) for i in res.issues] == [("E101", "name")]
    # derivable: occupancy_id (hash) and indicators.year (--year)
    assert resolve_headers("occupancy", ["credit_code", "parcel_id", "role"]).ok
    assert resolve_headers("indicators", ["credit_code"]).ok


def test_geometry_column_is_not_reported() -> None:
    res = resolve_headers("parcels", ["parcel_id", "area_m2", "geometry"])
    assert res.geometry == "geometry" and res.issues == ()


def test_every_rule_template_formats_with_its_params() -> None:
    for code, rule in RULES.items():
        params = dict.fromkeys(rule.params, "x")
        zh, en, hz, he = render(code, **params)
        assert zh and en and hz and he
        assert code[0] in "EWI" and {"E": "error", "W": "warning", "I": "info"}[code[0]] == (
            rule.severity)


def test_doc_carries_the_generated_tables() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert aliases_markdown() in doc
    assert rules_markdown() in doc
    assert refresh_doc(doc) == doc, "run: python -m indspace.ingest.aliases docs/import-format.md"


@pytest.mark.parametrize("module", [aliases, rules, validate, report], ids=lambda m: m.__name__)
def test_docstring_examples(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
