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
by Shapely and measured by GEOS. :meth:`Shapes.geoms` gives rows' geometries on demand, for
the few pairs that need a GEOS predicate or intersection: the rectangles rebuilt from their
bounds (the same coordinates to the bit), the rest as decoded or from the few WKB values
kept — the WKB column itself is not kept, so a reader may drop each file's bytes once it is
measured (:meth:`Shapes.concat` joins the parts).

Real cadastral parcels are rarely axis-aligned rectangles: on such data most rows take the
GEOS way and the step costs what it did before this module (docs/performance.md says so
with figures).
"""

from __future__ import annotations

from collections.abc import Sequence
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

    Read from WKB (:meth:`from_wkb`), the WKB column itself is not kept: each row with a
    geometry is held for :meth:`geoms` in one of three ways — a rectangle whose coordinates
    its bounds rebuild to the bit as one byte (:func:`rect_codes`: the start corner, the
    turn, polygon or multipolygon); a row GEOS measured as the Shapely geometry decoded to
    measure it; any other (a single ring of five coordinates that is no such rectangle) as
    its WKB bytes. On the province demo (6.2 M rows, all rectangles) that is 1 byte a row
    instead of 93–102 (≈ 580 MB; docs/performance.md, "read7").
    """

    bounds: np.ndarray
    area: np.ndarray
    _rect: np.ndarray | None = field(default=None, repr=False)
    _polygonal: np.ndarray | None = field(default=None, repr=False)
    _missing: np.ndarray | None = field(default=None, repr=False)
    _geos: np.ndarray | None = field(default=None, repr=False)
    _code: np.ndarray | None = field(default=None, repr=False)
    """From WKB: per row (uint8) 0, or the code (:func:`rect_codes`) of a rectangle that
    :func:`rect_coords` rebuilds from its bounds to the bit."""
    _decoded: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    """From WKB: the rows GEOS measured (sorted) and the Shapely geometries Shapely decoded
    to measure them (kept: on real cadastral shapes that is most rows, and the overlay asks
    GEOS about them again)."""
    _kept: tuple[np.ndarray, Any] | None = field(default=None, repr=False)
    """From WKB: the other rows with a geometry (sorted) and their WKB (an Arrow
    ``large_binary`` array or chunked array, one value per row)."""

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
    def from_wkb(cls, wkb: Any, *, threads: int = 1, hold: bool = True) -> Shapes:
        """From an Arrow array (or chunked array) of WKB values (null: missing), without
        decoding the single-ring five-coordinate polygons (see the module docstring); their
        blocks on ``threads`` threads. The values are read where they lie (no copy of the
        column); only the few :meth:`geoms` cannot rebuild otherwise are copied and kept
        (see the class docstring).

        With ``hold`` (the default), when GEOS had to measure most rows (real cadastral
        polygons) the others are decoded too and every row is held as a Shapely geometry
        (:attr:`geos`): the overlay then pairs them with an STRtree as it does Shapely input
        (its C++ tree beats the NumPy join when the objects exist). Without, that choice is
        left to :meth:`concat` of the parts (which makes it as for the whole column)."""
        writer = ShapesWriter(len(wkb))
        writer.put(0, wkb, threads=threads)
        return writer.shapes(hold=hold)

    @classmethod
    def concat(cls, parts: Sequence[Shapes], *, hold: bool = True) -> Shapes:
        """The rows of ``parts`` in turn (:meth:`geoms` of every row works as on its part).

        Parts all holding Shapely geometries (:meth:`from_geos`) give one that does too. Else,
        with ``hold``, the rows are held as Shapely geometries when GEOS measured most of
        them (counting every row of a part that holds them), as :meth:`from_wkb` decides for
        one column: parts read with ``hold=False`` thus decide as their whole would."""
        parts = list(parts)
        if not parts:
            return cls.from_geos(np.zeros(0, dtype=object))
        n = sum(len(p) for p in parts)
        if all(p._geos is not None for p in parts):
            if len(parts) == 1:
                return parts[0]
            rect, polygonal, missing = (
                None
                if all(getattr(p, "_" + name) is None for p in parts)
                else np.concatenate([getattr(p, name) for p in parts])
                for name in ("rect", "polygonal", "missing")
            )
            return cls(
                np.concatenate([p.bounds for p in parts]),
                np.concatenate([p.area for p in parts]),
                rect,
                polygonal,
                missing,
                _geos=np.concatenate([p._geos for p in parts]),
            )
        measured = sum(len(p) if p._geos is not None else len(_rows(p._decoded)) for p in parts)
        held = hold and 2 * measured > n
        if len(parts) == 1 and not held:
            return parts[0]

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        flags = (joined("bounds"), joined("area"), joined("rect"), joined("polygonal"))
        if held:
            geos = np.concatenate([p.geoms(np.arange(len(p))) for p in parts])
            return cls(*flags, joined("missing"), _geos=geos)
        starts = np.cumsum([0] + [len(p) for p in parts])
        decoded, kept = [], []
        for p, start in zip(parts, starts, strict=False):
            if p._geos is not None:  # a part that holds them: each row as decoded
                decoded.append((start + np.arange(len(p)), p._geos))
                continue
            if p._decoded is not None:
                decoded.append((start + p._decoded[0], p._decoded[1]))
            if p._kept is not None:
                kept.append((start + p._kept[0], p._kept[1]))
        code = np.concatenate(
            [np.zeros(len(p), np.uint8) if p._code is None else p._code for p in parts]
        )
        return cls(
            *flags,
            joined("missing"),
            _code=code,
            _decoded=_join(decoded, np.concatenate),
            _kept=_join(kept, _chunked),
        )

    def take(self, rows: np.ndarray) -> Shapes:
        """The rows ``rows`` (positions, in that order; any may repeat)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._geos is not None:
            rect, polygonal, missing = (
                None if v is None else v[rows] for v in (self._rect, self._polygonal, self._missing)
            )
            return Shapes(
                self.bounds[rows], self.area[rows], rect, polygonal, missing, _geos=self._geos[rows]
            )
        decoded = kept = None
        if self._decoded is not None:
            at, pos = _find(self._decoded[0], rows)
            decoded = (at, self._decoded[1][pos])
        if self._kept is not None:
            import pyarrow as pa

            at, pos = _find(self._kept[0], rows)
            kept = (at, self._kept[1].take(pa.array(pos, pa.int64())))
        assert self._code is not None
        return Shapes(
            self.bounds[rows],
            self.area[rows],
            self.rect[rows],
            self.polygonal[rows],
            self.missing[rows],
            _code=self._code[rows],
            _decoded=decoded,
            _kept=kept,
        )

    def geoms(self, rows: np.ndarray) -> np.ndarray:
        """The Shapely geometries of ``rows``: the rectangles rebuilt from their bounds
        (:func:`rect_geoms`), those decoded when measured as they are, the others decoded
        from their kept WKB (on each call); None for a null row."""
        if self._geos is not None:
            return self._geos[rows]
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), None, dtype=object)
        if self._code is not None:
            code = self._code[rows]
            at = np.flatnonzero(code)
            if len(at):
                out[at] = rect_geoms(self.bounds[rows[at]], code[at])
        if self._decoded is not None:
            at, pos = _find(self._decoded[0], rows)
            out[at] = self._decoded[1][pos]
        if self._kept is not None:
            at, pos = _find(self._kept[0], rows)
            if len(at):
                import pyarrow as pa

                values = self._kept[1].take(pa.array(pos, pa.int64()))
                if isinstance(values, pa.ChunkedArray):
                    values = values.combine_chunks()
                out[at] = shapely.from_wkb(values.to_numpy(zero_copy_only=False))
        return out


def _rows(held: tuple[np.ndarray, Any] | None) -> np.ndarray:
    return np.zeros(0, dtype=np.int64) if held is None else held[0]


def _find(sorted_rows: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(at, pos)``: the positions in ``rows`` of the values found in ``sorted_rows``, and
    where each was found there."""
    if not len(sorted_rows) or not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_rows, rows), len(sorted_rows) - 1)
    at = np.flatnonzero(sorted_rows[pos] == rows)
    return at, pos[at]


