"""二级市场监管 and 产业集群与产业链 in a real browser (issue #19), as the city admin on the small
demo: the market page, set to the demo's day, lists exactly the scan's flags and draws its two
charts; the clusters page lists every chain, its leaders and targets and draws the park map;
both screenshots are not blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from indspace.core.vocabulary import label
from indspace.services.clusters import run_clusters
from indspace.services.demo import DEMO_AS_OF
from indspace.services.market import run_scan
from indspace.store import Store
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")

FLAG_ROWS = "[data-testid=mkt-flags] .el-table__body tbody tr"
CHAIN_ROWS = "[data-testid=cl-chains] .el-table__body tbody tr"


def colours(path: Path) -> int:
    """Distinct colours of a screenshot (a blank page has one or two)."""
    with Image.open(path) as im:
        return len(im.convert("RGB").getcolors(maxcolors=1 << 20) or [])


def canvas_drawn(page: Any, test_id: str) -> bool:
    """The chart's canvas has non-transparent pixels, once drawn (ECharts loads when the
    chart mounts and the browser is idle, so the canvas comes after the tables): waits up
    to 15 s for it, False if it stays blank."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """id => { const c = document.querySelector(`[data-testid=${id}] canvas`);
                   if (!c) return false;
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                   return false }""",
            arg=test_id,
            timeout=15_000,
        )
    except PlaywrightTimeout:
        return False
    return True


def test_market_page_lists_the_scan(page: Any, server: str, small_demo: Path) -> None:
    expected = run_scan(Store.open(small_demo), DEMO_AS_OF).flags
    assert len(expected) > 0
    login(page, server, "admin")
    page.goto(f"{server}/#/market?as_of={DEMO_AS_OF.isoformat()}")
    page.get_by_test_id("market-page").wait_for()
    page.wait_for_function(
        f"n => document.querySelectorAll('{FLAG_ROWS}').length === n", arg=len(expected)
    )
    assert expected["transaction_id"].iloc[0] in page.locator(FLAG_ROWS).first.inner_text()
    flags_text = page.get_by_test_id("mkt-flags").inner_text()
    assert "分割销售" in flags_text  # Chinese kind label
    for rule in set(expected["rule"]):  # rules by name, never by code
        assert label("market_rule", rule) in flags_text and rule not in flags_text
    summary = page.get_by_test_id("mkt-summary").inner_text()
    assert f"共 {len(expected)} 条" in summary and "object" not in summary
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=mkt-watch] "
        ".el-table__body tbody tr').length > 0"
    )
    assert canvas_drawn(page, "mkt-volume-chart") and canvas_drawn(page, "mkt-median-chart")
    assert colours(shot(page, "market")) > 50
    assert not page.errors


def test_clusters_page_shows_chains_and_map(page: Any, server: str, small_demo: Path) -> None:
    result = run_clusters(Store.open(small_demo), DEMO_AS_OF.year)
    zones = result.tables["zones"]
    n_chains = int((zones["zone_kind"] == "chain").sum())
    login(page, server, "admin")
    page.goto(f"{server}/#/clusters")
    page.get_by_test_id("clusters-page").wait_for()
    page.wait_for_function(
        f"n => document.querySelectorAll('{CHAIN_ROWS}').length === n", arg=n_chains
    )
    chains_text = page.get_by_test_id("cl-chains").inner_text()
    assert "时尚消费品" in chains_text  # chain label
    # missing links by their names in the chain templates, never their ids
    missing = {m for s in zones.loc[zones["zone_kind"] == "chain", "missing_links"]
               for m in str(s or "").split(";") if m}
    assert missing, "the small demo has chains with missing links"
    for link in missing:
        assert link not in chains_text and label("chain_link", link) in chains_text
    assert page.locator("[data-testid=cl-leaders] .el-table__body tbody tr").count() == len(
        result.tables["leaders"]
    )
    assert canvas_drawn(page, "cl-map") and canvas_drawn(page, "cl-completeness")
    assert colours(shot(page, "clusters")) > 50
    assert not page.errors
