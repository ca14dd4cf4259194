"""The UI in a real browser: the public map, the language switch, every page without a crash."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import api_as, login, shot

pytestmark = pytest.mark.xdist_group("small_demo")


def tiles_served(base: str) -> bool:
    """True when the server has the tile service (it lands on main from the tiles branch)."""
    try:
        with urllib.request.urlopen(base + "/tiles/parcels.json", timeout=5) as r:
            return r.status == 200
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        if e.code == 404 and '"error"' not in body:
            return False  # no such route at all
        raise


def test_public_map_renders_parcels(page: Any, server: str) -> None:
    tile_status: list[int] = []
    page.on(
        "response",
        lambda r: (
            tile_status.append(r.status) if re.search(r"/tiles/parcels/\d+/", r.url) else None
        ),
    )
    page.goto(server + "/#/map")
    canvas = page.get_by_test_id("map-canvas")
    canvas.wait_for(state="visible")
    if not tiles_served(server):
        page.get_by_test_id("tiles-unavailable").wait_for(state="visible")
        shot(page, "map-no-tiles")
        assert not page.errors
        pytest.skip("the server has no /tiles yet (tile service not merged): map shows its notice")
    # The city view is below the parcels' minzoom (12): the map says so; zoom to a parcel.
    page.wait_for_function("() => window.__indspaceMap && window.__indspaceMap.loaded()",
                           timeout=30000)
    page.get_by_test_id("zoom-hint").wait_for()
    with urllib.request.urlopen(server + "/api/parcels?limit=1", timeout=10) as r:
        ring = json.load(r)["items"]["features"][0]["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    page.evaluate(
        "([b]) => window.__indspaceMap.fitBounds([[b[0], b[1]], [b[2], b[3]]],"
        " {padding: 200, duration: 0, maxZoom: 18})",
        [[min(xs), min(ys), max(xs), max(ys)]],
    )
    page.get_by_test_id("zoom-hint").wait_for(state="hidden")
    # Parcels drawn: the source has features and the canvas is not just the background.
    page.wait_for_function(
        "() => { const m = window.__indspaceMap; return m && m.getSource('parcels')"
        " && m.loaded() && m.querySourceFeatures('parcels', {sourceLayer:"
        " (m.getLayer('parcels-fill') || {}).sourceLayer || 'parcels'}).length > 0 }",
        timeout=30000,
    )
    shot(page, "map-parcels")
    assert tile_status and all(s in (200, 204) for s in tile_status), tile_status
    colours = page.evaluate(
        """() => {
        const c = document.querySelector('[data-testid=map-canvas]');
        const gl = c.getContext('webgl2') || c.getContext('webgl');
        const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
        const px = new Uint8Array(w * h * 4);
        gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
        const seen = new Set();
        for (let i = 0; i < px.length; i += 4 * 97) seen.add(px[i] + ',' + px[i+1] + ',' + px[i+2]);
        return seen.size;
    }"""
    )
    assert colours > 2, "the map canvas shows only the background"
    # Anonymous: the login-only layers are off, the public ones on.
    assert page.get_by_test_id("layer-parcel_grades").locator("input").is_disabled()
    assert not page.errors


def test_language_switch(page: Any, server: str) -> None:
    page.goto(server + "/#/map")
    title = page.get_by_test_id("app-title")
    assert title.inner_text() == "产业空间治理平台"
    assert page.get_by_test_id("menu-map").inner_text() == "地图"
    shot(page, "lang-zh")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=app-title]').textContent.includes('governance')"
    )
    assert page.get_by_test_id("menu-map").inner_text() == "Map"
    assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "lang-en")
    # The choice survives a reload, and switches back.
    page.reload()
    page.get_by_test_id("app-title").wait_for()
    assert "governance" in page.get_by_test_id("app-title").inner_text()
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=app-title]').textContent === '产业空间治理平台'"
    )
    assert not page.errors


@pytest.mark.parametrize(
    "route",
    ["enterprise", "evaluation", "compare", "imports", "lowuse", "controlline", "audit", "login"],
)
def test_every_page_renders_without_a_crash(page: Any, server: str, route: str) -> None:
    """Each page shows its content, a clean "not available" state, or the login page."""
    page.goto(f"{server}/#/{route}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    text = page.locator("body").inner_text()
    assert "产业空间治理平台" in text
    shot(page, f"page-{route}")
    assert not page.errors, page.errors
    assert "undefined" not in text and "[object Object]" not in text


def test_enterprise_page_from_the_results(page: Any, server: str) -> None:
    """Results → enterprise page: grade, breakdown, policies (as the city admin)."""
    get = api_as(page, server, "admin")

    run_id = get("/api/evaluation/runs")[-1]["run_id"]
    code = get(f"/api/evaluation/runs/{run_id}/results?grade=C&limit=1")["items"][0]["credit_code"]
    page.goto(f"{server}/#/enterprise/{code}")
    page.get_by_test_id("breakdown-table").wait_for()
    assert page.get_by_test_id("enterprise-summary").locator("[data-grade=C]").count() >= 1
    assert page.get_by_test_id("next-grade").locator("[data-grade=B]").count() == 1
    page.get_by_test_id("policies-table").wait_for()
    policies = page.get_by_test_id("policies-table").inner_text()
    # the profile's notes are "中文 / English": the Chinese page shows the Chinese half only
    assert "演示金额" in policies or "定性措施" in policies
    assert "qualitative" not in policies and "DEMO amount" not in policies
    shot(page, "enterprise")
    assert not page.errors


def test_unit_pro_forma_on_the_lowuse_page(page: Any, server: str) -> None:
    """Low-efficiency page → click a unit → its pro forma under the four modes (issue #18)."""
    login(page, server, "admin")
    page.goto(f"{server}/#/lowuse")
    table = page.get_by_test_id("lowuse-table")
    table.locator("tbody tr").first.wait_for()
    table.locator("tbody tr").first.click()
    pf = page.get_by_test_id("proforma-table")
    pf.locator("tbody tr").nth(3).wait_for()
    assert pf.locator("tbody tr").count() == 4
    text = page.get_by_test_id("proforma-card").inner_text()
    assert "资金平衡测算" in text and "政府统筹连片改造" in text and "推荐" in text
    shot(page, "lowuse-proforma")
    assert not page.errors, page.errors
