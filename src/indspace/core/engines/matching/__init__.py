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


Modules, in the order a run goes through them: :mod:`.columns` (the names and formats),
:mod:`.model` (weights, context, pairs, solutions), :mod:`.candidates` (the hard
constraints), :mod:`.scoring` (rent and the weighted terms), :mod:`.solvers` (min-cost flow,
greedy), :mod:`.explanation` (one row per demand and why) and :mod:`.assign` (:func:`match`,
the driver). Import from this package: it re-exports them.
"""

from __future__ import annotations

from indspace.core.engines.matching.assign import _first_come, match
from indspace.core.engines.matching.candidates import _arrays, candidate_pairs, rent_fen
from indspace.core.engines.matching.columns import (
    CONSTRAINT_ZH,
    CONSTRAINTS,
    DEMAND_COLUMNS,
    MATCH_COLUMNS,
    OBJECTIVES,
    POLLUTION_CLASSES,
    SPACE_COLUMNS,
    TERMS,
)
from indspace.core.engines.matching.explanation import explain
from indspace.core.engines.matching.model import (
    MatchContext,
    MatchResult,
    MatchWeights,
    Pairs,
    Solution,
)
from indspace.core.engines.matching.scoring import _rent_units, score_terms, score_units
from indspace.core.engines.matching.solvers import gap, greedy, objective_value, solve_flow
from indspace.core.model.entities import DEMAND_KINDS

__all__ = [
    "CONSTRAINTS",
    "CONSTRAINT_ZH",
    "DEMAND_COLUMNS",
    "DEMAND_KINDS",
    "MATCH_COLUMNS",
    "OBJECTIVES",
    "POLLUTION_CLASSES",
    "SPACE_COLUMNS",
    "TERMS",
    "MatchContext",
    "MatchResult",
    "MatchWeights",
    "Pairs",
    "Solution",
    "_arrays",
    "_first_come",
    "_rent_units",
    "candidate_pairs",
    "explain",
    "gap",
    "greedy",
    "match",
    "objective_value",
    "rent_fen",
    "score_terms",
    "score_units",
    "solve_flow",
]
