"""A geometry column as the overlay engine reads it (issue #20): envelopes, areas and
which shapes are axis-aligned rectangles — from GEOS geometries, or straight from WKB bytes
without making a GEOS object for the shapes that arithmetic handles.

Decoding WKB into GEOS objects was the largest single cost of the overlay step at province
size (5 million buildings; docs/performance.md, "ovl20c"). Most shapes of a planning grid —
and every shape of the demo data (shared/domain/synthetic-data.md §7: rectangles on a block
grid) — are polygons of one ring of five coordinates. For those :meth:`Shapes.from_wkb`
reads the coordinates from the bytes with NumPy and computes what the engine needs with
the very arithmetic GEOS uses, so the numbers are the same to the last bit:

* the envelope: the minimum and maximum of the coordinates;
* the area: GEOS's shoelace sum (``algorithm::Area::ofRingSigned``: x shifted by the first
  x, ``sum += (x[i] - x0) * (y[i-1] - y[i+1])`` for i = 1 … n−2, halved, absolute value);
  checked against ``shapely.area`` once on 1.3 million shapes of the province demo and 2
  million random rectangles, and by tests/core/test_shapes.py on 60 000 rectangles in both
  orientations and as multipolygons;
* whether it is an axis-aligned rectangle (:func:`rect_rings`).

Every other value (big-endian, holes, more parts or vertices, curves, empty, null) is decoded
by Shapely and measured by GEOS. :meth:`Shapes.geoms` decodes rows on demand, for the few
pairs that need a GEOS predicate or intersection.

Real cadastral parcels are rarely axis-aligned rectangles: on such data most rows take the
GEOS way and the step costs what it did before this module (docs/performance.md says so
with figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import shapely

from indspace.core.engines._threads import thread_map

_POLYGON_5 = b"\x01\x03\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x00"
"""Little-endian WKB header of a polygon of one ring of 5 coordinates (93 bytes in all)."""
_MULTI_1_POLYGON_5 = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00" + _POLYGON_5
"""… of a multipolygon of one such polygon (102 bytes)."""
_BLOCK = 1 << 15
"""Rows parsed at a time (their arrays stay in the CPU's caches)."""


@dataclass(frozen=True)
class Shapes:
    """What the overlay engine needs of a geometry column, row by row.

    Attributes
    ----------
    bounds
        n × 4 float64 (minx, miny, maxx, maxy; m); NaN for a missing or empty geometry.
    area
        GEOS's area (m²); NaN for a missing geometry, 0 for an empty one.
    rect
        An axis-aligned rectangle (:func:`rect_rings`): a polygon, or a multipolygon of one
        part, that is exactly its envelope.
    polygonal
        A Polygon or MultiPolygon.
    missing
        No geometry (null) or an empty one.

    From Shapely geometries the last three are measured when first read (the overlay reads
    ``rect`` of the parcels only, ``missing`` of the buildings only).
    """

    bounds: np.ndarray
    area: np.ndarray
    _rect: np.ndarray | None = field(default=None, repr=False)
    _polygonal: np.ndarray | None = field(default=None, repr=False)
    _missing: np.ndarray | None = field(default=None, repr=False)
    _geos: np.ndarray | None = field(default=None, repr=False)
    _wkb: Any = field(default=None, repr=False)
    _decoded: dict[int, Any] = field(default_factory=dict, repr=False)
    """From WKB: the geometries Shapely decoded to measure them, by row (kept: on real
    cadastral shapes that is most rows, and the overlay asks GEOS about them again)."""

    def __len__(self) -> int:
        return len(self.area)

    @property
    def geos(self) -> np.ndarray | None:
        """Every row's Shapely geometry when held: given to :meth:`from_geos`, or decoded by
        :meth:`from_wkb` because most rows needed GEOS anyway (None: read from WKB)."""
        return self._geos

    @property
    def polygonal(self) -> np.ndarray:
        if self._polygonal is None:
            assert self._geos is not None
            object.__setattr__(self, "_polygonal", polygonal_types(self._geos))
        assert self._polygonal is not None
        return self._polygonal

    @property
    def missing(self) -> np.ndarray:
        if self._missing is None:
            g = self._geos
            value = shapely.is_missing(g) | shapely.is_empty(g) if len(self) else np.zeros(0, bool)
            object.__setattr__(self, "_missing", value)
        assert self._missing is not None
        return self._missing

    @property
    def rect(self) -> np.ndarray:
        if self._rect is None:
            assert self._geos is not None
            object.__setattr__(self, "_rect", _rects(self._geos, self.bounds, self.polygonal))
        assert self._rect is not None
        return self._rect

    @classmethod
    def from_geos(cls, geoms: Any) -> Shapes:
        """From an array of Shapely geometries (None: missing)."""
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        bounds = shapely.bounds(geoms) if n else np.zeros((0, 4))
        area = shapely.area(geoms) if n else np.zeros(0)
        return cls(bounds, area, _geos=geoms)

    @classmethod
    def from_wkb(cls, wkb: Any, *, threads: int = 1) -> Shapes:
        """From an Arrow array (or chunked array) of WKB values (null: missing), without
        decoding the single-ring five-coordinate polygons (see the module docstring); their
        blocks on ``threads`` threads. The values are read where they lie (no copy); they
        are kept for :meth:`geoms`."""
        import pyarrow as pa

        chunks = wkb.chunks if isinstance(wkb, pa.ChunkedArray) else [wkb]
        n = sum(len(c) for c in chunks)
        out = (
            np.full((n, 4), np.nan),  # bounds
            np.full(n, np.nan),  # area
            np.zeros(n, dtype=bool),  # rect
            np.zeros(n, dtype=bool),  # polygonal
            np.ones(n, dtype=bool),  # missing
        )
        decoded: dict[int, Any] = {}
        start = 0
        for chunk in chunks:
            rest, geoms = _measure_wkb(chunk, start, out, threads)
            if len(rest):
                decoded[start] = (rest, geoms)
            start += len(chunk)
        wkb = pa.chunked_array(chunks, type=chunks[0].type) if chunks else wkb
        shapes = cls(*out, _wkb=wkb, _decoded=decoded)
        if 2 * sum(len(rest) for rest, _ in decoded.values()) > n:
            # mostly shapes GEOS had to measure (real cadastral polygons): decode the rest
            # too and keep them all, so the overlay pairs them with an STRtree as it does
            # Shapely input (its C++ tree beats the NumPy join when the objects exist)
            object.__setattr__(shapes, "_geos", shapes.geoms(np.arange(n)))
            object.__setattr__(shapes, "_decoded", {})
        return shapes

    def geoms(self, rows: np.ndarray) -> np.ndarray:
        """The Shapely geometries of ``rows``: those decoded when measured, the others
        decoded from the WKB now (on each call)."""
        if self._geos is not None:
            return self._geos[rows]
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), None, dtype=object)
        todo = np.ones(len(rows), dtype=bool)
        for start, (rest, geoms) in self._decoded.items():
            # ``rest``: sorted rows (of the chunk from ``start``) measured by GEOS
            at = np.searchsorted(rest, rows - start)
            hit = (rows >= start) & (at < len(rest))
            hit[hit] = rest[at[hit]] == rows[hit] - start
            out[hit] = geoms[at[hit]]
            todo &= ~hit
        need = np.flatnonzero(todo)
        if len(need):
            import pyarrow as pa

            values = self._wkb.take(pa.array(rows[need], pa.int64()))
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            out[need] = shapely.from_wkb(values.to_numpy(zero_copy_only=False))
        return out


