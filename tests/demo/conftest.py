"""Shared fixtures: the small demo city is built once per test session (~2 s)."""

from __future__ import annotations

import pytest

from indspace.demo import DemoCity, build_city


@pytest.fixture(scope="session")
def small_city() -> DemoCity:
    return build_city("small")
