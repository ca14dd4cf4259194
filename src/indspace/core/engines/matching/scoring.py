"""What a pair costs or is worth: its monthly rent, and the weighted objective's terms and
score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from indspace.core.engines.matching.candidates import _Arrays, _num
from indspace.core.engines.matching.columns import _SCORE_SCALE, TERMS
from indspace.core.engines.matching.model import MatchContext, MatchWeights, Pairs


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
