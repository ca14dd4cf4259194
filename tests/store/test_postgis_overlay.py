"""The building–parcel overlay and land attribution done in PostGIS
(:mod:`indspace.store.postgis_overlay`) equal the engine's (issue #20 item 4).

Golden case (storey-height limit 8 m), two 100 m × 100 m parcels side by side:

* B1, 20 m × 20 m inside P1, 3 floors, 9 m high, no gfa_m2: footprint 400 m², floor area
  400 × 3 = 1 200 m², storey 3 m ≤ 8 m: counted once;
* B2, 20 m × 10 m across the line x = 100, 2 floors, 20 m high, gfa_m2 400: 100 m² on each
  parcel, share 0.5, floor area 400 × 0.5 = 200 m² on each; storey 10 m > 8 m: FAR counts
  400 m² on each;
* B3 without geometry, parcel_id P2, 5 floors, gfa_m2 500: on P2 by the attribute,
  footprint 0, floor area 500 m², storey 15 ÷ 5 = 3 m: once.

P1: footprint 400 + 100 = 500, floor area 1 200 + 200 = 1 400, FAR floor 1 200 + 400 = 1 600,
FAR 1 600 ÷ 10 000 = 0.16. P2: footprint 100, floor area 200 + 500 = 700, FAR floor
400 + 500 = 900, FAR 0.09. Mean year built: P1 weights (0 + 1e-9) for B1 (2000) and
200 + 1e-9 for B2 (2010) → ≈ 2010; P2: B2 (2010, 200) and B3 (2020, 500) →
(2010 × 200 + 2020 × 500) ÷ 700 = 2017.142857…

And on the small demo city: every parcel's floor area, FAR floor area, footprint and FAR
equal the engine's (:func:`indspace.services.land.store_overlay`) within 1e-6.
"""

from __future__ import annotations

from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from indspace.services import land
from indspace.store import Store
from tests.cli.conftest import run
from tests.store.test_store import enterprises

T0 = datetime(2025, 12, 31, tzinfo=UTC)
X, Y = 600_000.0, 3_300_000.0


def _parcels() -> gpd.GeoDataFrame:
    boxes = [shapely.box(X, Y, X + 100, Y + 100), shapely.box(X + 100, Y, X + 200, Y + 100)]
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2"],
            "area_m2": [10_000.0, 10_000.0],
            "owner_credit_code": ["91310110666007217T"] * 2,
            "district": ["330212"] * 2,
            "is_synthetic": [True, True],
        },
        geometry=[shapely.MultiPolygon([b]) for b in boxes],
        crs=4549,
    )


def _buildings() -> gpd.GeoDataFrame:
    geoms = [
        shapely.MultiPolygon([shapely.box(X + 10, Y + 10, X + 30, Y + 30)]),
        shapely.MultiPolygon([shapely.box(X + 90, Y + 10, X + 110, Y + 20)]),
        None,
    ]
    return gpd.GeoDataFrame(
        {
            "building_id": ["B1", "B2", "B3"],
            "parcel_id": [None, None, "P2"],
            "floors": [3, 2, 5],
            "height_m": [9.0, 20.0, 15.0],
            "gfa_m2": [None, 400.0, 500.0],
            "year_built": [2000, 2010, 2020],
            "district": ["330212"] * 3,
            "is_synthetic": [True] * 3,
        },
        geometry=geoms,
        crs=4549,
    )


def test_golden_case_in_the_database_and_by_the_engine(pg_url: str) -> None:
    store = Store.create(pg_url)
    store.write_frames(
        {"enterprises": enterprises(), "parcels": _parcels(), "buildings": _buildings()},
        valid_from=T0,
    )
    got = store.overlay_figures(8.0)
    assert got is not None
    assert got["parcel_id"].tolist() == ["P1", "P2"]
    assert got["footprint_m2"].tolist() == pytest.approx([500.0, 100.0], abs=1e-9)
    assert got["floor_area_m2"].tolist() == pytest.approx([1400.0, 700.0], abs=1e-9)
    assert got["far_floor_m2"].tolist() == pytest.approx([1600.0, 900.0], abs=1e-9)
    assert got["far"].tolist() == pytest.approx([0.16, 0.09], abs=1e-12)
    assert got["mean_year_built"].tolist() == pytest.approx(
        [2010.0, (2010 * 200 + 2020 * 500) / 700], abs=1e-6
    )
    engine = land.store_overlay(store).stats(8.0)
    _assert_equal(engine, got)
    store.close()


def test_the_gpkg_backend_leaves_the_overlay_to_the_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store.create(tmp_path / "s.gpkg")
    assert store.overlay_figures(8.0) is None
    store.close()


def _assert_equal(engine: pd.DataFrame, db: pd.DataFrame) -> None:
    assert db["parcel_id"].tolist() == engine["parcel_id"].tolist()
    for c in ("footprint_m2", "floor_area_m2", "far_floor_m2", "mean_year_built"):
        a, b = engine[c].to_numpy(), db[c].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), c
        ok = ~np.isnan(a)
        assert np.max(np.abs(a[ok] - b[ok]), initial=0.0) <= 1e-6, c


def test_equal_to_the_engine_on_the_small_demo_city(pg_url: str) -> None:
    run("demo", "--scale", "small", "--no-serve", "--db", pg_url)
    store = Store.open(pg_url)
    engine = land.store_overlay(store).stats(8.0)
    db = store.overlay_figures(8.0)
    assert db is not None and len(db) == len(engine) > 1000
    _assert_equal(engine, db)
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    area = parcels.set_index("parcel_id").geometry.area.reindex(engine["parcel_id"]).to_numpy()
    far = engine["far_floor_m2"].to_numpy() / area
    assert np.max(np.abs(far - db["far"].to_numpy())) <= 1e-6
    store.close()
