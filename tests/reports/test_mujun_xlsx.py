"""The 亩均 evaluation workbook: sheets, headers, formats, counts, byte-identical output."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from indspace.core.engines.land import Attribution
from indspace.core.engines.mujun import STATUS_LABELS, evaluate
from indspace.core.policy import load_profile
from indspace.core.policy.evaluation import EvaluationMethod
from indspace.reports.mujun_xlsx import SUMMARY_SHEET, _sheet_names, write_evaluation_xlsx

YEAR = 2024


@pytest.fixture(scope="module")
def method() -> EvaluationMethod:
    return load_profile("ningbo-demo").evaluation_method(date(YEAR, 12, 31))


@pytest.fixture(scope="module")
def results(method: EvaluationMethod) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []   # credit_code, district, industry_code, scale, land_mu, figures?, veto
    rows += [(f"HS{i:02d}", "海曙区", "3311", "above", 10 + i, True, False) for i in range(24)]
    rows += [("HSVETO", "海曙区", "3311", "above", 12, True, True),
             ("HSUTIL", "海曙区", "4411", "above", 30, True, False),     # ungraded
             ("HSNONE", "海曙区", "3311", "above", 8, False, False)]     # no figures
    rows += [(f"HB{i}", "海曙区", "3399", "below", 4 + i, True, False) for i in range(3)]
    rows += [("HBTINY", "海曙区", "3399", "below", 1.5, True, False)]
    rows += [(f"YZ{i}", "鄞州区", "3311", "above", 20 + i, True, False) for i in range(3)]
    firms = pd.DataFrame({
        "credit_code": [r[0] for r in rows], "district": [r[1] for r in rows],
        "industry_code": [r[2] for r in rows], "scale": [r[3] for r in rows],
        "founded": pd.Timestamp("2010-01-01")})
    n = len(rows)
    ind = pd.DataFrame({
        "credit_code": [r[0] for r in rows], "revenue": rng.uniform(1e3, 1e4, n),
        "tax": rng.uniform(10, 500, n), "value_added": rng.uniform(100, 3000, n),
        "employees": rng.integers(10, 300, n).astype(float),
        "energy_tce": rng.uniform(50, 800, n), "electricity_kwh": rng.uniform(1e5, 5e6, n),
        "emissions": rng.uniform(0.1, 5, n), "rd_spend": rng.uniform(0, 300, n),
        "safety_veto": [r[6] for r in rows], "environment_veto": False})
    ind = ind[[r[5] for r in rows]]
    ind.loc[ind.index[3], "tax"] = ind.loc[ind.index[4], "tax"]     # a tie is possible
    land = pd.DataFrame({
        "credit_code": firms["credit_code"], "land_area_mu": [float(r[4]) for r in rows],
        "merged": False, "landlord": None, "first_right_start": pd.Timestamp("2012-01-01")})
    land["land_m2"] = land["land_area_mu"] * 2000 / 3
    links = pd.DataFrame({"credit_code": pd.Series(dtype=object),
                          "landlord": pd.Series(dtype=object),
                          "merged": pd.Series(dtype=bool),
                          "merge_weight": pd.Series(dtype="float64")})
    adj = pd.DataFrame({"credit_code": ["HS00", "HS00", "HS00"],
                        "item": ["high_tech_enterprise", "provincial_tech_center",
                                 "specialised_sme"]})
    res = evaluate(firms, ind, Attribution(land, links), method, YEAR, adj).results
    names = {c: f"宁波{c}制造有限公司" for c in res["credit_code"]}
    return res.assign(name=res["credit_code"].map(names))


META = {"year": YEAR, "profile_id": "ningbo-demo", "profile_version": "2025.1",
        "profile_hash": "b49055d83c2ce3bf", "run_id": "run-1"}
SHEETS = ["汇总", "规上工业企业-海曙区", "规上工业企业-鄞州区",
          "规下工业企业（用地3亩及以上）-海曙区", "规下工业企业（用地3亩以下，单列）-海曙区",
          "未分组企业"]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, results: pd.DataFrame,
         method: EvaluationMethod) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "mujun.xlsx"
    write_evaluation_xlsx(path, results, method, META)
    return path


def _rows(ws: object) -> list[tuple[object, ...]]:
    return list(ws.iter_rows(values_only=True))  # type: ignore[attr-defined]


def test_sheets_in_order(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == SHEETS
    assert wb.properties.created == datetime(YEAR, 12, 31)


def test_group_sheet_headers_formats_and_order(book: Path, results: pd.DataFrame) -> None:
    ws = openpyxl.load_workbook(book)["规上工业企业-海曙区"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["排名", "统一社会信用代码", "企业名称", "区县", "规模", "评价对象类别",
                          "用地面积(亩)"]
    assert header[7:9] == ["亩均税收(万元/亩)", "亩均税收得分"]
    assert "单位排放增加值(万元/t)" in header and "R&D经费支出占主营业务收入之比" in header
    assert "单位用电税收(元/kWh)" not in header          # not a 规上 indicator
    assert header[-8:] == ["加分", "减分", "综合得分", "组内企业数", "等级", "评价状态", "说明",
                           "需复核"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None

    body = _rows(ws)[1:]
    group = results[results["group"] == "above_scale/海曙区"]
    assert len(body) == len(group) == 25          # 24 graded + vetoed (outside the quota)
    ranks = [r[0] for r in body if r[0] is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert body[-1][1] == "HSVETO" and body[-1][0] is None and body[-1][-4] == "D"
    assert body[-1][-3] == STATUS_LABELS["vetoed"]
    col = {h: i + 1 for i, h in enumerate(header)}
    cell = ws.cell(row=2, column=col["综合得分"])
    assert cell.number_format == "0.00"
    assert ws.cell(row=2, column=col["排名"]).number_format == "0"
    assert ws.cell(row=2, column=col["用地面积(亩)"]).number_format == "#,##0.00"
    assert ws.cell(row=2, column=col["R&D经费支出占主营业务收入之比"]).number_format == "0.00%"
    top = group.sort_values(["rank", "credit_code"]).iloc[0]
    assert cell.value == pytest.approx(top["score"])
    assert ws.column_dimensions["C"].width > 20    # Chinese company names are wide


def test_small_groups_flagged(book: Path) -> None:
    ws = openpyxl.load_workbook(book)["规上工业企业-鄞州区"]
    body = _rows(ws)[1:]
    assert len(body) == 3 and all(r[-1] == "是" for r in body)


def test_summary_counts(book: Path, results: pd.DataFrame) -> None:
    rows = _rows(openpyxl.load_workbook(book)[SUMMARY_SHEET])
    meta = {r[0]: r[1] for r in rows[2:8]}
    assert meta["评价年度"] == str(YEAR) and meta["策略配置"] == "ningbo-demo"
    assert meta["策略配置版本"] == "2025.1" and meta["策略配置内容哈希"] == "b49055d83c2ce3bf"

    head = next(i for i, r in enumerate(rows) if r[0] == "评价分组")
    assert rows[head][:9] == ("评价分组", "评价对象类别", "参评企业数", "A类", "B类", "C类",
                              "D类", "其中一票否决", "需复核企业数")
    table = {r[0]: r for r in rows[head + 1:head + 5]}
    assert list(table) == SHEETS[1:5]                # the summary names the sheets
    hs = table["规上工业企业-海曙区"]
    grouped = results[results["group"] == "above_scale/海曙区"]
    assert hs[2] == 25 and hs[7] == 1
    assert [hs[3 + i] for i in range(4)] == [int((grouped["grade"] == g).sum()) for g in "ABCD"]
    total = rows[head + 5]
    assert total[0] == "合计"
    with_group = results[results["group"].notna()]
    assert total[2] == len(with_group)
    assert total[3:7] == tuple(int((with_group["grade"] == g).sum()) for g in "ABCD")
    assert sum(total[3:7]) == total[2]

    status = {r[0]: r[1] for r in rows[head + 7:] if r[0]}
    assert status["合计"] == len(results)
    assert status[STATUS_LABELS["ungraded"]] == 1
    assert status[STATUS_LABELS["not_evaluated"]] == 1


def test_ungrouped_sheet(book: Path) -> None:
    body = _rows(openpyxl.load_workbook(book)["未分组企业"])
    assert body[0][:2] == ("统一社会信用代码", "企业名称")
    codes = [r[0] for r in body[1:]]
    assert codes == ["HSUTIL", "HSNONE"]             # ungraded before not evaluated


def test_byte_identical(tmp_path: Path, results: pd.DataFrame,
                        method: EvaluationMethod) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_evaluation_xlsx(a, results, method, META)
    write_evaluation_xlsx(b, results.sample(frac=1, random_state=1), method, META)
    buf = io.BytesIO()
    write_evaluation_xlsx(buf, results, method, META)
    assert a.read_bytes() == b.read_bytes() == buf.getvalue()
    c = tmp_path / "c.xlsx"
    write_evaluation_xlsx(c, results, method, {**META, "run_id": "run-2"})
    assert c.read_bytes() != a.read_bytes()


def test_year_from_results_or_error(tmp_path: Path, results: pd.DataFrame,
                                    method: EvaluationMethod) -> None:
    path = tmp_path / "y.xlsx"
    write_evaluation_xlsx(path, results, method, {"profile_id": "ningbo-demo"})
    assert openpyxl.load_workbook(path).properties.created == datetime(YEAR, 12, 31)
    with pytest.raises(ValueError, match="year"):
        write_evaluation_xlsx(path, results.drop(columns="year"), method, {})


def test_sheet_names_are_excel_safe_and_unique() -> None:
    long = "规下工业企业（用地3亩及以上）-某某经济技术开发区/高新园区"
    names = _sheet_names(["a/b:c", "[x]*?\\y", long, long, "汇总", "History", "'q'", "A/B:C"])
    assert names[0] == "a_b_c" and names[1] == "_x____y"
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    assert names[3].endswith("~2") and names[4] == "汇总~2" and names[5] == "History~2"
    assert names[6] == "q" and names[7] == "A_B_C~2"
    assert not any(ch in n for n in names for ch in "[]:*?/\\")
