"""The 报告 page (issue #21): a district officer builds its district's annual report in the
background, sees the progress, and downloads the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")


def test_officer_builds_and_downloads_its_report(page: Any, server: str) -> None:
    login(page, server, "officer")
    page.goto(server + "/#/reports")
    page.get_by_test_id("report-form").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=report-year] input').value === '2025'"
    )
    page.get_by_test_id("report-format").get_by_text("XLSX").click()
    page.get_by_test_id("report-make").click()
    page.get_by_test_id("report-download").wait_for(timeout=240_000)
    listed = page.get_by_test_id("report-list").inner_text()
    assert "2025 年度海曙区亩均效益评价报告" in listed, listed
    shot(page, "reports-officer")
    with page.expect_download() as dl:
        page.get_by_test_id("report-download").click()
    wb = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert wb["概况"]["A1"].value == "2025 年度海曙区亩均效益评价报告"
    assert not page.errors, page.errors
