"""The assignment itself: the exact min-cost flow, the first-come greedy baseline, and the
objective of a solution."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from indspace.core.engines.matching.columns import _SCORE_SCALE
from indspace.core.engines.matching.model import Pairs, Solution


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
