"""The matching engine (issue #19): the solver's optimum equals a brute-force search on small
instances for both objectives, every hard constraint excludes a pair exactly past its
boundary, the weighted terms by hand, and a first-come greedy that is worse on a crafted
case."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.matching import (
    MATCH_COLUMNS,
    MatchContext,
    MatchWeights,
    _arrays,
    candidate_pairs,
    match,
)

DAY = date(2026, 1, 1)
W = MatchWeights.from_value(
    {
        "serve": 1,
        "rent": 1,
        "chain_leader": 0.5,
        "chain_suppliers": 0.25,
        "park_specialisation": 0.5,
        "commute": 0.25,
        "affinity_scale_m": 5000,
        "commute_scale_m": 10000,
        "binding_slack_share": 0.05,
        "binding_slack_days": 30,
    }
)


def demand(i: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "demand_id": i,
        "credit_code": "C" + i,
        "kind": "floor",
        "min_area_m2": 100.0,
        "max_area_m2": 200.0,
        "min_load_kn_m2": np.nan,
        "min_clear_height_m": np.nan,
        "min_power_kva": np.nan,
        "pollution_class": 1,
        "chain": None,
        "max_rent_yuan_m2_month": None,
        "districts": None,
        "start": DAY,
    }
    return {**base, **kw}


def space(i: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "space_id": i,
        "kind": "floor",
        "area_m2": 150.0,
        "load_kn_m2": 8.0,
        "clear_height_m": 6.0,
        "power_kva": 100.0,
        "max_pollution_class": 1,
        "district": "A",
        "park_id": None,
        "rent_yuan_m2_month": Decimal("20"),
        "available_from": None,
    }
    return {**base, **kw}


def run(
    demands: list[dict[str, object]],
    spaces: list[dict[str, object]],
    objective: str = "count-then-rent",
    context: MatchContext | None = None,
):  # type: ignore[no-untyped-def]
    return match(
        pd.DataFrame(demands),
        pd.DataFrame(spaces),
        as_of=DAY,
        objective=objective,
        weights=W,
        context=context,
    )


def got(res) -> dict[str, str]:  # type: ignore[no-untyped-def]
    m = res.matches
    return dict(zip(m["demand_id"], m["space_id"], strict=True))


# ---------------------------------------------------------------------------- constraints

BOUNDARY = [
    # (constraint, demand fields, space at the boundary, space just past it)
    ("area_min", {"min_area_m2": 100.0}, {"area_m2": 100.0}, {"area_m2": 99.99}),
    ("area_max", {"max_area_m2": 200.0}, {"area_m2": 200.0}, {"area_m2": 200.01}),
    ("load", {"min_load_kn_m2": 8.0}, {"load_kn_m2": 8.0}, {"load_kn_m2": 7.99}),
    (
        "clear_height",
        {"min_clear_height_m": 6.0},
        {"clear_height_m": 6.0},
        {"clear_height_m": 5.99},
    ),
    ("power", {"min_power_kva": 100.0}, {"power_kva": 100.0}, {"power_kva": 99.9}),
    ("pollution", {"pollution_class": 2}, {"max_pollution_class": 2}, {"max_pollution_class": 1}),
    ("district", {"districts": "A;B"}, {"district": "B"}, {"district": "C"}),
    (
        "timing",
        {"start": DAY},
        {"available_from": DAY},
        {"available_from": DAY + timedelta(days=1)},
    ),
    (
        "rent",
        {"max_rent_yuan_m2_month": Decimal("30.00")},
        {"rent_yuan_m2_month": Decimal("30.00")},
        {"rent_yuan_m2_month": Decimal("30.01")},
    ),
    ("kind", {"kind": "land"}, {"kind": "land"}, {"kind": "floor"}),
    # floor space without a recorded load fails a load requirement
    ("load_unknown", {"min_load_kn_m2": 8.0}, {"load_kn_m2": 8.0}, {"load_kn_m2": np.nan}),
]


@pytest.mark.parametrize(("name", "dem", "ok", "past"), BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_each_hard_constraint_excludes_a_pair_at_its_boundary(
    name: str, dem: dict[str, object], ok: dict[str, object], past: dict[str, object]
) -> None:
    assert got(run([demand("D1", **dem)], [space("S1", **ok)])) == {"D1": "S1"}
    res = run([demand("D1", **dem)], [space("S1", **past)])
    assert got(res) == {"D1": ""}
    assert res.matches["n_candidates"].tolist() == [0]
    reason = res.matches["reason_en"].iloc[0]
    expect = {"area_min": "area", "area_max": "area", "load_unknown": "load"}.get(name, name)
    assert reason.startswith("no space meets every hard constraint") and expect in reason


def test_land_has_no_building_yet_so_building_specs_pass() -> None:
    # a land space is built to the firm's specification: missing load, height, power pass
    dem = demand("D1", kind="land", min_load_kn_m2=8.0, min_clear_height_m=9.0, min_power_kva=500.0)
    sp = space("S1", kind="land", load_kn_m2=np.nan, clear_height_m=np.nan, power_kva=np.nan)
    assert got(run([dem], [sp])) == {"D1": "S1"}


# ---------------------------------------------------------------------------- brute force


def _feasible(d: dict[str, object], s: dict[str, object]) -> bool:
    """Every hard constraint written out plainly, pair by pair (the engine's are vectorised)."""
    if d["kind"] != s["kind"]:
        return False
    if not (d["min_area_m2"] <= s["area_m2"] <= d["max_area_m2"]):  # type: ignore[operator]
        return False
    for req, have in (
        ("min_load_kn_m2", "load_kn_m2"),
        ("min_clear_height_m", "clear_height_m"),
        ("min_power_kva", "power_kva"),
    ):
        r, h = d[req], s[have]
        if isinstance(r, float) and not math.isnan(r):
            if isinstance(h, float) and math.isnan(h):
                if s["kind"] != "land":
                    return False
            elif h < r:  # type: ignore[operator]
                return False
    if d["pollution_class"] > s["max_pollution_class"]:  # type: ignore[operator]
        return False
    if d["districts"] and s["district"] not in str(d["districts"]).split(";"):
        return False
    if s["available_from"] is not None and s["available_from"] > d["start"]:  # type: ignore[operator]
        return False
    cap = d["max_rent_yuan_m2_month"]
    return cap is None or s["rent_yuan_m2_month"] <= cap  # type: ignore[operator]


def _instance(
    rng: np.random.Generator, nd: int, ns: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    dem, sp = [], []
    for i in range(nd):
        lo = float(rng.choice([80, 100, 150]))
        dem.append(
            demand(
                f"D{i}",
                kind=str(rng.choice(["floor", "land"], p=[0.8, 0.2])),
                min_area_m2=lo,
                max_area_m2=lo * float(rng.choice([1.5, 2.0])),
                min_load_kn_m2=float(rng.choice([np.nan, 5.0, 8.0])),
                pollution_class=int(rng.choice([1, 2])),
                districts=str(rng.choice(["", "A", "A;B"])) or None,
                max_rent_yuan_m2_month=rng.choice([None, Decimal("25"), Decimal("40")]),
                start=DAY + timedelta(days=int(rng.integers(0, 60))),
            )
        )
    for j in range(ns):
        sp.append(
            space(
                f"S{j}",
                kind=str(rng.choice(["floor", "land"], p=[0.8, 0.2])),
                area_m2=float(rng.choice([90, 120, 150, 200, 250])),
                load_kn_m2=float(rng.choice([5.0, 8.0, 10.0])),
                max_pollution_class=int(rng.choice([1, 2, 3])),
                district=str(rng.choice(["A", "B", "C"])),
                rent_yuan_m2_month=Decimal(int(rng.integers(1500, 4500))) / 100,
                available_from=rng.choice([None, DAY, DAY + timedelta(days=30)]),
                x=float(rng.uniform(0, 20000)),
                y=float(rng.uniform(0, 20000)),
                park_id=str(rng.choice(["P1", "P2"])),
            )
        )
    return dem, sp


def _plain_score(
    d: dict[str, object], s: dict[str, object], sp: list[dict[str, object]], ctx: MatchContext
) -> int:
    """The weighted score of one pair written out (10⁻⁶ units): 1 + rent + 0.5 leader +
    0.25 suppliers + 0.5 park share + 0.25 commute (weights of ``W``)."""
    cap = d["max_rent_yuan_m2_month"]
    ref = cap if cap is not None else max(x["rent_yuan_m2_month"] for x in sp)  # type: ignore[type-var]
    rent = min(max(1 - float(s["rent_yuan_m2_month"] / ref), 0.0), 1.0)  # type: ignore[operator]
    terms = {"rent": rent}
    assert ctx.anchors is not None and ctx.park_chains is not None
    for role, name in (("chain_leader", "leader"), ("supplier", "suppliers")):
        a = ctx.anchors[(ctx.anchors["chain"] == d["chain"]) & (ctx.anchors["role"] == role)]
        dist = [
            math.hypot(x - s["x"], y - s["y"])  # type: ignore[operator]
            for x, y in zip(a["x"], a["y"], strict=True)
        ]
        terms[name] = math.exp(-min(dist) / 5000) if dist else 0.0
    pc = ctx.park_chains
    hit = pc[(pc["park_id"] == s["park_id"]) & (pc["chain"] == d["chain"])]["share"]
    terms["park"] = float(hit.iloc[0]) if len(hit) else 0.0
    terms["commute"] = math.exp(-math.hypot(s["x"] - d["x"], s["y"] - d["y"]) / 10000)  # type: ignore[operator]
    total = (
        1
        + terms["rent"]
        + 0.5 * terms["leader"]
        + 0.25 * terms["suppliers"]
        + 0.5 * terms["park"]
        + 0.25 * terms["commute"]
    )
    return round(total * 1_000_000)


def _brute(
    dem: list[dict[str, object]],
    sp: list[dict[str, object]],
    value: dict[tuple[int, int], int],
    objective: str,
) -> tuple[int, int]:
    """Best (served, value) over every assignment: each demand takes no space or a free
    feasible one. count-then-rent: most served, then least rent; weighted: most score."""
    options = [[None] + [j for j in range(len(sp)) if (i, j) in value] for i in range(len(dem))]
    best: tuple[int, int] | None = None
    for pick in itertools.product(*options):
        used = [j for j in pick if j is not None]
        if len(used) != len(set(used)):
            continue
        total = sum(value[(i, j)] for i, j in enumerate(pick) if j is not None)
        key = (len(used), -total) if objective == "count-then-rent" else (total, 0)
        if best is None or key > best:
            best = key
    assert best is not None
    return best


@pytest.mark.parametrize("objective", ["count-then-rent", "weighted"])
def test_solver_equals_brute_force_on_small_instances(objective: str) -> None:
    rng = np.random.default_rng(19)
    ctx = MatchContext(
        anchors=pd.DataFrame(
            {
                "chain": ["c1", "c1", "c2"],
                "role": ["chain_leader", "supplier", "supplier"],
                "x": [1000.0, 9000.0, 15000.0],
                "y": [1000.0, 3000.0, 15000.0],
            }
        ),
        park_chains=pd.DataFrame(
            {"park_id": ["P1", "P2"], "chain": ["c1", "c2"], "share": [0.6, 0.3]}
        ),
    )
    checked = 0
    for _ in range(60):
        dem, sp = _instance(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)))
        for k, d in enumerate(dem):
            d["chain"] = ["c1", "c2", None][k % 3]
            d["x"], d["y"] = float(rng.uniform(0, 20000)), float(rng.uniform(0, 20000))
        res = run(dem, sp, objective, ctx)
        # the vectorised pairs are exactly the plainly checked ones
        a = _arrays(pd.DataFrame(dem), pd.DataFrame(sp), DAY)
        pairs = candidate_pairs(a)
        engine_pairs = set(zip(pairs.d.tolist(), pairs.s.tolist(), strict=True))
        plain = {(i, j) for i, d in enumerate(dem) for j, s in enumerate(sp) if _feasible(d, s)}
        assert engine_pairs == plain
        m = res.matches.set_index("demand_id")
        if objective == "count-then-rent":
            # monthly rent in 10⁻⁴ 元: rent (分) × area (0.01 m²)
            value = {
                (i, j): int(sp[j]["rent_yuan_m2_month"] * 100)  # type: ignore[operator]
                * round(sp[j]["area_m2"] * 100)
                for i, j in plain
            }  # type: ignore[operator]
            served, neg_rent = _brute(dem, sp, value, objective)
            assert res.summary["objective"]["served"] == served
            assert Decimal(res.summary["objective"]["rent_yuan_month"]) == (
                Decimal(-neg_rent).scaleb(-4)
            ).quantize(Decimal("0.01"))
        else:
            value = {(i, j): _plain_score(dem[i], sp[j], sp, ctx) for i, j in plain}
            total, _ = _brute(dem, sp, value, objective)
            assert round(res.summary["objective"]["score"] * 1_000_000) == total
        # the assignment is feasible and one-to-one
        chosen = [(dem_id, s) for dem_id, s in m["space_id"].items() if s]
        assert len({s for _, s in chosen}) == len(chosen)
        checked += 1
        assert res.summary["greedy_gap"] >= 0
    assert checked == 60


