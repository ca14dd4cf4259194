"""Parcels, control-line blocks and "2070" parks of one district (synthetic-data.md §2, §3, §7).

Design, all lengths in integer cm (see :mod:`indspace.demo._layout`):

1. Every owner firm holds one parcel, plus extra parcels drawn with weight 2 for 规上 and 1
   for 规下 until the district's parcel count is reached. Areas: 规上 LN(21 亩, 0.9), 规下
   LN(5 亩, 1.0), clipped to 0.45–300 亩; large petrochemical sites log-uniform 300–2 000 亩.
2. About ``outside_share`` of the land (15 % city-wide, more in 慈溪/余姚) is picked for
   outside-line parcels, 规下 parcels three times as likely, none above 90 亩.
3. In-line land is split over the district's parks (strategic weight LN(4, 0.4), community
   LN(1, 0.5); large sites go to strategic parks), each park into industrial blocks of about
   0.8 km² (512 blocks for ~400 km², §1). Outside-line land forms village clusters of about
   6 ha.
4. A parcel is a rectangle whose depth is one of the classes 20 m × 1.5^k chosen so that the
   sides are within 1:1–1:3. Within a block, parcels of one depth class form rows (cut at
   the block's wrap width); rows are stacked back to back in pairs with 15–25 m lanes between
   pairs; neighbours in a row touch (60 %) or stand 1–5 m apart, so redevelopment units
   "touching within 5 m" are realistic.
5. Blocks are shelf-packed into their park with 30–40 m roads; parks are then placed at random
   inside the district outline without overlap (100 m apart); a park that fits nowhere is
   split into its blocks. Village clusters go into the remaining space (30 m apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from indspace.core.model.units import M2_PER_MU
from indspace.demo._layout import (
    PlacementError,
    assign_rows,
    place_rects,
    place_rows,
    seg_exclusive_cumsum,
    segment_starts,
)
from indspace.demo._plan import DistrictPlan

BLOCK_LAND_M2 = 0.8e6
VILLAGE_LAND_M2 = 60_000.0
OUTSIDE_MAX_M2 = 90 * M2_PER_MU
DEPTH0_CM = 2000
DEPTH_STEP = 1.5
BLOCK_MARGIN = 1_000
"""Control-line block boundary this far (cm) outside its parcels."""
PARK_MARGIN = 5_000
PARK_CLEARANCE = 10_000
VILLAGE_CLEARANCE = 3_000


@dataclass(frozen=True)
class Land:
    """Parcels (index p), blocks (b), parks (k) of one district."""

    owner: np.ndarray
    """Firm index per parcel."""
    bounds_cm: np.ndarray
    """(p, 4) int64 x0, y0, x1, y1 in cm, EPSG:4549."""
    stack: np.ndarray
    """Block number (< ``n_blocks``) or village cluster number (≥ ``n_blocks``)."""
    n_blocks: int
    outside: np.ndarray
    large: np.ndarray
    zone: np.ndarray
    """地籍区 number (park number inside the line, 900+ outside)."""
    subzone: np.ndarray
    """地籍子区 number (block within park, or village cluster)."""
    serial: np.ndarray
    """Parcel number within its block or cluster (1-based)."""
    block_park: np.ndarray
    """Park number (0-based, in id order) of each block."""
    block_seq: np.ndarray
    """Block number within its park (1-based)."""
    block_bounds_cm: np.ndarray
    park_tier: np.ndarray
    """0 = strategic, 1 = community, in id order."""
    park_geometry: np.ndarray
    """MultiPolygon per park (metres)."""
    clusters: list[np.ndarray]
    """Planted runs of touching parcels (parcel indices)."""


def make_parcels(dp: DistrictPlan, above: np.ndarray, landless: np.ndarray,
                 large_firm: np.ndarray, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner firm, target area (m²) and large-site flag of every parcel (step 1)."""
    owners = np.flatnonzero(~landless)
    extra = dp.parcels - len(owners)
    w = np.where(above[owners], 2.0, 1.0)
    extra_owner = rng.choice(owners, size=extra, p=w / w.sum()) if extra > 0 else owners[:0]
    owner = np.concatenate([owners, extra_owner])
    n = len(owner)
    mu = np.where(above[owner], rng.lognormal(np.log(21.0), 0.9, n),
                  rng.lognormal(np.log(5.0), 1.0, n))
    mu = np.clip(mu, 0.45, 300.0)
    large = np.zeros(n, dtype=bool)
    large[: len(owners)] = large_firm[owners]       # each large firm's first parcel
    mu[large] = np.exp(rng.uniform(np.log(300.0), np.log(2000.0), large.sum()))
    return owner, mu * M2_PER_MU, large


