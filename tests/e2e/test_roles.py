"""Each role through the UI in Chromium, against `indspace serve` over a copy of the small demo.

The write flow (publish → an enterprise objects → the district officer accepts → run v2) is one
test, its steps in order; the other tests only read, so they hold whichever run is newest.
Screenshots of every step go to ``test-artifacts/roles-*.png``.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORDS, login, logout, serving, shot
from tests.e2e.test_search_export import colours

pytestmark = pytest.mark.xdist_group("small_demo")

ROLE_ZH = {"admin": "市级管理员", "officer": "区县工作人员", "firm": "企业用户", "auditor": "审计"}
OWN, OTHER = "330203", "330205"  # the officer's district, another one
SLOW = 60_000  # ms: a resolve recomputes the whole run


# ------------------------------------------------------------------ fixtures and helpers
@pytest.fixture(scope="module")
def base(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own over a copy of the demo: the flow below writes to it."""
    tmp = tmp_path_factory.mktemp("roles")
    db = tmp / "roles.gpkg"
    shutil.copyfile(small_demo, db)
    with serving(db, tmp / "serve.log") as url:
        yield url


def api(base: str, path: str, user: str | None = None, body: dict[str, Any] | None = None
        ) -> Any:
    headers = {"Accept": "application/json"}
    if user:
        headers["Authorization"] = f"Bearer {token(base, user)}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


_tokens: dict[tuple[str, str], str] = {}


def token(base: str, user: str) -> str:
    if (base, user) not in _tokens:
        res = api(base, "/api/auth/login", body={"username": user, "password": PASSWORDS[user]})
        _tokens[(base, user)] = res["token"]
    return _tokens[(base, user)]


def field(page: Any, testid: str) -> Any:
    """The input of an Element Plus form control, whichever element carries the test id."""
    return page.locator(f"input[data-testid={testid}], textarea[data-testid={testid}],"
                        f" [data-testid={testid}] input, [data-testid={testid}] textarea").first


def message_box_confirm(page: Any, text: str | None = None) -> None:
    box = page.locator(".el-message-box")
    box.wait_for()
    if text is not None:
        box.locator("input, textarea").first.fill(text)
    box.locator(".el-message-box__btns .el-button--primary").click()
    box.wait_for(state="hidden")


def owned_parcel(base: str, district: str) -> dict[str, Any]:
    """A parcel of ``district`` with an owner, as GeoJSON (the admin sees every district)."""
    res = api(base, f"/api/parcels?district={district}&limit=50", "admin")
    for f in res["items"]["features"]:
        if f["properties"].get("owner_credit_code"):
            return f  # type: ignore[no-any-return]
    raise AssertionError(f"no owned parcel in {district}")


def wait_map(page: Any) -> None:
    """The map object (exposed on window for tests) with its layers added and tiles loaded
    (parcels themselves start at zoom 12: the city view shows lines and parks only). Login
    lands on the overview (首页): the map is opened from the side menu."""
    if "#/map" not in page.url:
        page.get_by_test_id("menu-map").click()
    page.get_by_test_id("map-canvas").wait_for(state="visible")
    page.wait_for_function(
        "() => { const m = window.__indspaceMap; return m && m.getLayer('parcels-fill')"
        " && m.getLayer('grades-fill') && m.loaded() && m.areTilesLoaded() }",
        timeout=SLOW,
    )


def click_parcel(page: Any, feature: dict[str, Any]) -> None:
    """Fit the map to the parcel, wait for its tiles, click a point inside it."""
    from shapely.geometry import shape

    geom = shape(feature["geometry"])
    pid = feature["properties"]["parcel_id"]
    x0, y0, x1, y1 = geom.bounds
    pt = geom.representative_point()
    page.evaluate(
        "([b]) => window.__indspaceMap.fitBounds([[b[0], b[1]], [b[2], b[3]]],"
        " {padding: 260, duration: 0, maxZoom: 17})",
        [[x0, y0, x1, y1]],
    )
    # The parcel drawn under its representative point once the new tiles are in.
    page.wait_for_function(
        """([x, y, pid]) => { const m = window.__indspaceMap;
            if (!m.loaded() || !m.areTilesLoaded()) return false;
            const p = m.project([x, y]);
            return m.queryRenderedFeatures([p.x, p.y], {layers: ['parcels-fill']})
                    .some(f => f.properties.parcel_id === pid) }""",
        arg=[pt.x, pt.y, pid], timeout=SLOW,
    )
    xy = page.evaluate("([x, y]) => window.__indspaceMap.project([x, y])", [pt.x, pt.y])
    box = page.get_by_test_id("map-canvas").bounding_box()
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    panel = page.get_by_test_id("parcel-panel")
    panel.wait_for()
    page.get_by_test_id("panel-parcel-id").filter(has_text=pid).wait_for(timeout=SLOW)
    page.get_by_test_id("parcel-info").wait_for(timeout=SLOW)


