"""The driver: :func:`match` assigns demands to spaces (candidate pairs, costs or scores,
the exact solver and the greedy baseline, the explanation)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from indspace.core.engines.matching.candidates import _Arrays, _arrays, candidate_pairs
from indspace.core.engines.matching.columns import OBJECTIVES, TERMS
from indspace.core.engines.matching.explanation import explain
from indspace.core.engines.matching.model import MatchContext, MatchResult, MatchWeights
from indspace.core.engines.matching.scoring import _rent_units, score_terms, score_units
from indspace.core.engines.matching.solvers import (
    _solution,
    gap,
    greedy,
    objective_value,
    solve_flow,
)


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
