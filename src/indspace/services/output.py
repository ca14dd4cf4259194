"""Writing result files: atomically (a temporary name, then a rename), XLSX sheets with a
frozen header, one bilingual error for a format we do not write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from indspace.core.errors import ValidationError


def json_value(v: Any) -> Any:
    """One value as a JSON answer wants it: missing (None, NaN, NaT) → None, dates and
    times → ISO 8601, NumPy floats → Python floats; anything else as it is."""
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
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
    with pd.ExcelWriter(path, engine="xlsxwriter") as xl:
        xl.book.set_properties({"created": datetime(2000, 1, 1)})
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            xl.sheets[name].freeze_panes(1, 0)
