"""Search and the enterprise table in a real browser (issue #16), as a district officer of
海曙 (330203) on the small demo: two characters of a firm's name in the header's search box
open its page; the table filtered by grade and chain exports an XLSX that holds exactly the
rows shown; a parcel id jumps to the parcel on the map. Screenshots are checked not blank."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")

FIRM_NAME = "宁波海曙博辉铸造有限公司"  # a firm of the small demo in 330203
FIRM_CODE = "913302030TR3EH991Q"

# Draws a PNG into a canvas and counts its distinct colours (on a sampling grid).
COLOURS_JS = """async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; const seen = new Set();
  for (let y = 0; y < c.height; y += 4) for (let x = 0; x < c.width; x += 4) {
    const i = (y * c.width + x) * 4; seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return seen.size;
}"""


def colours(page: Any, png: Path) -> int:
    src = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    n: int = page.evaluate(COLOURS_JS, src)
    return n


def search_box(page: Any) -> Any:
    box = page.get_by_test_id("global-search")
    return box if box.evaluate("e => e.tagName") == "INPUT" else box.locator("input")


def pick(page: Any, testid: str, text: str) -> None:
    """Choose ``text`` in an Element Plus select (its options live in a popper on <body>)."""
    page.get_by_test_id(testid).click()
    page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()


def test_search_then_filter_and_export(page: Any, server: str, tmp_path: Path) -> None:
    login(page, server, "officer")
    box = search_box(page)
    box.click()
    box.press_sequentially("博辉")
    hit = page.locator("[data-testid=search-hit-enterprise]", has_text=FIRM_NAME)
    hit.first.wait_for()
    png = shot(page, "search-two-characters")
    assert colours(page, png) > 20, "screenshot looks blank"
    hit.first.click()
    page.wait_for_url(f"**/#/enterprise/{FIRM_CODE}")

    page.goto(f"{server}/#/enterprise")
    table = page.get_by_test_id("enterprise-table")
    table.locator("tbody tr").first.wait_for()
    pick(page, "filter-grade", "A类")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=enterprise-table] tbody tr')]"
        ".every(r => r.querySelector('[data-grade]') && "
        "r.querySelector('[data-grade]').dataset.grade === 'A')"
    )
    pick(page, "filter-chain", "新材料")
    page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll("
        "'[data-testid=enterprise-table] tbody tr')];"
        " return rows.length > 0 && rows.every(r => r.textContent.includes('新材料')); }"
    )
    page.wait_for_load_state("networkidle")
    shown = [
        t.strip() for t in table.locator("tbody tr td:first-child").all_inner_texts() if t.strip()
    ]
    total = page.locator(".el-pagination__total").inner_text()
    assert str(len(shown)) in total  # one page holds every filtered row here
    assert "361-2025:" not in table.inner_text()  # words, not codes

    with page.expect_download() as dl:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "export.xlsx"
    dl.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "统一社会信用代码" and "用地面积（亩）" in header
    assert [r[0] for r in body] == shown
    assert {r[header.index("亩均效益等级")] for r in body} == {"A"}
    assert {r[header.index("产业链")] for r in body} == {"新材料"}
    png = shot(page, "enterprise-table-filtered")
    assert colours(page, png) > 20, "screenshot looks blank"

    # a parcel id in the search box opens the parcel on the map
    box = search_box(page)
    box.click()
    box.fill("")
    box.press_sequentially("330203001001GB00001")
    page.locator("[data-testid=search-hit-parcel]").first.click()
    page.wait_for_url("**/#/map?parcel=330203001001GB00001**")
    page.get_by_test_id("panel-parcel-id").wait_for()
    assert page.get_by_test_id("panel-parcel-id").inner_text().strip() == "330203001001GB00001"
    assert not page.errors, page.errors
