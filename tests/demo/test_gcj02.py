"""GCJ-02 ↔ WGS 84 conversion (pure functions)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import shapely

from indspace.core.geo import gcj02_to_wgs84, gcj02_to_wgs84_geometry, wgs84_to_gcj02


def test_round_trip_over_china_within_1e_7_degrees() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(73.0, 135.0, 50_000)
    lat = rng.uniform(18.0, 53.0, 50_000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_more_iterations_converge() -> None:
    lon, lat = np.array([121.55, 120.2]), np.array([29.87, 30.25])
    g = wgs84_to_gcj02(lon, lat)
    err = [np.abs(gcj02_to_wgs84(*g, iterations=k)[0] - lon).max() for k in (1, 2, 3)]
    assert err[0] > err[1] > err[2]
    assert err[2] < 1e-9


def test_offset_is_hundreds_of_metres_in_ningbo() -> None:
    glon, glat = wgs84_to_gcj02(121.55, 29.87)
    # 1e-3 degrees ≈ 100 m at this latitude
    assert 2e-3 < abs(glon - 121.55) + abs(glat - 29.87) < 1e-2


def test_outside_china_is_unchanged_and_shapes_are_kept() -> None:
    lon = np.array([[2.35, -74.0], [151.2, 121.55]])
    lat = np.array([[48.85, 40.7], [-33.9, 29.87]])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == (2, 2)
    assert glon[0, 0] == 2.35 and glat[0, 1] == 40.7 and glon[1, 0] == 151.2
    assert glon[1, 1] != 121.55


def test_geometry_conversion_moves_every_vertex() -> None:
    poly = shapely.box(121.5, 29.8, 121.6, 29.9)
    out = gcj02_to_wgs84_geometry(poly)
    coords = shapely.get_coordinates(out)
    expected = np.column_stack(gcj02_to_wgs84(*shapely.get_coordinates(poly).T))
    np.testing.assert_allclose(coords, expected)
    arr = gcj02_to_wgs84_geometry(np.array([poly, poly]))
    assert arr.shape == (2,) and shapely.equals(arr[0], out)


def test_core_geo_imports_no_adapter_libraries() -> None:
    code = ("import sys, indspace.core.geo; "
            "bad = [m for m in ('sqlalchemy', 'fastapi', 'dask') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)
