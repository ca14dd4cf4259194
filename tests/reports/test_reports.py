"""Reports for meetings (issue #21) on the small demo: the annual 亩均 report and the
low-efficiency report as PDF, HTML and XLSX.

The headline figures are recomputed here from the store's rows with plain pandas (the run's
results, the year's indicators) and looked for in the PDF's text (pdftotext); page 1 must
not be blank (pdftoppm), the embedded fonts must be CJK fonts (pdffonts), the workbook must
open in openpyxl and hold native charts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image

from indspace.core.access import Principal
from indspace.core.errors import ForbiddenError, ValidationError
from indspace.services.reports import grade_classes, make_report
from indspace.store import Store, runs
from indspace.store.lowuse_runs import list_lowuse_runs, read_lowuse_units
from tests.cli.conftest import run
from tests.conftest import need

YEAR = 2025
COUNTED = ("graded", "vetoed", "ungraded", "merged", "inherited")
"""Statuses whose tax counts in a zone's 亩均税收 (the followers bring no land)."""


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        need(name, "poppler-utils is not installed (apt-get install poppler-utils)")
    return str(exe)


def _pdf_text(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    out = subprocess.run(
        [_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [p for p in out.split("\f") if p.strip()]


def _flat(text: str) -> str:
    """The text without any white space (pdftotext breaks Chinese lines anywhere)."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def store(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A private copy of the small demo (reports only read; the copy keeps it that way)."""
    dst = tmp_path_factory.mktemp("reports") / "small.gpkg"
    shutil.copy(small_demo, dst)
    return Store.open(dst)


@pytest.fixture(scope="module")
def rows(store: Store) -> pd.DataFrame:
    """The demo run's results with each firm's district and its figures of the year."""
    run_id = runs.list_runs(store, YEAR).iloc[-1]["run_id"]
    res = runs.read_results(store, run_id)
    ind = store.read_frame("indicators", where={"year": YEAR})[
        ["credit_code", "tax", "value_added"]
    ]
    firms = store.read_frame("enterprises", columns=["credit_code", "district"])
    return res.merge(ind, on="credit_code", how="left").merge(firms, on="credit_code")


@pytest.fixture(scope="module")
def annual_pdf(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("annual") / "annual.pdf"
    make_report(store, "annual", "pdf", out, year=YEAR)
    return out


def per_mu(frame: pd.DataFrame, col: str) -> float:
    """Σ figure ÷ Σ land over the counted firms (万元/亩)."""
    counted = frame[frame["status"].isin(COUNTED)]
    return float(counted[col].sum() / counted["land_area_mu"].sum())


def test_annual_pdf_holds_the_headline_figures(annual_pdf: Path, rows: pd.DataFrame) -> None:
    text = "\n".join(_pdf_text(annual_pdf))
    # city 亩均税收 = Σtax ÷ Σland over the counted firms; e.g. on the demo
    # 1,649,321.41 万元 ÷ 42,218.13 亩 = 39.07 万元/亩
    city_tax = per_mu(rows, "tax")
    city_va = per_mu(rows, "value_added")
    assert f"{city_tax:,.2f}" in text
    assert f"{city_va:,.2f}" in text
    counted = rows[rows["status"].isin(COUNTED)]
    assert f"{counted['tax'].sum():,.2f}" in text  # Σtax (万元)
    assert f"{counted['land_area_mu'].sum():,.2f}" in text  # Σland (亩)
    # one district: 海曙区 (330203), e.g. 73,341.31 ÷ 2,695.68 = 27.21
    hs = rows[rows["district"] == "330203"]
    assert f"{per_mu(hs, 'tax'):,.2f}" in text
    # class counts of the evaluated firms (graded, vetoed, ungraded), e.g. "A 类 333 家"
    evaluated = rows[rows["status"].isin(("graded", "vetoed", "ungraded"))]
    flat = _flat(text)
    for grade, n in evaluated["grade"].value_counts().items():
        assert f"{grade}类{n:,}家" in flat


def test_every_page_names_run_and_profile(annual_pdf: Path) -> None:
    pages = _pdf_text(annual_pdf)
    assert len(pages) >= 5
    for k, page in enumerate(pages, start=1):
        assert "2025-ningbo-demo-v1" in page, k
        assert "ningbo-demo 2025.1" in page, k
        assert f"第 {k} / {len(pages)} 页" in page
    toc = next(p for p in pages[:3] if "目录 / Contents" in p)  # after the headline
    assert "地图 / Maps" in toc


def test_page_one_is_not_blank(annual_pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        [
            _tool("pdftoppm"),
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(annual_pdf),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    px = np.asarray(Image.open(png).convert("L"))
    dark = int((px < 200).sum())
    # an A4 page at 50 dpi is 414 × 585 px; title, meta and two tables ink several thousand
    assert dark > 3000, dark


def test_embedded_fonts_are_cjk(annual_pdf: Path) -> None:
    out = subprocess.run(
        [_tool("pdffonts"), str(annual_pdf)], capture_output=True, text=True, check=True
    ).stdout
    fonts = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert fonts
    for f in fonts:
        assert "CJK" in f[0], f
        # columns: name type… encoding emb sub uni object-id gen; emb is the 5th from the end
        assert f[-5] == "yes", f


def test_annual_xlsx_has_charts_and_frozen_headers(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "annual.xlsx"
    make_report(store, "annual", "xlsx", out, year=YEAR)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "概况"
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 5
    assert len(wb["概况"]._charts) >= 3  # bar, line, pie, column…
    ranks = wb["区县排名"]
    assert ranks.freeze_panes == "A2"
    assert [c.value for c in ranks[1]][:3] == ["排名", "名称", "亩均税收(万元/亩)"]
    assert ranks.cell(2, 3).number_format == "#,##0.00"
    assert ranks.max_row == 11  # header + 10 districts


def test_html_is_one_page_with_vector_charts(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "annual.html"
    make_report(store, "annual", "html", out, year=YEAR)
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") >= 6  # bars, trend, shares, maps …
    assert "<img" not in html and "http" not in html.split("<svg", 1)[0].split("</style>")[1]


def test_officer_report_covers_its_district(
    store: Store, rows: pd.DataFrame, tmp_path: Path
) -> None:
    officer = Principal("officer", "district_officer", district="330203")
    out = tmp_path / "hs.pdf"
    make_report(store, "annual", "pdf", out, year=YEAR, who=officer)
    text = "\n".join(_pdf_text(out))
    assert "2025 年度海曙区亩均效益评价报告" in text
    hs = rows[rows["district"] == "330203"]
    evaluated = hs[hs["status"].isin(("graded", "vetoed", "ungraded"))]
    assert f"参评企业{len(evaluated):,}家" in _flat(text)
    # no firm of another district is listed
    others = set(rows.loc[rows["district"] != "330203", "credit_code"])
    assert not any(code in text for code in others)
    with pytest.raises(ForbiddenError):
        make_report(
            store, "annual", "pdf", tmp_path / "x.pdf", year=YEAR, district="330206", who=officer
        )
    with pytest.raises(ForbiddenError):
        make_report(
            store,
            "annual",
            "pdf",
            tmp_path / "y.pdf",
            year=YEAR,
            who=Principal("firm", "enterprise", credit_code="X"),
        )


def test_lowuse_report(store: Store, tmp_path: Path) -> None:
    plan = list_lowuse_runs(store).iloc[-1]
    units = read_lowuse_units(store, plan["run_id"])
    pdf = tmp_path / "lowuse.pdf"
    make_report(store, "lowuse", "pdf", pdf)
    text = "\n".join(_pdf_text(pdf))
    # units, parcels, Σ area and Σ potential floor area of the stored plan
    flat = _flat(text)
    assert f"连片改造单元{len(units):,}个" in flat
    assert f"面积{units['area_mu'].sum():,.2f}亩" in flat
    assert f"{units['potential_gfa_m2'].sum():,.2f}m²" in flat
    assert "改造提升" in text and plan["run_id"] in text
    xlsx = tmp_path / "lowuse.xlsx"
    make_report(store, "lowuse", "xlsx", xlsx)
    wb = openpyxl.load_workbook(xlsx)
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 3
    assert wb["改造单元"].max_row == len(units) + 1


def test_same_inputs_same_bytes(store: Store, tmp_path: Path) -> None:
    for fmt in ("pdf", "xlsx"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        make_report(store, "lowuse", fmt, a)
        make_report(store, "lowuse", fmt, b)
        assert a.read_bytes() == b.read_bytes(), fmt


def test_bad_choices_are_bilingual(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="不支持的报告格式") as e:
        make_report(store, "annual", "docx", tmp_path / "a.docx", year=YEAR)
    assert "unsupported report format" in e.value.message_en
    with pytest.raises(ValidationError, match="未知报告"):
        make_report(store, "bogus", "pdf", tmp_path / "s.pdf", year=YEAR)
    with pytest.raises(ValidationError, match="区县 火星区 不存在"):
        make_report(store, "annual", "pdf", tmp_path / "m.pdf", year=YEAR, district="火星区")


def test_classes_come_from_the_profile(store: Store) -> None:
    from indspace.services.evaluation import run_profile

    run_row = runs.get_run(store, runs.list_runs(store, YEAR).iloc[-1]["run_id"])
    method = run_profile(run_row).evaluation_method(run_row["method_date"])
    classes = grade_classes(method)
    # the grading table names the upper classes in order, the policies the lowest one
    assert classes[: len(method.grading.quotas or {})] == list(method.grading.quotas or {})
    assert set(classes) >= {m.grade for m in method.policies}


def test_cli_writes_the_report(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.xlsx"
    r = run(
        "report",
        "annual",
        "--year",
        str(YEAR),
        "--district",
        "海曙区",
        "--db",
        str(small_demo),
        "--out",
        str(out),
        "--json",
    )
    assert '"title": "2025 年度海曙区亩均效益评价报告"' in r.stdout
    assert openpyxl.load_workbook(out)["概况"]["A1"].value == "2025 年度海曙区亩均效益评价报告"
    bad = run(
        "report",
        "annual",
        "--year",
        "1999",
        "--db",
        str(small_demo),
        "--out",
        str(tmp_path / "x.pdf"),
        check=False,
    )
    assert bad.returncode == 2 and "1999 年度没有评价批次" in bad.stderr


def test_same_report_on_postgis(small_demo_pg: str, rows: pd.DataFrame, tmp_path: Path) -> None:
    """The small demo in PostGIS gives the same headline (and names no host in the footer)."""
    out = tmp_path / "pg.xlsx"
    store = Store.open(small_demo_pg)
    try:
        summary = make_report(store, "annual", "xlsx", out, year=YEAR)
    finally:
        store.close()
    assert "127.0.0.1" not in summary["footer"] and "postgres@" not in summary["footer"]
    head = openpyxl.load_workbook(out)["核心指标"]
    assert head.cell(2, 1).value == "全市"
    # the same Σtax ÷ Σland as from the GeoPackage rows
    assert head.cell(2, 2).value == pytest.approx(per_mu(rows, "tax"), rel=1e-12)


def test_lowuse_report_shows_the_stored_pro_forma(
    small_demo: Path,
    tmp_path: Path,
) -> None:
    """Once `indspace proforma --all --all-modes` has kept a pro forma with the plan run, the
    low-efficiency report has a 资金平衡 sheet: one row per unit, under the unit's recommended
    mode, with the kept NPV and party balances (万元, the stored decimal text)."""
    from decimal import Decimal

    from indspace.services.proforma import run_proforma
    from indspace.store.proforma_runs import read_proforma_results

    db = tmp_path / "small.gpkg"
    shutil.copy(small_demo, db)
    st = Store.open(db)
    plan = list_lowuse_runs(st).iloc[-1]
    units = read_lowuse_units(st, plan["run_id"])
    pf = run_proforma(st, None)
    kept = read_proforma_results(st, pf.run["run_id"])
    xlsx = tmp_path / "lowuse.xlsx"
    make_report(st, "lowuse", "xlsx", xlsx)
    ws = openpyxl.load_workbook(xlsx)["资金平衡"]
    header = [c.value for c in ws[1]]
    got = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(got) == set(units["unit_id"])
    first = units.sort_values("unit_id").iloc[0]
    want = kept[(kept["unit_id"] == first["unit_id"]) & (kept["mode"] == first["mode"])]
    assert len(want) == 1
    npv = got[first["unit_id"]][header.index("项目净现值(万元)")]
    assert Decimal(str(npv)) == Decimal(str(want["npv_wan"].iloc[0]))
    pdf = tmp_path / "lowuse.pdf"
    make_report(st, "lowuse", "pdf", pdf)
    assert "资金平衡" in "\n".join(_pdf_text(pdf))
