"""The land-supply report (issue #21 item 2) on the small demo, as of 2025-12-31.

What the report prints is recomputed here from other sources: the findings per rule with a
plain ``Counter`` over the rows of the monitor service (``run_monitor``), the contracts and
their Σ price with ``Decimal`` over the store's contract rows. The PDF's text (pdftotext)
must hold them, the workbook must open in openpyxl with a native chart, and a district
officer's report must hold its own district's findings only.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from indspace.core.access import Principal
from indspace.core.engines.supply_monitor import RULES
from indspace.core.errors import ForbiddenError
from indspace.services.reports import make_report
from indspace.services.supply import run_monitor
from indspace.settings import deployment
from indspace.store import Store
from tests.conftest import need

AS_OF = date(2025, 12, 31)
OFFICER_DISTRICT = "330203"


def _flat(text: str) -> str:
    return "".join(text.split())


def _pdf_text(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        need("pdftotext", "poppler-utils is not installed (apt-get install poppler-utils)")
    return subprocess.run(
        [str(exe), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def store(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    dst = tmp_path_factory.mktemp("supply-report") / "small.gpkg"
    shutil.copy(small_demo, dst)
    return Store.open(dst)


@pytest.fixture(scope="module")
def city_pdf(store: Store, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("supply-pdf") / "supply.pdf"
    make_report(store, "supply", "pdf", out, as_of=AS_OF)
    return _flat(_pdf_text(out))


def test_pdf_holds_findings_per_rule_from_the_monitor(store: Store, city_pdf: str) -> None:
    alerts = run_monitor(store, AS_OF).alerts
    per_rule = Counter(alerts["rule"])
    # The demo plants its breaches per district (10 districts): idle_1y 3 per district
    # → 3 × 10 = 30, every other rule 1 per district → 10; Σ = 30 + 8 × 10 = 110.
    assert per_rule["idle_1y"] == 30 and len(alerts) == 110
    for rule in RULES:
        assert f"{rule}{per_rule[rule]}" in city_pdf, rule  # "各规则发现数: idle_1y 30；…"
    assert f"监管发现{len(alerts)}条" in city_pdf
    assert f"涉及合同{alerts['contract_id'].nunique()}份" in city_pdf


def test_pdf_holds_contracts_and_exact_price(store: Store, city_pdf: str) -> None:
    c = store.read_frame("contracts", columns=["contract_id", "signed", "price_wan"])
    signed = c[c["signed"].map(lambda d: date.fromisoformat(str(d)) <= AS_OF)]
    total = sum((Decimal(str(v)) for v in signed["price_wan"]), Decimal(0))
    # contracts signed on or before the day; Σ price in exact decimal 万元 (no float)
    assert f"土地供应合同{len(signed):,}份" in city_pdf
    assert f"成交价款{format(total.normalize(), 'f')}万元" in city_pdf
    # footer: source, as-of day and the profile version
    assert (
        "监管基准日2025-12-31" in city_pdf and f"策略配置{deployment().default_profile}" in city_pdf
    )


def test_xlsx_opens_with_a_chart_and_exact_idle_fees(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "supply.xlsx"
    make_report(store, "supply", "xlsx", out, as_of=AS_OF)
    wb = openpyxl.load_workbook(out)
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 2
    alerts = run_monitor(store, AS_OF).alerts
    idle = alerts[alerts["rule"] == "idle_1y"]["amount_wan"]
    fee = sum((Decimal(v) for v in idle if v), Decimal(0))
    sheet = wb["监管发现汇总"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    row = rows["闲置满一年 idle_1y"]
    assert row[4] == 30  # findings
    assert row[5] == format(fee.normalize(), "f")  # Σ fees as exact text
    assert wb["监管发现"].max_row == 1 + len(alerts)  # header + one row per finding


def test_officer_report_covers_only_its_district(store: Store, tmp_path: Path) -> None:
    officer = Principal("officer", "district_officer", district=OFFICER_DISTRICT)
    out = tmp_path / "officer.xlsx"
    make_report(store, "supply", "xlsx", out, as_of=AS_OF, who=officer)
    parcels = store.read_frame("parcels", columns=["parcel_id", "district"])
    mine = set(parcels.loc[parcels["district"] == OFFICER_DISTRICT, "parcel_id"])
    alerts = run_monitor(store, AS_OF).alerts
    own = alerts[alerts["parcel_id"].isin(mine)]
    # 3 idle_1y + 8 other rules × 1 in the district = 11 of the city's 110
    assert len(own) == 11
    ws = openpyxl.load_workbook(out)["监管发现"]
    found = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(found) == len(own)
    assert {r[1] for r in found} <= mine
    assert sorted(r[0] for r in found) == sorted(own["contract_id"])
    with pytest.raises(ForbiddenError):  # another district is refused
        make_report(store, "supply", "pdf", tmp_path / "x.pdf", district="330206", who=officer)
