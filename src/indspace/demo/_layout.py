"""Vectorised rectangle layout for the synthetic city (synthetic-data.md §3, §7).

All lengths are **integer centimetres** (int64): sums and offsets are then exact, so two
parcels laid side by side with a zero gap share their edge bit for bit and ``touches`` holds
(floating-point cumulative sums would leave 10⁻¹⁰ m slivers or overlaps).

Two building blocks:

* :func:`assign_rows` / :func:`place_rows` — shelf packing of items into "stacks" (parcels
  into blocks, blocks into parks): items of a stack are grouped (e.g. by depth class), each
  group is cut into rows at the stack's wrap width, rows are stacked along y.
* :func:`place_rects` — places rectangles inside a (multi)polygon without overlapping each
  other or given obstacles, by testing random candidate positions in vectorised batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


def segment_starts(*keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first item of each run of equal key tuples (input sorted)."""
    n = len(keys[0])
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    mask[0] = True
    for k in keys:
        mask[1:] |= k[1:] != k[:-1]
    return mask


def seg_exclusive_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum restarting at every ``starts`` item (exact for integers)."""
    cs = np.cumsum(values)
    excl = cs - values
    seg = np.cumsum(starts) - 1
    return excl - excl[np.flatnonzero(starts)][seg]


def assign_rows(stack: np.ndarray, group: np.ndarray, width: np.ndarray,
                wrap: np.ndarray) -> np.ndarray:
    """Row number (global, 0…R−1) of every item; items sorted by (stack, group, order).

    A group is cut into rows where the cumulative width (gaps ignored, so later gap changes
    never move an item to another row) passes multiples of ``wrap[stack]``.
    """
    gstart = segment_starts(stack, group)
    pos = seg_exclusive_cumsum(width, gstart)
    r = pos // wrap[stack]
    return np.cumsum(segment_starts(stack, group, r)) - 1


@dataclass(frozen=True)
class Packed:
    """Result of :func:`place_rows` (all int64 cm)."""

    x: np.ndarray
    """Item offset from its stack's origin along x."""
    y: np.ndarray
    """Item offset from its stack's origin along y."""
    stack_w: np.ndarray
    """Extent of each stack (indexed by stack number) along x."""
    stack_h: np.ndarray
    """Extent of each stack along y."""


def place_rows(stack: np.ndarray, row: np.ndarray, width: np.ndarray, height: np.ndarray,
               gap_after: np.ndarray, row_gap: np.ndarray, n_stacks: int) -> Packed:
    """Offsets of items within their stack given their rows (from :func:`assign_rows`).

    ``gap_after`` is the gap to the next item in the same row; ``row_gap[j]`` the gap after
    row ``j`` (global row numbering). Items sorted by (stack, row). Stacks are numbered
    ``0…n_stacks−1``; an empty stack gets zero extents.
    """
    rstart = segment_starts(row)
    x = seg_exclusive_cumsum(width + gap_after, rstart)
    first = np.flatnonzero(rstart)
    row_len = np.maximum.reduceat(x + width, first) if len(first) else np.zeros(0, "int64")
    row_h = np.maximum.reduceat(height, first) if len(first) else np.zeros(0, "int64")
    row_stack = stack[first]
    sstart = segment_starts(row_stack)
    row_y = seg_exclusive_cumsum(row_h + row_gap, sstart)
    y = row_y[row]
    stack_w = np.zeros(n_stacks, dtype="int64")
    stack_h = np.zeros(n_stacks, dtype="int64")
    np.maximum.at(stack_w, row_stack, row_len)
    np.maximum.at(stack_h, row_stack, row_y + row_h)
    return Packed(x, y, stack_w, stack_h)


class PlacementError(RuntimeError):
    """A rectangle could not be placed inside its district (generator capacity exceeded)."""


def interior_points(region: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points (metres, shape (n, 2)) inside ``region``."""
    x0, y0, x1, y1 = shapely.bounds(region)
    out: list[np.ndarray] = []
    have = 0
    for _ in range(200):
        pts = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        pts = pts[shapely.contains_xy(region, pts[:, 0], pts[:, 1])]
        out.append(pts)
        have += len(pts)
        if have >= n:
            break
    pts = np.concatenate(out)
    if len(pts) < n:
        raise PlacementError(f"region too small to sample {n} interior points")
    return pts[:n]


def place_rects(region: shapely.Geometry, sizes: np.ndarray, obstacles: np.ndarray,
                margin: int, rng: np.random.Generator, *, pool: int = 4096,
                batch: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Place axis-aligned rectangles inside ``region`` without overlaps.

    Parameters
    ----------
    region : shapely.Geometry
        (Multi)polygon in metres (EPSG:4549); prepared here.
    sizes : numpy.ndarray of int64, shape (n, 2)
        Width and height of each rectangle in cm, in placement order (largest first works
        best).
    obstacles : numpy.ndarray of int64, shape (m, 4)
        Already occupied boxes ``x0, y0, x1, y1`` in cm.
    margin : int
        Minimum clearance in cm between a new rectangle and any obstacle or earlier one.
    rng : numpy.random.Generator

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower-left corners (n, 2) in cm and a boolean "placed" mask; items that fit nowhere
        after trying every pool point are left unplaced for the caller to split.
    """
    shapely.prepare(region)
    pts = np.round(interior_points(region, pool, rng) * 100.0).astype("int64")
    n = len(sizes)
    cap = len(obstacles) + n
    occ = np.empty((cap, 4), dtype="int64")
    occ[: len(obstacles)] = obstacles
    n_occ = len(obstacles)
    ll = np.zeros((n, 2), dtype="int64")
    ok = np.zeros(n, dtype=bool)
    for i in range(n):
        w, h = int(sizes[i, 0]), int(sizes[i, 1])
        order = rng.permutation(pool)
        for s in range(0, pool, batch):
            c = pts[order[s:s + batch]]
            bx0 = c[:, 0] - w // 2
            by0 = c[:, 1] - h // 2
            bx1, by1 = bx0 + w, by0 + h
            if n_occ:
                o = occ[:n_occ]
                clash = ((bx0[:, None] < o[None, :, 2] + margin)
                         & (bx1[:, None] > o[None, :, 0] - margin)
                         & (by0[:, None] < o[None, :, 3] + margin)
                         & (by1[:, None] > o[None, :, 1] - margin)).any(axis=1)
                free = np.flatnonzero(~clash)
            else:
                free = np.arange(len(c))
            if len(free) == 0:
                continue
            boxes = shapely.box(bx0[free] / 100.0, by0[free] / 100.0,
                                bx1[free] / 100.0, by1[free] / 100.0)
            inside = np.flatnonzero(shapely.contains(region, boxes))
            if len(inside):
                j = free[inside[0]]
                ll[i] = (bx0[j], by0[j])
                occ[n_occ] = (bx0[j], by0[j], bx1[j], by1[j])
                n_occ += 1
                ok[i] = True
                break
    return ll, ok
