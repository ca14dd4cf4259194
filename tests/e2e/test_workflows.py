"""Workflows that show their consequences (issue #16 item 5) in Chromium, on a copy of the
small demo: a control-line proposal is drawn on the map (mouse clicks on the map canvas,
terra-draw's polygon mode), rejected, drawn again, reviewed, approved and put in force — each
approval and enforcement behind a confirmation dialog — and its areas and ledger effect are
shown on a map. Screenshots are checked not blank (distinct colours of the image).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import login, serving, shot
from tests.e2e.test_roles import api, field, message_box_confirm
from tests.e2e.test_search_export import colours

pytestmark = pytest.mark.xdist_group("small_demo")

DISTRICT = "330203"  # 海曙
SIDE_PX = 140  # the square drawn, in screen pixels (zoom 17: ≈ 0.52 m/px → ≈ 72 m)
SLOW = 60_000


def empty_spot(db: Path, district: str) -> tuple[float, float]:
    """(lon, lat) of a point of ``district`` with 400 m around it free of parcels, control
    lines and constraint areas and inside the district: replacement land that passes the
    checks (not industrial land, not protected, inside its own district)."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from shapely.geometry import Point

    own = gpd.read_file(db, layer="districts")
    own = own[own["admin_code"] == district].geometry.union_all()
    taken = shapely.union_all(
        np.concatenate(
            [
                gpd.read_file(db, layer=n).geometry.values
                for n in ("parcels", "control_lines", "constraint_areas")
            ]
        )
    )
    minx, miny, maxx, maxy = own.bounds
    for y in np.arange(miny + 500, maxy, 500.0):
        for x in np.arange(minx + 500, maxx, 500.0):
            zone = Point(x, y).buffer(400, cap_style="square")
            if own.contains(zone) and not zone.intersects(taken):
                lonlat = gpd.GeoSeries([Point(x, y)], crs=4549).to_crs(4326).iloc[0]
                return float(lonlat.x), float(lonlat.y)
    raise AssertionError(f"no free spot in {district}")


@pytest.fixture(scope="module")
def site(
    small_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, tuple[float, float]]]:
    tmp = tmp_path_factory.mktemp("workflows")
    db = tmp / "workflows.gpkg"
    shutil.copyfile(small_demo, db)
    spot = empty_spot(db, DISTRICT)
    with serving(db, tmp / "serve.log") as url:
        yield url, spot


