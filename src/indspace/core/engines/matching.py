"""Supply–demand matching (供需匹配, issue #19 item 3; land-rules K1–K3), exact and vectorised.

Each demand (空间需求画像) is assigned to at most one space and each space to at most one
demand. Hard constraints, all of them checked on whole arrays of candidate pairs:

* ``kind``         — a ``land`` demand takes land, a ``floor`` demand takes floor space;
* ``area``         — ``min_area_m2 ≤ area_m2 ≤ max_area_m2`` (m²; a missing bound is open);
* ``load``         — ``load_kn_m2 ≥ min_load_kn_m2`` (kN/m²);
* ``clear_height`` — ``clear_height_m ≥ min_clear_height_m`` (m);
* ``power``        — ``power_kva ≥ min_power_kva`` (kVA);
  (a land space has no building yet: a missing load, height or power passes on land, as the
  firm builds to its own specification; on floor space a missing value fails a requirement)
* ``pollution``    — ``pollution_class ≤ max_pollution_class`` (1/2/3 = 一/二/三类工业用地,
  100101/100102/100103, reference-data §1; a space without a class allows class 1 only);
* ``district``     — the space's district is one of the demand's ``districts`` (none = any);
* ``timing``       — ``available_from ≤ start`` (a space without a date is available now; a
  demand without a start wants space on the run day ``as_of``);
* ``rent``         — ``rent_yuan_m2_month ≤ max_rent_yuan_m2_month`` when the demand names one.

Objectives:

* ``count-then-rent`` — serve as many demands as possible, then among all maximum
  assignments the lowest total monthly rent Σ rent × area. Lexicographic and exact: a
  maximum flow of minimum cost (OR-Tools ``SimpleMinCostFlow.SolveMaxFlowWithMinCost``) on
  integer costs of 10⁻⁴ 元 per month (rent in 分/m²/month × area in 0.01 m²).
* ``weighted`` — the largest Σ score over the matched pairs, where a pair's score is
  ``serve + rent·(1 − rent ÷ reference rent) + chain_leader·e^(−d_leader/scale) +
  chain_suppliers·e^(−d_suppliers/scale) + park_specialisation·share + commute·e^(−d/scale)``
  with the weights and length scales of the profile parameter ``matching_weights``
  (:class:`MatchWeights`). A term without data (no 链主 of the chain, no coordinates, no park
  figures) is 0 and the explanation says so. Scores are fixed-point integers of 10⁻⁶, and the
  min-cost flow is exact on them.

Both are min-cost-flow problems whose optimum the solver proves (``gap`` = 0). A first-come
greedy baseline (demands by ``start`` then ``demand_id``, each taking its best free
candidate) is solved on the same pairs for comparison.

Input columns — demands: :data:`DEMAND_COLUMNS` (``districts`` ;-joined text or empty; dates
``datetime.date``/NaT; ``max_rent_yuan_m2_month`` Decimal or number), optional ``x, y``
(the firm's present site, projected metres, for the commute term). Spaces:
:data:`SPACE_COLUMNS`, optional ``x, y`` (projected metres). Context (optional):
``anchors`` (``chain, role`` ∈ {chain_leader, supplier}, ``x, y``) and ``park_chains``
(``park_id, chain, share`` — the share of the park's firms in the chain, 0–1).
Output: :data:`MATCH_COLUMNS`, one row per demand (unmatched demands with an empty
``space_id`` and the reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import shapely

from indspace.core.model.money import to_decimal

DEMAND_KINDS = ("land", "floor")
"""用地需求 / 用房需求."""
POLLUTION_CLASSES = (1, 2, 3)
"""一类 / 二类 / 三类工业 (100101 / 100102 / 100103)."""
DEMAND_COLUMNS = (
    "demand_id",
    "credit_code",
    "kind",
    "min_area_m2",
    "max_area_m2",
    "min_load_kn_m2",
    "min_clear_height_m",
    "min_power_kva",
    "pollution_class",
    "chain",
    "max_rent_yuan_m2_month",
    "districts",
    "start",
)
"""The demand exchange format (issue #19), in order."""
SPACE_COLUMNS = (
    "space_id",
    "kind",
    "area_m2",
    "load_kn_m2",
    "clear_height_m",
    "power_kva",
    "max_pollution_class",
    "district",
    "park_id",
    "rent_yuan_m2_month",
    "available_from",
)
"""The supply-inventory exchange format (issue #19), in order."""
CONSTRAINTS = (
    "kind",
    "area",
    "load",
    "clear_height",
    "power",
    "pollution",
    "district",
    "timing",
    "rent",
)
"""The hard constraints, in the order an unmatched demand's reasons are listed."""
CONSTRAINT_ZH = {
    "kind": "类型",
    "area": "面积区间",
    "load": "楼面荷载",
    "clear_height": "净高",
    "power": "用电容量",
    "pollution": "污染类别",
    "district": "区县",
    "timing": "可用日期",
    "rent": "租金上限",
}
OBJECTIVES = ("count-then-rent", "weighted")
MATCH_COLUMNS = (
    "demand_id",
    "credit_code",
    "kind",
    "space_id",
    "space_kind",
    "district",
    "park_id",
    "area_m2",
    "rent_yuan_m2_month",
    "rent_yuan_month",
    "score",
    "n_candidates",
    "cost_rank",
    "binding",
    "reason_zh",
    "reason_en",
)
"""One row per demand: the space it got (empty when none), its monthly rent (元, exact),
its score (weighted objective), how many spaces met every hard constraint, the rank of the
chosen space among them by the demand's own preference (1 = its best), the binding
constraints (;-joined, tightest first) and the explanation."""
TERMS = ("rent", "chain_leader", "chain_suppliers", "park_specialisation", "commute")
_SCORE_SCALE = 1_000_000
_PAIR_CHUNK = 4_000_000
"""Candidate pairs generated per block of demands (bounds the memory of the area window)."""


@dataclass(frozen=True)
class MatchWeights:
    """Profile parameter ``matching_weights`` (dimensionless weights; scales in m; the slack
    under which a constraint is reported binding as a share of the requirement, and in days
    for timing)."""

    serve: float
    rent: float
    chain_leader: float
    chain_suppliers: float
    park_specialisation: float
    commute: float
    affinity_scale_m: float
    commute_scale_m: float
    binding_slack_share: float
    binding_slack_days: int
    source: str = ""

    @classmethod
    def from_value(cls, value: dict[str, Any], source: str = "") -> MatchWeights:
        """From the profile's dated value (a mapping of the field names).

        >>> MatchWeights.from_value({"serve": 1, "rent": 1, "chain_leader": 0.5,
        ...     "chain_suppliers": 0.25, "park_specialisation": 0.5, "commute": 0.25,
        ...     "affinity_scale_m": 5000, "commute_scale_m": 10000,
        ...     "binding_slack_share": 0.05, "binding_slack_days": 30}).serve
        1.0
        """
        floats = (
            "serve",
            "rent",
            "chain_leader",
            "chain_suppliers",
            "park_specialisation",
            "commute",
            "affinity_scale_m",
            "commute_scale_m",
            "binding_slack_share",
        )
        kw: dict[str, Any] = {k: float(value[k]) for k in floats}
        kw["binding_slack_days"] = int(value["binding_slack_days"])
        return cls(**kw, source=source)


@dataclass
class MatchContext:
    """What the weighted objective reads beyond the two tables (all optional)."""

    anchors: pd.DataFrame | None = None
    park_chains: pd.DataFrame | None = None


@dataclass
class Pairs:
    """Candidate pairs meeting every hard constraint (positions into the inputs)."""

    d: np.ndarray
    s: np.ndarray
    passing: dict[str, np.ndarray] = field(default_factory=dict)
    """Per constraint, per demand: how many spaces of its kind pass that constraint alone
    (kind: spaces of the kind; area: within the window; others — counted only for demands
    without any pair — within the window and passing that constraint): the reasons of a
    demand no space fits."""


@dataclass
class Solution:
    """An assignment: matched pair indices into :class:`Pairs` and its objective."""

    chosen: np.ndarray
    served: int
    rent_units: int
    """Σ rent × area in 10⁻⁴ 元 per month."""
    score_units: int
    """Σ score in 10⁻⁶."""
    optimal: bool


@dataclass
class MatchResult:
    matches: pd.DataFrame
    summary: dict[str, Any]


# ------------------------------------------------------------------------------ inputs


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


def _window(lo: np.ndarray, counts: np.ndarray, dk: np.ndarray, sk: np.ndarray
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


# ------------------------------------------------------------------------------ objective


def _rent_units(a: _Arrays, pairs: Pairs) -> np.ndarray:
    """Monthly rent of each pair in 10⁻⁴ 元: 分/m²/month × area in 0.01 m² (exact ints)."""
    area_cm = np.rint(a.s_area[pairs.s] * 100).astype(np.int64)
    return np.maximum(a.s_rent[pairs.s], 0) * area_cm


def _nearest(points: np.ndarray, anchors: pd.DataFrame) -> np.ndarray:
    """Distance (m) from each point to the nearest anchor (inf when none / empty point)."""
    out = np.full(len(points), np.inf)
    have = ~shapely.is_empty(points) & ~shapely.is_missing(points)
    if not len(anchors) or not have.any():
        return out
    tree = shapely.STRtree(
        shapely.points(anchors["x"].to_numpy(float), anchors["y"].to_numpy(float))
    )
    idx = np.flatnonzero(have)
    (src, _), dist = tree.query_nearest(points[idx], return_distance=True, all_matches=False)
    out[idx[src]] = dist
    return out


def score_terms(
    demands: pd.DataFrame,
    spaces: pd.DataFrame,
    a: _Arrays,
    d: np.ndarray,
    s: np.ndarray,
    weights: MatchWeights,
    context: MatchContext,
) -> dict[str, np.ndarray]:
    """The weighted objective's terms of the pairs (d, s), each in [0, 1] (0 where data is
    missing): rent against the demand's ceiling (or the dearest space of the inventory);
    e^(−distance/scale) from the space to the nearest 链主 and to the nearest supplier of the
    demand's chain; the share of the space's park's firms in that chain; e^(−distance/scale)
    from the firm's present site to the space."""
    n = len(d)
    sx, sy = _num(spaces, "x"), _num(spaces, "y")
    chains = demands["chain"] if "chain" in demands else pd.Series([None] * len(demands))
    d_chain, names = pd.factorize(chains.fillna("").astype(str))
    d_chain = np.where(np.asarray(names)[d_chain] == "", -1, d_chain) if len(names) else d_chain
    ref = np.where(a.d_rent[d] > 0, a.d_rent[d], max(int(a.s_rent.max(initial=0)), 1))
    terms = {"rent": np.clip(1.0 - np.maximum(a.s_rent[s], 0) / ref.astype(float), 0.0, 1.0)}
    pair_chain = d_chain[d] if n else np.empty(0, np.int64)
    anchors = context.anchors
    for role, name in (("chain_leader", "chain_leader"), ("supplier", "chain_suppliers")):
        t = np.zeros(n)
        if anchors is not None and len(anchors):
            a_chain = pd.Index(names).get_indexer(anchors["chain"].astype(str))
            a_role = anchors["role"].to_numpy(dtype=object) == role
            for c in np.unique(pair_chain[pair_chain >= 0]):
                sel = anchors[(a_chain == c) & a_role]
                if not len(sel):
                    continue
                m = pair_chain == c
                need, inv = np.unique(s[m], return_inverse=True)
                ok = ~(np.isnan(sx[need]) | np.isnan(sy[need]))
                pts = np.full(len(need), None, dtype=object)
                pts[ok] = shapely.points(sx[need][ok], sy[need][ok])
                dist = _nearest(pts, sel)
                t[m] = np.exp(-dist[inv] / weights.affinity_scale_m)
        terms[name] = t
    t = np.zeros(n)
    pc = context.park_chains
    if pc is not None and len(pc) and "park_id" in spaces and n:
        s_park, parks = pd.factorize(spaces["park_id"].fillna("").astype(str))
        table = np.zeros((len(parks) + 1, len(names) + 1))
        pi = pd.Index(parks).get_indexer(pc["park_id"].astype(str))
        ci = pd.Index(names).get_indexer(pc["chain"].astype(str))
        ok = (pi >= 0) & (ci >= 0)
        table[pi[ok], ci[ok]] = pc["share"].to_numpy(float)[ok]
        t = np.where(pair_chain >= 0, table[s_park[s], pair_chain], 0.0)
    terms["park_specialisation"] = np.clip(t, 0.0, 1.0)
    dx, dy = _num(demands, "x"), _num(demands, "y")
    dist = np.hypot(sx[s] - dx[d], sy[s] - dy[d])
    terms["commute"] = np.where(
        np.isnan(dist), 0.0, np.exp(-np.nan_to_num(dist, nan=0.0) / weights.commute_scale_m)
    )
    return terms


def score_units(terms: dict[str, np.ndarray], weights: MatchWeights) -> np.ndarray:
    """Σ weight × term + serve, as int64 10⁻⁶ (non-negative)."""
    total = np.full(len(terms["rent"]), weights.serve)
    for name in TERMS:
        total = total + getattr(weights, name) * terms[name]
    return np.rint(total * _SCORE_SCALE).astype(np.int64)


# ------------------------------------------------------------------------------ solvers


def solve_flow(pairs: Pairs, cost: np.ndarray, *, max_count: bool) -> np.ndarray:
    """The exact assignment as a min-cost flow (OR-Tools): source → demand → space → sink,
    unit capacities. ``max_count``: the maximum flow of minimum ``cost`` (lexicographic);
    else the minimum ``cost`` over any flow (a free source → sink arc lets a demand go
    unserved; costs are then negative scores). Returns the indices of the chosen pairs."""
    from ortools.graph.python import min_cost_flow

    if not len(pairs.d):
        return np.empty(0, np.int64)
    du, d_node = np.unique(pairs.d, return_inverse=True)
    su, s_node = np.unique(pairs.s, return_inverse=True)
    nd, ns = len(du), len(su)
    src, sink = 0, nd + ns + 1
    tails = np.concatenate(
        [np.zeros(nd, np.int64), 1 + d_node.astype(np.int64), 1 + nd + np.arange(ns)]
    )
    heads = np.concatenate([1 + np.arange(nd), 1 + nd + s_node.astype(np.int64), np.full(ns, sink)])
    costs = np.concatenate([np.zeros(nd, np.int64), cost.astype(np.int64), np.zeros(ns, np.int64)])
    caps = np.ones(len(tails), np.int64)
    if not max_count:
        tails = np.append(tails, src)
        heads = np.append(heads, sink)
        costs = np.append(costs, 0)
        caps = np.append(caps, nd)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_node_supply(src, nd)
    smcf.set_node_supply(sink, -nd)
    status = smcf.solve_max_flow_with_min_cost() if max_count else smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow status {status}")
    flows = smcf.flows(arcs[nd : nd + len(pairs.d)])
    return np.flatnonzero(flows > 0)


def greedy(pairs: Pairs, pref: np.ndarray, order: np.ndarray) -> np.ndarray:
    """First come, first served: demands in ``order`` (their rank), each takes its most
    preferred (lowest ``pref``) candidate still free, or none; the demand's position breaks
    ties. Returns the indices of the chosen pairs."""
    if not len(pairs.d):
        return np.empty(0, np.int64)
    srt = np.lexsort((pairs.s, pref, order[pairs.d]))
    dd = pairs.d[srt]
    bounds = np.flatnonzero(np.diff(dd)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(dd)]])
    taken = np.zeros(int(pairs.s.max()) + 1, dtype=bool)
    chosen: list[int] = []
    ss = pairs.s[srt]
    for b, e in zip(starts.tolist(), stops.tolist(), strict=True):  # one pass per demand
        free = np.flatnonzero(~taken[ss[b:e]])
        if len(free):
            j = b + int(free[0])
            taken[ss[j]] = True
            chosen.append(int(srt[j]))
    return np.asarray(sorted(chosen), dtype=np.int64)


