"""Candidate pairs: the inputs as arrays, and every (demand, space) pair meeting all hard
constraints (with, for a demand left without any, how many spaces pass each constraint)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.engines.matching.columns import CONSTRAINTS
from indspace.core.engines.matching.model import Pairs
from indspace.core.model.entities import DEMAND_KINDS
from indspace.core.model.money import to_decimal

_PAIR_CHUNK = 4_000_000
"""Candidate pairs generated per block of demands (bounds the memory of the area window)."""


def _num(frame: pd.DataFrame, col: str, default: float = np.nan) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), default)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _days(frame: pd.DataFrame, col: str, default: date) -> np.ndarray:
    """Day numbers (days since 1970-01-01); missing → ``default``."""
    if col not in frame:
        return np.full(len(frame), np.datetime64(default, "D").astype(np.int64))
    v = pd.to_datetime(frame[col], errors="coerce").to_numpy("datetime64[D]")
    v = np.where(np.isnat(v), np.datetime64(default, "D"), v)
    return v.astype(np.int64)


def rent_fen(values: Any) -> np.ndarray:
    """Rents in 元/m²/month (Decimal, text or number; missing → −1) as int64 分/m²/month,
    rounded half-even to the 分.

    >>> rent_fen([Decimal("23.5"), 18, None, "0.125"]).tolist()
    [2350, 1800, -1, 12]
    """
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "":
            out.append(-1)
        else:
            out.append(int(to_decimal(v).scaleb(2).quantize(Decimal(1))))
    return np.asarray(out, dtype=np.int64)


def _district_masks(
    demand_districts: pd.Series, space_district: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bit masks: each space's district one bit, each demand's allowed districts (all bits
    when it names none; a district no space is in sets no bit)."""
    names = sorted({str(x) for x in space_district if isinstance(x, str) and x})
    bit = {n: i for i, n in enumerate(names)}
    if len(names) > 62:
        raise ValueError("more than 62 districts")
    s_mask = np.array(
        [np.int64(1) << bit[x] if isinstance(x, str) and x in bit else 0 for x in space_district],
        dtype=np.int64,
    )
    d_mask = np.empty(len(demand_districts), dtype=np.int64)
    for i, v in enumerate(demand_districts.tolist()):
        parts = [p.strip() for p in str(v).split(";") if p.strip()] if isinstance(v, str) else []
        if not parts:
            d_mask[i] = -1
        else:
            m = 0
            for p in parts:
                if p in bit:
                    m |= 1 << bit[p]
            d_mask[i] = m
    return d_mask, s_mask


@dataclass
class _Arrays:
    # demands
    d_kind: np.ndarray
    d_min: np.ndarray
    d_max: np.ndarray
    d_load: np.ndarray
    d_height: np.ndarray
    d_power: np.ndarray
    d_poll: np.ndarray
    d_mask: np.ndarray
    d_start: np.ndarray
    d_rent: np.ndarray
    # spaces
    s_kind: np.ndarray
    s_area: np.ndarray
    s_load: np.ndarray
    s_height: np.ndarray
    s_power: np.ndarray
    s_poll: np.ndarray
    s_mask: np.ndarray
    s_from: np.ndarray
    s_rent: np.ndarray


def _arrays(demands: pd.DataFrame, spaces: pd.DataFrame, as_of: date) -> _Arrays:
    kinds = {k: i for i, k in enumerate(DEMAND_KINDS)}
    d_mask, s_mask = _district_masks(
        demands["districts"] if "districts" in demands else pd.Series([None] * len(demands)),
        spaces["district"].to_numpy(dtype=object),
    )
    d_poll = _num(demands, "pollution_class")
    s_poll = _num(spaces, "max_pollution_class")
    return _Arrays(
        d_kind=demands["kind"].map(kinds).fillna(-1).to_numpy(np.int64),
        d_min=np.nan_to_num(_num(demands, "min_area_m2"), nan=0.0),
        d_max=np.nan_to_num(_num(demands, "max_area_m2"), nan=np.inf),
        d_load=_num(demands, "min_load_kn_m2"),
        d_height=_num(demands, "min_clear_height_m"),
        d_power=_num(demands, "min_power_kva"),
        d_poll=np.nan_to_num(d_poll, nan=1.0),
        d_mask=d_mask,
        d_start=_days(demands, "start", as_of),
        d_rent=rent_fen(
            demands["max_rent_yuan_m2_month"].tolist()
            if "max_rent_yuan_m2_month" in demands
            else [None] * len(demands)
        ),
        s_kind=spaces["kind"].map(kinds).fillna(-2).to_numpy(np.int64),
        s_area=_num(spaces, "area_m2"),
        s_load=_num(spaces, "load_kn_m2"),
        s_height=_num(spaces, "clear_height_m"),
        s_power=_num(spaces, "power_kva"),
        s_poll=np.nan_to_num(s_poll, nan=1.0),
        s_mask=s_mask,
        s_from=_days(spaces, "available_from", date(1970, 1, 1)),
        s_rent=rent_fen(spaces["rent_yuan_m2_month"].tolist()),
    )


