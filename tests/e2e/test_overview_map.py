"""The overview (首页), the map and words-not-codes in a real browser (issue #16 items 2, 4, 6),
per role on the small demo: the city administrator (the city), a district officer of 海曙
(330203) and a firm. Each figure shown is checked against GET /api/overview; the map's
legend, folding panels, district names and first view are driven; the Chinese UI of the main
pages is scanned for raw codes. Screenshots are checked not blank."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")

N_DISTRICTS = 10  # the small demo city has ten districts (demo/boundaries.py)

# Pixels of a PNG that differ from its most common colour (the background), on a 2-px grid.
INK_JS = """async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; const n = new Map(); const px = [];
  for (let y = 0; y < c.height; y += 2) for (let x = 0; x < c.width; x += 2) {
    const i = (y * c.width + x) * 4; const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    px.push(k); n.set(k, (n.get(k) || 0) + 1);
  }
  let bg = 0, most = 0; for (const [k, v] of n) if (v > most) { most = v; bg = k; }
  return px.filter((k) => k !== bg).length;
}"""


def ink(page: Any, png: Path) -> int:
    src = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    n: int = page.evaluate(INK_JS, src)
    return n


def api_json(page: Any, path: str) -> Any:
    """GET ``path`` with the page's session token (what the UI itself would read)."""
    return page.evaluate(
        """async (p) => { const tk = sessionStorage.getItem('indspace.token');
        const r = await fetch(p, {headers: {Authorization: 'Bearer ' + tk}});
        return r.json(); }""",
        path,
    )


def shown(value: float, digits: int = 2) -> str:
    """The figure as the page prints it (zh-CN grouping, at most ``digits`` decimals)."""
    text = f"{round(value, digits):,.{digits}f}".rstrip("0").rstrip(".")
    return text


def test_overview_city_administrator(page: Any, server: str) -> None:
    login(page, server, "admin")  # lands on the overview
    page.get_by_test_id("overview-headline").wait_for()
    body = api_json(page, "/api/overview?lang=zh")
    hl = body["headline"]
    assert "全市" in page.get_by_test_id("overview-scope").inner_text()
    assert shown(hl["tax_per_mu"]) in page.get_by_test_id("kpi-tax").inner_text()
    assert shown(hl["value_added_per_mu"]) in page.get_by_test_id("kpi-va").inner_text()
    lowuse = page.get_by_test_id("kpi-lowuse").inner_text()
    assert shown(body["lowuse"]["area_mu"], 0) in lowuse and "30,000" in lowuse
    classes = page.get_by_test_id("class-table").inner_text()
    for c in body["classes"]:
        assert f"{c}类" in classes and str(hl["counts"][c]) in classes
    page.locator("[data-testid=district-map] canvas").wait_for()
    page.locator("[data-testid=chart-districts] canvas").wait_for()
    page.wait_for_timeout(600)  # chart animations
    png = shot(page, "overview-city")
    assert ink(page, png) > 20_000, "overview screenshot looks blank"
    # the map and the bar chart follow the chosen figure
    page.get_by_test_id("overview-figure").click()
    page.locator(".el-select-dropdown__item:visible", has_text="低效用地单元面积").first.click()
    page.get_by_text("各区县低效用地单元面积").wait_for()
    # one language at a time: English labels, no Chinese left on the figures
    page.get_by_test_id("lang-switch").click()
    page.get_by_text("Tax per mu (10k yuan/mu)").wait_for()
    for testid in ("kpi-tax", "kpi-va", "kpi-firms", "kpi-lowuse", "kpi-ledger", "class-table"):
        text = page.get_by_test_id(testid).inner_text()
        assert not re.search(r"[\u4e00-\u9fff]", text), (testid, text)
    assert "Whole city" in page.get_by_test_id("overview-scope").inner_text()
    page.get_by_test_id("lang-switch").click()
    assert not page.errors


def test_overview_district_officer_is_limited_to_its_district(page: Any, server: str) -> None:
    login(page, server, "officer")
    page.get_by_test_id("overview-headline").wait_for()
    assert "海曙区" in page.get_by_test_id("overview-scope").inner_text()
    body = api_json(page, "/api/overview?lang=zh")
    assert body["scope"] == {"kind": "district", "code": "330203", "name": "海曙区"}
    assert shown(body["headline"]["tax_per_mu"]) in page.get_by_test_id("kpi-tax").inner_text()
    select = page.get_by_test_id("overview-district")
    assert "is-disabled" in (select.locator(".el-select__wrapper").get_attribute("class") or "")
    other = api_json(page, "/api/overview?district=330205")
    assert other["error"] == "ForbiddenError"
    png = shot(page, "overview-officer")
    assert ink(page, png) > 20_000
    assert not page.errors


