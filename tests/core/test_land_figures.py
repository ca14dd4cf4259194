"""Golden cases of the overlay engine (issue #13), every figure worked by hand.

The drawing (metres, y up; the road is the strip 100 ≤ y ≤ 110 between P1/P2 and P3)::

    P3  box(0,110,100,210)                       P4  two parts: box(300,0,340,50)
    ── road ──────────────────────────                          + box(360,0,400,50)
    P1  box(0,0,100,100)   P2  box(100,0,200,100)  P5  box(500,0,600,100) with a hole
                                                         box(540,40,560,60) = parcel P6
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
import shapely.affinity

from indspace.core.engines.land_figures import (
    FIGURE_COLUMNS,
    ISSUE_KINDS,
    land_figures,
    overlay_buildings,
    place,
)

HOLE = shapely.box(540, 40, 560, 60)
PARCELS = pd.DataFrame(
    {
        "parcel_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "geometry": [
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(0, 110, 100, 210),
            shapely.MultiPolygon([shapely.box(300, 0, 340, 50), shapely.box(360, 0, 400, 50)]),
            shapely.box(500, 0, 600, 100).difference(HOLE),
            HOLE,
        ],
    }
)

B = [  # building_id, parcel_id attribute, floors, height_m, gfa_m2, geometry
    ("B1", None, 2, 8.0, None, shapely.box(90, 10, 110, 30)),  # across P1 | P2
    ("B2", "P1", 1, 8.0, None, shapely.box(10, 95, 30, 105)),  # half in the road
    ("B3", None, 2, 16.0, None, shapely.box(20, 20, 40, 40)),  # storey exactly 8 m
    ("B4", None, 2, 16.02, None, shapely.box(120, 20, 140, 40)),  # storey 8.01 m
    ("B5", None, 3, 9.0, None, shapely.box(310, 10, 330, 30)),  # P4, first part
    ("B5b", None, 1, 4.0, None, shapely.box(370, 10, 380, 20)),  # P4, second part
    ("B6", None, 1, 4.0, None, shapely.box(545, 45, 555, 55)),  # in P5's hole = P6
    ("B7", None, 4, 12.0, None, shapely.box(510, 10, 530, 30)),  # P5 proper
    ("B8", None, 3, 9.0, 900.0, shapely.box(95, 60, 105, 80)),  # gfa across P1 | P2
    ("B9", "P1", 1, 5.0, None, shapely.box(150, 60, 170, 80)),  # says P1, stands in P2
    ("B10", "P3", 2, None, 500.0, None),  # no geometry: attribute
    ("B11", None, 2, None, 500.0, None),  # no geometry, no parcel
    ("B12", None, 1, 4.0, None, shapely.box(150, 102, 160, 108)),  # wholly in the road
]
BUILDINGS = pd.DataFrame(
    B, columns=["building_id", "parcel_id", "floors", "height_m", "gfa_m2", "geometry"]
)


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    ov = overlay_buildings(PARCELS, BUILDINGS)
    return land_figures(PARCELS, BUILDINGS, ov, storey_limit_m=8.0).set_index("parcel_id")


def test_columns_are_the_contract(figures: pd.DataFrame) -> None:
    assert ["parcel_id", *figures.columns] == list(FIGURE_COLUMNS)


def test_parcel_p1(figures: pd.DataFrame) -> None:
    # footprint: B1 half 10×20 = 200, B2 in-parcel half 20×5 = 100, B3 20×20 = 400,
    # B8 half 5×20 = 100                                                   → 800 m²
    # floor: B1 200×2 = 400; B2 100×1 = 100; B3 400×2 = 800 (storey 16/2 = 8.0 m: exactly
    # the limit, counted once); B8 gfa 900 × (100/200) = 450               → 1 750 m²
    # FAR 1 750 / 10 000 = 0.175; coverage 800 / 10 000 = 0.08; 4 buildings
    r = figures.loc["P1"]
    assert r["area_m2"] == 10_000
    assert r["footprint_m2"] == pytest.approx(800)
    assert r["floor_area_m2"] == pytest.approx(1_750)
    assert r["far_floor_m2"] == pytest.approx(1_750)
    assert r["far"] == pytest.approx(0.175)
    assert r["coverage"] == pytest.approx(0.08)
    assert r["n_buildings"] == 4


def test_parcel_p2_storey_over_the_limit_counts_twice(figures: pd.DataFrame) -> None:
    # footprint: B1 200 + B4 400 + B8 100 + B9 400 (its parcel_id says P1)  → 1 100 m²
    # floor: B1 400 + B4 400×2 = 800 + B8 450 + B9 400                     → 2 050 m²
    # FAR floor: B4's storey 16.02/2 = 8.01 m > 8 m → 800 counts twice: 2 050 + 800 = 2 850
    r = figures.loc["P2"]
    assert r["footprint_m2"] == pytest.approx(1_100)
    assert r["floor_area_m2"] == pytest.approx(2_050)
    assert r["far_floor_m2"] == pytest.approx(2_850)
    assert r["far"] == pytest.approx(0.285)
    assert r["n_buildings"] == 4


def test_building_without_geometry_falls_back_to_its_parcel_id(figures: pd.DataFrame) -> None:
    # B10: no geometry, parcel_id P3, gfa 500 → floor 500 on P3, footprint unknown (0)
    r = figures.loc["P3"]
    assert (r["footprint_m2"], r["floor_area_m2"], r["far_floor_m2"]) == (0, 500, 500)
    assert r["far"] == pytest.approx(0.05)
    assert r["n_buildings"] == 1


def test_two_part_parcel(figures: pd.DataFrame) -> None:
    # P4 = 40×50 + 40×50 = 4 000 m²; B5 20×20 = 400 × 3 floors = 1 200; B5b 10×10 = 100
    # FAR (1 200 + 100) / 4 000 = 0.325; coverage 500 / 4 000 = 0.125
    r = figures.loc["P4"]
    assert r["area_m2"] == 4_000
    assert r["floor_area_m2"] == pytest.approx(1_300)
    assert r["far"] == pytest.approx(0.325)
    assert r["coverage"] == pytest.approx(0.125)
    assert r["n_buildings"] == 2


def test_parcel_with_a_hole_and_the_building_in_the_hole(figures: pd.DataFrame) -> None:
    # P5 = 100×100 − 20×20 = 9 600 m²; only B7 (20×20 × 4 floors = 1 600) stands on it
    # B6 stands in the hole, which is parcel P6 (400 m²): 10×10 = 100 m², FAR 0.25
    p5, p6 = figures.loc["P5"], figures.loc["P6"]
    assert p5["area_m2"] == 9_600
    assert p5["floor_area_m2"] == pytest.approx(1_600)
    assert p5["far"] == pytest.approx(1_600 / 9_600)
    assert p5["n_buildings"] == 1
    assert (p6["footprint_m2"], p6["far"], p6["n_buildings"]) == (100, 0.25, 1)


def test_pieces_split_by_area() -> None:
    pieces = overlay_buildings(PARCELS, BUILDINGS).pieces.set_index(["building_id", "parcel_id"])
    assert pieces.loc[("B1", "P1"), "share"] == pytest.approx(0.5)
    assert pieces.loc[("B1", "P2"), "share"] == pytest.approx(0.5)
    assert pieces.loc[("B2", "P1"), "footprint_m2"] == pytest.approx(100)
    assert pieces.loc[("B2", "P1"), "share"] == pytest.approx(0.5)  # the rest is road
    assert pieces.loc[("B10", "P3"), "source"] == "attribute"
    assert pieces.loc[("B6", "P6"), "share"] == 1.0
    assert ("B6", "P5") not in pieces.index
    assert "B12" not in pieces.index.get_level_values(0)


def test_data_quality_list() -> None:
    issues = overlay_buildings(PARCELS, BUILDINGS).issues
    got = {(r.building_id, r.issue): r for r in issues.itertuples()}
    assert set(got) == {
        ("B2", "partly_outside"),
        ("B12", "outside_parcels"),
        ("B9", "parcel_id_disagrees"),
        ("B10", "attribute_fallback"),
        ("B11", "unplaced"),
    }
    assert got[("B2", "partly_outside")].area_m2 == pytest.approx(100)  # 20×5 in the road
    assert got[("B12", "outside_parcels")].area_m2 == pytest.approx(60)  # 10×6
    b9 = got[("B9", "parcel_id_disagrees")]
    assert (b9.parcel_id, b9.geometry_parcel_id) == ("P1", "P2")
    assert set(ISSUE_KINDS) >= set(issues["issue"])


def test_attribute_agreeing_with_geometry_is_not_a_note() -> None:
    # B2 says P1 and most of its footprint in a parcel is in P1: no parcel_id note
    issues = overlay_buildings(PARCELS, BUILDINGS).issues
    assert not ((issues["building_id"] == "B2") & (issues["issue"] == "parcel_id_disagrees")).any()


def test_threads_do_not_change_the_result() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 2_000, 30_000).astype(float)
    y = rng.integers(0, 2_000, 30_000).astype(float)
    buildings = shapely.box(x, y, x + 7, y + 5)
    i, j = np.meshgrid(np.arange(40), np.arange(40))
    parcels = shapely.box(
        i.ravel() * 50.0, j.ravel() * 50.0, i.ravel() * 50.0 + 45, j.ravel() * 50.0 + 45
    )
    one = place(parcels, buildings, threads=1)
    two = place(parcels, buildings, threads=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    # every piece lies inside its building: Σ pieces ≤ footprint, and a building wholly
    # inside a parcel gives exactly its 35 m²
    placed = np.bincount(one[0], weights=one[2], minlength=len(buildings))
    assert (placed <= one[3] + 1e-9).all()
    assert np.isin(35.0, one[2])


def test_empty_inputs() -> None:
    empty_b = BUILDINGS.iloc[0:0]
    ov = overlay_buildings(PARCELS, empty_b)
    out = land_figures(PARCELS, empty_b, ov, 8.0)
    assert out["far"].tolist() == [0.0] * 6
    assert out["n_buildings"].tolist() == [0] * 6
    assert len(ov.issues) == 0


def test_rotated_scene_gives_the_same_figures(figures: pd.DataFrame) -> None:
    # turned by 30°, no shape is an axis-aligned rectangle any more: every straddling pair
    # goes through shapely.intersection instead of the rectangle arithmetic, and the
    # figures (areas are invariant under rotation) must not change
    def turn(frame: pd.DataFrame) -> pd.DataFrame:
        geoms = [
            None if g is None else shapely.affinity.rotate(g, 30, origin=(0, 0))
            for g in frame["geometry"]
        ]
        return frame.assign(geometry=geoms)

    parcels, buildings = turn(PARCELS), turn(BUILDINGS)
    ov = overlay_buildings(parcels, buildings)
    turned = land_figures(parcels, buildings, ov, 8.0).set_index("parcel_id")
    pd.testing.assert_frame_equal(turned, figures, check_exact=False, rtol=1e-9, atol=1e-6)
    kinds = sorted(ov.issues["issue"])
    assert kinds == sorted(overlay_buildings(PARCELS, BUILDINGS).issues["issue"])


def test_arrays_give_what_frames_give() -> None:
    """The file tool hands the engine plain arrays (no pandas): the same overlay, figures
    and data-quality list as from the frames."""
    from indspace.core.engines.land_figures import figure_table

    parcels = {
        "parcel_id": PARCELS["parcel_id"].to_numpy(dtype=object),
        "geometry": PARCELS["geometry"].to_numpy(dtype=object),
    }
    buildings = {
        "building_id": BUILDINGS["building_id"].to_numpy(dtype=object),
        "parcel_id": np.array([b[1] for b in B], dtype=object),
        **{c: BUILDINGS[c].to_numpy(dtype=float) for c in ("floors", "height_m", "gfa_m2")},
        "geometry": BUILDINGS["geometry"].to_numpy(dtype=object),
    }
    ov_a = overlay_buildings(parcels, buildings)
    ov_f = overlay_buildings(PARCELS, BUILDINGS)
    pd.testing.assert_frame_equal(ov_a.pieces, ov_f.pieces)
    pd.testing.assert_frame_equal(ov_a.issues, ov_f.issues)
    assert ov_a.issue_counts() == ov_f.issue_counts()
    table = figure_table(parcels, buildings, ov_a, storey_limit_m=8.0)
    assert list(table) == list(FIGURE_COLUMNS)
    pd.testing.assert_frame_equal(
        pd.DataFrame(table), land_figures(PARCELS, BUILDINGS, ov_f, storey_limit_m=8.0)
    )


def test_parcel_id_attribute_lookup_takes_the_first_of_repeated_ids() -> None:
    from indspace.core.engines.land_figures import _positions

    ids = np.array(["P1", "P2", "P1", None], dtype=object)
    wanted = np.array(["P1", "P2", "P9", None, float("nan"), ""], dtype=object)
    assert _positions(ids, wanted).tolist() == [0, 1, -1, -1, -1, -1]
    assert _positions(ids, pd.array(["P2", None], dtype="string")).tolist() == [1, -1]


def test_rectangle_test_knows_a_rectangle_from_its_lookalikes() -> None:
    from indspace.core.engines.shapes import Shapes

    geoms = np.array(
        [
            shapely.box(0, 0, 10, 5),  # a rectangle
            shapely.MultiPolygon([shapely.box(0, 0, 10, 5)]),  # one part: a rectangle too
            shapely.Polygon([(0, 0), (0, 5), (10, 5), (10, 0)]),  # the other way round
            shapely.Polygon([(0, 0), (10, 5), (10, 0), (0, 5)]),  # bow tie on the corners
            shapely.Polygon([(0, 0), (10, 0), (10, 5), (0, 5), (0, 2)]),  # 6 coordinates
            shapely.box(0, 0, 10, 5).difference(shapely.box(4, 1, 6, 2)),  # a hole
            shapely.affinity.rotate(shapely.box(0, 0, 10, 5), 30),  # turned
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]),
            shapely.Polygon([(0, 0), (10, 0), (10, 0), (0, 0)]),  # no height
            shapely.Polygon(),
            None,
        ],
        dtype=object,
    )
    assert Shapes.from_geos(geoms).rect.tolist() == [True] * 3 + [False] * 8
    wkb = pa.array(shapely.to_wkb(geoms), pa.binary())
    assert Shapes.from_wkb(wkb).rect.tolist() == [True] * 3 + [False] * 8


def test_covers_from_the_bounds_is_what_geos_says() -> None:
    """Rectangle parcels decide ``covers`` from the bounds, the others ask GEOS: both must
    give GEOS's answer for every pair, buildings on, inside and across the edges."""
    from indspace.core.engines.land_figures import _covers, _Workers
    from indspace.core.engines.shapes import Shapes

    rng = np.random.default_rng(20)
    parcels = np.array(
        [
            shapely.box(0, 0, 100, 100),
            shapely.MultiPolygon([shapely.box(100, 0, 200, 100)]),
            shapely.affinity.rotate(shapely.box(0, 100, 100, 200), 10),
            shapely.box(100, 100, 200, 200).difference(shapely.box(140, 140, 160, 160)),
            shapely.box(140, 140, 160, 160),
        ],
        dtype=object,
    )
    # corners on a 10 m grid so many buildings touch or run along parcel edges exactly
    x0, y0 = rng.integers(-2, 20, 400) * 10.0, rng.integers(-2, 20, 400) * 10.0
    w, h = rng.integers(1, 5, 400) * 10.0, rng.integers(1, 5, 400) * 10.0
    buildings = shapely.box(x0, y0, x0 + w, y0 + h)
    buildings[::37] = None
    bi, pi = shapely.STRtree(parcels).query(buildings)
    with _Workers(1) as workers:
        got = _covers(Shapes.from_geos(parcels), Shapes.from_geos(buildings), pi, bi, workers)
    want = shapely.covers(parcels[pi], buildings[bi])
    assert got.tolist() == want.tolist()
    assert 50 < got.sum() < len(got) - 50  # both answers are well represented
    assert not any(shapely.is_prepared(parcels))  # the caller's parcels left unprepared