def _solution(
    pairs: Pairs, chosen: np.ndarray, rent_u: np.ndarray, score_u: np.ndarray, optimal: bool
) -> Solution:
    return Solution(
        chosen=chosen,
        served=len(chosen),
        rent_units=int(rent_u[chosen].sum()),
        score_units=int(score_u[chosen].sum()),
        optimal=optimal,
    )


def objective_value(sol: Solution, objective: str) -> dict[str, Any]:
    """The objective as reported: served, total monthly rent (元, exact) and Σ score."""
    return {
        "served": sol.served,
        "rent_yuan_month": str(Decimal(sol.rent_units).scaleb(-4).quantize(Decimal("0.01"))),
        "score": round(sol.score_units / _SCORE_SCALE, 6),
        "value": (
            sol.served
            if objective == "count-then-rent"
            else round(sol.score_units / _SCORE_SCALE, 6)
        ),
    }


def gap(best: Solution, other: Solution, objective: str) -> float:
    """Relative shortfall of ``other`` against ``best`` (0 = as good): for count-then-rent
    the served count first, then the rent excess when counts tie; for weighted the score."""
    if objective == "count-then-rent":
        if other.served != best.served:
            return round((best.served - other.served) / max(best.served, 1), 6)
        return round((other.rent_units - best.rent_units) / max(best.rent_units, 1), 6)
    return round((best.score_units - other.score_units) / max(best.score_units, 1), 6)