def draw_square(page: Any) -> None:
    """Click the four corners of a square around the map's centre, then the first corner
    again to close the polygon (terra-draw)."""
    canvas = page.locator("[data-testid=draw-map] canvas.maplibregl-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    cx, cy, h = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, SIDE_PX / 2
    corners = [
        (cx - h, cy - h),
        (cx + h, cy - h),
        (cx + h, cy + h),
        (cx - h, cy + h),
        (cx - h, cy - h),
    ]
    for x, y in corners:
        page.mouse.move(x, y, steps=4)
        page.mouse.click(x, y)
        page.wait_for_timeout(250)  # not a double click


def row_of(page: Any, pid: str) -> Any:
    return page.locator("[data-testid=proposals-table] .el-table__body tr", has_text=pid).first


def file_drawn(page: Any, base: str, reason: str) -> str:
    """Draw a square (area in), fill the form, file it; returns the new proposal's id."""
    before = {p["proposal_id"] for p in api(base, "/api/controlline/proposals", "admin")}
    draw_square(page)
    page.get_by_test_id("drawn-count").filter(has_text="补划 1 块").wait_for()
    field(page, "proposal-reason").fill(reason)
    field(page, "proposal-documents").fill("甬政办发〔2025〕1号")
    page.get_by_test_id("proposal-submit").click()
    new: set[str] = set()
    for _ in range(120):  # until the server has it (≤ 60 s)
        new = {p["proposal_id"] for p in api(base, "/api/controlline/proposals", "admin")} - before
        if new:
            break
        page.wait_for_timeout(500)
    assert len(new) == 1, page.get_by_test_id("proposal-new").inner_text()
    (pid,) = new
    page.get_by_test_id("proposal-detail").filter(has_text=pid).wait_for(timeout=SLOW)
    row_of(page, pid).locator("[data-state=draft]").wait_for()
    return str(pid)


def test_a_proposal_drawn_rejected_drawn_again_and_enforced(
    page: Any, site: tuple[str, tuple[float, float]]
) -> None:
    base, (lon, lat) = site
    login(page, base, "admin")
    page.goto(f"{base}/#/controlline?lon={lon}&lat={lat}&z=17&district={DISTRICT}")
    page.get_by_test_id("proposal-new").wait_for()
    page.wait_for_timeout(1500)  # the map's tiles

    # 1. drawn and filed; its map shows the area in, the effect on the ledger
    first = file_drawn(page, base, "道路拓宽补划（e2e 第一稿）")
    shot_first = shot(page, "workflows-1-proposal-drawn")
    assert colours(page, shot_first) > 20, "screenshot looks blank"
    detail = api(base, f"/api/controlline/proposals/{first}/map", "admin")
    effect = detail["effect"]
    # the square of SIDE_PX pixels at MapLibre zoom 17 (512-px tiles) near 29.9° N:
    # 40 075 016.7 m × cos 29.9° / (512 × 2¹⁷) = 0.518 m/px → (140 × 0.518 m)² = (72.5 m)²
    # ≈ 5 250 m² (a click lands to the pixel: ± a few %) — above the 2 000 m² minimum
    assert 4_500 < effect["area_in_m2"] < 6_000 and effect["area_out_m2"] == 0
    assert effect["balance_after_m2"] == pytest.approx(
        effect["balance_m2"] + effect["area_in_m2"], abs=0.02
    )
    page.get_by_test_id("effect-in").filter(has_text="亩").wait_for()

    # 2. rejected (with a reason): a final state, nothing booked
    row_of(page, first).get_by_test_id("proposal-reject").click()
    message_box_confirm(page, "补划地块位置不当（e2e）")
    row_of(page, first).locator("[data-state=rejected]").wait_for(timeout=SLOW)
    assert row_of(page, first).get_by_test_id("proposal-approve").count() == 0
    shot(page, "workflows-2-proposal-rejected")
    got = api(base, f"/api/controlline/proposals/{first}", "admin")
    assert (got["state"], got["close_note"]) == ("rejected", "补划地块位置不当（e2e）")

    # 3. drawn again, reviewed, approved after a confirmation that states the ledger effect
    second = file_drawn(page, base, "道路拓宽补划（e2e 第二稿）")
    row_of(page, second).get_by_test_id("proposal-review").click()
    row_of(page, second).locator("[data-state=reviewed]").wait_for(timeout=SLOW)
    row_of(page, second).get_by_test_id("proposal-approve").click()
    box = page.locator(".el-message-box")
    box.wait_for()
    assert "占补平衡" in box.inner_text() and "亩" in box.inner_text()
    shot(page, "workflows-3-approve-confirmation")
    # cancelling changes nothing
    box.locator(".el-message-box__btns .el-button:not(.el-button--primary)").click()
    box.wait_for(state="hidden")
    assert api(base, f"/api/controlline/proposals/{second}", "admin")["state"] == "reviewed"
    row_of(page, second).get_by_test_id("proposal-approve").click()
    message_box_confirm(page)
    row_of(page, second).locator("[data-state=approved]").wait_for(timeout=SLOW)

    # 4. put in force after its confirmation: the control line gets the new block
    row_of(page, second).get_by_test_id("proposal-enforce").click()
    box.wait_for()
    assert "生效" in box.inner_text()
    # the day it names is the server's today (GET /api/clock), the day then booked
    assert api(base, "/api/clock", "admin")["today"] in box.inner_text()
    message_box_confirm(page)
    row_of(page, second).locator("[data-state=in_force]").wait_for(timeout=SLOW)
    page.get_by_test_id("proposal-detail").filter(has_text=second).wait_for()
    png = shot(page, "workflows-4-proposal-in-force")
    assert colours(page, png) > 20, "screenshot looks blank"
    map_png = page.get_by_test_id("proposal-areas-map").screenshot(
        path=str(png.with_name("workflows-4-areas-map.png"))
    )
    assert map_png and colours(page, png.with_name("workflows-4-areas-map.png")) > 3
    ledger = api(base, f"/api/controlline/ledger?district={DISTRICT}", "admin")
    assert [e["proposal_id"] for e in ledger["entries"]] == [second]  # the rejected: none
    assert ledger["entries"][0]["kind"] == "in"
    assert not page.errors, page.errors