# ---------------------------------------------------------------------------- weighted terms


def test_weighted_terms_by_hand() -> None:
    # one demand of chain c1, firm site at (0, 0); one space at (3000, 4000) in park P1
    # rent term: 1 − 20 ÷ 40 = 0.5
    # chain leader at (3000, 4000 + 5000): distance 5000 m → e^(−5000/5000) = e^−1 = 0.367879
    # supplier at (3000, 4000): distance 0 → e^0 = 1
    # park specialisation: P1 has 40 % of its firms on c1 → 0.4
    # commute: |(3000, 4000)| = 5000 m → e^(−5000/10000) = e^−0.5 = 0.606531
    # score = 1 + 1×0.5 + 0.5×0.367879 + 0.25×1 + 0.5×0.4 + 0.25×0.606531
    #       = 1 + 0.5 + 0.183940 + 0.25 + 0.2 + 0.151633 = 2.285573
    ctx = MatchContext(
        anchors=pd.DataFrame(
            {
                "chain": ["c1", "c1"],
                "role": ["chain_leader", "supplier"],
                "x": [3000.0, 3000.0],
                "y": [9000.0, 4000.0],
            }
        ),
        park_chains=pd.DataFrame({"park_id": ["P1"], "chain": ["c1"], "share": [0.4]}),
    )
    res = run(
        [demand("D1", chain="c1", max_rent_yuan_m2_month=Decimal("40"), x=0.0, y=0.0)],
        [space("S1", park_id="P1", x=3000.0, y=4000.0)],
        "weighted",
        ctx,
    )
    assert res.matches["score"].iloc[0] == pytest.approx(2.285573, abs=1e-6)
    assert "chain_leader=0.368" in res.matches["reason_en"].iloc[0]