# ------------------------------------------------------------------------------ driver


def match(
    demands: pd.DataFrame,
    spaces: pd.DataFrame,
    *,
    as_of: date,
    objective: str = "count-then-rent",
    weights: MatchWeights,
    context: MatchContext | None = None,
) -> MatchResult:
    """Assign demands to spaces (see the module docstring). ``summary`` holds ``objective``
    (the optimum), ``greedy_objective`` (the first-come baseline), ``gap`` (the solver's
    proven gap: 0), ``greedy_gap`` and the pair counts."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    context = context or MatchContext()
    demands = demands.reset_index(drop=True)
    spaces = spaces.reset_index(drop=True)
    a = _arrays(demands, spaces, as_of)
    pairs = candidate_pairs(a)
    rent_u = _rent_units(a, pairs)
    weighted = objective == "weighted"
    n = len(pairs.d)
    order = _first_come(demands, a)
    if weighted:
        terms = score_terms(demands, spaces, a, pairs.d, pairs.s, weights, context)
        score_u = score_units(terms, weights)
        cost = -score_u
        chosen = solve_flow(pairs, cost, max_count=False)
        g = greedy(pairs, cost, order)
    else:
        cost = rent_u
        chosen = solve_flow(pairs, cost, max_count=True)
        g = greedy(pairs, cost, order)
        # scores are reported, not optimised: computed for the chosen pairs only
        some = np.union1d(chosen, g)
        part = score_terms(demands, spaces, a, pairs.d[some], pairs.s[some], weights, context)
        terms = {k: np.zeros(n) for k in TERMS}
        for k in TERMS:
            terms[k][some] = part[k]
        score_u = np.zeros(n, np.int64)
        score_u[some] = score_units(part, weights)
    best = _solution(pairs, chosen, rent_u, score_u, optimal=True)
    base = _solution(pairs, g, rent_u, score_u, optimal=False)
    matches = explain(
        demands, spaces, a, pairs, chosen, rent_u, score_u, terms, cost, weights, context, objective
    )
    summary = {
        "objective_name": objective,
        "objective": objective_value(best, objective),
        "greedy_objective": objective_value(base, objective),
        "gap": 0.0,
        "proven_optimal": True,
        "greedy_gap": gap(best, base, objective),
        "demands": len(demands),
        "spaces": len(spaces),
        "candidate_pairs": len(pairs.d),
    }
    return MatchResult(matches=matches, summary=summary)


def _first_come(demands: pd.DataFrame, a: _Arrays) -> np.ndarray:
    """Each demand's rank in first-come order: by start day, then demand_id."""
    ids = demands["demand_id"].astype(str).to_numpy(dtype=object)
    srt = np.lexsort((ids, a.d_start))
    rank = np.empty(len(ids), np.int64)
    rank[srt] = np.arange(len(ids))
    return rank


