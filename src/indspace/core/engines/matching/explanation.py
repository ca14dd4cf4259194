"""Why each demand got its space, or none: candidates, the rank of the chosen space, the
binding constraints and the reasons in Chinese and English (:data:`MATCH_COLUMNS`)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from indspace.core.engines.matching.candidates import _Arrays
from indspace.core.engines.matching.columns import (
    _SCORE_SCALE,
    CONSTRAINT_ZH,
    CONSTRAINTS,
    MATCH_COLUMNS,
    TERMS,
)
from indspace.core.engines.matching.model import MatchContext, MatchWeights, Pairs


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
