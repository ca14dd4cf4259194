"""The map coloured by contract status (issue #17 item 5) in a real browser, as the city admin
on the small demo as of the demo's day: the colour mode 合同履约状态 shows its legend
(违约 / 预警 / 正常 / 无合同, labels from the server's vocabulary) with the monitor's counts, and
a parcel with a planted breach is drawn in the breach colour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from indspace.services.demo import DEMO_AS_OF
from indspace.services.supply import run_monitor
from indspace.store import Store
from tests.e2e.conftest import login, shot
from tests.e2e.test_roles import SLOW, api, wait_map

pytestmark = pytest.mark.xdist_group("small_demo")


def test_map_colours_parcels_by_contract_status(page: Any, server: str, small_demo: Path) -> None:
    alerts = run_monitor(Store.open(small_demo), DEMO_AS_OF).alerts
    breach = sorted(set(alerts.loc[alerts["status"].isin(["overdue", "breach"]), "parcel_id"]))
    assert breach  # the demo plants breaches in every district
    login(page, server, "admin")
    page.goto(f"{server}/#/map?as_of={DEMO_AS_OF.isoformat()}")
    wait_map(page)
    page.get_by_test_id("colour-by-contract").click()
    # the contract mode is one entry list of the map's one legend (a row per status)
    page.get_by_test_id("legend-contract-breach").filter(has_text=str(len(breach))).wait_for(
        timeout=SLOW
    )
    text = page.get_by_test_id("legend").inner_text()
    for word in ("违约", "预警", "正常", "无合同"):
        assert word in text
    assert DEMO_AS_OF.isoformat() in page.get_by_test_id("legend-contract-as-of").inner_text()
    # the fill colour is now a match on parcel ids that lists the breach parcels
    fill = page.evaluate("() => window.__indspaceMap.getPaintProperty('grades-fill', 'fill-color')")
    assert fill[0] == "match" and breach[0] in fill[2]
    # zoom to a breach parcel: the pixel at its inside point is the breach red (#d03050 at
    # 0.85 opacity over the parcel fill: red well above green and blue)
    feature = api(server, f"/api/parcels/{breach[0]}", "admin")
    geom = shape(feature["geometry"])
    x0, y0, x1, y1 = geom.bounds
    pt = geom.representative_point()
    page.evaluate(
        "([b]) => window.__indspaceMap.fitBounds([[b[0], b[1]], [b[2], b[3]]],"
        " {padding: 200, duration: 0, maxZoom: 17})",
        [[x0, y0, x1, y1]],
    )
    page.wait_for_function(
        """([x, y, pid]) => { const m = window.__indspaceMap;
            if (!m.loaded() || !m.areTilesLoaded()) return false;
            const p = m.project([x, y]);
            return m.queryRenderedFeatures([p.x, p.y], {layers: ['grades-fill']})
                    .some(f => f.properties.parcel_id === pid) }""",
        arg=[pt.x, pt.y, breach[0]],
        timeout=SLOW,
    )
    page.wait_for_timeout(300)  # one more frame drawn
    shot(page, "map-contract-status")
    pixel = page.evaluate(
        """([x, y]) => { const m = window.__indspaceMap; const c = m.getCanvas();
            const gl = c.getContext('webgl2') || c.getContext('webgl');
            const p = m.project([x, y]); const r = window.devicePixelRatio || 1;
            const px = new Uint8Array(4);
            gl.readPixels(Math.round(p.x * r), Math.round(gl.drawingBufferHeight - p.y * r), 1, 1,
                          gl.RGBA, gl.UNSIGNED_BYTE, px);
            return Array.from(px); }""",
        [pt.x, pt.y],
    )
    r, g, b = pixel[:3]
    assert r > g + 80 and r > b + 60, pixel
    # not a blank canvas: several colours drawn
    colours = page.evaluate(
        """() => { const c = window.__indspaceMap.getCanvas();
        const gl = c.getContext('webgl2') || c.getContext('webgl');
        const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
        const px = new Uint8Array(w * h * 4);
        gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
        const seen = new Set();
        for (let i = 0; i < px.length; i += 4 * 97) seen.add(px[i] + ',' + px[i+1] + ',' + px[i+2]);
        return seen.size; }"""
    )
    assert colours > 2
    assert not page.errors