# ------------------------------------------------------------------------------ explanation


def _binding(a: _Arrays, d: np.ndarray, s: np.ndarray, w: MatchWeights) -> list[str]:
    """Per matched pair, the constraints with slack ≤ the profile's share (days for timing),
    tightest first, as ``name(slack)`` ;-joined."""
    slack: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        area = a.s_area[s]
        slack["area_min"] = np.where(a.d_min[d] > 0, (area - a.d_min[d]) / a.d_min[d], np.nan)
        slack["area_max"] = np.where(
            np.isfinite(a.d_max[d]), (a.d_max[d] - area) / a.d_max[d], np.nan
        )
        for name, req, have in (
            ("load", a.d_load, a.s_load),
            ("clear_height", a.d_height, a.s_height),
            ("power", a.d_power, a.s_power),
        ):
            slack[name] = (have[s] - req[d]) / req[d]
        slack["pollution"] = np.where(a.s_poll[s] == a.d_poll[d], 0.0, np.nan)
        slack["rent"] = np.where(a.d_rent[d] > 0, (a.d_rent[d] - a.s_rent[s]) / a.d_rent[d], np.nan)
    days = (a.d_start[d] - a.s_from[s]).astype(float)
    out: list[str] = []
    names = list(slack)
    mat = np.column_stack([slack[n] for n in names]) if len(d) else np.empty((0, len(names)))
    for i in range(len(d)):
        items = [
            (float(mat[i, j]), names[j])
            for j in range(len(names))
            if np.isfinite(mat[i, j]) and mat[i, j] <= w.binding_slack_share
        ]
        if days[i] <= w.binding_slack_days:
            items.append((days[i] / 1e6, "timing"))
        items.sort()
        out.append(
            ";".join(
                f"{n}({v:.3f})" if n != "timing" else f"timing({int(v * 1e6)}d)" for v, n in items
            )
        )
    return out


