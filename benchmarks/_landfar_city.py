"""A synthetic city whose land figures are known exactly, for ``land_far.py``.

Every coordinate lies on a 1/16 m grid and every shape is an axis-parallel rectangle (or a
union/difference of such), so every area, every clipped area and every sum of them is an
exact binary floating-point number: a correct overlay must reproduce the truth to the last
bit for footprints and to rounding for apportioned ``gfa_m2``. The truth is computed here in
integer arithmetic (units of 1/16 m, areas in 1/256 m²) from the construction, not by a
geometry library.

Layout (EPSG:4549, x from 600 000 m, y from 3 260 000 m, inside the zone of 120°E, where the
demo city lies too): a grid of cells, 60–140 m wide and high; blocks of 4 × 2 cells separated
by 20 m roads. Each cell is one parcel, except:

* **multi-part parcels:** two cells of one block row, one cell apart, form one MultiPolygon;
* **parcels with a hole:** a cell with a rectangular hole in its middle third; half of the
  holes are **island parcels** of their own, the other half ponds (no parcel at all);
  such a cell holds a building in its ring, one across the hole's edge and one in the hole.

Other cells hold up to 4 × 3 slot buildings 8 m inside the cell edges. Some buildings reach
1–6 m past the right or top edge of their cell: into the neighbour parcel when there is one in
the block (**straddlers**), into the road at a block edge (part **outside every parcel**).
Storeys are 4–10 m, exactly 8 m and 8.0625 m among them; 40 % carry ``gfa_m2``; a third have no
``parcel_id``; 0.5 % carry a wrong one. The numbers of island parcels and of merged pairs are
equal, so a city has exactly ``cols × rows`` parcels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

Q = 16  # grid steps per metre: every coordinate is an integer number of 1/16 m
Q2 = Q * Q  # area units per m²
ORIGIN = (600_000 * Q, 3_260_000 * Q)
ROAD = 20 * Q
MARGIN = 8 * Q  # slot buildings keep this far from their cell edges
REACH = (1 * Q, 6 * Q)  # how far a straddler reaches past its cell edge (< MARGIN < ROAD)
BLOCK = (4, 2)  # cells per block, columns × rows
STOREY_M = np.array([4.0, 4.5, 5.0, 5.5, 6.0, 7.0, 8.0, 8.0625, 9.0, 10.0])
STOREY_P = np.array([8, 12, 14, 10, 10, 8, 14, 12, 6, 6]) / 100
STOREY_LIMIT_M = 8.0  # a storey strictly higher counts twice for FAR (issue #13)

CRS = "EPSG:4549"
TRUTH_COLUMNS = [
    "parcel_id",
    "area_m2",
    "footprint_m2",
    "floor_area_m2",
    "far_floor_m2",
    "far",
    "coverage",
    "n_buildings",
]


@dataclass(frozen=True)
class Scale:
    cols: int
    rows: int
    nx: tuple[int, ...]  # slot columns per cell, drawn uniformly
    ny: tuple[int, ...]  # slot rows per cell
    fill: float  # probability that a slot holds a building
    special: float  # share of cells that get a hole, and share that are merged in pairs


SCALES = {
    "tiny": Scale(8, 4, (1, 2, 3), (1, 2), 0.9, 0.125),
    "40k": Scale(200, 200, (2, 3, 4), (1, 2), 0.835, 0.005),
    "200k": Scale(400, 500, (2, 3, 4), (1, 2, 3), 0.835, 0.005),
}


@dataclass
class City:
    parcels: gpd.GeoDataFrame  # parcel_id, geometry
    buildings: gpd.GeoDataFrame  # building_id, parcel_id, floors, height_m, gfa_m2, ...
    truth: pd.DataFrame  # TRUTH_COLUMNS, one row per parcel, in parcel order
    outside_buildings: int  # buildings with a part outside every parcel
    outside_m2: float  # total area of those parts
    wrong_parcel_id: int  # buildings whose parcel_id names a parcel they do not stand on most


def _edges(n: int, block: int, rng: np.random.Generator, origin: int) -> np.ndarray:
    """Lower and upper edges (grid units) of ``n`` cells, a road after every ``block``."""
    size = rng.integers(60 * Q, 140 * Q + 1, n)
    gap = np.where((np.arange(n) % block == 0) & (np.arange(n) > 0), ROAD, 0)
    lo = origin + np.cumsum(size + gap) - size
    return np.stack([lo, lo + size])


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct candidates, sorted."""
    return np.sort(rng.choice(candidates, k, replace=False))


