"""Rows of a run are written as the same DB values whether converted cell by cell or by
column (store/runs.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indspace.store.runs import _clean, _column_values

COLUMNS = {
    "float": pd.Series([1.5, np.nan, -0.0, np.inf]),
    "int": pd.Series([1, 2, 3, 4]),
    "nullable int": pd.Series([1, None, 3, 4], dtype="Int64"),
    "bool": pd.Series([True, False, True, False]),
    "nullable bool": pd.Series([True, None, False, True], dtype="boolean"),
    "nullable float": pd.Series([1.5, None, 2.0, 3.0], dtype="Float64"),
    "string": pd.Series(["a", None, "c", "中"], dtype="string"),
    "object": pd.Series(["a", np.nan, None, np.int64(3)], dtype=object),
}


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", list(COLUMNS))
def test_column_values_equal_cell_by_cell(name: str) -> None:
    col = COLUMNS[name]
    got = _column_values(col)
    want = [_clean(v) for v in col]
    assert len(got) == len(want)
    assert all(_same(a, b) for a, b in zip(got, want, strict=True)), (got, want)


def test_column_values_are_python_scalars() -> None:
    # the DB drivers get no numpy scalar and no NaN/NA: 2 → int, NaN → None, NA → None
    assert _column_values(pd.Series([2.0, np.nan])) == [2.0, None]
    assert [type(v) for v in _column_values(pd.Series([2, 3]))] == [int, int]
    assert _column_values(pd.Series([True, None], dtype="boolean")) == [True, None]
