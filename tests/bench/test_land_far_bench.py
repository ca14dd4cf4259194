"""The land FAR benchmark cannot rot: its synthetic city's truth agrees with Shapely, the city
has every case the issue names, both baselines reproduce the truth, the comparison catches a
wrong answer, and the harness runs end to end at tiny size. No timing is asserted here (the
figures live in docs/performance.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

import _landfar_city as city
import land_far
import landfar_duckdb
import landfar_geopandas


@pytest.fixture(scope="module", params=[0.0, 0.5], ids=["boxes", "notched"])
def tiny(request: pytest.FixtureRequest) -> city.City:
    return city.build("tiny", notched=request.param)


@pytest.fixture(scope="module")
def tiny_gpkg(tiny: city.City, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("landfar") / "tiny.gpkg"
    city.write(tiny, path)
    return path


def test_truth_equals_shapely_areas(tiny: city.City) -> None:
    # every pair by brute force (32 parcels × 83 buildings), no spatial index involved
    p = tiny.parcels.geometry.to_numpy()
    b = tiny.buildings.geometry.to_numpy()
    inter = shapely.area(shapely.intersection(p[:, None], b[None, :]))  # parcels × buildings
    t = tiny.truth
    # exact equality: on the 1/16 m grid every area and every sum of them is exact in binary
    assert np.array_equal(shapely.area(p), t["area_m2"].to_numpy())
    assert np.array_equal(inter.sum(axis=1), t["footprint_m2"].to_numpy())
    assert np.array_equal((inter > 0).sum(axis=1), t["n_buildings"].to_numpy())
    outside = shapely.area(b) - inter.sum(axis=0)
    assert (outside > 0).sum() == tiny.outside_buildings
    assert outside.sum() == tiny.outside_m2


def test_truth_floor_area_follows_the_rules(tiny: city.City) -> None:
    p = tiny.parcels.geometry.to_numpy()
    bl = tiny.buildings
    inter = shapely.area(shapely.intersection(p[:, None], bl.geometry.to_numpy()[None, :]))
    share = inter / shapely.area(bl.geometry.to_numpy())
    gfa = bl["gfa_m2"].to_numpy()
    floor = np.where(np.isnan(gfa), inter * bl["floors"].to_numpy(), gfa * share)
    # a storey of exactly 8 m counts once, 8.0625 m twice
    twice = np.where(bl["height_m"].to_numpy() / bl["floors"].to_numpy() > 8.0, 2, 1)
    np.testing.assert_allclose(floor.sum(axis=1), tiny.truth["floor_area_m2"], rtol=1e-12)
    np.testing.assert_allclose((floor * twice).sum(axis=1), tiny.truth["far_floor_m2"], rtol=1e-12)


def test_tiny_city_has_every_case(tiny: city.City) -> None:
    parcels, bl = tiny.parcels, tiny.buildings
    geoms = parcels.geometry.to_numpy()
    assert (shapely.get_num_geometries(geoms) == 2).sum() >= 1  # two-part parcels
    holed = shapely.get_num_interior_rings(shapely.get_geometry(geoms, 0)) > 0
    assert holed.sum() >= 2  # an island in one hole, a pond in another
    shells = shapely.polygons(shapely.get_exterior_ring(shapely.get_geometry(geoms[holed], 0)))
    islands = shapely.contains_properly(shells[:, None], geoms[None, :]).any(axis=0)
    assert 1 <= islands.sum() < holed.sum()  # island parcels in some holes, ponds in others
    storey = bl["height_m"] / bl["floors"]
    assert (storey == 8.0).any() and (storey == 8.0625).any()
    assert bl["gfa_m2"].isna().any() and bl["gfa_m2"].notna().any()
    assert 0.2 < bl["parcel_id"].isna().mean() < 0.45
    assert tiny.wrong_parcel_id >= 1
    assert tiny.outside_buildings >= 2  # reaches into a road, the building in a pond
    # some building straddles two parcels
    both = shapely.intersects(geoms[:, None], bl.geometry.to_numpy()[None, :]).sum(axis=0)
    assert (both >= 2).any()
    # the notched variant: L-shapes (a corner cut away, so smaller than their envelope)
    lshape = shapely.area(bl.geometry.to_numpy()) < shapely.area(bl.envelope.to_numpy())
    notched = shapely.get_num_coordinates(bl.geometry.to_numpy()) == 7
    assert np.array_equal(lshape, notched)
    # every coordinate on the 1/16 m grid
    for g in (geoms, bl.geometry.to_numpy()):
        xy = shapely.get_coordinates(g) * 16
        assert np.array_equal(xy, np.round(xy))


def test_notched_share() -> None:
    n = (city.build("tiny", notched=0.5).buildings.count_coordinates() == 7).mean()
    assert 0.3 < n < 0.7
    assert (city.build("tiny").buildings.count_coordinates() == 5).all()


def test_city_is_deterministic(tiny: city.City) -> None:
    notched = 0.5 if (tiny.buildings.count_coordinates() > 5).any() else 0.0
    again = city.build("tiny", notched=notched)
    pd.testing.assert_frame_equal(again.truth, tiny.truth)
    assert shapely.equals_exact(
        again.buildings.geometry.to_numpy(), tiny.buildings.geometry.to_numpy(), 0
    ).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.buildings.drop(columns="geometry")),
        pd.DataFrame(tiny.buildings.drop(columns="geometry")),
    )


@pytest.mark.parametrize("tool", [landfar_geopandas, landfar_duckdb], ids=["geopandas", "duckdb"])
def test_baselines_equal_the_truth(tool, tiny: city.City, tiny_gpkg: Path) -> None:
    assert city.compare(tool.land_far(str(tiny_gpkg)), tiny.truth) == []


def test_compare_reports_wrong_results(tiny: city.City) -> None:
    t = tiny.truth
    assert city.compare(t, t) == []
    off = t.copy()
    off.loc[3, "floor_area_m2"] *= 1 + 2e-6  # beyond 1e-6 relative
    off.loc[5, "n_buildings"] += 1
    problems = city.compare(off.drop(index=7), t)
    assert any(p.startswith("1 parcels missing") for p in problems)
    assert any(p.startswith("floor_area_m2: 1 parcels differ") for p in problems)
    assert any(p.startswith("n_buildings: 1 parcels differ") for p in problems)
    close = t.copy()
    close.loc[3, "floor_area_m2"] *= 1 + 5e-7  # within 1e-6 relative
    assert city.compare(close, t) == []


def test_harness_runs_and_checks_each_tool(tmp_path: Path) -> None:
    results = land_far.main(
        [
            "--scale",
            "tiny",
            "--rounds",
            "1",
            "--data-dir",
            str(tmp_path),
            "--tools",
            "indspace,geopandas,duckdb",
        ]
    )
    for name in ("indspace", "geopandas", "duckdb"):
        r = results[name]
        assert r.ok, (r.failed, r.problems)
        assert len(r.seconds) == 1 and r.peak_mib[0] > 0