def _spec_ok(req: np.ndarray, have: np.ndarray, land: np.ndarray) -> np.ndarray:
    """A building requirement: none asked, or met, or a land space (built to order)."""
    return np.isnan(req) | (have >= req) | (np.isnan(have) & land)


_CHECKS = {
    # most selective and cheapest first: the pairs are compacted after each check
    "district": lambda a, d, s: (a.d_mask[d] & a.s_mask[s]) != 0,
    "timing": lambda a, d, s: a.s_from[s] <= a.d_start[d],
    "pollution": lambda a, d, s: a.d_poll[d] <= a.s_poll[s],
    "rent": lambda a, d, s: (a.d_rent[d] < 0) | ((a.s_rent[s] >= 0) & (a.s_rent[s] <= a.d_rent[d])),
    "load": lambda a, d, s: _spec_ok(a.d_load[d], a.s_load[s], a.s_kind[s] == 0),
    "clear_height": lambda a, d, s: _spec_ok(a.d_height[d], a.s_height[s], a.s_kind[s] == 0),
    "power": lambda a, d, s: _spec_ok(a.d_power[d], a.s_power[s], a.s_kind[s] == 0),
}
"""Every constraint beyond kind and area, on arrays of pairs (d, s)."""


def _window(
    lo: np.ndarray, counts: np.ndarray, dk: np.ndarray, sk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of demands ``dk`` with the slices ``sk[lo : lo + counts]``, expanded at
    once (np.repeat of the demand, arange within each slice)."""
    total = int(counts.sum())
    rep_d = np.repeat(dk, counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.arange(total) - first + np.repeat(lo, counts)
    return rep_d, sk[pos]


def candidate_pairs(a: _Arrays) -> Pairs:
    """All (demand, space) pairs meeting every hard constraint, generated without a dense
    demand × space loop: the spaces of each kind sorted by area, each demand's area window is
    one slice of them (two ``searchsorted``), and the slices of a block of demands are
    expanded at once and filtered check by check, keeping the survivors. For the demands
    left with no pair, each check is then counted alone over their windows (the reasons)."""
    nd = len(a.d_kind)
    d_out: list[np.ndarray] = []
    s_out: list[np.ndarray] = []
    passing = {c: np.zeros(nd, dtype=np.int64) for c in CONSTRAINTS}
    windows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for k in range(len(DEMAND_KINDS)):
        sk = np.flatnonzero(a.s_kind == k)
        sk = sk[np.argsort(a.s_area[sk], kind="stable")]
        areas = a.s_area[sk]
        dk = np.flatnonzero(a.d_kind == k)
        if not len(dk):
            continue
        passing["kind"][dk] = len(sk)
        lo = np.searchsorted(areas, a.d_min[dk], side="left")
        hi = np.searchsorted(areas, a.d_max[dk], side="right")
        counts = np.maximum(hi - lo, 0)
        passing["area"][dk] = counts
        windows.append((dk, lo, counts, sk))
        # blocks of demands holding at most _PAIR_CHUNK pairs (one demand may exceed it)
        ends = np.cumsum(counts)
        start = 0
        while start < len(dk):
            base = ends[start - 1] if start else 0
            stop = max(int(np.searchsorted(ends, base + _PAIR_CHUNK, side="right")), start + 1)
            rep_d, rep_s = _window(lo[start:stop], counts[start:stop], dk[start:stop], sk)
            for check in _CHECKS.values():
                m = check(a, rep_d, rep_s)
                rep_d, rep_s = rep_d[m], rep_s[m]
            d_out.append(rep_d)
            s_out.append(rep_s)
            start = stop
    d = np.concatenate(d_out) if d_out else np.empty(0, np.int64)
    s = np.concatenate(s_out) if s_out else np.empty(0, np.int64)
    # reasons of the demands without a pair: how many of their window pass each check alone
    none = np.bincount(d, minlength=nd) == 0
    for dk, lo, counts, sk in windows:
        sel = none[dk] & (counts > 0)
        if sel.any():
            rep_d, rep_s = _window(lo[sel], counts[sel], dk[sel], sk)
            for name, check in _CHECKS.items():
                passing[name] += np.bincount(rep_d[check(a, rep_d, rep_s)], minlength=nd)
    return Pairs(d=d.astype(np.int64), s=s.astype(np.int64), passing=passing)