def run_picker_labels(page: Any) -> list[str]:
    page.get_by_test_id("run-picker").click()
    options = page.locator(".el-select-dropdown__item:visible")
    options.first.wait_for()
    labels = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


# ------------------------------------------------------------------ 1. log in and out
@pytest.mark.parametrize("user", ["admin", "officer", "firm", "auditor"])
def test_login_shows_user_and_role_then_logout(page: Any, base: str, user: str) -> None:
    login(page, base, user)
    bar = page.get_by_test_id("user").inner_text()
    me = api(base, "/api/auth/me", user)
    assert ROLE_ZH[user] in bar, bar
    assert (me["display_name"] or me["username"]) in bar, bar
    shot(page, f"roles-1-login-{user}")
    # The menu follows the role: only admin and auditor see the audit log.
    menu = page.get_by_test_id("side-menu").inner_text()
    assert ("审计日志" in menu) == (user in ("admin", "auditor")), menu
    assert ("评价批次" in menu) == (user != "firm"), menu
    logout(page)
    assert page.evaluate("sessionStorage.getItem('indspace.token')") is None
    page.goto(base + "/#/map")
    page.get_by_test_id("login-link").wait_for()
    assert page.get_by_test_id("user").count() == 0
    shot(page, f"roles-1-logout-{user}")
    assert not page.errors, page.errors


# ------------------------------------------------------------------ 2. the officer's map
def test_officer_map_click_shows_grade_and_breakdown_only_in_own_district(
        page: Any, base: str) -> None:
    own, other = owned_parcel(base, OWN), owned_parcel(base, OTHER)
    login(page, base, "officer")
    wait_map(page)
    shot(page, "roles-2-map-officer")

    click_parcel(page, own)
    panel = page.get_by_test_id("parcel-panel")
    panel.get_by_test_id("panel-grade").locator("[data-grade]").wait_for(timeout=SLOW)
    expected = api(base, f"/api/parcels/{own['properties']['parcel_id']}/summary", "officer")
    grade = expected["evaluation"]["grade"]
    assert panel.get_by_test_id("panel-grade").locator(f"[data-grade={grade}]").count() == 1
    rows = panel.get_by_test_id("panel-breakdown").locator("tbody tr")
    assert rows.count() == len(expected["evaluation"]["breakdown"]) > 0
    assert "亩均税收" in panel.get_by_test_id("panel-breakdown").inner_text()
    assert panel.get_by_test_id("parcel-restricted").count() == 0
    shot(page, "roles-2-map-own-parcel")

    # Another district's parcel: the panel says restricted, no grade, no owner.
    click_parcel(page, other)
    panel.get_by_test_id("parcel-restricted").wait_for(timeout=SLOW)
    assert panel.get_by_test_id("panel-grade").count() == 0
    assert panel.get_by_test_id("panel-owner").count() == 0
    assert panel.get_by_test_id("panel-breakdown").count() == 0
    shot(page, "roles-2-map-other-district-restricted")
    assert not page.errors, page.errors


