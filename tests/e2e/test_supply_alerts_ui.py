"""供地监管预警 in a real browser (issue #17 item 4), as the city admin on the small demo: the
page, set to the demo's day, lists exactly the monitor's findings with Chinese rule labels;
filtering by rule narrows the table to that rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indspace.core.clock import today
from indspace.services.demo import DEMO_AS_OF
from indspace.services.supply import run_monitor
from indspace.store import Store
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")

ROWS = "[data-testid=sup-table] .el-table__body tbody tr"


def date_input(page: Any) -> Any:
    return page.locator("[data-testid=sup-as-of] input")


def test_alerts_page_lists_the_monitor_rows(
    page: Any,
    server: str,
    small_demo: Path,
) -> None:
    expected = run_monitor(Store.open(small_demo), DEMO_AS_OF).alerts
    assert len(expected) > 0
    login(page, server, "admin")
    page.goto(f"{server}/#/supply-alerts")
    page.get_by_test_id("supply-alerts-page").wait_for()
    box = date_input(page)
    # opened without a day, the page shows the server's today (the store's time zone, not
    # the browser's): the day the alerts are computed as of
    server_today = today(Store.open(small_demo).tz).isoformat()
    page.wait_for_function(
        "d => document.querySelector('[data-testid=sup-as-of] input').value === d",
        arg=server_today,
    )
    box.fill(DEMO_AS_OF.isoformat())
    box.press("Enter")
    page.wait_for_function(
        f"n => document.querySelectorAll('{ROWS}').length === n", arg=len(expected)
    )
    first = page.locator(ROWS).first
    assert expected["contract_id"].iloc[0] in first.inner_text()
    assert "闲置满一年" in page.get_by_test_id("sup-table").inner_text()  # Chinese rule label
    shot(page, "supply-alerts")

    page.get_by_test_id("sup-rule").click()
    page.locator(".el-select-dropdown__item:visible", has_text="违规转让").first.click()
    n = int((expected["rule"] == "transfer_blocked").sum())
    page.wait_for_function(f"n => document.querySelectorAll('{ROWS}').length === n", arg=n)
    assert all("违规转让" in t for t in page.locator(ROWS).all_inner_texts())
    assert not page.errors