def polygonal_types(geoms: np.ndarray) -> np.ndarray:
    """Whether each Shapely geometry is a Polygon or a MultiPolygon (GEOS type ids 3, 6)."""
    if not len(geoms):
        return np.zeros(0, dtype=bool)
    kind = shapely.get_type_id(geoms)
    return np.asarray((kind == 3) | (kind == 6), dtype=bool)


def wkb_bounds(wkb: Any) -> np.ndarray:
    """Envelopes (n × 4: minx, miny, maxx, maxy; NaN: no geometry or empty) of an Arrow
    array of WKB values, as ``shapely.bounds`` gives them (:meth:`Shapes.from_wkb`)."""
    return Shapes.from_wkb(wkb).bounds


def as_shapes(column: Any) -> Shapes:
    """A geometry column as :class:`Shapes`: as it is, or measured from Shapely geometries."""
    return column if isinstance(column, Shapes) else Shapes.from_geos(column)


def _measure_wkb(
    arr: Any, start: int, out: tuple[np.ndarray, ...], threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """Measure the WKB values of one Arrow array into rows ``start …`` of ``out`` (bounds,
    area, rect, polygonal, missing): the single-ring five-coordinate polygons from their
    bytes (:func:`_read_rings`), the others by GEOS. Returns those others' rows (in this
    array, sorted) and their Shapely geometries."""
    import pyarrow as pa

    n = len(arr)
    rest = np.zeros(0, dtype=np.int64)
    if not n:
        return rest, np.zeros(0, dtype=object)
    bounds, area, rect, polygonal, missing = (o[start : start + n] for o in out)
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    done = ~valid  # null: missing, NaN bounds and area, as Shapely gives
    large = pa.types.is_large_binary(arr.type) or pa.types.is_large_string(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], np.int64 if large else np.int32)
    offsets = offsets[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = (
        np.frombuffer(arr.buffers()[2], np.uint8)
        if arr.buffers()[2] is not None
        else np.zeros(0, np.uint8)
    )
    sizes = np.diff(offsets)
    for header in (_POLYGON_5, _MULTI_1_POLYGON_5):
        size = len(header) + 80
        rows = np.flatnonzero(valid & (sizes == size))
        if not len(rows) or len(data) < size:
            continue
        # each row's bytes: rows of a window view of the buffer (no n × size index);
        # block by block, so that the arrays stay in the CPU's caches
        read = partial(
            _read_rings,
            np.lib.stride_tricks.sliding_window_view(data, size),
            np.frombuffer(header, np.uint8),
            offsets,
            (bounds, area, rect, polygonal, missing, done),
        )
        thread_map(read, [rows[lo : lo + _BLOCK] for lo in range(0, len(rows), _BLOCK)], threads)
    rest = np.flatnonzero(~done)
    geoms = np.zeros(0, dtype=object)
    if len(rest):
        geoms = shapely.from_wkb(arr.take(pa.array(rest)).to_numpy(zero_copy_only=False))
        b, a, r, p, m = _measure(geoms)
        bounds[rest], area[rest], rect[rest], polygonal[rest], missing[rest] = b, a, r, p, m
    return rest, geoms


def _read_rings(
    window: np.ndarray,
    header: np.ndarray,
    offsets: np.ndarray,
    out: tuple[np.ndarray, ...],
    at: np.ndarray,
) -> None:
    """Measure the rows ``at`` whose WKB (``window[offsets[at]]``: the value's bytes) starts
    with ``header`` and holds 5 finite coordinates after it, into ``out`` (bounds, area,
    rect, polygonal, missing, done: only these rows are written, so blocks may run on
    several threads)."""
    bounds, area, rect, polygonal, missing, done = out
    raw = window[offsets[at]]
    skip = len(header)
    ok = (raw[:, :skip] == header).all(axis=1)
    xy = np.ascontiguousarray(raw[:, skip:]).view("<f8").reshape(-1, 5, 2)
    ok &= np.isfinite(xy).all(axis=(1, 2))  # else GEOS decides
    at, xy = at[ok], xy[ok]
    b = _ring_bounds(xy)
    bounds[at] = b
    area[at] = ring_area(xy)
    rect[at] = rect_rings(xy, b)
    polygonal[at] = True
    missing[at] = False
    done[at] = True


def _ring_bounds(xy: np.ndarray) -> np.ndarray:
    """Envelopes (k × 4) of rings of coordinates (k × m × 2): the minimum and maximum of
    each axis, taken coordinate by coordinate (NumPy's reduction along a short middle axis
    costs ten times more)."""
    out = np.empty((len(xy), 4))
    for axis in (0, 1):
        c = xy[:, :, axis]
        lo, hi = c[:, 0].copy(), c[:, 0].copy()
        for i in range(1, xy.shape[1]):
            np.minimum(lo, c[:, i], out=lo)
            np.maximum(hi, c[:, i], out=hi)
        out[:, axis], out[:, axis + 2] = lo, hi
    return out


def ring_area(xy: np.ndarray) -> np.ndarray:
    """Area of each closed ring of ``xy`` (k × m × 2, m ≥ 4), computed as GEOS does
    (``algorithm::Area::ofRingSigned``, then the absolute value), so the same to the bit.

    >>> ring_area(np.array([[[0.0, 0], [4, 0], [4, 3], [0, 3], [0, 0]]])).tolist()
    [12.0]
    """
    x0 = xy[:, 0, 0]
    total = np.zeros(len(xy))
    for i in range(1, xy.shape[1] - 1):
        total = total + (xy[:, i, 0] - x0) * (xy[:, i - 1, 1] - xy[:, i + 1, 1])
    return np.abs(total / 2.0)


def rect_rings(xy: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Whether each ring of 5 coordinates (k × 5 × 2) with envelope ``bounds`` (k × 4) is
    exactly its envelope: closed, its 4 corners distinct, each edge along an axis — which
    leaves two patterns, x then y changing (``x0 = x1, y1 = y2, x2 = x3, y3 = y0``) or y
    then x — and of positive width and height. (Each coordinate is then a corner of the
    envelope, consecutive ones differ in exactly one of x, y: no bow tie.) Such a polygon
    covers a geometry exactly when its envelope holds the geometry's envelope."""
    x, y = xy[:, :, 0], xy[:, :, 1]
    closed = (x[:, 4] == x[:, 0]) & (y[:, 4] == y[:, 0])
    up_first = (
        (x[:, 0] == x[:, 1]) & (y[:, 1] == y[:, 2]) & (x[:, 2] == x[:, 3]) & (y[:, 3] == y[:, 0])
    )
    across_first = (
        (y[:, 0] == y[:, 1]) & (x[:, 1] == x[:, 2]) & (y[:, 2] == y[:, 3]) & (x[:, 3] == x[:, 0])
    )
    return (
        closed
        & (up_first | across_first)
        & (bounds[:, 2] > bounds[:, 0])
        & (bounds[:, 3] > bounds[:, 1])
    )


def _measure(
    geoms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """bounds, area, rect, polygonal, missing of Shapely geometries, by GEOS."""
    shapes = Shapes.from_geos(geoms)
    return shapes.bounds, shapes.area, shapes.rect, shapes.polygonal, shapes.missing


def _rects(geoms: np.ndarray, bounds: np.ndarray, polygonal: np.ndarray) -> np.ndarray:
    """:attr:`Shapes.rect` of Shapely geometries: a polygon, or a multipolygon of one
    part, with 5 coordinates in all (one ring) that :func:`rect_rings` accepts."""
    rect = np.zeros(len(geoms), dtype=bool)
    if not len(geoms):
        return rect
    cand = np.flatnonzero(
        polygonal
        & (shapely.get_num_coordinates(geoms) == 5)
        & (bounds[:, 2] > bounds[:, 0])
        & (bounds[:, 3] > bounds[:, 1])
    )
    if len(cand):
        xy = shapely.get_coordinates(geoms[cand]).reshape(-1, 5, 2)
        rect[cand] = rect_rings(xy, bounds[cand])
    return rect