def _overlap(a0, a1, b0, b1) -> np.ndarray:
    return np.maximum(0, np.minimum(a1, b1) - np.maximum(a0, b0))


def build(scale: str = "40k", seed: int = 13, notched: float = 0.0) -> City:
    """Construct the city and its exact per-parcel truth (deterministic in ``seed``).

    ``notched``: share of buildings drawn as L-shapes (a corner cut away) instead of
    rectangles — still exact, but no longer boxes, so no tool can take an axis-aligned
    rectangle shortcut for them.
    """
    sc = SCALES[scale]
    rng = np.random.default_rng(seed)
    xe = _edges(sc.cols, BLOCK[0], rng, ORIGIN[0])
    ye = _edges(sc.rows, BLOCK[1], rng, ORIGIN[1])
    n_cells = sc.cols * sc.rows
    ci, cj = np.arange(n_cells) % sc.cols, np.arange(n_cells) // sc.cols
    cx0, cx1, cy0, cy1 = xe[0][ci], xe[1][ci], ye[0][cj], ye[1][cj]

    # -- special cells: holes (island or pond) and merged pairs (i, i + 2) in one block row
    holes = _pick(rng, np.arange(n_cells), max(2, round(sc.special * n_cells)))
    islands = holes[rng.random(len(holes)) < 0.5]
    islands = islands if 0 < len(islands) < len(holes) else holes[:1]
    pair_first = np.flatnonzero((ci % BLOCK[0] < 2) & (ci + 2 < sc.cols))
    pair_first = pair_first[~np.isin(pair_first, holes) & ~np.isin(pair_first + 2, holes)]
    merged = _pick(rng, pair_first, len(islands))
    is_hole = np.zeros(n_cells, bool)
    is_hole[holes] = True
    hw, hh = (cx1 - cx0) // 3, (cy1 - cy0) // 3
    hx0, hx1, hy0, hy1 = cx0 + hw, cx1 - hw, cy0 + hh, cy1 - hh

    # -- parcels: every cell except the second of a merged pair, then the islands
    owner_cell = np.arange(n_cells)
    owner_cell[merged + 2] = merged
    kept = np.setdiff1d(np.arange(n_cells), merged + 2)
    n_parcels = len(kept) + len(islands)
    parcel_of_kept = np.full(n_cells, -1)
    parcel_of_kept[kept] = np.arange(len(kept))
    owner = parcel_of_kept[owner_cell]  # parcel index of each cell's main rectangle
    island_parcel = np.full(n_cells, -1)
    island_parcel[islands] = len(kept) + np.arange(len(islands))
    parcel_ids = np.array([f"LF{k:07d}" for k in range(n_parcels)], dtype=object)

    # pieces: (cell, parcel, x0, y0, x1, y1, sign) — a parcel is the signed sum of its pieces
    pc = np.concatenate([np.arange(n_cells), holes, islands])
    pp = np.concatenate([owner, owner[holes], island_parcel[islands]])
    psign = np.concatenate(
        [np.ones(n_cells, int), -np.ones(len(holes), int), np.ones(len(islands), int)]
    )
    is_main = np.arange(len(pc)) < n_cells
    px0 = np.where(is_main, cx0[pc], hx0[pc])
    px1 = np.where(is_main, cx1[pc], hx1[pc])
    py0 = np.where(is_main, cy0[pc], hy0[pc])
    py1 = np.where(is_main, cy1[pc], hy1[pc])
    order = np.argsort(pc, kind="stable")
    pc, pp, psign, px0, px1, py0, py1 = (a[order] for a in (pc, pp, psign, px0, px1, py0, py1))
    piece_start = np.searchsorted(pc, np.arange(n_cells + 1))

    # -- slot buildings in ordinary cells
    nx = rng.choice(sc.nx, n_cells)
    ny = rng.choice(sc.ny, n_cells)
    nslots = np.where(is_hole, 0, nx * ny)
    scell = np.repeat(np.arange(n_cells), nslots)
    s = np.arange(len(scell)) - np.repeat(np.cumsum(nslots) - nslots, nslots)
    k, l_ = s % nx[scell], s // nx[scell]
    keep = rng.random(len(scell)) < sc.fill
    scell, k, l_ = scell[keep], k[keep], l_[keep]
    sw = (cx1 - cx0 - 2 * MARGIN) // nx
    sh = (cy1 - cy0 - 2 * MARGIN) // ny
    sx0 = cx0[scell] + MARGIN + k * sw[scell]
    sy0 = cy0[scell] + MARGIN + l_ * sh[scell]
    inset = rng.integers(Q, 3 * Q + 1, (4, len(scell)))
    bx0, bx1 = sx0 + inset[0], sx0 + sw[scell] - inset[1]
    by0, by1 = sy0 + inset[2], sy0 + sh[scell] - inset[3]
    # straddlers: the bottom-right slot past the right edge, the top-left slot past the top
    right = (k == nx[scell] - 1) & (l_ == 0) & (rng.random(len(scell)) < 0.12)
    top = (k == 0) & (l_ == ny[scell] - 1) & (rng.random(len(scell)) < 0.08)
    bx1 = np.where(right, cx1[scell] + rng.integers(*REACH, len(scell), endpoint=True), bx1)
    by1 = np.where(top, cy1[scell] + rng.integers(*REACH, len(scell), endpoint=True), by1)
    home = owner[scell]

    # -- the three buildings of each holed cell: in the ring, across the hole edge, in the hole
    h = holes
    ring = (cx0[h] + MARGIN, cy0[h] + MARGIN, hx0[h] - 7 * Q, cy1[h] - MARGIN)
    edge = (hx0[h] - 5 * Q, hy0[h] + 2 * Q, hx0[h] + 4 * Q, hy1[h] - 2 * Q)
    inner = (hx0[h] + 6 * Q, hy0[h] + 3 * Q, hx1[h] - 3 * Q, hy1[h] - 3 * Q)
    in_home = np.where(island_parcel[h] >= 0, island_parcel[h], owner[h])
    bcell = np.concatenate([scell, h, h, h])
    bx0 = np.concatenate([bx0, ring[0], edge[0], inner[0]])
    by0 = np.concatenate([by0, ring[1], edge[1], inner[1]])
    bx1 = np.concatenate([bx1, ring[2], edge[2], inner[2]])
    by1 = np.concatenate([by1, ring[3], edge[3], inner[3]])
    home = np.concatenate([home, owner[h], owner[h], in_home])
    # buildings in cell order, so that the layer reads like a surveyed sheet
    order = np.argsort(bcell, kind="stable")
    bcell, bx0, by0, bx1, by1, home = (a[order] for a in (bcell, bx0, by0, bx1, by1, home))
    n_b = len(bcell)
    assert (bx1 > bx0).all() and (by1 > by0).all()

    floors = rng.choice(np.arange(1, 13), n_b, p=np.r_[np.full(6, 0.13), np.full(6, 0.22 / 6)])
    storey = rng.choice(STOREY_M, n_b, p=STOREY_P)
    height = floors * storey  # exact: storey heights are multiples of 1/16 m
    bbox_area = (bx1 - bx0) * (by1 - by0)  # area units (before any notch)
    has_gfa = rng.random(n_b) < 0.4
    factor = rng.choice(np.arange(80, 121, 5), n_b) / 100
    gfa = np.where(has_gfa, np.round(bbox_area / Q2 * floors * factor * Q) / Q, np.nan)
    pid = parcel_ids[home].copy()
    no_code = rng.random(n_b) < 1 / 3
    pid[no_code] = None
    wrong = _pick(rng, np.flatnonzero(~no_code), max(1, round(0.005 * n_b)))
    pid[wrong] = parcel_ids[
        (home[wrong] + 1 + rng.integers(0, n_parcels - 1, len(wrong))) % n_parcels
    ]

    year = rng.integers(1990, 2025, n_b).astype(np.int32)

    # -- notched (L-shaped) buildings: the top-left corner cut away, so that the building is
    # the union of two rectangles: A (full width, below the notch) and B (right of it);
    # B is empty for a plain rectangle. Drawn last: notched=0 leaves the city unchanged.
    notch = rng.random(n_b) < notched if notched else np.zeros(n_b, bool)
    nw = ((bx1 - bx0) * rng.uniform(0.2, 0.45, n_b)).astype(np.int64) if notched else 0
    nh = ((by1 - by0) * rng.uniform(0.2, 0.45, n_b)).astype(np.int64) if notched else 0
    ym = np.where(notch, by1 - nh, by1)
    nx0 = np.where(notch, bx0 + nw, bx1)
    parts = ((bx0, by0, bx1, ym), (nx0, ym, bx1, by1))
    foot = (bx1 - bx0) * (ym - by0) + (bx1 - nx0) * (by1 - ym)

    # -- truth: each part against the pieces of the (at most 2 × 2) cells the building reaches
    bi, bj = ci[bcell], cj[bcell]
    cand_b, cand_c = [np.arange(n_b)], [bcell]
    for di, dj in ((1, 0), (0, 1), (1, 1)):
        reach = ((bx1 > cx1[bcell]) | (di == 0)) & ((by1 > cy1[bcell]) | (dj == 0))
        reach &= (bi + di < sc.cols) & (bj + dj < sc.rows)
        cand_b.append(np.flatnonzero(reach))
        cand_c.append(bcell[reach] + di + dj * sc.cols)
    pair_b, pair_c = np.concatenate(cand_b), np.concatenate(cand_c)
    npieces = piece_start[pair_c + 1] - piece_start[pair_c]
    qb = np.repeat(pair_b, npieces)
    qpiece = np.repeat(piece_start[pair_c], npieces) + (
        np.arange(npieces.sum()) - np.repeat(np.cumsum(npieces) - npieces, npieces)
    )
    qarea = (
        sum(
            _overlap(x0[qb], x1[qb], px0[qpiece], px1[qpiece])
            * _overlap(y0[qb], y1[qb], py0[qpiece], py1[qpiece])
            for x0, y0, x1, y1 in parts
        )
        * psign[qpiece]
    )
    key = qb.astype(np.int64) * n_parcels + pp[qpiece]
    ukey, inv = np.unique(key, return_inverse=True)
    clip = np.bincount(inv, weights=qarea).astype(np.int64)  # exact: < 2**53 area units
    live = clip > 0
    assert (clip >= 0).all()
    cb, cp, clip = ukey[live] // n_parcels, ukey[live] % n_parcels, clip[live]

    in_parcels = np.bincount(cb, weights=clip, minlength=n_b)
    outside = foot - in_parcels
    clip_m2 = clip / Q2
    floor_m2 = np.where(has_gfa[cb], gfa[cb] * clip / foot[cb], clip_m2 * floors[cb])
    tall = height / floors > STOREY_LIMIT_M
    far_floor_m2 = floor_m2 * np.where(tall[cb], 2, 1)
    parea = np.bincount(pp, weights=(px1 - px0) * (py1 - py0) * psign, minlength=n_parcels) / Q2
    footprint = np.bincount(cp, weights=clip_m2, minlength=n_parcels)
    far_floor = np.bincount(cp, weights=far_floor_m2, minlength=n_parcels)
    truth = pd.DataFrame(
        {
            "parcel_id": parcel_ids,
            "area_m2": parea,
            "footprint_m2": footprint,
            "floor_area_m2": np.bincount(cp, weights=floor_m2, minlength=n_parcels),
            "far_floor_m2": far_floor,
            "far": far_floor / parea,
            "coverage": footprint / parea,
            "n_buildings": np.bincount(cp, minlength=n_parcels),
        }
    )
    # "wrong" is judged as the overlay must: most of the footprint in another parcel
    best = pd.Series(clip).groupby(cb).idxmax().reindex(range(n_b))
    major = np.where(best.notna(), cp[best.fillna(0).astype(int)], -1)
    code_idx = pd.Index(parcel_ids).get_indexer(pd.Series(pid).fillna("").to_numpy())
    wrong_count = int(((code_idx >= 0) & (major >= 0) & (code_idx != major)).sum())

    # -- geometries (coordinates back to metres: exact, the grid is binary)
    parcels = _parcel_geometries(
        n_cells,
        kept,
        merged,
        holes,
        islands,
        owner,
        parcel_ids,
        (cx0, cy0, cx1, cy1),
        (hx0, hy0, hx1, hy1),
    )
    buildings = gpd.GeoDataFrame(
        {
            "building_id": np.array([f"LB{k:08d}" for k in range(n_b)], dtype=object),
            "parcel_id": pid,
            "floors": floors.astype(np.int32),
            "height_m": height,
            "gfa_m2": gfa,
            "year_built": year,
        },
        geometry=_building_geometries(bx0, by0, bx1, by1, notch, nx0, ym),
        crs=CRS,
    )
    return City(
        parcels, buildings, truth, int((outside > 0).sum()), float(outside.sum() / Q2), wrong_count
    )