def _join(held: list[tuple[np.ndarray, Any]], values: Any) -> tuple[np.ndarray, Any] | None:
    """Rows (already shifted to their place) and values of parts as one pair (None: none)."""
    held = [h for h in held if len(h[0])]
    if not held:
        return None
    if len(held) == 1:
        return held[0]
    return np.concatenate([r for r, _ in held]), values([v for _, v in held])


def _chunked(values: list[Any]) -> Any:
    """Arrow arrays (or chunked arrays) of one type as one chunked array (no copy)."""
    import pyarrow as pa

    chunks = [c for v in values for c in (v.chunks if isinstance(v, pa.ChunkedArray) else [v])]
    return pa.chunked_array(chunks, type=chunks[0].type)


class ShapesWriter:
    """One :class:`Shapes` of ``n`` rows from WKB, measured part by part straight into its
    rows (:meth:`put`, from any thread): for a reader that knows its row count first (the
    Parquet metadata) and drops each file's WKB once measured. Unlike :meth:`Shapes.concat`
    of parts, no row is copied a second time (the measures of the province demo's 6.2 M rows
    are ≈ 270 MB; joining per-file parts raised the reader's resident size by 170–200 MB,
    docs/performance.md "read7"). Rows never put are missing."""

    _MISSING = (np.nan, np.nan, False, False, True, 0)
    """A missing row's bounds, area, rect, polygonal, missing and code."""

    def __init__(self, n: int) -> None:
        self.n = n
        # not written here but part by part, each just before it is measured (on the
        # reading threads, while in the CPU's caches: first-touched memory is dear)
        self._out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (
            np.empty((n, 4)),  # bounds
            np.empty(n),  # area
            np.empty(n, dtype=bool),  # rect
            np.empty(n, dtype=bool),  # polygonal
            np.empty(n, dtype=bool),  # missing
            np.empty(n, dtype=np.uint8),  # code
        )
        self._decoded: list[tuple[np.ndarray, np.ndarray]] = []
        self._kept: list[tuple[np.ndarray, Any]] = []
        self._put: list[tuple[int, int]] = []

    def put(self, start: int, wkb: Any, *, threads: int = 1) -> None:
        """Measure an Arrow array (or chunked array) of WKB values into rows ``start …``
        (:func:`_measure_wkb`; its blocks on ``threads`` threads); the WKB of the rows that
        neither a rectangle code nor a decoded geometry gives back is copied and kept, the
        values are not referenced afterwards."""
        import pyarrow as pa

        chunks = wkb.chunks if isinstance(wkb, pa.ChunkedArray) else [wkb]
        for arr in chunks:
            if isinstance(arr.type, pa.ExtensionType):
                arr = arr.storage
            n = len(arr)
            if start + n > self.n:
                raise ValueError(f"rows {start}–{start + n} past the {self.n} rows")
            out = tuple(o[start : start + n] for o in self._out)
            for o, value in zip(out, self._MISSING, strict=True):
                o[...] = value
            rest, geoms, other = _measure_wkb(arr, out, threads)
            # list.append is atomic: parts may be put from several threads
            self._put.append((start, start + n))
            if len(rest):
                self._decoded.append((start + rest, geoms))
            if len(other):
                values = arr.take(pa.array(other, pa.int64())).cast(pa.large_binary())
                self._kept.append((start + other, values))
            start += n

    def shapes(self, *, hold: bool = True) -> Shapes:
        """The :class:`Shapes` of every row put (``hold``: as :meth:`Shapes.from_wkb`)."""
        at = 0
        for lo, hi in [*sorted(self._put), (self.n, self.n)]:
            if lo > at:  # rows never put: missing
                for o, value in zip(self._out, self._MISSING, strict=True):
                    o[at:lo] = value
            at = max(at, hi)
        decoded = _join(sorted(self._decoded, key=_first_row), np.concatenate)
        kept = _join(sorted(self._kept, key=_first_row), _chunked)
        shapes = Shapes(*self._out[:5], _code=self._out[5], _decoded=decoded, _kept=kept)
        if hold and 2 * len(_rows(decoded)) > self.n:
            # mostly shapes GEOS had to measure (real cadastral polygons): see from_wkb
            shapes = Shapes(*self._out[:5], _geos=shapes.geoms(np.arange(self.n)))
        return shapes


