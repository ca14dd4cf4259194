"""Golden tests of the cluster and chain engine (issue #19): location quotients, HHI,
completeness, missing links, 链主 and their suppliers, and targets, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.clusters import ClusterParams, assign_links, cluster_tables

LINKS = pd.DataFrame(
    {
        "chain": ["c"] * 4 + ["d"],
        "link_id": ["up", "mid", "mid", "down", "only"],
        "stage": ["upstream", "midstream", "midstream", "downstream", "midstream"],
        "name_zh": ["上", "中", "中", "下", "唯"],
        "name_en": ["u", "m", "m", "d", "o"],
        "code": ["33", "3481", "3484", "36", "39"],
    }
)
PARAMS = ClusterParams(
    leader_min_output_wan=100.0, leader_top_n=1, supplier_radius_m=1000.0, target_parks_per_chain=2
)

# Firms (output 万元, land 亩, position in metres):
#   f1 A c 3391 (up)    output 100 land 10  park K   (0, 0)
#   f2 A c 3484 (mid)   output 200 land 10  park K   (500, 0)
#   f3 B c 3612 (down)  output 300 land 20  park L   (0, 0)
#   f4 B d 3981 (only)  output 400 land 20  park L   (5000, 0)
#   f5 A -  1411        output 100 land 10  no park  (0, 0)
FIRMS = pd.DataFrame(
    {
        "credit_code": ["f1", "f2", "f3", "f4", "f5"],
        "district": ["A", "A", "B", "B", "A"],
        "industry_code": ["3391", "3484", "3612", "3981", "1411"],
        "chain": ["c", "c", "c", "d", None],
        "output_wan": [100.0, 200.0, 300.0, 400.0, 100.0],
        "tax_wan": [10.0, 20.0, 30.0, 40.0, 10.0],
        "value_added_wan": [20.0, 40.0, 60.0, 80.0, 20.0],
        "land_mu": [10.0, 10.0, 20.0, 20.0, 10.0],
        "x": [0.0, 500.0, 0.0, 5000.0, 0.0],
        "y": [0.0] * 5,
    }
)
PARKS = pd.DataFrame({"credit_code": ["f1", "f2", "f3", "f4"], "park": ["K", "K", "L", "L"]})


def test_assign_links_longest_prefix() -> None:
    got = assign_links(FIRMS, LINKS).set_index("credit_code")["link_id"].to_dict()
    assert got == {"f1": "up", "f2": "mid", "f3": "down", "f4": "only"}


def test_zones_lq_hhi_completeness() -> None:
    t = cluster_tables(FIRMS, PARKS, set(), LINKS, PARAMS)
    z = t["zones"].set_index(["zone_kind", "zone"])
    c = z.loc[("chain", "c")]
    # chain c: 3 firms, land 40 亩, output 600 → 15 万元/亩; tax 60 → 1.5
    assert (c["firms"], c["land_mu"], c["output_wan"]) == (3, 40.0, 600.0)
    assert (c["output_per_mu"], c["tax_per_mu"]) == (15.0, 1.5)
    # HHI over districts: A 300/600 = 0.5, B 300/600 = 0.5 → 0.25 + 0.25 = 0.5
    assert c["hhi"] == 0.5
    # template links up, mid, down all filled → 3/3
    assert (c["links_total"], c["links_present"], c["completeness"]) == (3, 3, 1.0)
    # park K: f1 (c, up) + f2 (c, mid); lead chain c; down missing → 2/3 = 0.6667
    k = z.loc[("park", "K")]
    assert k["lead_chain"] == "c" and k["missing_links"] == "down"
    assert k["completeness"] == pytest.approx(0.6667)
    # park K's HHI over chains: all output in c → 1.0; park L: c 300, d 400 →
    # (3/7)² + (4/7)² = 9/49 + 16/49 = 25/49 = 0.5102; lead chain d (400 > 300)
    assert k["hhi"] == 1.0
    assert z.loc[("park", "L"), "hhi"] == pytest.approx(0.5102)
    assert z.loc[("park", "L"), "lead_chain"] == "d"
    # location quotients: city output 1 100; A 400, B 700; c 600, d 400
    # LQ(A, c) = (300/400) / (600/1100) = 0.75 / 0.54545 = 1.375
    # LQ(B, c) = (300/700) / (600/1100) = 0.42857 / 0.54545 = 0.7857
    # LQ(B, d) = (400/700) / (400/1100) = 0.57143 / 0.36364 = 1.5714
    lq = t["lq"].set_index(["district", "chain"])["lq"]
    assert lq[("A", "c")] == pytest.approx(1.375)
    assert lq[("B", "c")] == pytest.approx(0.7857)
    assert lq[("B", "d")] == pytest.approx(1.5714)
    links = t["links"].set_index(["chain", "link_id"])
    assert links.loc[("c", "mid"), ["firms", "parks"]].tolist() == [1, 1]


def test_missing_links_and_targets() -> None:
    firms = FIRMS[FIRMS["credit_code"] != "f3"]  # nobody downstream in c
    t = cluster_tables(firms, PARKS, set(), LINKS, PARAMS)
    c = t["zones"].set_index(["zone_kind", "zone"]).loc[("chain", "c")]
    assert (c["links_present"], c["missing_links"], c["completeness"]) == (
        2,
        "down",
        pytest.approx(0.6667),
    )
    # chain c's parks by chain output: K (300) only → target: K needs down (city_missing);
    # chain d's park L (400) has its only link
    assert t["targets"][["chain", "park", "link_id", "reason"]].values.tolist() == [
        ["c", "K", "down", "city_missing"]
    ]
    # with f3 back, park L (c output 300) also lacks up and mid, which the city has in K
    t2 = cluster_tables(FIRMS, PARKS, set(), LINKS, PARAMS)
    assert t2["targets"][["chain", "park", "link_id", "reason"]].values.tolist() == [
        ["c", "K", "down", "park_missing"],
        ["c", "L", "mid", "park_missing"],
        ["c", "L", "up", "park_missing"],
    ]


def test_leaders_by_designation_and_by_rule_with_suppliers() -> None:
    # by rule: chain c's top firm by output ≥ 100 is f3 (300, downstream); suppliers are
    # the earlier stages: f1 (up, 0 m away) and f2 (mid, 500 m) → 2 suppliers, 20 亩,
    # output 300, 1 district, 1 park, both within 1 000 m; chain d: f4 (no earlier stage)
    t = cluster_tables(FIRMS, PARKS, set(), LINKS, PARAMS)
    ld = t["leaders"].set_index("credit_code")
    assert ld.loc[
        "f3",
        [
            "chain",
            "basis",
            "suppliers",
            "supplier_land_mu",
            "supplier_output_wan",
            "supplier_districts",
            "supplier_parks",
            "suppliers_within_radius",
            "within_radius_share",
        ],
    ].tolist() == ["c", "rule", 2, 20.0, 300.0, 1, 1, 2, 1.0]
    assert ld.loc["f4", "suppliers"] == 0 and np.isnan(ld.loc["f4", "within_radius_share"])
    # a designation replaces the rule for its chain: f2 (midstream) → supplier f1 only
    t = cluster_tables(FIRMS, PARKS, {"f2"}, LINKS, PARAMS)
    ld = t["leaders"].set_index("credit_code")
    assert ld.loc["f2", ["basis", "suppliers"]].tolist() == ["designation", 1]
    assert "f3" not in ld.index
    z = t["zones"].set_index(["zone_kind", "zone"])
    assert z.loc[("chain", "c"), "leaders"] == "f2"
    # the output floor: with 500 万元 nobody in c qualifies by rule
    t = cluster_tables(FIRMS, PARKS, set(), LINKS, ClusterParams(500.0, 1, 1000.0, 2))
    assert t["leaders"]["chain"].tolist() == []
