"""Writing result files: atomically (a temporary name, then a rename), XLSX sheets with a
frozen header, one bilingual error for a format we do not write, and text that a
spreadsheet never runs as a formula (issue #15: CSV/formula injection).

Every export writes text cells as text: XLSX through :func:`excel_writer` (xlsxwriter with
``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off, so a name
``=HYPERLINK(…)`` is a string cell, never a formula), CSV through :func:`csv_safe`, which
follows the OWASP CSV-injection advice: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is written with a leading apostrophe ``'`` (the quoting of
:mod:`csv` applies as usual). ``indspace import`` removes that one apostrophe again, so an
export re-imports to the same values. Numbers are never prefixed: ``-3`` in a numeric
column is not injection."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indspace.core.errors import ValidationError

if TYPE_CHECKING:  # imported where a frame is written: `land far` writes CSV without pandas
    import pandas as pd

XLSX_TEXT_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                     "strings_to_numbers": False}
"""xlsxwriter options under which every string is written as a string cell."""
CSV_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet may run as a formula (OWASP CSV injection)."""


def excel_writer(path: Any) -> pd.ExcelWriter:
    """A pandas XLSX writer (xlsxwriter) that writes strings as text, never as formulas."""
    import pandas as pd

    return pd.ExcelWriter(path, engine="xlsxwriter",
                          engine_kwargs={"options": dict(XLSX_TEXT_OPTIONS)})


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells that start like a formula prefixed by ``'``.

    >>> import pandas as pd
    >>> safe = csv_safe(pd.DataFrame({"name": ["=1+2", "甲", "-x"], "n": [-1, 2, 3]}))
    >>> safe["name"].tolist(), safe["n"].tolist()
    (["'=1+2", '甲', "'-x"], [-1, 2, 3])
    """
    import pandas as pd

    out = frame
    for c in frame.columns:
        col = frame[c]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            continue
        vals = col.to_numpy(dtype=object)
        risky = np.fromiter((isinstance(v, str) and v.startswith(CSV_RISKY_START)
                             for v in vals), dtype=bool, count=len(vals))
        if risky.any():
            if out is frame:
                out = pd.DataFrame(frame).copy()
            fixed = vals.copy()
            fixed[risky] = ["'" + v for v in vals[risky]]
            out[c] = pd.Series(fixed, index=frame.index, dtype=object)
    return out


def json_value(v: Any) -> Any:
    """One value as a JSON answer wants it: missing (None, NaN, NaT) → None, dates and
    times → ISO 8601, NumPy floats → Python floats; anything else as it is."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if type(v).__name__ == "NaTType":  # pandas' NaT (checked without importing pandas)
        return None
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, float):
        return float(v)
    return v


def unsupported_format(path: Path, allowed: Sequence[str]) -> ValidationError:
    names = ", ".join(allowed)
    return ValidationError(f"不支持的输出格式：{path.suffix}",
                           f"unsupported output format: {path.suffix}", where=str(path),
                           hint_zh=f"使用 {names}", hint_en=f"use {names}")


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so drivers recognise it); on
    success it replaces ``path``, on failure it is removed — never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_sheets(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    """One XLSX sheet per frame, header row frozen; a fixed creation date keeps the bytes
    the same for the same frames."""
    with excel_writer(path) as xl:
        xl.book.set_properties({"created": datetime(2000, 1, 1)})
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            xl.sheets[name].freeze_panes(1, 0)
