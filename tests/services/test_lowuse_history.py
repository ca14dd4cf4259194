"""The low-efficiency plan's grade history: letters in year order, and the history the
year's evaluation computed equals one evaluated anew (services/lowuse.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from indspace.services import lowuse
from indspace.services.evaluation import grade_history
from indspace.store import Store


def test_grade_letters_in_year_order() -> None:
    """F1 has 2023 B, 2024 C, 2025 D given out of order → "BCD"; F2 has no grade in 2024
    ("-") → "A-A"; F3 has only 2025 → "C"."""
    hist = pd.DataFrame(
        {
            "credit_code": ["F1", "F2", "F1", "F2", "F3", "F1", "F2"],
            "year": [2025, 2023, 2023, 2025, 2025, 2024, 2024],
            "policy_grade": pd.array(["D", "A", "B", "A", "C", "C", None], dtype="string"),
        }
    )
    assert lowuse.grade_letters(hist).to_dict() == {"F1": "BCD", "F2": "A-A", "F3": "C"}


@pytest.fixture(scope="module")
def demo(small_demo: Path) -> Store:
    """The small demo store: indicators for 2021–2025, so 2025 has two years before it."""
    return Store.open(str(small_demo))  # the module\'s own copy: the tests write runs


def test_recent_grades_equal_a_fresh_grade_history(demo: Store) -> None:
    ctx = lowuse.context(demo, 2025, "ningbo-demo", method_on=date(2026, 3, 1))
    assert ctx.comp.history is not None  # the evaluation kept what it computed
    got = lowuse.recent_grades(demo, ctx, 2)
    want = grade_history(demo, ctx.profile, 2025, 2)
    assert set(got["year"]) == {2023, 2024}  # the two years before, both present
    pd.testing.assert_frame_equal(got, want, check_exact=True)