def _first_row(held: tuple[np.ndarray, Any]) -> int:
    return int(held[0][0])


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
    arr: Any, out: tuple[np.ndarray, ...], threads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measure the WKB values of one Arrow array into ``out`` (bounds, area, rect, polygonal,
    missing, code; one row each): the single-ring five-coordinate polygons from their bytes
    (:func:`_read_rings`), the others by GEOS. Returns those others' rows (sorted) and
    their Shapely geometries, and the rows read from their bytes that are no rectangle
    :func:`rect_coords` rebuilds (sorted)."""
    import pyarrow as pa

    n = len(arr)
    none = np.zeros(0, dtype=np.int64)
    if not n:
        return none, np.zeros(0, dtype=object), none
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
            (*out, done),
        )
        thread_map(read, [rows[lo : lo + _BLOCK] for lo in range(0, len(rows), _BLOCK)], threads)
    rest = np.flatnonzero(~done)
    geoms = np.zeros(0, dtype=object)
    if len(rest):
        bounds, area, rect, polygonal, missing = out[:5]
        geoms = shapely.from_wkb(arr.take(pa.array(rest)).to_numpy(zero_copy_only=False))
        b, a, r, p, m = _measure(geoms)
        bounds[rest], area[rest], rect[rest], polygonal[rest], missing[rest] = b, a, r, p, m
    other = np.flatnonzero(valid & done & (out[5] == 0))
    return rest, geoms, other


def _read_rings(
    window: np.ndarray,
    header: np.ndarray,
    offsets: np.ndarray,
    out: tuple[np.ndarray, ...],
    at: np.ndarray,
) -> None:
    """Measure the rows ``at`` whose WKB (``window[offsets[at]]``: the value's bytes) starts
    with ``header`` and holds 5 finite coordinates after it, into ``out`` (bounds, area,
    rect, polygonal, missing, code, done: only these rows are written, so blocks may run on
    several threads)."""
    bounds, area, rect, polygonal, missing, code, done = out
    raw = window[offsets[at]]
    skip = len(header)
    ok = (raw[:, :skip] == header).all(axis=1)
    xy = np.ascontiguousarray(raw[:, skip:]).view("<f8").reshape(-1, 5, 2)
    ok &= np.isfinite(xy).all(axis=(1, 2))  # else GEOS decides
    at, xy = at[ok], xy[ok]
    b = _ring_bounds(xy)
    bounds[at] = b
    area[at] = ring_area(xy)
    r = rect_rings(xy, b)
    rect[at] = r
    code[at[r]] = rect_codes(xy[r], b[r], multi=skip == len(_MULTI_1_POLYGON_5))
    polygonal[at] = True
    missing[at] = False
    done[at] = True


def rect_codes(xy: np.ndarray, bounds: np.ndarray, *, multi: bool) -> np.ndarray:
    """One byte (uint8) per axis-aligned rectangle (rings ``xy``, k × 5 × 2, that
    :func:`rect_rings` accepts, with envelopes ``bounds``) from which :func:`rect_coords`
    rebuilds its coordinates from the envelope: 1 + (the ring starts at the maximum x) + 2 ×
    (at the maximum y) + 4 × (its first edge runs along y) + 8 × ``multi`` (a multipolygon of
    one part, else a polygon). 0 where the rebuilt coordinates would differ in a bit from
    ``xy`` (a −0.0 where the envelope holds 0.0, say): that row keeps its WKB.

    >>> xy = np.array([[[4.0, 0], [4, 3], [0, 3], [0, 0], [4, 0]]])
    >>> rect_codes(xy, np.array([[0.0, 0, 4, 3]]), multi=False).tolist()
    [6]
    """
    x, y = xy[:, :, 0], xy[:, :, 1]
    code = np.full(len(xy), 9 if multi else 1, dtype=np.uint8)
    code += x[:, 0] == bounds[:, 2]
    code += (y[:, 0] == bounds[:, 3]).astype(np.uint8) << 1
    code += (x[:, 0] == x[:, 1]).astype(np.uint8) << 2
    # each coordinate equals (==) a value of the envelope; equal finite doubles have the
    # same bits but for 0.0 and −0.0, so only rows with a zero in the envelope are checked
    zero = np.flatnonzero(
        (bounds[:, 0] == 0) | (bounds[:, 1] == 0) | (bounds[:, 2] == 0) | (bounds[:, 3] == 0)
    )
    if len(zero):
        back = rect_coords(bounds[zero], code[zero]).view(np.int64)
        same = (back == np.ascontiguousarray(xy[zero]).view(np.int64)).all(axis=(1, 2))
        code[zero[~same]] = 0
    return code


def rect_coords(bounds: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The rings (k × 5 × 2) of rectangles with envelopes ``bounds`` (k × 4) and codes
    ``code`` (:func:`rect_codes`, each 1–16): every coordinate is one of the envelope's
    values, taken as it is (so the same bits)."""
    c = np.asarray(code, dtype=np.int64) - 1
    hi_x, hi_y, up = (c & 1) > 0, (c & 2) > 0, (c & 4) > 0
    x0, x1 = np.where(hi_x, bounds[:, 2], bounds[:, 0]), np.where(hi_x, bounds[:, 0], bounds[:, 2])
    y0, y1 = np.where(hi_y, bounds[:, 3], bounds[:, 1]), np.where(hi_y, bounds[:, 1], bounds[:, 3])
    xy = np.empty((len(c), 5, 2))
    xy[:, 0, 0], xy[:, 0, 1] = x0, y0
    xy[:, 1, 0], xy[:, 1, 1] = np.where(up, x0, x1), np.where(up, y1, y0)
    xy[:, 2, 0], xy[:, 2, 1] = x1, y1
    xy[:, 3, 0], xy[:, 3, 1] = np.where(up, x1, x0), np.where(up, y0, y1)
    xy[:, 4] = xy[:, 0]
    return xy


def rect_geoms(bounds: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Shapely geometries of the rectangles of :func:`rect_coords`: polygons, multipolygons
    of one part where the code says so (> 8); their WKB is the WKB they were read from."""
    polys = shapely.polygons(rect_coords(bounds, code))
    multi = np.flatnonzero(np.asarray(code) > 8)
    if len(multi):
        polys[multi] = shapely.multipolygons(polys[multi], indices=np.arange(len(multi)))
    return np.asarray(polys, dtype=object)


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