def _building_geometries(bx0, by0, bx1, by1, notch, nx0, ym) -> np.ndarray:
    geoms = shapely.box(bx0 / Q, by0 / Q, bx1 / Q, by1 / Q, ccw=False)
    if notch.any():
        x0, y0, x1, y1, xn, yn = (a[notch] / Q for a in (bx0, by0, bx1, by1, nx0, ym))
        ring = [(x0, y0), (x0, yn), (xn, yn), (xn, y1), (x1, y1), (x1, y0), (x0, y0)]
        geoms[notch] = shapely.polygons(np.stack([np.stack(c, axis=-1) for c in ring], axis=1))
    return geoms


def _parcel_geometries(n_cells, kept, merged, holes, islands, owner, parcel_ids, cell, hole):
    cx0, cy0, cx1, cy1 = (a / Q for a in cell)
    hx0, hy0, hx1, hy1 = (a / Q for a in hole)
    geoms = shapely.box(cx0, cy0, cx1, cy1, ccw=False)
    for c in holes:
        shell = [(cx0[c], cy0[c]), (cx0[c], cy1[c]), (cx1[c], cy1[c]), (cx1[c], cy0[c])]
        ring = [(hx0[c], hy0[c]), (hx1[c], hy0[c]), (hx1[c], hy1[c]), (hx0[c], hy1[c])]
        geoms[c] = shapely.Polygon(shell, [ring])
    for c in merged:
        geoms[c] = shapely.MultiPolygon([geoms[c], geoms[c + 2]])
    island_geoms = shapely.box(hx0[islands], hy0[islands], hx1[islands], hy1[islands], ccw=False)
    geometry = np.concatenate([geoms[kept], island_geoms])
    assert (owner[kept] == np.arange(len(kept))).all()
    return gpd.GeoDataFrame({"parcel_id": parcel_ids}, geometry=geometry, crs=CRS)


