"""Project checks against the control line: each rule decides where it should (§G3, §H)."""

from __future__ import annotations

from typing import Any

import pytest

from indspace.core.engines.projects import check_project

RULES: dict[str, Any] = dict(negative_list=["3011"], positive_list=[],
                             exception_types=["special_siting", "resource_dependent"])


def decide(kind: str, status: str, *, code: str = "3481", special: str | None = None,
           firm_class: str | None = "retain", **over: Any) -> Any:
    share = {"inside": 1.0, "outside": 0.0, "partial": 0.4}[status]
    return check_project(project_type=kind, industry_code=code, status=status,
                         inside_share=share, special_case=special,
                         firm_class=firm_class, **{**RULES, **over})


@pytest.mark.parametrize("kind", ["new_land", "expansion", "relocation"])
def test_new_land_goes_inside_the_line(kind: str) -> None:
    assert decide(kind, "inside").rule == "inside_line" and decide(kind, "inside").allowed
    for where in ("outside", "partial"):
        d = decide(kind, where)
        assert not d.allowed and d.rule == "no_new_land_outside_line"
        assert "线外不新增工业用地" in d.reason and "no new industrial land" in d.reason


def test_listed_special_cases_may_go_outside() -> None:
    d = decide("new_land", "outside", special="resource_dependent")
    assert d.allowed and d.rule == "outside_line_exception"
    assert not decide("new_land", "outside", special="friendly_mayor").allowed


def test_negative_list_refuses_everywhere() -> None:
    d = decide("new_land", "inside", code="301100")
    assert not d.allowed and d.rule == "negative_list" and "3011" in d.reason
    assert not decide("zero_land_renovation", "inside", code="3011").allowed


def test_zero_land_renovation() -> None:
    assert decide("zero_land_renovation", "inside").allowed
    retained = decide("zero_land_renovation", "outside")
    assert retained.allowed and retained.rule == "zero_land_renovation"
    listed = decide("zero_land_renovation", "outside", positive_list=["34"])
    assert listed.allowed
    unlisted = decide("zero_land_renovation", "outside", code="1713", positive_list=["34"])
    assert not unlisted.allowed and "正面清单" in unlisted.reason


@pytest.mark.parametrize(("firm_class", "label"), [("exit", "关停退出"), ("relocate", "搬迁入园"),
                                                   (None, "未分类")])
def test_only_retained_firms_renovate_outside_the_line(firm_class: str | None,
                                                       label: str) -> None:
    """Land rules H2 (seed: 安全环保风险大的企业有序退出): outside the line only a firm
    classed retain may renovate on its own land; exit, relocate and unclassed firms may not,
    whatever their grade. Inside the line the class does not matter."""
    d = decide("zero_land_renovation", "outside", firm_class=firm_class,
               firm_class_reason="安全或环保一票否决 / vetoed")
    assert not d.allowed and d.rule == "zero_land_renovation"
    assert label in d.reason and "retained firms only" in d.reason
    assert decide("zero_land_renovation", "inside", firm_class=firm_class).allowed
