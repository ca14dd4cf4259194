"""供需匹配 in a real browser (issue #19), as the city admin on the small demo: the page shows
the stored run's optimum beside the first-come baseline and lists the demands (first page of
100) with their spaces and reasons; filtering to unserved demands narrows the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from indspace.store import Store
from indspace.store.match_runs import list_match_runs, read_match_results
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")

ROWS = "[data-testid=mat-table] .el-table__body tbody tr"
UNSERVED_ROWS = (
    "n => { const rows = [...document.querySelectorAll('" + ROWS + "')];"
    " return rows.length === n && rows.every("
    "r => r.innerText.includes('均已分配') || r.innerText.includes('无满足')) }"
)
"""True once the table holds ``n`` rows, each an unserved demand with its reason."""


def test_matching_page_lists_the_stored_run(page: Any, server: str, small_demo: Path) -> None:
    store = Store.open(small_demo)
    run = list_match_runs(store).iloc[-1]
    rows = read_match_results(store, str(run["run_id"]))
    summary = json.loads(run["summary_json"])
    login(page, server, "admin")
    page.goto(f"{server}/#/matching")
    page.get_by_test_id("matching-page").wait_for()
    page.wait_for_function(
        f"n => document.querySelectorAll('{ROWS}').length === n", arg=min(100, len(rows))
    )
    compare = page.get_by_test_id("mat-compare").inner_text()
    # counts with thousands separators, as the page writes every figure
    assert f'{summary["objective"]["served"]:,}' in compare
    assert f'{summary["greedy_objective"]["served"]:,}' in compare
    assert "先到先得" in compare
    assert rows["demand_id"].iloc[0] in page.locator(ROWS).first.inner_text()
    shot(page, "matching")

    page.get_by_test_id("mat-served").click()
    page.locator(".el-select-dropdown__item:visible", has_text="未匹配").first.click()
    unserved = int((rows["space_id"].fillna("") == "").sum())
    # wait for the filtered list itself (the served list may hold as many rows): every row
    # an unserved demand with its reason
    page.wait_for_function(UNSERVED_ROWS, arg=min(100, unserved))
    assert all("均已分配" in t or "无满足" in t for t in page.locator(ROWS).all_inner_texts())
    assert not page.errors
