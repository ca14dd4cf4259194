"""The 工业上楼 plan-check form in a real browser (issue #18): fill, submit, read the checks.

The form opens with an example plan (鄞州, site 10 000 m², FAR floor area 4 000 × 2 (9 m > 8 m)
+ 8 000 + 2 000 + 2 000 = 20 000 → FAR 2.0 ≥ 2.0, admin/living land 500 / 10 000 = 5 %).
Raising the admin/living land to 701 m² (7.01 % > 7 %) makes that check fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.xdist_group("small_demo")


def test_plan_check_form(page: Any, server: str) -> None:
    login(page, server, "firm")
    page.goto(f"{server}/#/plan-check")
    page.get_by_test_id("plancheck-form").wait_for()
    page.get_by_test_id("pc-submit").click()
    page.get_by_test_id("pc-result").wait_for()
    assert page.get_by_test_id("pc-verdict").inner_text().strip() == "符合"
    far = page.locator("[data-testid=pc-pass][data-rule=plot_ratio]")
    assert far.inner_text().strip() == "通过"
    text = page.get_by_test_id("pc-checks").inner_text()
    assert "容积率" in text and "宁波日报 2025-04-29 第6版" in text
    assert "未判定" in text  # investment intensity: the edition's table is not known
    page.get_by_test_id("pc-result").scroll_into_view_if_needed()
    shot(page, "plan-check-pass")

    box = page.get_by_test_id("pc-admin_living_land_m2").locator("input")
    box.fill("701")
    box.blur()
    page.get_by_test_id("pc-submit").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=pc-verdict]').textContent.trim() === '不符合'"
    )
    admin = page.locator("[data-testid=pc-pass][data-rule=admin_living_land_share]")
    assert admin.inner_text().strip() == "不通过"
    shot(page, "plan-check-fail")

    page.get_by_test_id("lang-switch").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=pc-verdict]').textContent.trim() "
        "=== 'Does not comply'"
    )
    assert not page.errors, page.errors


def test_a_bad_field_shows_the_bilingual_error(page: Any, server: str) -> None:
    login(page, server, "firm")
    page.goto(f"{server}/#/plan-check")
    box = page.get_by_test_id("pc-industry_code")  # el-input puts the attribute on <input>
    box.fill("abc")
    page.get_by_test_id("pc-submit").click()
    error = page.get_by_test_id("pc-error")
    error.wait_for()
    assert "industry_code" in error.inner_text() and "格式不对" in error.inner_text()
    assert not page.errors, page.errors