@pytest.mark.parametrize("threads", [1, 2])
def test_tiles_give_the_pieces_of_the_whole(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    # 30 000 buildings read from WKB (rectangles, rotated rectangles, triangles, a long
    # shed, nulls and empties) on a 40 × 40 grid of parcels (rectangles and rotated
    # ones): placed in tiles of 500 buildings, every array equals the one-piece run, bit
    # for bit (order included: the sums add the pieces in that order)
    import shapely.affinity as aff

    from indspace.core.engines import land_figures as lf
    from indspace.core.engines.shapes import Shapes

    rng = np.random.default_rng(11)
    n = 30_000
    x = rng.uniform(0, 2_000, n)
    y = rng.uniform(0, 2_000, n)
    geoms = shapely.box(x, y, x + rng.uniform(3, 30, n), y + rng.uniform(3, 20, n))
    turn = rng.random(n) < 0.1
    geoms[turn] = [aff.rotate(g, 20, origin="centroid") for g in geoms[turn]]
    tri = np.flatnonzero(rng.random(n) < 0.05)
    geoms[tri] = shapely.polygons(
        np.stack([np.c_[x[tri], y[tri]], np.c_[x[tri] + 9, y[tri]], np.c_[x[tri], y[tri] + 9]], 1)
    )
    geoms[5] = shapely.box(0, 500, 1_900, 530)  # a shed across the grid: placed apart
    geoms[6], geoms[7] = None, shapely.Polygon()
    i, j = np.meshgrid(np.arange(40), np.arange(40))
    parcels = shapely.box(
        i.ravel() * 50.0, j.ravel() * 50.0, i.ravel() * 50.0 + 45, j.ravel() * 50.0 + 45
    )
    parcels[::7] = [aff.rotate(g, 5, origin="centroid") for g in parcels[::7]]

    def shapes(g: np.ndarray) -> Shapes:
        return Shapes.from_wkb(pa.array(shapely.to_wkb(g)))

    ps, bs = shapes(parcels), shapes(geoms)
    assert lf._tiles(ps, bs) is None  # 30 000 buildings: one piece of work by default
    whole = place(ps, bs, threads=threads)
    monkeypatch.setattr(lf, "TILE_BUILDINGS", 500)
    tiles = lf._tiles(ps, bs)
    assert tiles is not None and len(tiles) >= 60
    assert sorted(np.concatenate([t.buildings for t in tiles]).tolist()) == sorted(
        set(range(n)) - {6, 7}
    )  # each building with an envelope in one tile
    assert tiles[0].buildings.tolist() == [5]  # the shed, apart
    tiled = place(ps, bs, threads=threads)
    assert len(whole[0]) > n
    for a, b in zip(whole, tiled, strict=True):
        np.testing.assert_array_equal(a, b)