def write(city: City, path: Path) -> None:
    """One GeoPackage with layers ``parcels`` and ``buildings`` (replaced if present)."""
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        city.parcels, path, layer="parcels", use_arrow=True, promote_to_multi=True
    )
    pyogrio.write_dataframe(city.buildings, path, layer="buildings", use_arrow=True)


def compare(result: pd.DataFrame, truth: pd.DataFrame, rtol: float = 1e-6) -> list[str]:
    """Differences of a tool's per-parcel table from the truth (empty when equal).

    Every figure must equal the truth to ``rtol`` relative (1e-9 m² absolute where the truth
    is 0), ``n_buildings`` exactly, and every parcel must be present once.
    """
    problems: list[str] = []
    res = result.copy()
    res["parcel_id"] = res["parcel_id"].astype(str)
    if res["parcel_id"].duplicated().any():
        problems.append(f"{res['parcel_id'].duplicated().sum()} duplicated parcel ids")
        res = res.drop_duplicates("parcel_id")
    merged = truth.merge(res, on="parcel_id", how="left", suffixes=("", "_tool"), indicator=True)
    missing = merged["_merge"] != "both"
    if missing.any():
        problems.append(
            f"{missing.sum()} parcels missing, e.g. {merged.loc[missing, 'parcel_id'].iloc[0]}"
        )
    extra = len(res) - int((~missing).sum())
    if extra:
        problems.append(f"{extra} parcels not in the city")
    for col in TRUTH_COLUMNS[1:]:
        if col + "_tool" not in merged:
            problems.append(f"column {col} missing")
            continue
        t = merged[col].to_numpy(float)
        v = pd.to_numeric(merged[col + "_tool"], errors="coerce").to_numpy(float)
        tol = 0.0 if col == "n_buildings" else np.maximum(rtol * np.abs(t), 1e-9)
        bad = ~missing.to_numpy() & ~(np.abs(v - t) <= tol)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"{col}: {bad.sum()} parcels differ, e.g. "
                f"{merged['parcel_id'].iloc[i]} truth {t[i]!r} tool {v[i]!r}"
            )
    return problems
