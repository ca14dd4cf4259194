"""Zone roll-up: golden figures worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from indspace.core.engines.zones import rollup_columns, rollup_zones, zone_map
from indspace.core.policy import load_profile

#        status         grade  tax  VA   land   district  park  chains
FIRMS = [
    ("F1", "graded",     "A", 100, 400, 10,   "海曙区", "P1", ["汽车", "模具", "电子"]),
    ("F2", "graded",     "B",  60, 300, 10,   "海曙区", "P1", []),
    ("F3", "graded",     "C",  20, 100, 10,   "海曙区", "P2", []),
    ("F4", "vetoed",     "D",   5,  50,  5,   "海曙区", None, []),
    ("F5", "ungraded",   None, 15, 150, 15,   "海曙区", None, []),
    ("F6", "graded",     "A", 200, 800, 20,   "鄞州区", "P1", ["汽车"]),
    ("F7", "graded",     "D",  10,  40, 10,   "鄞州区", None, ["模具"]),
    ("F8", "merged",     "A",  20,  60,  0,   "鄞州区", None, []),       # F6's tenant
    ("F9", "not_evaluated", None, 999, 999, 99, "海曙区", "P3", []),     # never counted
]


SCALE = load_profile("ningbo-demo").evaluation_method(date(2025, 1, 1)).grading.scale
"""A, B, C, D best → worst; A and B good."""
ROLLUP_COLUMNS = rollup_columns(SCALE)


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    results = pd.DataFrame({"credit_code": [f[0] for f in FIRMS], "year": 2024,
                            "status": [f[1] for f in FIRMS],
                            "grade": pd.array([f[2] for f in FIRMS], dtype="string")})
    figures = pd.DataFrame({"credit_code": [f[0] for f in FIRMS],
                            "tax": [float(f[3]) for f in FIRMS],
                            "value_added": [float(f[4]) for f in FIRMS],
                            "land_area_mu": [float(f[5]) for f in FIRMS]})
    links = [(f[0], "district", f[6]) for f in FIRMS]
    links += [(f[0], "park", f[7]) for f in FIRMS if f[7]]
    links += [(f[0], "chain", c) for f in FIRMS for c in f[8]]
    zones = pd.DataFrame(links, columns=["credit_code", "zone_kind", "zone"])
    return results, figures, zones


def _row(out: pd.DataFrame, kind: str, zone: str) -> pd.Series:
    hit = out[(out["zone_kind"] == kind) & (out["zone"] == zone)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_district_golden() -> None:
    out = rollup_zones(*_inputs(), SCALE)
    hs = _row(out, "district", "海曙区")
    # F1–F5 evaluated; F1–F4 graded (one each of A/B/C/D); F5 ungraded; F9 left out
    assert (hs["firms_evaluated"], hs["firms_graded"], hs["firms_ungraded"]) == (5, 4, 1)
    assert (hs["n_a"], hs["n_b"], hs["n_c"], hs["n_d"]) == (1, 1, 1, 1)
    assert hs["a_share"] == hs["d_share"] == 0.25
    # Σtax 100+60+20+5+15 = 200, ΣVA 1000, Σland 50 → 4.0 and 20.0 万元/亩
    assert (hs["tax"], hs["value_added"], hs["land_area_mu"]) == (200, 1000, 50)
    assert hs["tax_per_mu"] == pytest.approx(4.0)
    assert hs["value_added_per_mu"] == pytest.approx(20.0)
    assert hs["ab_land_share"] == pytest.approx(20 / 50)     # F1 + F2
    assert hs["d_land_share"] == pytest.approx(5 / 50)       # F4 (vetoed)

    yz = _row(out, "district", "鄞州区")
    # F6, F7 evaluated; tenant F8 adds its tax and VA, not a firm, not land
    assert (yz["firms_evaluated"], yz["firms_graded"], yz["n_a"], yz["n_d"]) == (2, 2, 1, 1)
    assert (yz["a_share"], yz["b_share"], yz["d_share"]) == (0.5, 0.0, 0.5)
    assert yz["tax_per_mu"] == pytest.approx(230 / 30)
    assert yz["value_added_per_mu"] == pytest.approx(900 / 30)
    assert yz["ab_land_share"] == pytest.approx(20 / 30)
    assert yz["d_land_share"] == pytest.approx(10 / 30)
    assert (yz["rank"], hs["rank"]) == (1, 2)                # 7.67 > 4.0


def test_parks_and_chains_rank_with_ties() -> None:
    out = rollup_zones(*_inputs(), SCALE)
    p1 = _row(out, "park", "P1")                             # F1 + F2 + F6
    assert p1["tax_per_mu"] == pytest.approx(360 / 40)
    assert p1["value_added_per_mu"] == pytest.approx(1500 / 40)
    assert (p1["n_a"], p1["n_b"], p1["ab_land_share"], p1["d_land_share"]) == (2, 1, 1.0, 0.0)
    assert (p1["rank"], _row(out, "park", "P2")["rank"]) == (1, 2)
    assert "P3" not in set(out["zone"])                      # only a not_evaluated firm

    # 汽车 F1+F6: 300/30 = 10; 电子 F1: 100/10 = 10 (tie); 模具 F1+F7: 110/20 = 5.5
    chains = out[out["zone_kind"] == "chain"].set_index("zone")
    assert chains.loc["汽车", "tax_per_mu"] == chains.loc["电子", "tax_per_mu"] == 10
    assert chains["rank"].to_dict() == {"汽车": 1, "电子": 1, "模具": 3}
    assert chains.index.tolist() == ["汽车", "电子", "模具"]      # by rank, then zone name


def test_columns_and_order() -> None:
    out = rollup_zones(*_inputs(), SCALE)
    assert list(out.columns) == [*ROLLUP_COLUMNS[:2], "year", *ROLLUP_COLUMNS[2:]]
    assert (out["year"] == 2024).all()
    assert out["zone_kind"].tolist() == ["chain"] * 3 + ["district"] * 2 + ["park"] * 2
    # without last year's roll-up the year-on-year columns are empty
    yoy = ["tax_per_mu_yoy", "value_added_per_mu_yoy", "ab_land_share_change",
           "d_land_share_change", "firms_evaluated_change", "rank_change"]
    assert out[yoy].isna().all().all()


def test_year_on_year_golden() -> None:
    previous = pd.DataFrame({
        "zone_kind": ["district", "district"], "zone": ["海曙区", "鄞州区"],
        "tax_per_mu": [5.0, 6.0], "value_added_per_mu": [25.0, 20.0],
        "ab_land_share": [0.5, 0.5], "d_land_share": [0.0, 0.5],
        "firms_evaluated": [4, 3], "rank": [1, 2]})
    out = rollup_zones(*_inputs(), SCALE, previous=previous)
    hs = _row(out, "district", "海曙区")
    assert hs["tax_per_mu_yoy"] == pytest.approx(4 / 5 - 1)         # −20 %
    assert hs["value_added_per_mu_yoy"] == pytest.approx(20 / 25 - 1)
    assert hs["ab_land_share_change"] == pytest.approx(0.4 - 0.5)
    assert hs["d_land_share_change"] == pytest.approx(0.1 - 0.0)
    assert (hs["firms_evaluated_change"], hs["rank_change"]) == (1, -1)   # fell from 1 to 2
    yz = _row(out, "district", "鄞州区")
    assert yz["tax_per_mu_yoy"] == pytest.approx((230 / 30) / 6 - 1)    # 5/18
    assert yz["value_added_per_mu_yoy"] == pytest.approx(0.5)
    assert yz["ab_land_share_change"] == pytest.approx(2 / 3 - 0.5)
    assert yz["d_land_share_change"] == pytest.approx(1 / 3 - 0.5)
    assert (yz["firms_evaluated_change"], yz["rank_change"]) == (-1, 1)
    assert pd.isna(_row(out, "park", "P1")["tax_per_mu_yoy"])          # no park last year


def test_same_year_twice_changes_nothing() -> None:
    first = rollup_zones(*_inputs(), SCALE)
    again = rollup_zones(*_inputs(), SCALE, previous=first)
    assert (again["tax_per_mu_yoy"] == 0).all()
    assert (again["rank_change"] == 0).all()
    assert (again["firms_evaluated_change"] == 0).all()


def test_zone_without_land_has_no_rank() -> None:
    results, figures, zones = _inputs()
    zones = pd.concat([zones, pd.DataFrame({"credit_code": ["F8", "F5"], "zone_kind": "park",
                                            "zone": ["P9", "P9"]})], ignore_index=True)
    figures.loc[figures["credit_code"] == "F5", "land_area_mu"] = 0.0
    p9 = _row(rollup_zones(results, figures, zones, SCALE), "park", "P9")
    assert p9["firms_evaluated"] == 1 and p9["firms_graded"] == 0
    assert pd.isna(p9["tax_per_mu"]) and pd.isna(p9["rank"]) and pd.isna(p9["a_share"])


def test_zone_map_from_enterprise_columns() -> None:
    firms = pd.DataFrame({"credit_code": ["F1", "F2"], "district": ["海曙区", "鄞州区"],
                          "park": ["P1", ""], "chain": [None, "汽车"]})
    got = zone_map(firms)
    assert got.values.tolist() == [["F1", "district", "海曙区"], ["F2", "district", "鄞州区"],
                                   ["F1", "park", "P1"], ["F2", "chain", "汽车"]]
    assert zone_map(firms, kinds=("nowhere",)).empty
