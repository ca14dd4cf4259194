"""The demo economy's proxy of the 亩均 score (demo/_economy.py) takes its populations,
weights and cap from the policy profile the demo city is evaluated with, not from code."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import indspace.demo._economy as economy
from indspace.core.policy import load_profile
from indspace.core.policy.evaluation import EvaluationMethod
from indspace.demo import DEMO_PROFILE, build_city
from indspace.demo._economy import (
    FirmInputs,
    _proxy_groups,
    _proxy_points,
    _proxy_terms,
    demo_method,
)

ON = date(2025, 12, 31)


def _firms(land_mu: list[float], above: list[bool]) -> FirmInputs:
    n = len(land_mu)
    return FirmInputs(
        above=np.array(above),
        industry=np.zeros(n, dtype=int),
        land_m2=np.array(land_mu) * 2000.0 / 3.0,  # 1 亩 = 2000/3 m²
        era_factor=np.ones(n),
        low_tax=np.zeros(n, dtype=bool),
        d_like=np.zeros(n, dtype=bool),
        founded_year=np.full(n, 2000),
    )


def _terms(n: int) -> economy.Terms:
    one = np.ones(n)
    return _proxy_terms(
        one * 30, one * 0.2, one, one * 0.3, one, one * 1500, one * 31, one * 0.03, one * 0.28
    )


def test_weights_and_cap_are_the_profiles() -> None:
    """Every population of the demo profile's method gets every indicator of its set with the
    profile's weight, in the profile's order, and the set's cap (ningbo-demo: 规上 30/20/20/
    10/10/10, 规下 50/50, cap 2) — an indicator the draws cannot model would be missing."""
    method = load_profile(DEMO_PROFILE).evaluation_method(ON)
    assert demo_method(ON) == method
    f = _firms([10.0, 10.0, 2.0], [True, False, False])
    groups = _proxy_groups(f, method, _terms(3))
    assert len(groups) == len(method.populations) == 3
    for (_, parts, cap), pop in zip(groups, method.populations, strict=True):
        iset = method.indicator_sets[pop.indicator_set]
        assert [w for w, _, _ in parts] == [i.weight for i in iset.indicators]
        assert cap == iset.score_cap_ratio
    assert [w for w, _, _ in groups[0][1]] == [30, 20, 20, 10, 10, 10]
    assert [w for w, _, _ in groups[1][1]] == [50, 50] and groups[1][2] == 2.0


def test_populations_split_as_the_profile_says() -> None:
    """规上 any land; 规下 from 3 亩 (min_land_mu 3); 规下 under 3 亩 (max_land_mu 3)."""
    method = demo_method(ON)
    f = _firms([1.0, 2.9, 3.0, 50.0], [True, False, False, False])
    hits = [g[0].tolist() for g in _proxy_groups(f, method, _terms(4))]
    assert hits == [
        [True, False, False, False],
        [False, False, True, True],
        [False, True, False, False],
    ]


def test_proxy_points_arithmetic() -> None:
    """Σ weight × min(value ÷ group average, cap), the average Σnum ÷ Σden: two firms with
    tax 1 and 3 万元 on 1 亩 each average 4 ÷ 2 = 2 万元/亩, so 30 × 0.5 = 15 and
    30 × min(1.5, cap); a second indicator (weight 10, values 4 and 4) adds 10 × 1 each."""
    parts = [
        (30.0, np.array([1.0, 3.0]), np.array([1.0, 1.0])),
        (10.0, np.array([4.0, 8.0]), np.array([1.0, 2.0])),
    ]
    idx = np.array([0, 1])
    assert _proxy_points(parts, idx, 2.0).tolist() == [15.0 + 10.0, 45.0 + 10.0]
    assert _proxy_points(parts, idx, 1.2).tolist() == [15.0 + 10.0, 36.0 + 10.0]


def test_an_edited_profile_moves_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights and the cap are read, not copied: halving the tax weight and removing
    the cap changes what the proxy sees, and so which firms the demo moves onto poor land
    (the generated indicators differ); the profile as shipped gives the shipped city."""
    method = demo_method(ON)
    raw = method.model_dump()
    for iset in raw["indicator_sets"].values():
        iset["score_cap_ratio"] = None
        for ind in iset["indicators"]:
            if ind["name"] == "tax_per_mu":
                ind["weight"] = ind["weight"] / 2
    edited = EvaluationMethod.model_validate(raw)
    groups = _proxy_groups(_firms([10.0], [True]), edited, _terms(1))
    assert groups[0][1][0][0] == 15.0 and groups[0][2] == np.inf

    shipped = build_city("small").indicators
    monkeypatch.setattr(economy, "demo_method", lambda on: edited)
    moved = build_city("small").indicators
    assert len(moved) == len(shipped)
    assert not np.array_equal(moved["tax"].to_numpy(), shipped["tax"].to_numpy())


def test_poor_land_is_below_the_profiles_far_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FAR below which the demo counts land as poor (where the worst performers are
    moved) is the profile's low-efficiency ``min_plot_ratio`` (1.0 in ningbo-demo), read,
    not copied: another floor moves other firms (the generated indicators differ)."""
    import indspace.demo.city as city

    criteria = load_profile(DEMO_PROFILE).value("low_efficiency_criteria", ON)
    assert economy.poor_far(ON) == criteria["min_plot_ratio"] == 1.0
    shipped = build_city("small").indicators
    monkeypatch.setattr(city, "poor_far", lambda on: 2.5)
    moved = build_city("small").indicators
    assert not np.array_equal(moved["tax"].to_numpy(), shipped["tax"].to_numpy())