# ------------------------------------------------------------------ 3–6. the objection flow
def test_publish_object_accept_new_version(page: Any, base: str) -> None:
    firm = api(base, "/api/auth/me", "firm")["credit_code"]
    runs = api(base, "/api/evaluation/runs", "admin")
    v1 = runs[-1]
    assert v1["version"] == 1 and v1["state"] == "computed", runs

    # 3. The city admin publishes the run from the evaluation-run page.
    login(page, base, "admin")
    page.get_by_test_id("menu-evaluation").click()
    page.locator("[data-testid=run-state][data-state=computed]").wait_for(timeout=SLOW)
    shot(page, "roles-3-admin-before-publish")
    page.get_by_test_id("publish-run").click()
    message_box_confirm(page)
    page.locator("[data-testid=run-state][data-state=published]").wait_for(timeout=SLOW)
    assert page.get_by_test_id("publish-run").count() == 0
    shot(page, "roles-3-admin-published")
    assert api(base, f"/api/evaluation/runs/{v1['run_id']}", "admin")["state"] == "published"
    logout(page)

    # 4. The enterprise user files an objection on its own page.
    login(page, base, "firm")
    page.get_by_test_id("menu-enterprises").click()
    page.get_by_test_id("enterprise-table").get_by_text(firm).click()
    page.get_by_test_id("breakdown-table").wait_for(timeout=SLOW)
    page.get_by_test_id("objection-button").click()
    page.get_by_test_id("objection-submit").wait_for()
    # the figure defaults to 税收 / tax, shown with its unit and the firm's current value
    tax_now = api(base, f"/api/evaluation/runs/{v1['run_id']}/objection-fields/{firm}",
                  "firm")["fields"]
    tax_now = next(f for f in tax_now if f["field"] == "tax")["value"]
    page.get_by_test_id("objection-unit").filter(has_text="万元").wait_for()
    shown = page.get_by_test_id("objection-current-value").inner_text().replace(",", "")
    assert float(shown) == pytest.approx(tax_now, abs=1e-4), (shown, tax_now)
    assert "万元" in page.get_by_test_id("objection-dialog").inner_text()
    # the firm claims a much higher tax than recorded
    field(page, "objection-value").fill("99")
    field(page, "objection-reason").fill("税务局完税证明显示全年实缴税收 99 万元（e2e）")
    shot(page, "roles-4-firm-objection-form")
    page.get_by_test_id("objection-submit").click()
    page.locator("[data-testid=enterprise-objections] [data-state=filed]").wait_for(timeout=SLOW)
    shot(page, "roles-4-firm-objection-filed")
    filed = api(base, f"/api/evaluation/objections?run_id={v1['run_id']}", "officer")
    assert [o["credit_code"] for o in filed] == [firm] and filed[0]["field"] == "tax"
    logout(page)

    # 5. The district officer accepts it on the evaluation-run page (If-Match under the hood).
    login(page, base, "officer")
    page.get_by_test_id("menu-evaluation").click()
    page.get_by_test_id("objections-table").get_by_text(firm).wait_for(timeout=SLOW)
    assert page.get_by_test_id("publish-run").count() == 0  # not the officer's to do
    shot(page, "roles-5-officer-objection")
    page.get_by_test_id("objection-accept").click()
    # The preview comes first (computed in memory): the figure before and after, this firm's
    # recomputed class; 接受 is enabled only once it is there.
    dialog = page.get_by_test_id("objection-preview")
    dialog.wait_for()
    page.get_by_test_id("preview-table").wait_for(timeout=SLOW)
    assert "99" in page.get_by_test_id("preview-after-value").inner_text()
    assert "万元" in page.get_by_test_id("preview-after-value").inner_text()
    assert page.get_by_test_id("preview-after-grade").inner_text().strip()
    preview = api(base, f"/api/evaluation/objections/{filed[0]['objection_id']}/preview",
                  "officer")
    assert preview["value_after"] == 99.0 and preview["stored"] is False
    assert api(base, "/api/evaluation/runs", "admin")[-1]["run_id"] == v1["run_id"]  # no run
    png = shot(page, "roles-5-officer-preview")
    assert colours(page, png) > 20, "screenshot looks blank"
    field(page, "preview-note").fill("核实完税证明，予以采纳（e2e）")
    page.get_by_test_id("preview-accept").click()
    # the progress of the recomputation is on screen, inside the dialog
    progress = page.locator("[data-testid=objection-preview] [data-testid=resolve-progress]")
    progress.wait_for(timeout=SLOW)
    assert progress.is_visible() and progress.bounding_box()["y"] < 860
    shot(page, "roles-5-officer-accepting")
    # Accepting recomputes the run as version 2, which the page switches to.
    page.get_by_test_id("run-version").filter(has_text="v2").wait_for(timeout=SLOW)
    # the handled case stays visible under the version it made
    page.locator("[data-testid=objections-table] [data-state=accepted]").wait_for(timeout=SLOW)
    page.get_by_test_id("objection-settled-here").first.wait_for()
    shot(page, "roles-5-officer-accepted")
    obj = api(base, f"/api/evaluation/objections?run_id={v1['run_id']}", "officer")[0]
    v2 = obj["resolved_run_id"]
    assert obj["state"] == "accepted" and v2.endswith("-v2"), obj

    # ... and the two versions side by side: who moved, by how much, the money effect
    page.get_by_test_id("compare-link").click()
    page.get_by_test_id("compare-summary").wait_for(timeout=SLOW)
    cmp = api(base, f"/api/evaluation/compare?run_a={v1['run_id']}&run_b={v2}", "officer")
    # one page of at most 100 rows (moved firms first), the total under the table
    shown = page.get_by_test_id("compare-table").locator(".el-table__body tr").count()
    assert shown == min(cmp["summary"]["firms"], 100) > 0
    assert cmp["total"] == cmp["summary"]["firms"]
    assert str(cmp["total"]) in page.get_by_test_id("compare-pager").inner_text()
    mine = next(r for r in cmp["items"] if r["credit_code"] == firm)
    assert mine["tax_per_mu_b"] > mine["tax_per_mu_a"]   # 99 万元 on the same land
    png = shot(page, "roles-5-officer-compare")
    assert colours(page, png) > 20, "screenshot looks blank"
    page.goto(f"{base}/#/evaluation")

    # 6. The run picker lists both versions, the newest (v2) first and selected by default.
    page.reload()
    page.get_by_test_id("run-version").filter(has_text="v2").wait_for(timeout=SLOW)
    labels = run_picker_labels(page)
    # the demo evaluates five years: 2025's two versions come first, the newest (v2) on top
    this_year = [label for label in labels if label.startswith("2025")]
    assert len(this_year) == 2 and labels[:2] == this_year, labels
    assert "v2" in this_year[0] and "v1" in this_year[1], labels
    page.get_by_test_id("run-picker").click()
    page.locator(".el-select-dropdown__item:visible").first.wait_for()
    shot(page, "roles-6-run-picker")
    page.keyboard.press("Escape")
    logout(page)

    # ... and the enterprise's page shows the grade of v2.
    login(page, base, "firm")
    page.goto(f"{base}/#/enterprise/{firm}")
    page.get_by_test_id("enterprise-run").filter(has_text=v2).wait_for(timeout=SLOW)
    grade = api(base, f"/api/enterprises/{firm}/grades", "firm")[-1]
    assert grade["run_id"] == v2, grade
    summary = page.get_by_test_id("enterprise-summary")
    assert summary.locator(f"[data-grade={grade['grade']}]").count() >= 1
    page.locator("[data-testid=enterprise-objections] [data-state=accepted]").wait_for()
    assert v2 in page.get_by_test_id("enterprise-objections").inner_text()
    # v1, superseded by v2, takes no more objections: no form, the reason instead
    page.get_by_test_id("objection-closed").filter(has_text=v2).wait_for()
    assert page.get_by_test_id("objection-button").count() == 0
    shot(page, "roles-6-firm-enterprise-v2")
    assert not page.errors, page.errors


