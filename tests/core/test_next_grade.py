"""Distance to the next grade (engines/explain.py), issue #5 Done-when: "re-evaluating with
the suggested change indeed moves the firm up one class".

Every case is built by hand, the suggestion is applied exactly (extra tax added to the firm's
``tax``; land reduction taken off the attribution's ``land_area_mu`` / ``land_m2``) and the
year is re-evaluated with :func:`indspace.core.engines.mujun.evaluate`.

Land: 1 亩 = 2000/3 m², so 2 000 m² = 3 亩. Money in 万元. One district, rank quotas
A ≤ 0.25, B ≤ 0.70, C ≤ 0.95 of n; with n = 8 graded firms r/8 gives
r 1–2 → A, r 3–5 → B, r 6–7 → C, r 8 → D, where r = 1 + #firms with a strictly higher score
(so a firm tying the score of the last firm of a class shares its rank and class).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from indspace.core.engines.explain import NextGrade, next_grade, next_grade_stored
from indspace.core.engines.land import Attribution, attribute_land
from indspace.core.engines.mujun import evaluate
from indspace.core.model.units import mu_to_m2
from indspace.core.policy.evaluation import EvaluationMethod

YEAR = 2024
OLD = date(2010, 1, 1)
ORDER = "ABCD"
QUOTAS = {"mode": "rank_quota", "group_by": ["district"],
          "quotas": {"A": 0.25, "B": 0.70, "C": 0.95}}


# -- inputs ----------

Frames = tuple[pd.DataFrame, pd.DataFrame, Attribution]


def build(rows: list[dict[str, Any]]) -> Frames:
    """One firm per row (code, area_m2, tax, optional value_added, scale, veto), each owning
    its own parcel in district D1; land attributed with the land engine."""
    firms = pd.DataFrame({"credit_code": [r["code"] for r in rows], "district": "D1",
                          "industry_code": "3311",
                          "scale": [r.get("scale", "above") for r in rows], "founded": OLD})
    indicators = pd.DataFrame({
        "credit_code": [r["code"] for r in rows], "tax": [float(r["tax"]) for r in rows],
        "value_added": [float(r.get("value_added", 0.0)) for r in rows],
        "safety_veto": [bool(r.get("veto", False)) for r in rows]})
    parcels = pd.DataFrame({"parcel_id": [f"P-{r['code']}" for r in rows],
                            "area_m2": [float(r["area_m2"]) for r in rows],
                            "right_start": OLD, "floor_area_m2": None})
    occupancy = pd.DataFrame({"credit_code": [r["code"] for r in rows],
                              "parcel_id": [f"P-{r['code']}" for r in rows], "role": "owner",
                              "land_area_m2": None, "floor_area_m2": None, "start": OLD,
                              "end": None})
    att = attribute_land(parcels, occupancy, YEAR, merge_landless_tenants=False)
    return firms, indicators, att


def tax_per_mu(weight: float, benchmark: dict[str, Any]) -> dict[str, Any]:
    return {"name": "tax_per_mu", "label": "亩均税收", "unit": "万元/亩", "numerator": "tax",
            "denominator": "land_area_mu", "weight": weight, "benchmark": benchmark}


def va_per_mu(weight: float, benchmark: dict[str, Any]) -> dict[str, Any]:
    return {"name": "value_added_per_mu", "label": "亩均增加值", "unit": "万元/亩",
            "numerator": "value_added", "denominator": "land_area_mu", "weight": weight,
            "benchmark": benchmark}


def method(*indicators: dict[str, Any], scale: str = "any",
           min_land_mu: float = 0.0) -> EvaluationMethod:
    return EvaluationMethod.model_validate({
        "attribution_mode": "tenant_separate",
        "populations": [{"name": "all", "label": "全部", "scale": scale,
                         "min_land_mu": min_land_mu, "indicator_set": "s"}],
        "indicator_sets": {"s": {"indicators": list(indicators)}},
        "grading": QUOTAS})


# -- re-evaluation with a change ----------

def result(frames: Frames, m: EvaluationMethod, code: str) -> dict[str, Any]:
    firms, ind, att = frames
    r = evaluate(firms, ind, att, m, YEAR).results.set_index("credit_code")
    return r.loc[code].to_dict()


def grade_of(frames: Frames, m: EvaluationMethod, code: str) -> str:
    return str(result(frames, m, code)["grade"])


def more_tax(frames: Frames, code: str, extra: float) -> Frames:
    firms, ind, att = frames
    ind = ind.copy()
    ind.loc[ind["credit_code"].eq(code), "tax"] += extra
    return firms, ind, att


def less_land(frames: Frames, code: str, cut: float) -> Frames:
    firms, ind, att = frames
    f = att.firms.copy()
    row = f["credit_code"].eq(code)
    mu = float(f.loc[row, "land_area_mu"].iloc[0]) - cut
    f.loc[row, "land_area_mu"] = mu
    f.loc[row, "land_m2"] = mu_to_m2(mu)
    return firms, ind, Attribution(firms=f, links=att.links)


def suggest(frames: Frames, m: EvaluationMethod, code: str) -> NextGrade:
    firms, ind, att = frames
    return next_grade(firms, ind, att, m, YEAR, code)


def one_class_up(before: str, after: str) -> bool:
    return ORDER.index(after) == ORDER.index(before) - 1


# -- fixed benchmark: the distance by hand ----------

# 亩均税收 alone, fixed benchmark 10 万元/亩, weight 100: score = v ÷ 10 × 100 = 10 v.
# Eight firms on 2 000 m² = 3 亩 (tax = 3 v) and V, vetoed (D outside the quota, n stays 8):
#   code  v    tax   score  r  grade
#   F1    90   270   900    1  A
#   F2    75   225   750    2  A      ← the last A place (2/8 = 0.25)
#   F3    62   186   620    3  B
#   F4    50   150   500    4  B
#   F5    41   123   410    5  B      ← the last B place (5/8 = 0.625)
#   F6    33    99   330    6  C
#   F7    21    63   210    7  C      ← the last C place (7/8 = 0.875)
#   F8    12    36   120    8  D
#   V     95   285   950    –  D (safety veto)
FIXED_V = {"F1": 90, "F2": 75, "F3": 62, "F4": 50, "F5": 41, "F6": 33, "F7": 21, "F8": 12}


@pytest.fixture(scope="module")
def fixed() -> tuple[Frames, EvaluationMethod]:
    rows = [{"code": c, "area_m2": 2_000, "tax": 3 * v} for c, v in FIXED_V.items()]
    rows.append({"code": "V", "area_m2": 2_000, "tax": 3 * 95, "veto": True})
    return build(rows), method(tax_per_mu(100, {"mode": "fixed", "value": 10}))


# The required score is the score of the firm holding the last place of the better class
# (tying it shares its rank). Extra tax = Δpoints × benchmark × land ÷ weight; the engine
# bisects to within 0.002 万元 above that exact amount and rounds up to 0.01 万元, so the
# suggestion is the exact amount + at most 0.01.
#   F3 B → A: needs 750 (F2): Δ = 130 points → 130 × 10 × 3 ÷ 100 = 39 万元
#   F6 C → B: needs 410 (F5): Δ =  80 points →  80 × 10 × 3 ÷ 100 = 24 万元
#   F8 D → C: needs 210 (F7): Δ =  90 points →  90 × 10 × 3 ÷ 100 = 27 万元
@pytest.mark.parametrize(("code", "before", "exact_tax"),
                         [("F3", "B", 39.0), ("F6", "C", 24.0), ("F8", "D", 27.0)])
def test_fixed_benchmark_extra_tax_by_hand(fixed: tuple[Frames, EvaluationMethod], code: str,
                                           before: str, exact_tax: float) -> None:
    frames, m = fixed
    assert grade_of(frames, m, code) == before
    nxt = suggest(frames, m, code)
    assert nxt.grade == before and nxt.target == ORDER[ORDER.index(before) - 1]
    assert nxt.extra_tax_wan is not None
    assert exact_tax <= nxt.extra_tax_wan <= exact_tax + 0.01 + 1e-9
    assert nxt.extra_tax_per_mu == pytest.approx(nxt.extra_tax_wan / 3)
    # exactly the suggestion lifts the firm one class …
    after = grade_of(more_tax(frames, code, nxt.extra_tax_wan), m, code)
    assert one_class_up(before, after), (before, after)
    # … and 1 % less does not (minimal): e.g. F3 + 0.99 × 39.01 = 224.62 → 748.7 < 750
    assert grade_of(more_tax(frames, code, 0.99 * nxt.extra_tax_wan), m, code) == before


# Land: the same v needs land ≤ tax ÷ v_needed; the engine rounds the cut up to 0.001 亩.
#   F3 B → A: v ≥ 75 → land ≤ 186 ÷ 75 = 2.48 亩 → cut 3 − 2.48 = 0.52 亩
#   F6 C → B: v ≥ 41 → land ≤  99 ÷ 41 = 2.414634 亩 → cut 0.585366 亩
#   F8 D → C: v ≥ 21 → land ≤  36 ÷ 21 = 1.714286 亩 → cut 1.285714 亩
@pytest.mark.parametrize(("code", "before", "exact_cut"),
                         [("F3", "B", 3 - 186 / 75), ("F6", "C", 3 - 99 / 41),
                          ("F8", "D", 3 - 36 / 21)])
def test_fixed_benchmark_land_reduction_by_hand(fixed: tuple[Frames, EvaluationMethod],
                                                code: str, before: str,
                                                exact_cut: float) -> None:
    frames, m = fixed
    nxt = suggest(frames, m, code)
    assert nxt.land_reduction_mu is not None
    assert exact_cut <= nxt.land_reduction_mu <= exact_cut + 0.001 + 1e-9
    after = grade_of(less_land(frames, code, nxt.land_reduction_mu), m, code)
    assert one_class_up(before, after), (before, after)
    assert grade_of(less_land(frames, code, 0.99 * nxt.land_reduction_mu), m, code) == before


def test_a_firm_has_no_target(fixed: tuple[Frames, EvaluationMethod]) -> None:
    frames, m = fixed
    for code in ("F1", "F2"):
        nxt = suggest(frames, m, code)
        assert nxt.grade == "A" and nxt.target is None
        assert (nxt.extra_tax_wan, nxt.extra_tax_per_mu, nxt.land_reduction_mu) == \
            (None, None, None)
        assert "A" in nxt.note


def test_vetoed_firm_gets_a_note_and_no_numbers(fixed: tuple[Frames, EvaluationMethod]
                                                ) -> None:
    frames, m = fixed
    r = result(frames, m, "V")
    assert r["status"] == "vetoed" and r["grade"] == "D"
    nxt = suggest(frames, m, "V")
    assert nxt.target is None
    assert (nxt.extra_tax_wan, nxt.extra_tax_per_mu, nxt.land_reduction_mu) == \
        (None, None, None)
    assert "否决" in nxt.note and "veto" in nxt.note


# -- group-average benchmark: the firm's own tax moves the benchmark ----------

# 亩均税收 against the group's Σtax ÷ Σland (weight 60) + 亩均增加值 against a fixed 100
# (weight 40); eight firms on 3 亩, so the tax benchmark B is the mean of the v_tax:
#   code  v_tax  v_va   B = 159 / 8 = 19.875
#   G1    40     300    40/B×60 + 120 = 240.75   r1 A
#   G2    30     260    30/B×60 + 104 = 194.57   r2 A
#   G3    20     280    20/B×60 + 112 = 172.38   r3 B
#   G4    24     150    72.45 + 60    = 132.45   r4 B
#   G5    18     160    54.34 + 64    = 118.34   r5 B
#   G6    12     200    36.23 + 80    = 116.23   r6 C
#   G7    10      90    30.19 + 36    =  66.19   r7 C
#   G8     5      60    15.09 + 24    =  39.09   r8 D
GROUP = {"G1": (40, 300), "G2": (30, 260), "G3": (20, 280), "G4": (24, 150),
         "G5": (18, 160), "G6": (12, 200), "G7": (10, 90), "G8": (5, 60)}


@pytest.fixture(scope="module")
def group_average() -> tuple[Frames, EvaluationMethod]:
    rows = [{"code": c, "area_m2": 2_000, "tax": 3 * t, "value_added": 3 * va}
            for c, (t, va) in GROUP.items()]
    m = method(tax_per_mu(60, {"mode": "group_average", "group_by": ["district"],
                               "average_method": "aggregate_ratio"}),
               va_per_mu(40, {"mode": "fixed", "value": 100}))
    return build(rows), m


def test_group_average_extra_tax_moves_the_benchmark(
        group_average: tuple[Frames, EvaluationMethod]) -> None:
    """G3 (B) reaches A by tying G2. With d more 亩均税收 the benchmark becomes
    B' = 19.875 + d/8, and G3 ≥ G2 ⇔ (20 + d)/B'×60 + 112 ≥ 30/B'×60 + 104
    ⇔ 60 (d − 10) ≥ −8 B' = −159 − d ⇔ d ≥ 441/61 = 7.229508 万元/亩
    → extra tax 3 × 441/61 = 21.688525 万元 (suggested 21.69).
    Holding the benchmark at 19.875 would give d = 10 − 8 × 19.875/60 = 7.35 → 22.05 万元:
    the moving benchmark matters (here it shrinks G2's lead in tax points)."""
    frames, m = group_average
    assert [grade_of(frames, m, c) for c in GROUP] == list("AABBBCCD")
    nxt = suggest(frames, m, "G3")
    assert nxt.target == "A"
    exact = 3 * 441 / 61
    assert nxt.extra_tax_wan is not None
    assert exact <= nxt.extra_tax_wan <= exact + 0.01 + 1e-9
    assert nxt.extra_tax_wan < 3 * 7.35                  # not the fixed-benchmark answer
    moved = more_tax(frames, "G3", nxt.extra_tax_wan)
    assert grade_of(moved, m, "G3") == "A"
    bench = evaluate(*moved, m, YEAR).scores.query("indicator == 'tax_per_mu'")["benchmark"]
    assert bench.iloc[0] == pytest.approx((159 + nxt.extra_tax_wan / 3) / 8)   # it moved
    assert grade_of(more_tax(frames, "G3", 0.99 * nxt.extra_tax_wan), m, "G3") == "B"


@pytest.mark.parametrize("code", ["G3", "G4", "G5", "G6", "G7", "G8"])
def test_group_average_every_suggestion_lifts_one_class(
        group_average: tuple[Frames, EvaluationMethod], code: str) -> None:
    frames, m = group_average
    before = grade_of(frames, m, code)
    nxt = suggest(frames, m, code)
    assert nxt.extra_tax_wan is not None and nxt.land_reduction_mu is not None
    assert one_class_up(before, grade_of(more_tax(frames, code, nxt.extra_tax_wan), m, code))
    assert grade_of(more_tax(frames, code, 0.99 * nxt.extra_tax_wan), m, code) == before
    assert one_class_up(before,
                        grade_of(less_land(frames, code, nxt.land_reduction_mu), m, code))


# -- 规下 population floor (≥ 3 亩) ----------

# 规下 only, land ≥ 3 亩, 亩均税收 against a fixed 10 (weight 100): score = 10 v.
#   code  land                  v    tax   score  r  grade
#   K1-K4 4 000 m² = 6 亩       90…60  6v   900…600 1–4 A A B B
#   K5    6 亩                  45   270   450    5  B
#   L2    8 000/3 m² = 4 亩     40   160   400    6  C
#   K6    6 亩                  30   180   300    7  C
#   L1    2 200 m² = 3.3 亩     10    33   100    8  D
# L1 → C needs v ≥ 30 → land ≤ 33/30 = 1.1 亩: a cut of 2.2 亩, but below 3 亩 the firm leaves
# the 规下 list (not evaluated), so no land suggestion; the most it may shed (0.3 亩) gives
# v = 11, still D. Its tax route: Δ = 200 points → 200 × 10 × 3.3 ÷ 100 = 66 万元.
# L2 → B needs v ≥ 45 → land ≤ 160/45 = 3.5556 亩: cut 0.4444 亩, inside the floor.
@pytest.fixture(scope="module")
def below_scale() -> tuple[Frames, EvaluationMethod]:
    rows = [{"code": c, "area_m2": 4_000, "tax": 6 * v, "scale": "below"}
            for c, v in (("K1", 90), ("K2", 80), ("K3", 70), ("K4", 60), ("K5", 45),
                         ("K6", 30))]
    rows += [{"code": "L2", "area_m2": 8_000 / 3, "tax": 160, "scale": "below"},
             {"code": "L1", "area_m2": 2_200, "tax": 33, "scale": "below"}]
    m = method(tax_per_mu(100, {"mode": "fixed", "value": 10}), scale="below",
               min_land_mu=3.0)
    return build(rows), m


def test_below_scale_land_suggestion_respects_the_floor(
        below_scale: tuple[Frames, EvaluationMethod]) -> None:
    frames, m = below_scale
    assert grade_of(frames, m, "L1") == "D" and grade_of(frames, m, "L2") == "C"
    l1 = suggest(frames, m, "L1")
    assert l1.target == "C" and l1.land_reduction_mu is None       # would need 2.2 亩
    assert l1.extra_tax_wan is not None and 66.0 <= l1.extra_tax_wan <= 66.01 + 1e-9
    assert grade_of(more_tax(frames, "L1", l1.extra_tax_wan), m, "L1") == "C"
    # why: at the floor it is still D, below the floor it is no longer evaluated
    assert grade_of(less_land(frames, "L1", 0.3 * (1 - 1e-9)), m, "L1") == "D"
    gone = result(less_land(frames, "L1", 0.4), m, "L1")
    assert (gone["status"], gone["reason"]) == ("not_evaluated", "out_of_scope")

    l2 = suggest(frames, m, "L2")
    exact = 4 - 160 / 45
    assert l2.land_reduction_mu is not None
    assert exact <= l2.land_reduction_mu <= exact + 0.001 + 1e-9
    assert 4 - l2.land_reduction_mu >= 3.0                           # stays on the list
    r = result(less_land(frames, "L2", l2.land_reduction_mu), m, "L2")
    assert (r["population"], r["grade"]) == ("all", "B")


# -- the same answers from a run's stored rows (issue #16) ----------

def stored_suggest(frames: Frames, m: EvaluationMethod, code: str) -> NextGrade:
    """:func:`next_grade_stored` on exactly the rows a run stores: the results (group as
    ``group_label``) and the long scores with numerators, denominators, benchmark groups."""
    firms, ind, att = frames
    ev = evaluate(firms, ind, att, m, YEAR)
    results = ev.results.rename(columns={"group": "group_label"})
    return next_grade_stored(results, ev.scores, m, code)


@pytest.mark.parametrize("case", ["fixed", "group_average", "below_scale"])
def test_stored_rows_give_the_same_suggestion(case: str, request: pytest.FixtureRequest
                                              ) -> None:
    """Every firm of the hand-built cases above: the suggestion from the stored rows equals
    the re-evaluating engine's, field for field (same bisection on the same arithmetic)."""
    frames, m = request.getfixturevalue(case)
    for code in frames[0]["credit_code"]:
        assert stored_suggest(frames, m, code) == suggest(frames, m, code), code


def test_stored_rows_group_average_by_hand(group_average: tuple[Frames, EvaluationMethod]
                                           ) -> None:
    """G3 B → A against the moving benchmark (worked out above): d ≥ 441/61 万元/亩, so the
    extra tax is 3 × 441/61 = 21.688525 万元, suggested 21.69 (rounded up to 0.01)."""
    frames, m = group_average
    nxt = stored_suggest(frames, m, "G3")
    assert nxt.target == "A" and nxt.extra_tax_wan == 21.69
    assert one_class_up("B", grade_of(more_tax(frames, "G3", 21.69), m, "G3"))