def test_overview_firm_sees_its_own_figures_and_its_parcels(page: Any, server: str) -> None:
    login(page, server, "firm")
    page.get_by_test_id("overview-firm").wait_for()
    body = api_json(page, "/api/overview?lang=zh")
    me = api_json(page, "/api/auth/me")
    assert body["scope"]["kind"] == "enterprise" and body["scope"]["code"] == me["credit_code"]
    assert body["scope"]["name"] in page.get_by_test_id("overview-scope").inner_text()
    ent = body["enterprise"]
    assert shown(ent["tax_per_mu"]) in page.get_by_test_id("kpi-tax").inner_text()
    assert ent["grade"] in page.get_by_test_id("kpi-grade").inner_text().split()
    page.get_by_test_id("overview-my-parcels").click()
    page.wait_for_url("**/#/map?mine=1")
    page.get_by_test_id("my-parcels-list").wait_for()
    ids = page.get_by_test_id("my-parcels-list").locator("a").all_inner_texts()
    mine = api_json(page, f"/api/parcels?owner_credit_code={me['credit_code']}&limit=500")
    assert sorted(ids) == sorted(f["properties"]["parcel_id"] for f in mine["items"]["features"])
    page.wait_for_function("() => window.__indspaceMap && window.__indspaceMap.loaded()")
    page.wait_for_function(
        "() => window.__indspaceMap.queryRenderedFeatures({layers: ['parcels-mine']}).length > 0"
    )
    png = shot(page, "map-firm-my-parcels")
    assert ink(page, png) > 20_000
    assert not page.errors


def test_map_officer_first_view_legend_panels_and_district_names(page: Any, server: str) -> None:
    login(page, server, "officer")
    page.goto(server + "/#/map")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=district-label]').length === {N_DISTRICTS}"
    )
    names = page.locator("[data-testid=district-label]").all_inner_texts()
    assert "海曙区" in names
    # the first view is over the officer's district with parcels drawn (no zoom needed)
    page.wait_for_function("() => window.__indspaceMap.loaded()")
    page.wait_for_function(
        "() => window.__indspaceMap.queryRenderedFeatures({layers: ['parcels-fill']}).length > 0"
    )
    assert page.get_by_test_id("zoom-hint").count() == 0
    for key in (
        "district",
        "control_lines",
        "parks",
        "lowuse_units",
        "buildings",
        "grade-A",
        "grade-B",
        "grade-C",
        "grade-D",
        "grade-none",
        "parcel",
    ):
        assert page.get_by_test_id(f"legend-{key}").count() == 1, key
    # every fill colour the grade layer can draw has its legend entry
    paint = page.evaluate(
        "() => JSON.stringify(window.__indspaceMap.getPaintProperty('grades-fill', 'fill-color'))"
    )
    colours = set(re.findall(r"#[0-9a-fA-F]{6}", paint))
    legend = set(
        page.locator("[data-testid=legend] [data-colour]").evaluate_all(
            "els => els.map(e => e.dataset.colour)"
        )
    )
    assert colours <= legend, colours - legend
    # low-efficiency units are hatched and outlined, not a fill colour mixing with the grades
    pattern = page.evaluate(
        "() => window.__indspaceMap.getPaintProperty('lowuse-fill', 'fill-pattern')"
    )
    assert pattern == "lowuse-hatch"
    # the land-grade mode has its own entries
    page.get_by_test_id("colour-by").get_by_text("地企双评宗地等级").click()
    page.get_by_test_id("legend-land_grade-A").wait_for()
    # folding the tools panel
    body = page.get_by_test_id("map-tools-body")
    assert body.is_visible()
    page.get_by_test_id("map-tools-toggle").click()
    body.wait_for(state="hidden")
    png = shot(page, "map-officer-folded")
    assert ink(page, png) > 20_000
    page.get_by_test_id("map-tools-toggle").click()
    body.wait_for(state="visible")
    assert not page.errors


def test_map_city_first_view_aggregates_districts(page: Any, server: str) -> None:
    login(page, server, "admin")
    page.goto(server + "/#/map")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=district-label]').length === {N_DISTRICTS}"
    )
    page.wait_for_function("() => window.__indspaceMap.loaded()")
    # zoomed out over the city: the districts are filled by their industrial land
    page.wait_for_function(
        "() => window.__indspaceMap.queryRenderedFeatures({layers: ['districts-fill']}).length > 0"
    )
    assert page.get_by_test_id("legend-district-aggregate").count() == 1
    png = shot(page, "map-city")
    assert ink(page, png) > 20_000
    assert not page.errors


RAW_CODES = (
    "361-2025:",
    "fashion_consumer",
    "new_materials",
    "above_scale",
    "below_scale",
    "committed",
    "already_industrial",
    "upgrade_in_place",
    "renewal_transformation",
    "relocation_transfer",
    "gov_led_contiguous",
    "enterprise_led",
    "operator_led",
    "grade_d",
    "low_tax",
    "in_force",
    "superseded",
    "transfer_in",
    "not_evaluated",
    "ungraded",
    "graded",
    "vetoed",
    "control-lines",
    "--encoding",
)
"""Codes that must never be shown as such in the Chinese UI (issue #16: words, not codes)."""


@pytest.mark.parametrize(
    "route",
    [
        "/#/overview",
        "/#/enterprise",
        "/#/evaluation",
        "/#/lowuse",
        "/#/controlline",
        "/#/imports",
        "/#/map",
    ],
)
def test_chinese_ui_shows_no_raw_codes(page: Any, server: str, route: str) -> None:
    login(page, server, "admin")
    page.goto(server + route)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    text = page.evaluate("() => document.body.innerText")
    found = [c for c in RAW_CODES if c in text]
    assert not found, f"{route}: raw codes {found}"
    assert not re.search(r"(?<![A-Za-z_])(out|in)(?![A-Za-z_])", text), route
    png = shot(page, "codes-" + route.strip("/#").replace("/", "-"))
    assert ink(page, png) > 5_000
