"""Conversion between pandas frames and DBAPI rows, column by column (no per-cell Python
branching beyond what the DBAPI needs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.model.entities import Entity, Field
from indspace.core.model.money import to_decimal


def _column_values(series: pd.Series, f: Field, sqlite: bool = False) -> list[Any]:
    """Python values of one column for the DBAPI (None for missing), converted by numpy's
    cast to ``object`` where the dtype allows (it yields Python ``int``/``float``/``bool``
    and ``datetime.date`` for day precision), element by element otherwise. ``sqlite``:
    dates as ISO text and booleans as 0/1, the values SQLite stores for them."""
    s = series
    dates_as_text = sqlite
    if f.dtype == "date":
        conv = pd.to_datetime(s, errors="raise")
        if isinstance(conv.dtype, np.dtype):  # naive datetime64: NaT → None, days → date
            days = conv.to_numpy().astype("datetime64[D]")
            if not dates_as_text:
                return days.astype(object).tolist()  # type: ignore[no-any-return]
            text = days.astype(str).astype(object)   # ISO 8601, as date.isoformat()
            text[np.isnat(days)] = None
            return text.tolist()  # type: ignore[no-any-return]
        dates = [None if pd.isna(v) else v.date() for v in conv]
        return [None if d is None else d.isoformat() for d in dates] if dates_as_text else dates
    mask = s.isna().to_numpy()
    if f.dtype == "decimal":   # exact: Decimal for PostgreSQL, its text for SQLite
        dec = [None if m else to_decimal(v) for v, m in zip(s.tolist(), mask, strict=True)]
        return [None if v is None else str(v) for v in dec] if sqlite else dec
    if f.dtype == "float":
        arr = pd.to_numeric(s, errors="raise").astype("float64").to_numpy().astype(object)
        arr[mask] = None
        return arr.tolist()  # type: ignore[no-any-return]
    if f.dtype == "int" and pd.api.types.is_integer_dtype(s.dtype):
        return s.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[no-any-return]
    if f.dtype == "bool" and pd.api.types.is_bool_dtype(s.dtype):
        if sqlite:
            flags = s.to_numpy(dtype=bool, na_value=False).astype(np.int64).astype(object)
            flags[mask] = None
            return flags.tolist()  # type: ignore[no-any-return]
        return s.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[no-any-return]
    if f.dtype == "int":
        return [None if m else int(v) for v, m in zip(s.tolist(), mask, strict=True)]
    if f.dtype == "bool":
        kind = int if sqlite else bool
        return [kind(bool(v)) if not m else None for v, m in zip(s.tolist(), mask, strict=True)]
    obj = s.to_numpy(dtype=object)
    if set(map(type, obj[~mask])) <= {str}:  # text already: nothing to convert
        out = obj.copy()
        out[mask] = None
        return out.tolist()  # type: ignore[no-any-return]
    vals = [str(v) for v in obj.tolist()]
    return [None if m else v for v, m in zip(vals, mask, strict=True)]


def frame_columns(entity: Entity, frame: pd.DataFrame, *, sqlite: bool = False
                  ) -> dict[str, list[Any]]:
    """The contract's attribute columns of ``frame`` as Python lists (missing → all None).

    ``sqlite=True`` gives dates as ISO text (``2024-01-05``) and booleans as 0/1 — what
    SQLite stores for them — so that the ``sqlite3`` module binds them without an adapter
    lookup per value (it adapts every value that is not exactly int, float or str)."""
    n = len(frame)
    return {
        f.name: (_column_values(frame[f.name], f, sqlite) if f.name in frame.columns
                 else [None] * n)
        for f in entity.fields
    }


def row_columns(rows: Sequence[Sequence[Any]], width: int) -> list[np.ndarray]:
    """DBAPI rows → ``width`` columns as 1-D object arrays, by one numpy copy into an object
    matrix (≈ 2× faster than ``zip(*rows)``). For rows of scalars only (numbers, text,
    dates, ``Decimal``, ``bytes``, None): a ``memoryview`` or a sequence inside a row would
    be taken by numpy as a nested array."""
    matrix = np.empty((len(rows), width), dtype=object)
    if len(rows):
        matrix[...] = rows
    return [matrix[:, i] for i in range(width)]


def typed_frame(entity: Entity, rows: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Build a frame with the contract's dtypes from column lists read from the store:
    float → float64 (NaN for missing), decimal → object column of ``Decimal``, int → Int64,
    bool → boolean (both nullable), date → object column of ``datetime.date`` (SQLite hands
    ISO text, PostgreSQL dates), text → object. A column is a list or a 1-D object array."""
    out: dict[str, Any] = {}
    for name, vals in rows.items():
        f = _find(entity, name)
        if f is None:
            out[name] = vals
        elif f.dtype == "float":
            out[name] = np.array(vals, dtype="float64")     # None → NaN in numpy's cast
        elif f.dtype == "int":
            out[name] = pd.array(vals, dtype="Int64")
        elif f.dtype == "bool":
            out[name] = pd.array(vals, dtype="boolean")
        elif f.dtype == "decimal":
            out[name] = pd.Series([v if v is None or isinstance(v, Decimal)
                                   else to_decimal(v) for v in vals], dtype=object)
        elif f.dtype == "date":
            out[name] = pd.Series(_dates(vals), dtype=object)
        else:
            out[name] = pd.Series(vals, dtype=object)
    return pd.DataFrame(out)


def _dates(vals: Sequence[Any]) -> list[Any]:
    """ISO text or dates → ``datetime.date`` (None stays None), converted by numpy in C
    when every value is a plain ISO day."""
    if not set(map(type, vals)) <= _TEXT_OR_NONE:
        return [v if v is None or isinstance(v, date) else date.fromisoformat(str(v))
                for v in vals]
    try:   # ISO text (SQLite): parsed by numpy in C
        days = np.array(vals, dtype="datetime64[D]")
    except (TypeError, ValueError):
        return [v if v is None or isinstance(v, date) else date.fromisoformat(str(v))
                for v in vals]
    out = days.astype(object)
    out[np.isnat(days)] = None
    return out.tolist()  # type: ignore[no-any-return]


_TEXT_OR_NONE = {str, type(None)}


def _find(entity: Entity, name: str) -> Field | None:
    for f in entity.fields:
        if f.name == name:
            return f
    return None