def test_without_chain_leaders_the_term_is_zero_and_said() -> None:
    ctx = MatchContext(
        anchors=pd.DataFrame({"chain": ["c1"], "role": ["supplier"], "x": [0.0], "y": [0.0]})
    )
    res = run([demand("D1", chain="c1")], [space("S1", x=0.0, y=0.0)], "weighted", ctx)
    row = res.matches.iloc[0]
    # 1 + rent (1 − 20 ÷ 20 = 0) + 0.25 × supplier e^0 = 1.25; leader, park, commute 0
    assert row["score"] == pytest.approx(1.25)
    assert "chain-leader term is 0" in row["reason_en"] and "链主项记 0" in row["reason_zh"]


# ---------------------------------------------------------------------------- greedy


def test_first_come_greedy_is_worse_on_a_crafted_case() -> None:
    # D1 comes first and may take S1 (20 元) or S2 (25 元); D2 fits only S1. Greedy gives S1
    # to D1 (cheapest) and leaves D2 unserved: 1 served. The optimum serves both: D1–S2,
    # D2–S1, rent 150 m² × (25 + 20) = 6 750 元/月.
    dem = [demand("D1", start=DAY), demand("D2", start=DAY + timedelta(days=1), min_load_kn_m2=8.0)]
    sp = [
        space("S1", load_kn_m2=8.0),
        space("S2", load_kn_m2=5.0, rent_yuan_m2_month=Decimal("25")),
    ]
    res = run(dem, sp)
    assert got(res) == {"D1": "S2", "D2": "S1"}
    s = res.summary
    assert (s["objective"]["served"], s["greedy_objective"]["served"]) == (2, 1)
    assert s["objective"]["rent_yuan_month"] == "6750.00"
    assert s["greedy_objective"]["rent_yuan_month"] == "3000.00"
    assert s["greedy_gap"] == 0.5 and s["gap"] == 0.0
    row = res.matches.set_index("demand_id").loc["D1"]
    assert row["cost_rank"] == 2 and "cheaper candidates serve other demands" in row["reason_en"]