# ------------------------------------------------------------------ 7. CJK text, English
def test_chinese_renders_and_english_switch(page: Any, base: str) -> None:
    login(page, base, "auditor")
    page.get_by_test_id("menu-evaluation").click()
    page.get_by_test_id("results-table").wait_for(timeout=SLOW)
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")
    # CJK glyphs are drawn for real in the page's font: non-zero width, ink on a canvas, and
    # shapes that differ from the missing-glyph box of unassigned (private-use) code points.
    glyphs = page.evaluate(
        """() => { const el = document.querySelector('[data-testid=app-title]');
            const draw = (text) => { const c = document.createElement('canvas');
                c.width = 200; c.height = 60; const g = c.getContext('2d');
                g.font = getComputedStyle(el).font; g.fillText(text, 4, 40);
                const px = g.getImageData(0, 0, 200, 60).data; let ink = 0;
                for (let i = 3; i < px.length; i += 4) if (px[i]) ink++;
                return {url: c.toDataURL(), ink, width: g.measureText(text).width} };
            const cjk = draw('产业空间'), tofu = draw('\\u{E000}\\u{E001}\\u{E002}\\u{E003}');
            return {title: el.getBoundingClientRect().width, width: cjk.width, ink: cjk.ink,
                    same_as_tofu: cjk.url === tofu.url} }"""
    )
    assert glyphs["title"] > 100 and glyphs["width"] > 0 and glyphs["ink"] > 50, glyphs
    assert not glyphs["same_as_tofu"], glyphs
    assert "评价结果" in page.locator("body").inner_text()
    shot(page, "roles-7-zh")
    page.get_by_test_id("lang-switch").click()
    page.get_by_test_id("menu-evaluation").filter(has_text="Evaluation runs").wait_for()
    body = page.locator("body").inner_text()
    assert "Results" in body and "auditor" in page.get_by_test_id("user").inner_text()
    shot(page, "roles-7-en")
    page.get_by_test_id("lang-switch").click()  # back to Chinese for the other tests
    page.get_by_test_id("menu-evaluation").filter(has_text="评价批次").wait_for()
    assert not page.errors, page.errors
