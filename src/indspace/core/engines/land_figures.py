"""Land figures from geometry: buildings overlaid on parcels (issue #13).

Which building stands on which parcel is decided by overlay, never by the building's
``parcel_id`` attribute alone (ARCHITECTURE "Geometry is the truth of the land"); the attribute
is kept as a cross-check that raises data-quality notes.

Method (vectorised, Shapely 2 where a shape needs GEOS):

1. Every (building, parcel) pair whose envelopes meet, in building then parcel order: an
   STRtree query over GEOS geometries, or — for shapes read from WKB without GEOS objects —
   the same pairs from the envelopes' coordinates
   (:func:`indspace.core.engines.envelopes.envelope_pairs`), tile by tile when there are
   many buildings (:func:`place`).
2. Fast path: pairs where the parcel ``covers`` the building give the whole footprint to
   that parcel without computing an intersection — most buildings. A parcel that is an
   axis-aligned rectangle covers exactly the buildings whose envelope its envelope holds;
   other parcels are prepared and asked GEOS.
3. The rest (buildings across a boundary, partly in a road): ``shapely.intersection`` of
   each pair, its area — or, when both are axis-aligned rectangles (planning grids,
   synthetic data), the overlap of the two rectangles by arithmetic; pairs of zero area are
   dropped. A building across two parcels is split by area; a part outside every parcel
   goes to the data-quality list with its area.
4. Per parcel totals with ``np.bincount``. Steps 2 and 3 can run on several threads
   (Shapely releases the GIL); the result does not depend on the number of threads.

Counting rules (shared/domain/land-rules.md A2, glossary ``plot_ratio``):

* footprint_m2 (基底面积) = Σ area(building ∩ parcel);
* floor_area_m2 (建筑面积) = Σ the building's ``gfa_m2`` × its footprint share in the parcel;
  without ``gfa_m2``: clipped footprint × ``floors``;
* far_floor_m2 (计容建筑面积) = floor_area_m2, doubled for a building whose mean storey height
  ``height_m / floors`` is strictly greater than ``storey_limit_m`` (国土资发〔2008〕24号:
  a storey higher than 8 m counts twice; exactly 8 m counts once). The limit is the policy
  profile's ``double_storey_height_m``, passed in by the caller;
* far (容积率) = far_floor_m2 ÷ area_m2; coverage (建筑系数) = footprint_m2 ÷ area_m2, with
  area_m2 the area of the parcel's geometry;
* n_buildings = buildings with a part on the parcel (a building across two parcels counts on
  both).

A building without geometry but with a ``parcel_id`` of a known parcel falls back to the
attribute: its whole ``gfa_m2`` goes to that parcel (footprint 0, unknown) and the
data-quality list says so.

Inputs: ``parcels`` (parcel_id, geometry: Polygon/MultiPolygon, holes and several parts
allowed), ``buildings`` (building_id, geometry, optional parcel_id; for the figures floors,
height_m in m, gfa_m2 in m²), both in one projected CRS in metres. A geometry column is an
array of Shapely geometries or a :class:`~indspace.core.engines.shapes.Shapes` (read from
WKB: the rectangles are never made GEOS objects; the same figures to the bit).

Outputs: :class:`Overlay` (``pieces``: building_id, parcel_id, footprint_m2, share, source;
``issues``: :data:`ISSUE_COLUMNS`, kinds in :data:`ISSUE_KINDS`) and
:func:`land_figures` (:data:`FIGURE_COLUMNS`, one row per parcel).

The inputs may be DataFrames or plain mappings of column name → NumPy array: with arrays
(object arrays for ids, float arrays for figures) nothing here imports pandas, and
:func:`figure_table` gives the figures as arrays — the ``indspace land far`` file tool
starts faster without it (issue #13). The frames (``pieces``, ``issues``,
:func:`land_figures`) are built on request.

>>> import pandas as pd
>>> import shapely
>>> parcels = pd.DataFrame({"parcel_id": ["P1", "P2"],
...                         "geometry": [shapely.box(0, 0, 100, 100),
...                                      shapely.box(100, 0, 200, 100)]})
>>> buildings = pd.DataFrame({"building_id": ["B1"], "parcel_id": [None], "floors": [2],
...                           "height_m": [8.0], "gfa_m2": [None],
...                           "geometry": [shapely.box(90, 10, 110, 20)]})
>>> ov = overlay_buildings(parcels, buildings)
>>> ov.pieces[["parcel_id", "footprint_m2", "share"]].to_dict("list")
{'parcel_id': ['P1', 'P2'], 'footprint_m2': [100.0, 100.0], 'share': [0.5, 0.5]}
>>> land_figures(parcels, buildings, ov, storey_limit_m=8.0)["far"].tolist()
[0.02, 0.02]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from indspace.core.engines._threads import Workers as _Workers
from indspace.core.engines._threads import thread_map
from indspace.core.engines.envelopes import envelope_pairs, extent, meeting
from indspace.core.engines.shapes import Shapes, as_shapes, polygonal_types

if TYPE_CHECKING:
    import pandas as pd

Columns = Any
"""A DataFrame or a mapping of column name → array (see the module docstring)."""

FIGURE_COLUMNS = (
    "parcel_id",
    "area_m2",
    "footprint_m2",
    "floor_area_m2",
    "far_floor_m2",
    "far",
    "coverage",
    "n_buildings",
)
"""Per-parcel output of :func:`land_figures` (m², ratios, count)."""
PIECE_COLUMNS = ("building_id", "parcel_id", "footprint_m2", "share", "source")
ISSUE_COLUMNS = ("building_id", "issue", "parcel_id", "geometry_parcel_id", "area_m2")
ISSUE_KINDS: dict[str, tuple[str, str]] = {
    "outside_parcels": (
        "建筑完全位于宗地之外（道路、河道等），未计入任何宗地",
        "building lies outside every parcel (road, river …); counted nowhere",
    ),
    "partly_outside": (
        "建筑部分位于宗地之外，宗地外部分未计入",
        "part of the building lies outside every parcel; that part is not counted",
    ),
    "parcel_id_disagrees": (
        "建筑的宗地代码与图形不符（基底大部分位于另一宗地），以图形为准",
        "the building's parcel_id disagrees with its geometry (most of "
        "its footprint lies in another parcel); the geometry decides",
    ),
    "attribute_fallback": (
        "建筑无图形，按宗地代码计入该宗地（基底面积未知）",
        "building has no geometry: counted on its parcel_id (footprint unknown)",
    ),
    "unplaced": (
        "建筑无图形且宗地代码为空或不存在，未计入任何宗地",
        "building has no geometry and no known parcel_id; counted nowhere",
    ),
}
"""Data-quality kinds: (Chinese, English) explanation. ``area_m2`` is the footprint left out
(outside kinds), the footprint (parcel_id_disagrees) or empty (no geometry)."""


@dataclass(frozen=True)
class Overlay:
    """Buildings placed on parcels. Index arrays refer to the rows of the inputs.

    Attributes
    ----------
    building, parcel
        Row positions of each piece's building and parcel (int64; see :func:`place` for
        the order, attribute fallbacks last).
    footprint
        Area of the piece (building ∩ parcel), m² (0 for an attribute fallback).
    share
        The piece's part of its building's floor area: footprint ÷ building footprint
        (1 for an attribute fallback).
    fallback
        True where the piece comes from the ``parcel_id`` attribute, not from geometry.
    building_ids, parcel_ids
        The inputs' ids (to build frames): building ids as given (an array with
        ``take``), parcel ids as an object array.
    issue_rows
        Per data-quality kind (in :data:`ISSUE_KINDS` order): the building rows and the
        area (m²) listed; :attr:`issues` is the list as a frame.
    main, attr
        Each building's main parcel row (−1: none) and its ``parcel_id`` attribute, for
        :attr:`issues`.
    parcel_area
        Each parcel's area (m², GEOS's; NaN: no geometry), for the ratios.
    """

    building: np.ndarray
    parcel: np.ndarray
    footprint: np.ndarray
    share: np.ndarray
    fallback: np.ndarray
    building_ids: Any = field(repr=False)
    parcel_ids: np.ndarray = field(repr=False)
    issue_rows: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)
    main: np.ndarray = field(repr=False)
    attr: Any = field(repr=False)
    parcel_area: np.ndarray = field(repr=False)

    @cached_property
    def issues(self) -> pd.DataFrame:
        """The data-quality list (:data:`ISSUE_COLUMNS`): one row per listed building, kind
        by kind in :data:`ISSUE_KINDS` order, buildings in row order."""
        import pandas as pd

        rows = []
        for kind, (at, area) in self.issue_rows.items():
            geo_pid = np.full(len(at), None, dtype=object)
            known = self.main[at] >= 0
            geo_pid[known] = self.parcel_ids[self.main[at][known]]
            rows.append(
                pd.DataFrame(
                    {
                        "building_id": _objects(self.building_ids, at),
                        "issue": kind,
                        "parcel_id": _none_for_na(_objects(self.attr, at)),
                        "geometry_parcel_id": geo_pid,
                        "area_m2": area,
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    @property
    def pieces(self) -> pd.DataFrame:
        """One row per building and parcel it stands on (:data:`PIECE_COLUMNS`), in the
        order of the input rows (building, then parcel)."""
        import pandas as pd

        o = np.lexsort((self.parcel, self.building))
        return pd.DataFrame(
            {
                "building_id": _objects(self.building_ids, self.building[o]),
                "parcel_id": self.parcel_ids[self.parcel[o]],
                "footprint_m2": self.footprint[o],
                "share": self.share[o],
                "source": np.where(self.fallback[o], "attribute", "geometry"),
            }
        )

    def issue_counts(self) -> dict[str, int]:
        """Number of buildings of each data-quality kind (every kind, 0 included)."""
        return {k: len(self.issue_rows[k][0]) if k in self.issue_rows else 0 for k in ISSUE_KINDS}


def overlay_buildings(
    parcels: Columns,
    buildings: Columns,
    *,
    threads: int = 1,
    min_outside_m2: float = 0.01,
) -> Overlay:
    """Place every building on the parcel(s) it stands on.

    Parameters
    ----------
    parcels : DataFrame or mapping of arrays
        ``parcel_id`` and ``geometry`` (Polygon/MultiPolygon, projected metres).
    buildings : DataFrame or mapping of arrays
        ``building_id``, ``geometry`` (None or empty: no geometry) and optionally
        ``parcel_id`` (the attribute: cross-check, and fallback without geometry).
    threads : int, default 1
        Threads for the covers test and the intersections (the result is the same).
    min_outside_m2 : float, default 0.01
        Outside parts at most this large (m²) are numerical noise, not listed.

    Returns
    -------
    Overlay
    """
    _require(parcels, ("parcel_id", "geometry"), "parcels")
    _require(buildings, ("building_id", "geometry"), "buildings")
    p_shapes, b_shapes = as_shapes(parcels["geometry"]), as_shapes(buildings["geometry"])
    p_ids = np.asarray(parcels["parcel_id"], dtype=object)
    # building ids stay as given (e.g. Arrow strings): only the listed ones become objects
    b_ids = _column(buildings["building_id"])
    nb = len(b_shapes)
    attr = (
        _column(buildings["parcel_id"])
        if "parcel_id" in buildings
        else np.full(nb, None, dtype=object)
    )
    # the attribute: row of the named parcel (−1: empty or unknown) — looked up while the
    # geometry places the buildings (with more than one thread; Arrow releases the GIL)
    jobs: list[Callable[[], Any]] = [
        partial(_positions, p_ids, attr),
        partial(place, p_shapes, b_shapes, threads=threads),
    ]
    found, placed = thread_map(_call, jobs, threads)
    attr_pos: np.ndarray = found
    bi, pi, piece, b_area, main = placed
    no_geom = b_shapes.missing
    fb = np.flatnonzero(no_geom & (attr_pos >= 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        share_geom = np.where(b_area[bi] > 0, piece / b_area[bi], 0.0)
    if len(fb):
        bi, pi = np.concatenate([bi, fb]), np.concatenate([pi, attr_pos[fb]])
        piece = np.concatenate([piece, np.zeros(len(fb))])
        share_geom = np.concatenate([share_geom, np.ones(len(fb))])
    fallback = np.zeros(len(bi), bool)
    fallback[len(bi) - len(fb) :] = True

    # data quality ---------------------------------------------------------------------
    placed = np.bincount(bi[~fallback], weights=piece[~fallback], minlength=nb)
    outside = np.where(no_geom, 0.0, b_area - placed)
    all_out = ~no_geom & (placed <= 0) & (b_area > 0)
    part_out = ~no_geom & ~all_out & (outside > min_outside_m2)
    has_attr = attr_pos >= 0
    odd = np.flatnonzero(~has_attr & ~_isna(attr))
    if len(odd):  # a parcel_id naming no parcel still counts
        has_attr[odd] = [str(v).strip() != "" for v in _objects(attr, odd)]
    disagrees = has_attr & (main >= 0) & (attr_pos != main)
    issue_rows = {}
    for kind, mask, area in (
        ("outside_parcels", all_out, b_area),
        ("partly_outside", part_out, outside),
        ("parcel_id_disagrees", disagrees, b_area),
        ("attribute_fallback", no_geom & (attr_pos >= 0), np.full(nb, np.nan)),
        ("unplaced", no_geom & (attr_pos < 0), np.full(nb, np.nan)),
    ):
        at = np.flatnonzero(mask)
        issue_rows[kind] = (at, area[at])
    return Overlay(
        bi, pi, piece, share_geom, fallback, b_ids, p_ids, issue_rows, main, attr, p_shapes.area
    )


def _call(job: Callable[[], Any]) -> Any:
    return job()


def place(
    parcels: Shapes | np.ndarray, buildings: Shapes | np.ndarray, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The array core of :func:`overlay_buildings` (geometry columns: Shapely geometries or
    :class:`Shapes`).

    Returns ``(building, parcel, area, footprint, main)``: row positions and area (m²) of
    every piece of positive area (buildings wholly inside a parcel first, in building order,
    then the pieces of the others in building order, each building's in parcel order), each
    building's own footprint area (0 without geometry) and the row of the parcel holding
    most of it (−1: none; ties: the first parcel row).

    Buildings measured from WKB (not held as GEOS geometries), more than twice
    :data:`TILE_BUILDINGS` of them, are placed in spatial tiles (:func:`_tiles`), the tiles
    on ``threads`` threads: each tile's arrays are small and their memory is reused by the
    next, and the result is the same to the bit (tests/core/test_land_figures.py). On the
    province demo (5 M buildings) the step's peak resident memory fell by ≈ 1.2 GB and its
    time by half (docs/performance.md, "tile7").
    """
    ps, bs = as_shapes(parcels), as_shapes(buildings)
    nb = len(bs)
    b_area = np.nan_to_num(bs.area, nan=0.0)
    main = np.full(nb, -1, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if not len(ps) or not nb:
        return empty, empty, np.zeros(0), b_area, main
    tiles = _tiles(ps, bs)
    if tiles is None:  # one piece of work: the pairs of all at once, the steps on threads
        with _Workers(threads) as workers:
            whole, rb, rp, part = _place_pairs(ps, bs, *_pairs(ps, bs, threads), main, workers)
    else:
        ps.rect  # noqa: B018 — measured now, not by two tiles at once
        done = thread_map(partial(_place_tile, ps, bs, main), tiles, threads)
        # the tiles' buildings interleave in row order: whole buildings by row, the pieces
        # of the others by building (each building's pieces come from one tile, by parcel)
        whole = np.sort(np.concatenate([d[0] for d in done]))
        rb, rp, part = (np.concatenate([d[k] for d in done]) for k in (1, 2, 3))
        o = np.argsort(rb, kind="stable")
        rb, rp, part = rb[o], rp[o], part[o]
    building = np.concatenate([whole, rb])
    parcel = np.concatenate([main[whole], rp])
    area = np.concatenate([b_area[whole], part])
    return building, parcel, area, b_area, main


def _place_pairs(
    ps: Shapes,
    bs: Shapes,
    bi: np.ndarray,
    pi: np.ndarray,
    main: np.ndarray,
    workers: _Workers,
    *,
    private: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`place` of the (building, parcel) row pairs whose envelopes meet — every pair
    of the buildings ``bi`` holds, sorted by building, then parcel: ``(whole, rb, rp,
    part)``, the buildings wholly inside a parcel (in row order) and the pieces of positive
    area of the others (by building, then parcel). Sets ``main`` of these buildings (only
    theirs: tiles on several threads share it). ``private``: the parcels prepared for GEOS
    are copies (:func:`_covers`)."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(bi):
        return empty, empty, empty, np.zeros(0)
    p_bounds, b_bounds = ps.bounds, bs.bounds
    covered = _covers(ps, bs, pi, bi, workers, private=private)
    # a covered building belongs whole to its first covering parcel row (the pairs are
    # sorted by building, then parcel)
    cb, cp = bi[covered], pi[covered]
    del covered
    first = np.r_[True, cb[1:] != cb[:-1]] if len(cb) else np.zeros(0, bool)
    main[cb[first]] = cp[first]
    whole = cb[first]
    del cb, cp, first
    rest = main[bi] < 0
    rb, rp = bi[rest], pi[rest]
    del bi, pi, rest
    part = np.zeros(len(rb))
    if len(rb):
        # two axis-aligned rectangles meet in a rectangle: its area is exact arithmetic
        pb, bb = p_bounds[rp], b_bounds[rb]
        boxes = _is_box(ps, rp) & _is_box(bs, rb)
        w = np.minimum(pb[:, 2], bb[:, 2]) - np.maximum(pb[:, 0], bb[:, 0])
        h = np.minimum(pb[:, 3], bb[:, 3]) - np.maximum(pb[:, 1], bb[:, 1])
        part[boxes] = (np.clip(w, 0, None) * np.clip(h, 0, None))[boxes]
        other = np.flatnonzero(~boxes)
        if len(other):
            p_rows, p_at = np.unique(rp[other], return_inverse=True)
            b_rows, b_at = np.unique(rb[other], return_inverse=True)
            p_geom, b_geom = ps.geoms(p_rows), bs.geoms(b_rows)
            part[other] = workers.map2(
                lambda a, b: shapely.area(shapely.intersection(p_geom[a], b_geom[b])),
                p_at,
                b_at,
            )
    keep = part > 0
    rb, rp, part = rb[keep], rp[keep], part[keep]
    if len(rb):  # the parcel holding most of each straddling building
        o = np.lexsort((rp, -part, rb))
        first = np.r_[True, rb[o][1:] != rb[o][:-1]]
        main[rb[o][first]] = rp[o][first]
    return whole, rb, rp, part


TILE_BUILDINGS = 1 << 17
"""Buildings per tile of :func:`_tiles` (≈ 131 000): a tile's arrays stay small, are
freed and reused by the next (on this VM first-touched memory costs ≈ 2 s per GB of system
time: docs/performance.md "tile7"), and two tiles run at once on two threads."""
BIG_SIDE = 4.0
"""A building whose larger side exceeds this many times the 99th percentile of the larger
sides is placed apart from the tiles (with every parcel near it): one long shed would
widen its tile's extent, and with it the parcels the tile reads."""

SAMPLE = 8
"""The tiles' cuts and the long-shed bound are taken on every 8th building (a quantile
copies the values it sorts): the result does not depend on them, only the tiles' sizes."""


@dataclass(frozen=True)
class _Tile:
    buildings: np.ndarray
    """Building rows, ascending."""
    parcels: np.ndarray
    """Candidate parcel rows, ascending: those whose envelope meets the parcels' common
    box of the strip the buildings lie in (the tile narrows them to its own box)."""


def _tiles(ps: Shapes, bs: Shapes) -> list[_Tile] | None:
    """The buildings in spatial tiles of about :data:`TILE_BUILDINGS` (None: one tile, or
    both sides held as GEOS geometries — they are paired by an STRtree, :func:`_pairs`).

    Each building with an envelope lies in exactly one tile (by its envelope's centre:
    strips of equal counts from west to east, each cut from south to north into tiles of
    equal counts), and a tile pairs its buildings with every parcel whose envelope meets
    theirs (:func:`_place_tile`), so each building meets its parcels in one tile only,
    all of them: the pieces, the covering parcel and the main parcel are those of the
    whole. Buildings without envelope meet nothing and are in no tile."""
    if ps.geos is not None and bs.geos is not None:
        return None
    b = bs.bounds
    nan = np.isnan(b[:, 0])  # column by column: a reduction along rows of 4 is slow
    for k in (1, 2, 3):
        nan |= np.isnan(b[:, k])
    if len(b) - int(np.count_nonzero(nan)) <= 2 * TILE_BUILDINGS:
        return None
    ok = np.flatnonzero(~nan) if nan.any() else None
    x0, y0, x1, y1 = (b[:, k] if ok is None else b[ok, k] for k in range(4))
    del nan
    side = np.maximum(x1 - x0, y1 - y0)
    big = side > BIG_SIDE * np.percentile(side[::SAMPLE], 99)
    del side
    tiles: list[_Tile] = []
    p_bounds = ps.bounds
    if big.any():
        if ok is None:
            ok = np.arange(len(b))
        tiles.append(_Tile(ok[big], meeting(p_bounds, extent(b[ok[big]]))))
        keep = ~big
        ok, x0, y0, x1, y1 = ok[keep], x0[keep], y0[keep], x1[keep], y1[keep]
    del big
    n = len(x0)
    n_tiles = -(-n // TILE_BUILDINGS)
    n_strips = max(1, round(np.sqrt(n_tiles)))
    per_strip = -(-n_tiles // n_strips)
    cx = (x0 + x1) / 2
    cuts = np.quantile(cx[::SAMPLE], np.arange(1, n_strips) / n_strips)
    strip = np.searchsorted(cuts, cx, side="right")
    del cx
    # strip by strip (a stable sort of small integer keys), cut from south to north
    by_strip = np.argsort(strip.astype(np.uint16), kind="stable")
    starts = np.searchsorted(strip[by_strip], np.arange(n_strips + 1))
    del strip
    key = np.empty(n, dtype=np.uint16)
    near = []
    for s in range(n_strips):
        at = by_strip[starts[s] : starts[s + 1]]
        box = (x0[at].min(), y0[at].min(), x1[at].max(), y1[at].max()) if len(at) else None
        near.append(meeting(p_bounds, box) if box else np.zeros(0, dtype=np.int64))
        cy = (y0[at] + y1[at]) / 2
        cuts = np.quantile(cy[::SAMPLE], np.arange(1, per_strip) / per_strip) if len(at) else []
        key[at] = s * per_strip + np.searchsorted(cuts, cy, side="right")
    del by_strip
    # each tile's rows in row order
    order = np.argsort(key, kind="stable")
    starts = np.searchsorted(key[order], np.arange(n_strips * per_strip + 1))
    for t in range(n_strips * per_strip):
        rows = order[starts[t] : starts[t + 1]]
        if len(rows):
            tiles.append(_Tile(rows if ok is None else ok[rows], near[t // per_strip]))
    return tiles


def _place_tile(
    ps: Shapes, bs: Shapes, main: np.ndarray, tile: _Tile
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_place_pairs` of one tile's buildings (on this thread): their pairs with the
    candidate parcels that meet the tile's box, as rows of the whole (the rows are
    ascending, so the pairs stay sorted by building, then parcel)."""
    b_rows = tile.buildings
    box = extent(bs.bounds[b_rows])
    p_rows = tile.parcels[meeting(ps.bounds[tile.parcels], box)]
    bi, pi = envelope_pairs(bs.bounds[b_rows], ps.bounds[p_rows])
    with _Workers(1) as workers:
        return _place_pairs(ps, bs, b_rows[bi], p_rows[pi], main, workers, private=True)


def _pairs(ps: Shapes, bs: Shapes, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """(building, parcel) rows whose envelopes meet, sorted by building, then parcel: an
    STRtree query when both sides are GEOS geometries already (its C++ tree beats the NumPy
    join there: 0.07 against 0.15 s of CPU on the city), else
    :func:`~indspace.core.engines.envelopes.envelope_pairs` (the same pairs; a test holds
    the two to it)."""
    p_geos, b_geos = ps.geos, bs.geos
    if p_geos is None or b_geos is None:
        return envelope_pairs(bs.bounds, ps.bounds, threads=threads)
    bi, pi = shapely.STRtree(p_geos).query(b_geos)
    o = np.lexsort((pi, bi))
    return bi[o].astype(np.int64), pi[o].astype(np.int64)


def land_figures(
    parcels: Columns, buildings: Columns, overlay: Overlay, storey_limit_m: float
) -> pd.DataFrame:
    """One row per parcel (:data:`FIGURE_COLUMNS`), in the order of ``parcels`` (the
    frame of :func:`figure_table`).

    Parameters
    ----------
    parcels : DataFrame
        ``parcel_id`` and ``geometry`` (area_m2 = area of the geometry), the frame given to
        :func:`overlay_buildings`.
    buildings : DataFrame
        The frame given to :func:`overlay_buildings`, with ``floors``, ``height_m`` (m) and
        ``gfa_m2`` (m², may be empty).
    overlay : Overlay
        From :func:`overlay_buildings` on these two frames.
    storey_limit_m : float
        Mean storey height above which the floor area counts twice in FAR (m; the policy
        profile's ``double_storey_height_m``).
    """
    import pandas as pd

    return pd.DataFrame(figure_table(parcels, buildings, overlay, storey_limit_m))


def figure_table(
    parcels: Columns, buildings: Columns, overlay: Overlay, storey_limit_m: float
) -> dict[str, np.ndarray]:
    """The columns of :func:`land_figures` (:data:`FIGURE_COLUMNS`, in that order) as
    arrays: ``parcel_id`` as given, the rest float64 (``n_buildings`` int64)."""
    _require(buildings, ("floors", "height_m", "gfa_m2"), "buildings")
    area = overlay.parcel_area
    sums = parcel_sums(overlay, len(area), buildings, storey_limit_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        far = np.where(area > 0, sums["far_floor_m2"] / area, np.nan)
        coverage = np.where(area > 0, sums["footprint_m2"] / area, np.nan)
    table = {
        "parcel_id": np.asarray(parcels["parcel_id"], dtype=object),
        "area_m2": area,
        **sums,
        "far": far,
        "coverage": coverage,
    }
    return {c: table[c] for c in FIGURE_COLUMNS}


def parcel_sums(
    overlay: Overlay, n_parcels: int, buildings: Columns, storey_limit_m: float
) -> dict[str, np.ndarray]:
    """footprint_m2, floor_area_m2, far_floor_m2 (float) and n_buildings (int) per parcel
    row (see the module docstring for the counting rules)."""
    b, p = overlay.building, overlay.parcel
    floors = _floats(buildings["floors"])
    doubled = counts_twice(floors, _floats(buildings["height_m"]), storey_limit_m)[b]
    gfa = _floats(buildings["gfa_m2"])[b]
    # gfa_m2 apportioned by footprint share; else the clipped footprint × floors
    floor = np.where(np.isfinite(gfa), gfa * overlay.share, overlay.footprint * floors[b])
    floor = np.nan_to_num(floor, nan=0.0)
    far_floor = np.where(doubled, 2.0 * floor, floor)
    return {
        "footprint_m2": np.bincount(p, weights=overlay.footprint, minlength=n_parcels),
        "floor_area_m2": np.bincount(p, weights=floor, minlength=n_parcels),
        "far_floor_m2": np.bincount(p, weights=far_floor, minlength=n_parcels),
        "n_buildings": np.bincount(p, minlength=n_parcels).astype(np.int64),
    }


def counts_twice(floors: np.ndarray, height_m: np.ndarray, storey_limit_m: float) -> np.ndarray:
    """Whether a building's floor area counts twice in FAR: mean storey height
    ``height_m / floors`` strictly greater than ``storey_limit_m`` (unknown: no).

    >>> counts_twice(np.array([2.0, 2.0, 3.0, 0.0]), np.array([16.0, 16.02, np.nan, 9.0]), 8.0)
    array([False,  True, False, False])
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        storey = np.where(floors > 0, height_m / floors, np.nan)
    return np.isfinite(storey) & (storey > storey_limit_m)


# ------------------------------------------------------------------ helpers
def _require(frame: Columns, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")


def _column(values: Any) -> Any:
    """A column as an array with ``take``: a pandas column's own array (it stays compact),
    else a NumPy array."""
    return values.array if hasattr(values, "array") else np.asarray(values)


def _objects(values: Any, at: np.ndarray) -> np.ndarray:
    """``values[at]`` as an object array (values: a NumPy or pandas array)."""
    return np.asarray(values.take(at), dtype=object)


def _isna(values: Any) -> np.ndarray:
    """Missing (None, NaN, pandas' NA/NaT) per value, as a bool array."""
    pd = sys.modules.get("pandas")
    if pd is not None:  # pandas' missing markers can exist only once pandas is imported
        return np.asarray(pd.isna(values), dtype=bool)
    v = np.asarray(values)
    if v.dtype.kind == "f":
        return np.isnan(v)
    if v.dtype != object:
        return np.zeros(len(v), dtype=bool)
    # None, or NaN (the one value unequal to itself)
    return np.equal(v, None) | (v != v)  # type: ignore[call-overload]


def _floats(s: Any) -> np.ndarray:
    """A numeric column as float64 (not a number: NaN)."""
    if isinstance(s, np.ndarray) and s.dtype.kind in "fiub":
        return s.astype("float64", copy=False)
    import pandas as pd

    return pd.to_numeric(pd.Series(s), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _positions(ids: np.ndarray, wanted: Any) -> np.ndarray:
    """Row of each wanted id in ``ids`` (−1: missing or unknown); the first row of a
    repeated id."""
    if hasattr(wanted, "__arrow_array__"):  # Arrow strings (a pandas string column)
        found = _arrow_positions(ids, wanted)
        if found is not None:
            return found
    at = np.flatnonzero(~_isna(wanted))
    pos = np.full(len(wanted), -1, dtype=np.int64)
    if not len(at):
        return pos
    pd = sys.modules.get("pandas")
    if pd is not None:  # pandas' hash table (the same equality as a dict), no Python loop
        index = pd.Index(np.asarray(ids, dtype=object), dtype=object)
        first = ~index.duplicated()
        hit = index[first].get_indexer(pd.Index(_objects(wanted, at), dtype=object))
        pos[at] = np.where(hit >= 0, np.flatnonzero(first)[hit], -1)
        return pos
    rows: dict[Any, int] = {}
    for i, v in enumerate(np.asarray(ids, dtype=object).tolist()):
        rows.setdefault(v, i)
    pos[at] = [rows.get(v, -1) for v in _objects(wanted, at).tolist()]
    return pos


def _arrow_positions(ids: np.ndarray, wanted: Any) -> np.ndarray | None:
    """:func:`_positions` of Arrow-backed strings by Arrow's hash lookup (``index_in``: the
    first row of a repeated id, nulls unmatched; no Python string made; on 5 M buildings
    against 1.2 M parcels 0.7 s of CPU against 3.4 s for pandas' object index). None when
    ``ids`` are not all strings (or None)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(wanted)
    try:
        value_set = pa.array(np.asarray(ids, dtype=object), type=values.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    hit = pc.index_in(values, value_set=value_set, skip_nulls=True)
    return np.asarray(hit.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


PREPARED_BLOCK = 8192
"""Parcels prepared at a time: a prepared polygon keeps its edge index (≈ 1.5 kB for a
rectangle), so preparing all 200 000 parcels of a city at once would hold ≈ 300 MB."""


def _covers(
    parcels: Shapes,
    buildings: Shapes,
    pi: np.ndarray,
    bi: np.ndarray,
    workers: _Workers,
    *,
    private: bool = False,
) -> np.ndarray:
    """``covers(parcels[pi], buildings[bi])``.

    A parcel that is exactly its envelope (``Shapes.rect``) covers a building if and only
    if the building's envelope lies within the parcel's: comparisons of the pairs' bounds,
    no GEOS call. The other parcels are prepared block by block (and released again: the
    caller's geometries are left as they came) and tested with GEOS. ``private``: copies
    of them are prepared (through WKB: the same coordinates), as tiles on other threads may
    prepare and release the same parcel at once (``shapely.prepare`` is not thread-safe
    on one geometry)."""
    out = np.zeros(len(pi), dtype=bool)
    rect = parcels.rect
    fast = rect[pi]
    at = np.flatnonzero(fast)
    if len(at):
        pb, bb = parcels.bounds[pi[at]], buildings.bounds[bi[at]]
        # NaN bounds (an empty building) compare False: not covered, as GEOS says
        out[at] = (
            (bb[:, 0] >= pb[:, 0])
            & (bb[:, 1] >= pb[:, 1])
            & (bb[:, 2] <= pb[:, 2])
            & (bb[:, 3] <= pb[:, 3])
        )
    slow = np.flatnonzero(~fast)
    if not len(slow):
        return out
    order = slow[np.argsort(pi[slow], kind="stable")]
    ps, bs = pi[order], bi[order]
    b_rows, b_at = np.unique(bs, return_inverse=True)
    b_geom = buildings.geoms(b_rows)
    res = np.empty(len(order), dtype=bool)
    for lo in range(0, len(parcels), PREPARED_BLOCK):
        a, b = np.searchsorted(ps, (lo, lo + PREPARED_BLOCK))
        if a == b:
            continue
        p_rows, p_at = np.unique(ps[a:b], return_inverse=True)
        p_geom = parcels.geoms(p_rows)
        if private:
            p_geom = shapely.from_wkb(shapely.to_wkb(p_geom))
        shapely.prepare(p_geom)
        res[a:b] = workers.map2(partial(_covers_at, p_geom, b_geom), p_at, b_at[a:b])
        shapely.destroy_prepared(p_geom)
    out[order] = res
    return out


def _none_for_na(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[_isna(values)] = None
    return out


def _covers_at(p_geom: np.ndarray, b_geom: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.covers(p_geom[x], b_geom[y]), dtype=bool)


def _is_box(shapes: Shapes, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows``: an axis-aligned rectangle — a (multi)polygon whose area equals
    its envelope's (a valid one inside its envelope with the same area is the envelope).
    Each distinct row is tested once (of Shapely geometries, only those rows' types are
    asked)."""
    at, inv = np.unique(rows, return_inverse=True)
    b = shapes.bounds[at]
    env = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    geos = shapes.geos
    polygonal = shapes.polygonal[at] if geos is None else polygonal_types(geos[at])
    box = polygonal & (shapes.area[at] == env) & (env > 0)
    return np.asarray(box[inv], dtype=bool)
