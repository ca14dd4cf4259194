"""Redevelopment units (engines/units.py): hand-drawn parcels, arithmetic in the comments.

Coordinates are metres; box(x0, y0, x1, y1). A 100 m × 100 m square is 10 000 m² = 15 亩.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from indspace.core.engines.units import (
    MEMBER_COLUMNS,
    components,
    contiguity_pairs,
    delineate,
    unit_columns,
    unit_table,
)

ABCD = ("A", "B", "C", "D")
"""The grade classes of the bundled profiles, best first (grading.scale)."""


def frame(geoms: dict[str, object], district: str | None = "330203") -> gpd.GeoDataFrame:
    data: dict[str, object] = {"parcel_id": list(geoms)}
    if district is not None:
        data["district"] = district
    return gpd.GeoDataFrame(data, geometry=list(geoms.values()), crs="EPSG:4549")


def groups(members: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g) for g in members.groupby("unit_id")["parcel_id"].agg(list)}


def expected_id(ids: list[str], district: str | None = "330203") -> str:
    digest = hashlib.sha1(";".join(sorted(ids)).encode()).hexdigest()[:16]
    return f"U-{district}-{digest}" if district is not None else f"U-{digest}"


def test_touching_parcels_form_one_unit() -> None:
    # A and B share the edge x = 100; C is 200 m away
    p = frame({"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100),
               "C": box(400, 0, 500, 100)})
    m = delineate(p, 0.0)
    assert list(m.columns) == list(MEMBER_COLUMNS)
    assert groups(m) == {frozenset("AB"), frozenset("C")}
    assert len(m) == 3                                   # one row per parcel


def test_road_of_ten_metres_bridged_only_by_a_larger_gap() -> None:
    # A ends at x = 100, B starts at x = 110: a 10 m road between them
    p = frame({"A": box(0, 0, 100, 100), "B": box(110, 0, 210, 100)})
    assert groups(delineate(p, 5.0)) == {frozenset("A"), frozenset("B")}   # 10 > 5
    assert groups(delineate(p, 15.0)) == {frozenset("AB")}                 # 10 ≤ 15
    assert groups(delineate(p, 10.0)) == {frozenset("AB")}                 # distance ≤ gap


def test_diagonal_corner_gap_is_euclidean() -> None:
    # B is 10 m right and 10 m up of A's corner: distance √200 ≈ 14.14 m, envelopes grown
    # by 12 m overlap but the parcels are not within 12 m
    p = frame({"A": box(0, 0, 100, 100), "B": box(110, 110, 210, 210)})
    assert groups(delineate(p, 12.0)) == {frozenset("A"), frozenset("B")}
    assert groups(delineate(p, 14.2)) == {frozenset("AB")}


def test_ring_around_a_parcel_that_is_not_low_efficiency() -> None:
    # 3 × 3 squares of 100 m on a 110 m pitch (10 m roads); the centre (1, 1) is not
    # low-efficiency, so not in the input. Neighbours across a road are 10 m apart, diagonal
    # neighbours √200 ≈ 14.1 m; the eight ring parcels chain round the hole.
    ring = {f"R{i}{j}": box(110 * i, 110 * j, 110 * i + 100, 110 * j + 100)
            for i in range(3) for j in range(3) if (i, j) != (1, 1)}
    p = frame(ring)
    m = delineate(p, 10.0)
    assert groups(m) == {frozenset(ring)}
    assert m["unit_id"].iloc[0] == expected_id(list(ring))
    assert len(groups(delineate(p, 5.0))) == 8           # roads not bridged: 8 units of one


def test_multipolygon_parcel_bridges_two_groups() -> None:
    # left group A–B (touching), right group C–D (touching); M has one part 10 m right of B
    # and one part 10 m left of C. The parts are 100 m apart, but one parcel.
    left = {"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100)}
    right = {"C": box(400, 0, 500, 100), "D": box(500, 0, 600, 100)}
    bridge = MultiPolygon([box(210, 0, 250, 100), box(350, 0, 390, 100)])
    assert groups(delineate(frame(left | right), 10.0)) == {frozenset("AB"), frozenset("CD")}
    m = delineate(frame(left | right | {"M": bridge}), 10.0)
    assert groups(m) == {frozenset("ABCDM")}
    assert groups(delineate(frame(left | right | {"M": bridge}), 5.0)) == {
        frozenset("AB"), frozenset("CD"), frozenset("M")}


def test_ids_stable_under_shuffling_and_unrelated_changes() -> None:
    geoms = {"P1": box(0, 0, 100, 100), "P2": box(100, 0, 200, 100),
             "P3": box(1000, 0, 1100, 100), "P4": box(1105, 0, 1200, 100),
             "P5": box(5000, 0, 5100, 100)}
    base = delineate(frame(geoms), 10.0)
    shuffled = frame(geoms).sample(frac=1.0, random_state=3)
    assert not shuffled["parcel_id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(delineate(shuffled, 10.0), base)
    # another unit changes: P3–P4 loses P4, P5 moves; the P1–P2 unit keeps its id
    changed = {k: v for k, v in geoms.items() if k != "P4"}
    changed["P5"] = box(7000, 0, 7100, 100)
    other = delineate(frame(changed), 10.0).set_index("parcel_id")["unit_id"]
    ids = base.set_index("parcel_id")["unit_id"]
    assert other["P1"] == other["P2"] == ids["P1"] == expected_id(["P1", "P2"])
    assert other["P3"] != ids["P3"]                      # {P3} is not the unit {P3, P4}
    assert other["P5"] == ids["P5"] == expected_id(["P5"])  # same members, same id
    assert base["parcel_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]  # sorted by parcel


def test_unit_id_prefix_is_the_district_of_the_smallest_parcel_id() -> None:
    p = frame({"B": box(100, 0, 200, 100), "A": box(0, 0, 100, 100)})
    p["district"] = ["330204", "330203"]                 # A (smallest id) lies in 330203
    assert delineate(p, 0.0)["unit_id"].unique().tolist() == [expected_id(["A", "B"])]
    no_district = frame({"A": box(0, 0, 1, 1)}, district=None)
    assert delineate(no_district, 0.0)["unit_id"].tolist() == [expected_id(["A"], None)]


def test_empty_and_missing_geometries() -> None:
    p = frame({"A": box(0, 0, 100, 100), "B": None, "C": shapely.Polygon(),
               "D": box(100, 0, 200, 100)})
    assert groups(delineate(p, 10.0)) == {frozenset("AD"), frozenset("B"), frozenset("C")}
    empty = delineate(frame({}), 10.0)
    assert list(empty.columns) == list(MEMBER_COLUMNS) and empty.empty


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="gap_m"):
        delineate(frame({"A": box(0, 0, 1, 1)}), -1.0)
    dup = pd.concat([frame({"A": box(0, 0, 1, 1)})] * 2, ignore_index=True)
    with pytest.raises(ValueError, match="duplicate parcel_id"):
        delineate(dup, 5.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partition_equals_brute_force(seed: int) -> None:
    # 150 random rectangles (some overlapping, some far apart), pairwise distances by brute
    # force, components by a plain union-find
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 2000, 150), rng.uniform(0, 2000, 150)
    w, h = rng.uniform(5, 120, 150), rng.uniform(5, 120, 150)
    geoms = shapely.box(x, y, x + w, y + h)
    ids = [f"Q{k:03d}" for k in range(150)]
    p = gpd.GeoDataFrame({"parcel_id": ids}, geometry=geoms)
    gap = 15.0
    parent = list(range(150))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    dist = shapely.distance(geoms[:, None], geoms[None, :])
    for a, b in zip(*np.nonzero(dist <= gap), strict=True):
        parent[find(int(a))] = find(int(b))
    expected: dict[int, set[str]] = {}
    for k in range(150):
        expected.setdefault(find(k), set()).add(ids[k])
    assert groups(delineate(p, gap)) == {frozenset(s) for s in expected.values()}


def test_components_on_chains_in_any_order() -> None:
    # a path 0–1–…–999 with its edges and node numbers shuffled: one component labelled 0
    rng = np.random.default_rng(7)
    perm = rng.permutation(1000)
    edges = rng.permutation(999)
    lab = components(1000, perm[edges], perm[edges + 1])
    assert (lab == 0).all()
    # two chains and an isolated node: labels are each component's smallest node
    lab = components(6, np.array([4, 1]), np.array([5, 3]))
    assert lab.tolist() == [0, 1, 2, 1, 4, 4]
    assert components(3, np.array([], dtype=int), np.array([], dtype=int)).tolist() == [0, 1, 2]


def test_contiguity_pairs_once_each() -> None:
    g = np.array([box(0, 0, 10, 10), box(10, 0, 20, 10), box(25, 0, 30, 10)])
    i, j = contiguity_pairs(g, 5.0)
    # 0–1 touch (0 m), 1–2 are 5 m apart, 0–2 are 15 m apart
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (1, 2)]
    assert i.dtype == np.int32


# -- unit_table ---------------------------------------------------------------------------------

def table_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # P1, P2: 100 m squares touching (unit X, 20 000 m² = 30 亩)
    # P3: 50 × 100 m alone 200 m away (unit Y, 5 000 m² = 7.5 亩)
    p = frame({"P1": box(0, 0, 100, 100), "P2": box(100, 0, 200, 100),
               "P3": box(400, 0, 450, 100)})
    members = delineate(p, 5.0)
    attrs = pd.DataFrame({
        "parcel_id": ["P1", "P2", "P3"],
        "area_m2": [10_000.0, 10_000.0, 5_000.0],
        "owner_credit_code": ["O1", "O2", "O1"],
        "right_type": ["grant", "collective", "collective"],
        "inside_m2": [10_000.0, 4_000.0, 0.0],
    })
    # P3 has no buildings (no row); P1's tall storeys count twice in far_floor_m2
    stats = pd.DataFrame({"parcel_id": ["P1", "P2"], "floor_area_m2": [8_000.0, 5_000.0],
                          "far_floor_m2": [10_000.0, 5_000.0]})
    occupants = pd.DataFrame({"parcel_id": ["P1", "P1", "P2", "P2", "P3", "P9"],
                              "credit_code": ["E1", "E2", "E2", "E3", "E4", "E5"]})
    return members, attrs, stats, occupants


def test_unit_table_by_hand() -> None:
    members, attrs, stats, occ = table_inputs()
    grades = {"E1": "A", "E2": "C", "E3": "D", "E5": "A"}           # E4 ungraded
    # per-parcel targets: P1 工业上楼 2.0, P2 M0 2.5, P3 2.0
    t = unit_table(members, attrs, stats=stats, occupants=occ, grades=grades,
                   grade_classes=ABCD, target_far=np.array([2.0, 2.5, 2.0]))
    assert list(t.columns) == list(unit_columns(ABCD))
    assert t["unit_id"].is_monotonic_increasing
    x = t.set_index("parcel_ids").loc["P1;P2"]
    y = t.set_index("parcel_ids").loc["P3"]
    assert x["unit_id"] == expected_id(["P1", "P2"])
    assert (x["parcel_count"], y["parcel_count"]) == (2, 1)
    assert (x["area_m2"], x["area_mu"]) == (20_000.0, pytest.approx(30.0))  # 20 000·3/2000
    assert (y["area_m2"], y["area_mu"]) == (5_000.0, pytest.approx(7.5))
    assert (x["n_owners"], y["n_owners"]) == (2, 1)                 # O1, O2 | O1
    assert (x["n_enterprises"], y["n_enterprises"]) == (3, 1)       # E1 E2 E3 | E4
    assert [x[f"grade_{g}"] for g in "ABCD"] == [1, 0, 1, 1]        # E1 A, E2 C, E3 D
    assert [y[f"grade_{g}"] for g in "ABCD"] == [0, 0, 0, 0]        # E4 has no grade
    assert x["floor_area_m2"] == 13_000.0                            # 8 000 + 5 000
    assert x["far_floor_m2"] == 15_000.0                             # 10 000 + 5 000
    assert x["far"] == pytest.approx(0.75)                           # 15 000 / 20 000
    assert (y["floor_area_m2"], y["far"]) == (0.0, 0.0)              # no buildings
    assert (x["n_collective"], x["collective_share"]) == (1, 0.5)    # P2: 10 000 / 20 000
    assert (y["n_collective"], y["collective_share"]) == (1, 1.0)
    assert x["inside_share"] == pytest.approx(0.7)                   # 14 000 / 20 000
    assert y["inside_share"] == 0.0
    # allowed at target: 2.0·10 000 + 2.5·10 000 = 45 000 → mean target 45 000/20 000 = 2.25
    assert x["target_far"] == pytest.approx(2.25)
    assert x["potential_gfa_m2"] == pytest.approx(30_000.0)          # 45 000 − 15 000
    assert y["potential_gfa_m2"] == pytest.approx(10_000.0)          # 2.0·5 000 − 0


def test_unit_table_scalar_and_series_targets() -> None:
    members, attrs, stats, _ = table_inputs()
    t = unit_table(members, attrs, stats=stats, grade_classes=ABCD,
                   target_far=2.0).set_index("parcel_ids")
    assert t.loc["P1;P2", "potential_gfa_m2"] == pytest.approx(25_000.0)  # 40 000 − 15 000
    by_id = pd.Series({"P3": 2.5, "P2": 2.5, "P1": 2.5})
    t = unit_table(members, attrs, stats=stats, grade_classes=ABCD,
                   target_far=by_id).set_index("parcel_ids")
    assert t.loc["P1;P2", "potential_gfa_m2"] == pytest.approx(35_000.0)  # 50 000 − 15 000
    assert t.loc["P3", "potential_gfa_m2"] == pytest.approx(12_500.0)     # 2.5 · 5 000


def test_potential_is_never_negative_and_floor_area_may_come_with_the_parcels() -> None:
    # 10 × 10 m parcel (100 m²) already at FAR 3: allowed 2.0 · 100 = 200 < 300 → 0
    p = frame({"Z": box(0, 0, 10, 10)})
    attrs = pd.DataFrame({"parcel_id": ["Z"], "area_m2": [100.0], "floor_area_m2": [300.0],
                          "far_floor_m2": [300.0]})
    t = unit_table(delineate(p, 5.0), attrs, grade_classes=ABCD, target_far=2.0)
    assert t.loc[0, "far"] == 3.0
    assert t.loc[0, "potential_gfa_m2"] == 0.0


def test_unit_table_with_only_geometry() -> None:
    # no attributes: area from the geometry, the rest NA / NaN
    p = frame({"A": box(0, 0, 100, 100), "B": box(100, 0, 150, 100)})
    t = unit_table(delineate(p, 0.0), p, grade_classes=ABCD, target_far=2.0)
    assert t.loc[0, "area_m2"] == 15_000.0                          # 10 000 + 5 000
    assert t.loc[0, "parcel_ids"] == "A;B"
    assert pd.isna(t.loc[0, "n_owners"]) and pd.isna(t.loc[0, "grade_A"])
    assert np.isnan(t.loc[0, "far"]) and np.isnan(t.loc[0, "potential_gfa_m2"])
    assert t.loc[0, "target_far"] == 2.0


def test_unit_table_refuses_unknown_members_and_missing_targets() -> None:
    members, attrs, _, _ = table_inputs()
    with pytest.raises(ValueError, match="not in parcels"):
        unit_table(members, attrs[attrs["parcel_id"] != "P3"], grade_classes=ABCD,
                   target_far=2.0)
    with pytest.raises(ValueError, match="target_far"):
        unit_table(members, attrs, grade_classes=ABCD,
                   target_far=pd.Series({"P1": 2.0}))


def test_space_ledger_by_hand() -> None:
    import pandas as pd

    from indspace.core.engines.units import space_ledger

    units = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "parcel_count": [3, 1, 2],
                          "area_mu": [30.0, 5.0, 15.0],
                          "floor_area_m2": [10000.0, 2000.0, 6000.0],
                          "potential_gfa_m2": [30000.0, 4666.67, 14000.0]})
    led = space_ledger(units, pd.Series({"U1": "330212", "U2": "330212", "U3": "330203"}),
                       target_mu=100.0).set_index("district")
    # 330212: U1 + U2 → 4 parcels, 35 亩, 2 units of which 1 multi-parcel
    assert led.loc["330212", ["low_efficiency_parcels", "units", "multi_parcel_units"]] \
        .tolist() == [4, 2, 1]
    assert led.loc["330212", "low_efficiency_mu"] == 35.0
    # city: 50 亩 of a 100 亩 target → 0.5; potential 30 000 + 4 666.67 + 14 000
    assert led.loc["全市", "identified_share_of_target"] == 0.5
    assert led.loc["全市", "potential_gfa_m2"] == pytest.approx(48666.67)
    assert pd.isna(led.loc["330203", "target_mu"])


def test_target_far_by_district_from_the_profile() -> None:
    """Land rules B1 with the ningbo-demo values: 市区 2.0, M0 2.5, 慈溪 its own 2.0 [C],
    象山 / 宁海 / 余姚 the A6 industry floor of the occupant's division (34 通用设备 0.7,
    25 石油加工 0.5), an unknown division the lowest A6 floor (0.5)."""
    from datetime import date

    from indspace.core.engines.units import target_far_by_parcel
    from indspace.core.policy import load_profile

    prof = load_profile("ningbo-demo")
    on = date(2026, 1, 1)
    p = pd.DataFrame({
        "parcel_id": ["haishu", "m0", "cixi", "xiangshan", "ninghai", "yuyao"],
        "district": ["330203", "330225", "330282", "330225", "330226", "330281"],
        "land_use_code": ["100101", "1001M0", "100101", "100101", "100102", "100101"],
        "division": ["34", "34", "34", "34", "25", None]})
    table = prof.value("min_plot_ratio_by_industry", on)
    got = target_far_by_parcel(
        p, urban_districts=prof.value("urban_districts", on),
        urban_far=prof.value("min_plot_ratio_new_supply_urban", on),
        m0_far=prof.value("min_plot_ratio_m0", on),
        district_far=prof.value("min_plot_ratio_new_supply_by_district", on),
        industry_far={str(k): float(v) for k, v in table.items()})
    assert got.to_dict() == {"haishu": 2.0, "m0": 2.5, "cixi": 2.0, "xiangshan": 0.7,
                             "ninghai": 0.5, "yuyao": 0.5}
