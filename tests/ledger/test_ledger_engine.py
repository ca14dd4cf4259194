"""占补平衡 arithmetic and replacement-land checks, worked by hand (pure engine, no store)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from indspace.core.engines import ledger as L
from indspace.core.errors import BalanceError, ReplacementLandError, ValidationError

X, Y = 600_000.0, 3_300_000.0


def sq(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X + x0, Y + y0, X + x1, Y + y1)


def test_golden_ledger_arithmetic() -> None:
    # By hand, district A, ratio 1.0 then 1.2; district B one pure addition:
    #   P1 A: in 3 000 (banked)                      → A = +3 000
    #   P2 A: out 2 000 × 1.0, in 500                → A = 3 000 − 2 000 + 500 = 1 500
    #   P3 A: out 1 000 × 1.2, in 0                  → A = 1 500 − 1 200 = 300 m² = 0.45 亩
    #   P4 B: in 2 000                                → B = 2 000 m² = 3 亩
    rows = []
    balances: dict[str, float] = {}
    for pid, d, out, inn, ratio in (("P1", "A", 0.0, 3000.0, 1.0), ("P2", "A", 2000.0, 500.0, 1.0),
                                    ("P3", "A", 1000.0, 0.0, 1.2), ("P4", "B", 0.0, 2000.0, 1.0)):
        for b in L.plan_bookings(d, area_out_m2=out, area_in_m2=inn, ratio=ratio,
                                 balances=balances):
            rows.append({"proposal_id": pid, "district": b.district, "kind": b.kind,
                         "area_m2": b.area_m2, "effect_m2": b.effect_m2,
                         "booked_at": pd.Timestamp(f"2026-0{len(rows) + 1}-01", tz="UTC")})
            balances[b.district] = balances.get(b.district, 0.0) + b.effect_m2
    led = pd.DataFrame(rows)
    bal = L.balances(led).set_index("district")
    assert bal.loc["A", "in_m2"] == 3500.0
    assert bal.loc["A", "out_m2"] == 3000.0
    assert bal.loc["A", "obligation_m2"] == pytest.approx(3200.0)
    assert bal.loc["A", "balance_m2"] == pytest.approx(300.0)
    assert bal.loc["A", "balance_mu"] == pytest.approx(0.45)
    assert bal.loc["B", "balance_m2"] == 2000.0 and bal.loc["B", "balance_mu"] == 3.0
    t = L.timeline(led)
    assert t[t.district == "A"]["balance_m2"].round(6).tolist() == [3000.0, 1000.0, 1500.0,
                                                                    300.0]
    assert L.mu(2000.0 / 3.0) == pytest.approx(1.0)


def test_negative_balance_is_refused_with_district_balance_and_shortfall() -> None:
    with pytest.raises(BalanceError) as e:
        L.plan_bookings("330212", area_out_m2=2000.0, area_in_m2=0.0, ratio=1.0,
                        balances={"330212": 1000.0}, where="CL-2026-0003")
    err = e.value
    assert err.where == "CL-2026-0003"
    assert "区县 330212 占补平衡不足" in err.message_zh
    assert "当前结余 1,000.00 m²（1.50 亩）" in err.message_zh
    assert "缺口 1,000.00 m²（1.50 亩）" in err.message_zh
    assert "district 330212" in err.message_en and "shortfall 1,000.00 m² (1.50 mu)" \
        in err.message_en
    assert err.hint_zh and err.hint_en
    # an adjustment that adds at least what it takes never needs a balance
    assert L.plan_bookings("330212", area_out_m2=2000.0, area_in_m2=2000.0, ratio=1.0,
                           balances={})


def test_inter_district_transfer_only_when_allowed_and_booked_on_both_sides() -> None:
    kw = {"area_out_m2": 3000.0, "area_in_m2": 0.0, "ratio": 1.0,
          "balances": {"A": 1000.0, "B": 5000.0}, "transfer_from": "B"}
    with pytest.raises(BalanceError, match="不允许跨区县调剂"):
        L.plan_bookings("A", allow_transfer=False, **kw)  # type: ignore[arg-type]
    rows = L.plan_bookings("A", allow_transfer=True, **kw)  # type: ignore[arg-type]
    assert [(r.district, r.kind, r.effect_m2, r.counterparty) for r in rows] == [
        ("A", "out", -3000.0, None), ("B", "transfer_out", -2000.0, "A"),
        ("A", "transfer_in", 2000.0, "B")]
    with pytest.raises(BalanceError, match="调剂来源区县 B 结余仅"):
        L.plan_bookings("A", allow_transfer=True, **{**kw, "balances": {"B": 500.0}})  # type: ignore[arg-type]


def _checks(areas: shapely.Geometry, **layers: gpd.GeoDataFrame) -> list[str]:
    return [p.code for p in L.check_replacement(
        L.as_multipolygon([areas], "t"), min_area_m2=2000.0, max_gap_m=10.0, **layers)]


def test_replacement_land_checks() -> None:
    assert _checks(sq(0, 0, 50, 50)) == []                                   # 2 500 m², one piece
    assert _checks(MultiPolygon([sq(0, 0, 50, 50), sq(55, 0, 80, 50)])) == []  # 5 m gap: contiguous
    assert _checks(MultiPolygon([sq(0, 0, 50, 50), sq(80, 0, 100, 50)])) == ["fragmented"]
    assert _checks(sq(0, 0, 20, 20)) == ["too_small"]
    red = gpd.GeoDataFrame({"kind": ["ecological_red_line"], "name": ["四明山"]},
                           geometry=[sq(40, 0, 200, 200)])
    codes = L.check_replacement(L.as_multipolygon([sq(0, 0, 50, 50)], "t"), min_area_m2=2000.0,
                                max_gap_m=10.0, constraints=red)
    assert [p.code for p in codes] == ["constraint_overlap"]
    assert "生态保护红线「四明山」" in codes[0].message_zh and "500.00 m²" in codes[0].message_zh
    touching = gpd.GeoDataFrame({"kind": ["permanent_basic_farmland"], "name": ["x"]},
                                geometry=[sq(50, 0, 90, 50)])
    assert _checks(sq(0, 0, 50, 50), constraints=touching) == []  # shared edge only
    industrial = gpd.GeoDataFrame({"label": ["block CL-1"]}, geometry=[sq(-10, -10, 10, 10)])
    assert _checks(sq(0, 0, 50, 50), industrial=industrial) == ["already_industrial"]
    with pytest.raises(ReplacementLandError, match="补划用地未通过核查") as e:
        L.raise_if_problems(L.check_replacement(L.as_multipolygon([sq(0, 0, 20, 20)], "t"),
                                                min_area_m2=2000.0, max_gap_m=10.0), "P")
    assert "below the minimum" in e.value.message_en


def test_parse_proposal_forms() -> None:
    ring = [[X, Y], [X + 50, Y], [X + 50, Y + 50], [X, Y + 50], [X, Y]]
    fc = {"type": "FeatureCollection",
          "properties": {"district": "330212", "reason": "道路", "documents": "批复.pdf"},
          "features": [
              {"type": "Feature", "properties": {"direction": "调出"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}},
              {"type": "Feature", "properties": {"direction": "in"},
               "geometry": {"type": "Polygon", "coordinates": [[[x + 100, y] for x, y in ring]]}}]}
    p = L.parse_proposal(fc)
    assert (p.district, p.area_out_m2, p.area_in_m2, p.documents) == ("330212", 2500.0, 2500.0,
                                                                       ["批复.pdf"])
    with pytest.raises(ValidationError, match="reason"):
        L.parse_proposal({"district": "330212", "out": sq(0, 0, 1, 1).wkt})
    with pytest.raises(ValidationError, match="direction"):
        L.parse_proposal({**fc, "features": [{**fc["features"][0], "properties": {}}]})


def test_line_edits_cut_merge_new_and_retire() -> None:
    blocks = gpd.GeoDataFrame({"block_id": ["A", "B"], "district": ["d", "d"]},
                              geometry=[MultiPolygon([sq(0, 0, 100, 100)]),
                                        MultiPolygon([sq(300, 0, 320, 20)])])
    edits = L.plan_line_edits(blocks, L.as_multipolygon([sq(0, 0, 20, 100), sq(300, 0, 320, 20)],
                                                        "o"),
                              L.as_multipolygon([sq(100, 0, 130, 100), sq(600, 0, 650, 50)], "i"),
                              district="d", max_gap_m=10.0)
    assert edits.retired == ["B"]
    assert edits.changed["A"].area == pytest.approx(8000.0 + 3000.0)
    assert edits.changed["A"].geom_type == "MultiPolygon" and len(edits.changed["A"].geoms) == 1
    assert [g.area for g in edits.new] == [2500.0]
