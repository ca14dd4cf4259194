"""Shapes read from WKB without GEOS objects measure every geometry exactly as GEOS does
(issue #20): the same bounds, areas (to the bit), rectangle flags and missing flags as
:meth:`Shapes.from_geos`, whatever the geometry."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely
import shapely.affinity

from indspace.core.engines.shapes import Shapes, ring_area, wkb_bounds


def _odd_shapes() -> np.ndarray:
    return np.array(
        [
            shapely.box(0, 0, 1, 2),  # polygon, one 5-point ring: the NumPy path
            shapely.MultiPolygon([shapely.box(5, 6, 7, 8)]),  # one-part multipolygon: too
            shapely.Polygon([(0, 0), (0, 5), (10, 5), (10, 0)]),  # the other way round
            shapely.Polygon([(0, 0), (10, 5), (10, 0), (0, 5)]),  # bow tie on the corners
            shapely.affinity.rotate(shapely.box(0, 0, 10, 5), 30),  # 5 points, turned
            shapely.Polygon([(0, 0), (10, 0), (10, 0), (0, 0)]),  # no height
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
            shapely.box(0, 0, 10, 5).difference(shapely.box(4, 1, 6, 2)),  # a hole
            None,
            shapely.Polygon(),
            shapely.Point(1, 2).buffer(1),
            shapely.Polygon([(0, 0), (4, 1), (3, 5), (0, 0)]),  # a triangle: 4 points
            shapely.Point(3, 4),
            shapely.LineString([(0, 0), (2, 3)]),
            shapely.box(1e6 + 0.1, 3e6 + 0.7, 1e6 + 37.3, 3e6 + 99.1),
        ],
        dtype=object,
    )


def _same(a: Shapes, b: Shapes) -> None:
    assert np.array_equal(a.bounds, b.bounds, equal_nan=True)
    assert a.area.tobytes() == b.area.tobytes()  # to the bit, NaN included
    for name in ("rect", "polygonal", "missing"):
        assert getattr(a, name).tolist() == getattr(b, name).tolist(), name


def test_wkb_and_geos_measure_alike() -> None:
    geoms = _odd_shapes()
    want = Shapes.from_geos(geoms)
    assert want.rect.tolist()[:6] == [True, True, True, False, False, False]
    assert want.missing.tolist()[8:10] == [True, True]
    wkb = shapely.to_wkb(geoms)
    values = pa.array(list(wkb), type=pa.binary())
    for arr in (values, values.slice(1), pa.chunked_array([values[:3], values[3:]])):
        got = Shapes.from_wkb(arr, threads=2)
        ref = want if len(arr) == len(geoms) else Shapes.from_geos(geoms[1:])
        _same(got, ref)
        assert np.array_equal(wkb_bounds(arr), ref.bounds, equal_nan=True)
    # big-endian and 3-D values are not read by NumPy but by Shapely: the same numbers
    for kwargs in ({"byte_order": 0}, {"output_dimension": 3}):
        arr = pa.array(list(shapely.to_wkb(geoms, **kwargs)), type=pa.large_binary())
        _same(Shapes.from_wkb(arr), want)
    # decoded on demand or kept from the measuring: the same geometries, in any row order;
    # mostly odd shapes (all decoded, kept as GEOS objects) or mostly rectangles (the odd
    # ones kept by row, the rectangles decoded on demand)
    boxes = shapely.box(np.arange(30.0), 0, np.arange(30.0) + 1, 1)
    for shapes_in, held in ((geoms, True), (np.concatenate([geoms, boxes]), False)):
        all_wkb = shapely.to_wkb(shapes_in)
        vals = pa.array(list(all_wkb), type=pa.binary())
        rows = np.array([14, 0, 7, 8, 3, 3, 12, 1] + ([40, 20, 15] if not held else []))
        for arr in (vals, pa.chunked_array([vals[:3], vals[3:9], vals[9:]])):
            got = Shapes.from_wkb(arr)
            assert (got.geos is not None) is held
            assert shapely.to_wkb(got.geoms(rows)).tolist() == all_wkb[rows].tolist()


@pytest.mark.parametrize("seed", range(3))
def test_rectangle_areas_are_geos_areas_to_the_bit(seed: int) -> None:
    """GEOS's shoelace sum, replayed operation by operation, on rectangles in EPSG:4549-like
    coordinates (both orientations, and as one-part multipolygons)."""
    rng = np.random.default_rng(seed)
    n = 20_000
    x, y = rng.uniform(3e5, 7e5, n), rng.uniform(3e6, 3.5e6, n)
    w, h = rng.uniform(0.01, 500, n), rng.uniform(0.01, 500, n)
    geoms = shapely.box(x, y, x + w, y + h, ccw=bool(seed % 2))
    if seed == 2:
        geoms = np.array([shapely.MultiPolygon([g]) for g in geoms], dtype=object)
    arr = pa.array(list(shapely.to_wkb(geoms)), type=pa.binary())
    got = Shapes.from_wkb(arr)
    assert got.area.tobytes() == shapely.area(geoms).tobytes()
    assert np.array_equal(got.bounds, shapely.bounds(geoms))
    assert got.rect.all()


def test_ring_area_of_any_start_corner() -> None:
    xy = shapely.get_coordinates(shapely.box(0.1, 0.2, 3.7, 9.9)).reshape(1, 5, 2)
    for k in range(4):
        ring = np.concatenate([xy[:, k:4], xy[:, :k], xy[:, k : k + 1]], axis=1)
        assert ring_area(ring).tobytes() == shapely.area(shapely.polygons(ring)).tobytes()