def _pick_outside(area: np.ndarray, large: np.ndarray, below: np.ndarray, share: float,
                  rng: np.random.Generator) -> np.ndarray:
    eligible = np.flatnonzero(~large & (area <= OUTSIDE_MAX_M2))
    key = rng.exponential(size=len(eligible)) / np.where(below[eligible], 3.0, 1.0)
    cand = eligible[np.argsort(key, kind="stable")]
    target = share * area.sum()
    take = np.searchsorted(np.cumsum(area[cand]), target) + 1
    out = np.zeros(len(area), dtype=bool)
    out[cand[: min(take, len(cand))]] = True
    return out


def _chunk(order: np.ndarray, area: np.ndarray, group: np.ndarray, n_groups: int,
           chunk_m2: float) -> np.ndarray:
    """Split items (in ``order``, already grouped by ``group``) into chunks of ≈ chunk_m2
    per group; returns a dense chunk number per item (ordered by group, then chunk)."""
    a = area[order]
    g = group[order]
    starts = segment_starts(g)
    excl = seg_exclusive_cumsum(a, starts)
    total = np.bincount(g, a, minlength=n_groups)
    k = np.maximum(1, np.round(total / chunk_m2)).astype("int64")
    local = np.minimum((excl / total[g] * k[g]).astype("int64"), k[g] - 1)
    key = g.astype("int64") * 1_000_000 + local
    _, dense = np.unique(key, return_inverse=True)
    out = np.empty(len(area), dtype="int64")
    out[order] = dense
    return out