def explain(
    demands: pd.DataFrame,
    spaces: pd.DataFrame,
    a: _Arrays,
    pairs: Pairs,
    chosen: np.ndarray,
    rent_u: np.ndarray,
    score_u: np.ndarray,
    terms: dict[str, np.ndarray],
    cost: np.ndarray,
    weights: MatchWeights,
    context: MatchContext,
    objective: str,
) -> pd.DataFrame:
    """One row per demand with the chosen space and why (:data:`MATCH_COLUMNS`)."""
    nd = len(demands)
    n_cand = np.bincount(pairs.d, minlength=nd)
    # rank of each pair within its demand by the demand's own preference (1 = best)
    srt = np.lexsort((pairs.s, cost, pairs.d))
    first = np.searchsorted(pairs.d[srt], pairs.d[srt], side="left")
    rank = np.empty(len(srt), np.int64)
    rank[srt] = np.arange(len(srt)) - first + 1
    got = np.full(nd, -1, np.int64)
    got[pairs.d[chosen]] = chosen
    has = got >= 0
    pi = got[has]
    d_idx = np.flatnonzero(has)
    s_idx = pairs.s[pi]
    binding = _binding(a, d_idx, s_idx, weights)
    out = pd.DataFrame(
        {
            "demand_id": demands["demand_id"].astype(str),
            "credit_code": demands.get("credit_code", ""),
            "kind": demands["kind"],
        }
    )
    sp = spaces.iloc[s_idx]
    for col, src in (
        ("space_id", "space_id"),
        ("space_kind", "kind"),
        ("district", "district"),
        ("park_id", "park_id"),
    ):
        v = np.full(nd, "", dtype=object)
        if src in spaces:
            v[d_idx] = sp[src].fillna("").astype(str).to_numpy(dtype=object)
        out[col] = v
    area = np.full(nd, np.nan)
    area[d_idx] = a.s_area[s_idx]
    out["area_m2"] = area
    rent = np.full(nd, None, dtype=object)
    rent[d_idx] = [str(Decimal(int(v)).scaleb(-2)) for v in a.s_rent[s_idx]]
    out["rent_yuan_m2_month"] = rent
    month = np.full(nd, None, dtype=object)
    month[d_idx] = [str(Decimal(int(v)).scaleb(-4).quantize(Decimal("0.01"))) for v in rent_u[pi]]
    out["rent_yuan_month"] = month
    score = np.full(nd, np.nan)
    score[d_idx] = score_u[pi] / _SCORE_SCALE
    out["score"] = score
    out["n_candidates"] = n_cand
    r = np.zeros(nd, np.int64)
    r[d_idx] = rank[pi]
    out["cost_rank"] = r
    b = np.full(nd, "", dtype=object)
    b[d_idx] = binding
    out["binding"] = b
    zh, en = _reasons(demands, a, pairs, d_idx, pi, n_cand, rank, rent_u, terms, objective, context)
    out["reason_zh"] = zh
    out["reason_en"] = en
    return out[list(MATCH_COLUMNS)]


