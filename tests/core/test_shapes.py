"""Shapes read from WKB without GEOS objects measure every geometry exactly as GEOS does
(issue #20): the same bounds, areas (to the bit), rectangle flags and missing flags as
:meth:`Shapes.from_geos`, whatever the geometry."""

from __future__ import annotations

import itertools

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


def _rect_variants() -> np.ndarray:
    """Axis-aligned rectangles starting at each corner, turning both ways, as polygons and
    one-part multipolygons (16 codes), in EPSG:4549-like and signed-zero coordinates."""
    out = []
    for x0, y0, x1, y1 in (
        (4.5e5 + 0.1, 3.1e6 + 0.7, 4.5e5 + 37.3, 3.1e6 + 99.1),
        (-2.0, 0.0, 0.0, 3.0),
    ):
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        for k in range(4):
            for turn in (1, -1):
                ring = [corners[(k + turn * i) % 4] for i in range(4)]
                poly = shapely.Polygon(ring)
                out += [poly, shapely.MultiPolygon([poly])]
    return np.array(out, dtype=object)


def test_geoms_give_the_wkb_back_to_the_byte() -> None:
    """Rows held as a rectangle code, as decoded geometries or as kept WKB, nulls and empties
    mixed: the geometries of any rows (repeated, in any order) write the WKB they were
    read from, byte for byte."""
    rects = _rect_variants()
    coords = shapely.get_coordinates(rects[::2][:8]).reshape(-1, 5, 2)
    assert (
        len(
            {
                (xy[0, 0] == xy[:, 0].max(), xy[0, 1] == xy[:, 1].max(), xy[0, 0] == xy[1, 0])
                for xy in coords
            }
        )
        == 8
    )  # every start corner, both turns
    # x of −0.0 and 0.0 (equal, so a rectangle): no one value of its bounds gives both
    minus_zero = shapely.Polygon([(-0.0, 0), (0.0, 1), (2, 1), (2, 0)])
    odd = _odd_shapes()
    geoms = np.concatenate([rects, [minus_zero], odd, rects[::-3]])
    wkb = shapely.to_wkb(geoms)
    values = pa.array(list(wkb), type=pa.binary())
    got = Shapes.from_wkb(values)
    _same(got, Shapes.from_geos(geoms))
    assert got.geos is None and got.rect[: len(rects) + 1].all()
    code = got._code
    assert code is not None
    assert sorted(set(code[: len(rects)].tolist())) == list(range(1, 17))
    assert code[len(rects)] == 0  # its WKB kept, not rebuilt
    rng = np.random.default_rng(0)
    for rows in (np.arange(len(geoms)), rng.integers(0, len(geoms), 200), np.zeros(0, int)):
        assert shapely.to_wkb(got.geoms(rows)).tolist() == wkb[rows].tolist()
    assert got.geoms(np.array([len(rects) + 1 + 8]))[0] is None  # the null row


def test_concat_and_take_keep_every_row() -> None:
    """Parts read one by one (``hold=False``) and joined measure and give back what the
    whole column does; so does any selection of rows; Shapely-held parts join too."""
    odd, rects = _odd_shapes(), _rect_variants()
    geoms = np.concatenate([rects, odd, rects[:5], odd[::-1]])
    wkb = shapely.to_wkb(geoms)
    values = pa.array(list(wkb), type=pa.binary())
    whole = Shapes.from_wkb(values)
    cuts = [0, 3, 3, 20, 41, len(geoms)]
    parts = [Shapes.from_wkb(values[a:b], hold=False) for a, b in itertools.pairwise(cuts)]
    joined = Shapes.concat(parts)
    _same(joined, whole)
    assert joined.geos is None
    rows = np.arange(len(geoms))
    assert shapely.to_wkb(joined.geoms(rows)).tolist() == wkb.tolist()
    order = np.random.default_rng(1).permutation(len(geoms))
    for shapes in (joined, whole, Shapes.from_geos(geoms)):
        taken = shapes.take(order)
        _same(taken, Shapes.from_geos(geoms[order]))
        assert shapely.to_wkb(taken.geoms(rows)).tolist() == wkb[order].tolist()
    # a part holding Shapely geometries joins as decoded rows; all such: held
    mixed = Shapes.concat([*parts[:2], Shapes.from_geos(geoms[3:20]), *parts[3:]])
    _same(mixed, whole)
    assert shapely.to_wkb(mixed.geoms(rows)).tolist() == wkb.tolist()
    held = Shapes.concat([Shapes.from_geos(geoms[:9]), Shapes.from_geos(geoms[9:])])
    assert held.geos is not None and held._rect is None  # flags still measured lazily
    _same(held, Shapes.from_geos(geoms))


def test_parts_decide_to_hold_as_the_whole() -> None:
    """``from_wkb`` holds Shapely geometries when GEOS measured most rows; parts read with
    ``hold=False`` and joined decide on their sum, not each by itself."""
    odd = shapely.Point(0, 0).buffer(np.arange(1.0, 11.0))  # 10 rows GEOS measures
    boxes = shapely.box(np.arange(12.0), 0, np.arange(12.0) + 1, 1)
    geoms = np.concatenate([odd, boxes])  # 10 of 22: not held
    values = pa.array(list(shapely.to_wkb(geoms)), type=pa.binary())
    assert Shapes.from_wkb(values).geos is None
    assert Shapes.from_wkb(values[:10]).geos is not None  # the first part alone would be
    parts = [Shapes.from_wkb(values[:10], hold=False), Shapes.from_wkb(values[10:], hold=False)]
    assert parts[0].geos is None and Shapes.concat(parts).geos is None
    more = Shapes.concat([*parts, Shapes.from_wkb(values[:3], hold=False)])  # 13 of 25
    assert more.geos is not None
    assert shapely.to_wkb(more.geos).tolist() == shapely.to_wkb(np.r_[geoms, odd[:3]]).tolist()


def test_writer_puts_parts_in_place_in_any_order() -> None:
    """Parts put into their rows (in any order, from several threads) measure and give
    back what the whole column does; rows never put are missing; a part past the end is
    refused."""
    from concurrent.futures import ThreadPoolExecutor

    from indspace.core.engines.shapes import ShapesWriter

    geoms = np.concatenate([_rect_variants(), _odd_shapes(), _rect_variants()[::2]])
    wkb = shapely.to_wkb(geoms)
    values = pa.array(list(wkb), type=pa.binary())
    cuts = [(30, 40), (0, 12), (12, 30), (40, len(geoms))]
    writer = ShapesWriter(len(geoms) + 2)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: writer.put(c[0], values[c[0] : c[1]]), cuts))
    got = writer.shapes()
    want = Shapes.from_geos(np.concatenate([geoms, [None, None]]))
    _same(got, want)
    rows = np.arange(len(geoms) + 2)
    assert shapely.to_wkb(got.geoms(rows)).tolist() == [*wkb.tolist(), None, None]
    with pytest.raises(ValueError, match="past"):
        writer.put(len(geoms), values[:3])