def layout_district(dp: DistrictPlan, region: shapely.Geometry, owner: np.ndarray,
                    area: np.ndarray, large: np.ndarray, below_owner: np.ndarray,
                    rng: np.random.Generator) -> Land:
    """Lay out one district's parcels, blocks and parks (steps 2–5 of the module doc)."""
    n = len(area)
    outside = _pick_outside(area, large, below_owner, dp.outside_share, rng)

    # parks and their land ------------------------------------------------------------
    n_parks = dp.strategic + dp.community
    tier = np.r_[np.zeros(dp.strategic, "int64"), np.ones(dp.community, "int64")]
    weight = np.where(tier == 0, rng.lognormal(np.log(4.0), 0.4, n_parks),
                      rng.lognormal(0.0, 0.5, n_parks))
    inl = np.flatnonzero(~outside)
    park = np.full(n, -1, dtype="int64")
    big = np.flatnonzero(large)
    n_s = max(dp.strategic, 1) if dp.strategic else n_parks
    park[big] = rng.integers(0, n_s, len(big))
    rest = rng.permutation(inl[~large[inl]])
    target = weight / weight.sum() * area[inl].sum()
    remain = np.maximum(target - np.bincount(park[big], area[big], minlength=n_parks), 1.0)
    edges = np.cumsum(remain) / remain.sum() * area[rest].sum()
    mid = np.cumsum(area[rest]) - area[rest] / 2
    park[rest] = np.minimum(np.searchsorted(edges, mid, side="right"), n_parks - 1)
    # drop parks that received nothing, order the rest strategic first, by land
    land = np.bincount(park[inl], area[inl], minlength=n_parks)
    keep = np.flatnonzero(land > 0)
    keep = keep[np.lexsort((-land[keep], tier[keep]))]
    renum = np.full(n_parks, -1, dtype="int64")
    renum[keep] = np.arange(len(keep))
    park[inl] = renum[park[inl]]
    tier = tier[keep]
    n_parks = len(keep)

    # blocks within parks, village clusters outside -------------------------------------
    in_order = inl[np.lexsort((rng.random(len(inl)), park[inl]))]
    block = np.full(n, -1, dtype="int64")
    if len(inl):
        block[inl] = _chunk(in_order, area, np.where(park >= 0, park, 0), n_parks,
                            BLOCK_LAND_M2)[inl]
    n_blocks = int(block.max()) + 1 if len(inl) else 0
    out_idx = rng.permutation(np.flatnonzero(outside))
    stack = block.copy()
    if len(out_idx):
        cl = _chunk(out_idx, area, np.zeros(n, "int64"), 1, VILLAGE_LAND_M2)
        stack[out_idx] = n_blocks + cl[out_idx]
    n_stacks = int(stack.max()) + 1
    block_park = np.zeros(n_blocks, dtype="int64")
    block_park[block[inl]] = park[inl]

    # parcel shapes: depth class k with sides within 1:1–1:3 ---------------------------
    c = (np.log(area) - 2 * np.log(DEPTH0_CM / 100)) / (2 * np.log(DEPTH_STEP))
    half = np.log(3.0) / (2 * np.log(DEPTH_STEP))
    k_lo = np.maximum(np.ceil(c - half), 0).astype("int64")
    k_hi = np.maximum(np.floor(c + half).astype("int64"), k_lo)
    k = k_lo + np.floor(rng.random(n) * (k_hi - k_lo + 1)).astype("int64")
    # prefer the block's parity of k (every valid range spans ≥ 2 classes), so a block has
    # fewer depth classes and fuller rows
    parity = rng.integers(0, 2, n_stacks)[stack]
    alt = k + np.where(k + 1 <= k_hi, 1, -1)
    k = np.where((k % 2 != parity) & (alt >= k_lo) & (alt <= k_hi), alt, k)
    depth = np.round(DEPTH0_CM * DEPTH_STEP ** k).astype("int64")
    width = np.maximum(np.round(area * 1e4 / depth), 100).astype("int64")

    order = np.lexsort((rng.random(n), -k, stack))
    st, kk, w, d = stack[order], k[order], width[order], depth[order]
    stack_area = np.bincount(st, w * d / 1e4, minlength=n_stacks)
    wrap = np.sqrt(stack_area * 1.3) * rng.uniform(0.8, 1.3, n_stacks) * 100
    max_w = np.zeros(n_stacks, dtype="int64")
    np.maximum.at(max_w, st, w)
    wrap = np.maximum(wrap.astype("int64"), max_w)
    row = assign_rows(st, -kk, w, wrap)
    first = np.flatnonzero(segment_starts(row))
    count = np.diff(np.r_[first, n])
    row_has_large = np.bincount(row, large[order], minlength=len(first)) > 0

    gap = np.where(rng.random(n) < 0.6, 0, rng.integers(100, 501, n)).astype("int64")
    clusters: list[np.ndarray] = []
    eligible = np.flatnonzero((st[first] < n_blocks) & (count >= 3) & ~row_has_large)
    n_cl = min(dp.anomalies["low_efficiency_cluster"], len(eligible))
    for r in np.sort(rng.choice(eligible, size=n_cl, replace=False)):
        length = min(int(rng.integers(3, 9)), int(count[r]))
        s = int(rng.integers(0, count[r] - length + 1))
        members = first[r] + s + np.arange(length)
        gap[members[:-1]] = 0
        clusters.append(order[members])
    row_stack = st[first]
    rank = np.arange(len(first)) - np.flatnonzero(segment_starts(row_stack))[
        np.cumsum(segment_starts(row_stack)) - 1]
    row_gap = np.where(rank % 2 == 0, 0, rng.integers(1500, 2501, len(first))).astype("int64")
    packed = place_rows(st, row, w, d, gap, row_gap, n_stacks)
    sw = packed.stack_w + 2 * BLOCK_MARGIN
    sh = packed.stack_h + 2 * BLOCK_MARGIN

    # blocks into parks ------------------------------------------------------------------
    b_order = np.lexsort((-sh[:n_blocks], block_park))
    bp = block_park[b_order]
    bw, bh = sw[:n_blocks][b_order], sh[:n_blocks][b_order]
    p_area = np.bincount(bp, (bw * bh).astype("float64"), minlength=n_parks)
    p_wrap = np.sqrt(p_area) * rng.uniform(1.0, 1.4, n_parks)
    p_maxw = np.zeros(n_parks, dtype="int64")
    np.maximum.at(p_maxw, bp, bw)
    p_wrap = np.maximum(p_wrap.astype("int64"), p_maxw)
    b_row = assign_rows(bp, np.zeros(n_blocks, "int64"), bw, p_wrap)
    n_brows = int(b_row.max()) + 1 if n_blocks else 0
    packed2 = place_rows(bp, b_row, bw, bh, rng.integers(3000, 4001, n_blocks),
                         rng.integers(3000, 4001, n_brows), n_parks)
    b_off = np.zeros((n_blocks, 2), dtype="int64")
    b_off[b_order] = np.column_stack([packed2.x, packed2.y])
    pw = packed2.stack_w + 2 * PARK_MARGIN
    ph = packed2.stack_h + 2 * PARK_MARGIN

    # placement in the district -------------------------------------------------------
    p_order = np.lexsort((np.arange(n_parks), -(pw * ph)))
    ll, ok = place_rects(region, np.column_stack([pw, ph])[p_order],
                         np.zeros((0, 4), "int64"), PARK_CLEARANCE, rng)
    park_ll = np.zeros((n_parks, 2), dtype="int64")
    park_ll[p_order] = ll
    park_ok = np.zeros(n_parks, dtype=bool)
    park_ok[p_order] = ok
    obstacles = np.column_stack([park_ll, park_ll + np.column_stack([pw, ph])])[park_ok]
    origin = np.zeros((n_stacks, 2), dtype="int64")
    origin[:n_blocks] = park_ll[block_park] + PARK_MARGIN + b_off
    split = np.flatnonzero(~park_ok[block_park])
    if len(split):
        sizes = np.column_stack([sw[split], sh[split]]) + 2 * PARK_MARGIN
        so = np.lexsort((split, -(sizes[:, 0] * sizes[:, 1])))
        ll2, ok2 = place_rects(region, sizes[so], obstacles, PARK_CLEARANCE, rng)
        if not ok2.all():
            raise PlacementError(f"district {dp.code}: an industrial block fits nowhere")
        origin[split[so]] = ll2 + PARK_MARGIN
        obstacles = np.vstack([obstacles, np.column_stack([ll2, ll2 + sizes[so]])])
    if n_stacks > n_blocks:
        vs = np.arange(n_blocks, n_stacks)
        sizes = np.column_stack([sw[vs], sh[vs]])
        vo = np.lexsort((vs, -(sizes[:, 0] * sizes[:, 1])))
        ll3, ok3 = place_rects(region, sizes[vo], obstacles, VILLAGE_CLEARANCE, rng)
        if not ok3.all():
            raise PlacementError(f"district {dp.code}: a village cluster fits nowhere")
        origin[vs[vo]] = ll3

    # coordinates -------------------------------------------------------------------------
    x0 = origin[st, 0] + BLOCK_MARGIN + packed.x
    y0 = origin[st, 1] + BLOCK_MARGIN + packed.y
    bounds = np.empty((n, 4), dtype="int64")
    bounds[order] = np.column_stack([x0, y0, x0 + w, y0 + d])
    block_bounds = np.column_stack([origin[:n_blocks], origin[:n_blocks]
                                    + np.column_stack([sw[:n_blocks], sh[:n_blocks]])])

    # parks: a rectangle, or the union of its separately placed blocks
    rect = np.column_stack([park_ll, park_ll + np.column_stack([pw, ph])])
    part_park = np.r_[np.flatnonzero(park_ok), block_park[split]]
    part_box = np.vstack([rect[park_ok], block_bounds[split]
                          + np.array([-PARK_MARGIN, -PARK_MARGIN, PARK_MARGIN, PARK_MARGIN])])
    po = np.argsort(part_park, kind="stable")
    polys = shapely.box(*(part_box[po].T / 100.0))
    park_geom = shapely.multipolygons(polys, indices=part_park[po])

    # numbering ---------------------------------------------------------------------------
    seq_order = np.lexsort((block_bounds[:, 0], block_bounds[:, 1], block_park))
    block_seq = np.empty(n_blocks, dtype="int64")
    bp_sorted = block_park[seq_order]
    starts = segment_starts(bp_sorted)
    block_seq[seq_order] = (np.arange(n_blocks)
                            - np.flatnonzero(starts)[np.cumsum(starts) - 1] + 1)
    serial = np.empty(n, dtype="int64")
    s_starts = segment_starts(st)
    serial[order] = np.arange(n) - np.flatnonzero(s_starts)[np.cumsum(s_starts) - 1] + 1
    zone = np.where(stack < n_blocks, block_park[np.minimum(stack, max(n_blocks - 1, 0))] + 1,
                    900 + (stack - n_blocks) // 999)
    subzone = np.where(stack < n_blocks, block_seq[np.minimum(stack, max(n_blocks - 1, 0))],
                       (stack - n_blocks) % 999 + 1)
    return Land(owner=owner, bounds_cm=bounds, stack=stack, n_blocks=n_blocks,
                outside=outside, large=large, zone=zone, subzone=subzone, serial=serial,
                block_park=block_park, block_seq=block_seq, block_bounds_cm=block_bounds,
                park_tier=tier, park_geometry=park_geom, clusters=clusters)