def _reasons(
    demands: pd.DataFrame,
    a: _Arrays,
    pairs: Pairs,
    d_idx: np.ndarray,
    pi: np.ndarray,
    n_cand: np.ndarray,
    rank: np.ndarray,
    rent_u: np.ndarray,
    terms: dict[str, np.ndarray],
    objective: str,
    context: MatchContext,
) -> tuple[np.ndarray, np.ndarray]:
    nd = len(demands)
    zh = np.full(nd, "", dtype=object)
    en = np.full(nd, "", dtype=object)
    no_leader = (
        context.anchors is None
        or not len(context.anchors)
        or not (context.anchors["role"] == "chain_leader").any()
    )
    for k, (d, p) in enumerate(zip(d_idx.tolist(), pi.tolist(), strict=True)):
        n, r = int(n_cand[d]), int(rank[p])
        yuan = Decimal(int(rent_u[p])).scaleb(-4).quantize(Decimal("0.01"))
        if objective == "count-then-rent":
            zh[d] = f"满足全部硬约束的空间 {n} 个；月租金 {yuan} 元，在其候选中排第 {r} 低" + (
                "" if r == 1 else "（更便宜的候选已分配给其他需求，使满足需求数最多、总租金最低）"
            )
            en[d] = (
                f"{n} spaces meet every hard constraint; monthly rent {yuan} yuan, "
                f"rank {r} among them"
                + (
                    ""
                    if r == 1
                    else " (cheaper candidates serve other demands so that "
                    "the most demands are served at the lowest total rent)"
                )
            )
        else:
            parts = ", ".join(f"{t}={terms[t][p]:.3f}" for t in TERMS)
            zh[d] = f"满足全部硬约束的空间 {n} 个；按得分排第 {r}；分项 {parts}"
            en[d] = f"{n} spaces meet every hard constraint; rank {r} by score; terms {parts}"
            if no_leader:
                zh[d] += "；无链主记录，链主项记 0"
                en[d] += "; no chain leader on record: the chain-leader term is 0"
        del k
    served = np.zeros(nd, bool)
    served[d_idx] = True
    for d in np.flatnonzero(~served).tolist():
        if n_cand[d]:
            zh[d] = f"满足全部硬约束的空间 {int(n_cand[d])} 个，均已分配给其他需求（全局最优）"
            en[d] = (
                f"all {int(n_cand[d])} spaces meeting every hard constraint serve "
                "other demands in the optimum"
            )
            continue
        if pairs.passing["kind"][d] == 0:
            failing = ["kind"]
        elif pairs.passing["area"][d] == 0:
            failing = ["area"]
        else:
            failing = [c for c in CONSTRAINTS[2:] if pairs.passing[c][d] == 0] or ["combined"]
        zh[d] = "无满足全部硬约束的空间：" + "、".join(
            CONSTRAINT_ZH.get(c, "多项约束组合") for c in failing
        )
        en[d] = "no space meets every hard constraint: " + ", ".join(failing)
    return zh, en
