"""Exact money (issue #17): amounts in 万元 are ``decimal.Decimal`` everywhere they are stored
or shown; vectorised engines count them as integers of 10⁻⁶ 万元 (1 分 = 0.01 元), so sums
and comparisons are exact and a whole column is one int64 array.

>>> micro_wan([Decimal("1234.56"), None, Decimal("0.000001")]).tolist()
[1234560000, -1, 1]
>>> format_wan(1234560000), format_wan(-1), format_wan(200_000_000)
('1234.56', '', '200')
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MICRO = 1_000_000
"""Units of an integer amount per 万元 (1 unit = 0.01 元 = 1 分)."""
MISSING = -1
"""The integer amount standing for "not given" (amounts are never negative)."""
_Q = Decimal(1).scaleb(-6)


def to_decimal(value: Any) -> Decimal:
    """``value`` as an exact Decimal; a float by its shortest repr, never its binary
    expansion."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def micro_wan(values: Iterable[Any]) -> np.ndarray:
    """Amounts in 万元 (Decimal, text, int; None/NaN missing) → int64 units of 10⁻⁶ 万元,
    :data:`MISSING` for missing; a finer amount is rounded half-even to the 分.

    Fast path: Arrow converts the Decimals in C to ``decimal128(38, 6)``, whose unscaled
    value *is* the amount in units (the low 64 bits, little-endian); anything else (text,
    floats, more than 6 decimals, huge amounts) goes through :func:`_micro_slow`."""
    vals = values if isinstance(values, list) else list(values)
    try:
        arr = pa.array(vals, type=pa.decimal128(38, 6), from_pandas=True)   # NaN → null
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return _micro_slow(vals)
    out = _units(arr)
    return _micro_slow(vals) if out is None else out


def micro_wan_text(texts: list[str | None]) -> np.ndarray:
    """Decimal texts of 万元 (as a store keeps them; None missing) → int64 units of 10⁻⁶ 万元,
    exactly as :func:`micro_wan` gives them, parsed in C by Arrow (no ``Decimal`` per cell).
    Text Arrow cannot take exactly (more than 6 decimals, stray spaces) goes through
    :func:`micro_wan`.

    >>> micro_wan_text(["1990.959126", None, "3", "1E+2"]).tolist()
    [1990959126, -1, 3000000, 100000000]
    """
    try:
        arr = pc.cast(pa.array(texts, type=pa.string()), pa.decimal128(38, 6))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return micro_wan(texts)
    out = _units(arr)
    return micro_wan(texts) if out is None else out


def _units(arr: pa.Array) -> np.ndarray | None:
    """The unscaled values of a ``decimal128(38, 6)`` array as int64 (nulls →
    :data:`MISSING`); None when one does not fit in 64 bits."""
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        2 * arr.offset: 2 * (arr.offset + len(arr))].reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    if not ((high == 0) & (low >= 0) | (high == -1) & (low < 0)).all():
        return None                                 # beyond int64: exact, slowly
    out = low.copy()
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    out[nulls] = MISSING
    return out


def _micro_slow(vals: list[Any]) -> np.ndarray:
    out = []
    for v in vals:
        if v is None or (isinstance(v, float) and v != v):
            out.append(MISSING)
        else:
            d = to_decimal(v).quantize(_Q, rounding=ROUND_HALF_EVEN)
            out.append(int(d.scaleb(6)))
    return np.asarray(out, dtype=np.int64)


def decimal_wan(micro: int) -> Decimal | None:
    """An integer amount back to a Decimal of 万元 (None for :data:`MISSING`)."""
    if micro < 0:
        return None
    return (Decimal(int(micro)).scaleb(-6)).normalize()


def format_wan(micro: int) -> str:
    """An integer amount as plain decimal text without trailing zeros ('' for missing):
    the same text on every store and platform."""
    d = decimal_wan(micro)
    return "" if d is None else format(d, "f")


DISPLAY_SMALL_BELOW = MICRO
"""Amounts below this (1 万元) are shown to 4 decimals (1 元), larger ones to 2 (100 元)."""


def display_wan(micro: int) -> str:
    """An amount for people (screens, XLSX, the CLI, the basis text): 万元 to 2 decimals
    (0.01 万元 = 100 元), or to 4 decimals (1 元) when it is below 1 万元 so a small amount is
    not shown as 0.00; rounded half-even from the exact amount; '' for missing. Files meant
    for machines (CSV, JSON) keep the exact text (:func:`format_wan`).

    >>> [display_wan(m) for m in (321_836_794, 283_262, 0, 1_000_000, 5_000, -1)]
    ['321.84', '0.2833', '0.00', '1.00', '0.0050', '']
    """
    m = int(micro)
    if m < 0:
        return ""
    places = 2 if m >= DISPLAY_SMALL_BELOW else 4
    if m == 0:
        places = 2
    unit = 10 ** (6 - places)  # integer half-even rounding: exact, no Decimal per cell
    q, r = divmod(m, unit)
    if 2 * r > unit or (2 * r == unit and q % 2):
        q += 1
    whole, frac = divmod(q, 10**places)
    return f"{whole}.{frac:0{places}d}"


def display_wan_text(text: str | None) -> str:
    """:func:`display_wan` of an exact amount text ('' or None: '')."""
    if text is None or text == "":
        return ""
    return display_wan(int(micro_wan_text([text])[0]))


def share_of(micro: np.ndarray, share: Fraction) -> np.ndarray:
    """``share`` × each amount, rounded down to the unit (exact integer arithmetic)."""
    return (micro * share.numerator) // share.denominator


def fraction(value: Any) -> Fraction:
    """A profile share ("1/3", 0.25, "0.2") as an exact Fraction (a float by its repr)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(str(value))
