"""Project checks against the control line: each rule decides where it should (§G3, §H)."""

from __future__ import annotations

from typing import Any

import pytest

from indspace.core.engines.projects import check_project

RULES: dict[str, Any] = dict(negative_list=["3011"], positive_list=[],
                             exception_types=["special_siting", "resource_dependent"],
                             exit_min_d_years=2)


def decide(kind: str, status: str, *, code: str = "3481", special: str | None = None,
           d_years: int = 0, **over: Any) -> Any:
    share = {"inside": 1.0, "outside": 0.0, "partial": 0.4}[status]
    return check_project(project_type=kind, industry_code=code, status=status,
                         inside_share=share, special_case=special,
                         consecutive_d_years=d_years, **{**RULES, **over})


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
    retained = decide("zero_land_renovation", "outside", d_years=1)
    assert retained.allowed and retained.rule == "zero_land_renovation"
    exit_track = decide("zero_land_renovation", "outside", d_years=2)
    assert not exit_track.allowed and "2" in exit_track.reason
    listed = decide("zero_land_renovation", "outside", positive_list=["34"])
    assert listed.allowed
    unlisted = decide("zero_land_renovation", "outside", code="1713", positive_list=["34"])
    assert not unlisted.allowed and "正面清单" in unlisted.reason