def test_rent_ties_count_first_then_rent() -> None:
    # two ways to serve one demand: the cheaper, 150 m² × 18 元 = 2 700 元/月
    res = run([demand("D1")], [space("S1"), space("S2", rent_yuan_m2_month=Decimal("18"))])
    assert got(res) == {"D1": "S2"} and res.summary["objective"]["rent_yuan_month"] == "2700.00"


def test_output_columns_and_binding() -> None:
    # area 150 vs window 100–200: slack 0.5 and 0.25, not binding; load 8 vs 8: binding (0);
    # timing: available on the start day: binding (0 days); pollution: class 1 asked, class 1
    # allowed: binding; ties listed by name
    res = run([demand("D1", min_load_kn_m2=8.0)], [space("S1", available_from=DAY)])
    assert list(res.matches.columns) == list(MATCH_COLUMNS)
    assert res.matches["binding"].iloc[0] == "load(0.000);pollution(0.000);timing(0d)"


def test_same_inputs_same_output() -> None:
    rng = np.random.default_rng(7)
    dem, sp = _instance(rng, 30, 60)
    for objective in ("count-then-rent", "weighted"):
        a = run(dem, sp, objective)
        b = run(dem, sp, objective)
        assert a.matches.to_csv(index=False) == b.matches.to_csv(index=False)
        assert a.summary == b.summary
