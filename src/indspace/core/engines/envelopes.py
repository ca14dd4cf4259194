"""Pairs of boxes that meet: the overlay's spatial join on envelopes, in NumPy (issue #20).

:func:`envelope_pairs` gives every (query, tree) pair of axis-aligned boxes that meet —
closed boxes, so touching counts — which is exactly the pair set of
``shapely.STRtree(tree).query(query)`` (a query without predicate compares envelopes). It
works on the boxes' coordinates only, so the overlay needs no GEOS object for a shape it
can handle by arithmetic (:mod:`indspace.core.engines.shapes`): building 5 million GEOS
polygons to fill an STRtree cost more than the whole overlay at province size
(docs/performance.md, "ovl20c").

Method: a grid hash join (a partition-based spatial-merge join on square cells). Every box
is entered in each cell it spans; two boxes are candidates where they share a cell, and a
pair is kept in one cell only, the one holding the lower-left corner of the two boxes'
intersection (:meth:`_Grid.join`), so no pair is reported twice. The cell's side is
:data:`CELL_QUANTILE` of the boxes' larger sides. A box spanning more than
:data:`MAX_CELLS` cells is joined apart, on a grid of cells fitted to the large boxes
(recursively): work and memory grow with the number of boxes and of near pairs, not with
the size of the largest box. The query boxes are processed in chunks that stay in the
CPU's caches.

Result order: by query row, then tree row (a sort of a combined key), whatever the input
order — the overlay adds each parcel's pieces in this order.
"""

from __future__ import annotations

import numpy as np

from indspace.core.engines._threads import thread_map

CELL_QUANTILE = 90
"""Percentile of the boxes' larger sides (both inputs, sides above zero) taken as the cell
side. On the province demo (parcels 101 m, buildings 51 m at the median; 5 M buildings ×
1.2 M parcels) the 90th took 3.5 s of CPU, the 75th 5.5 s, the 50th 7.1 s, the 97th 4.6 s
(a loaded machine: compare the ratios)."""
MAX_CELLS = 256
"""A box spanning more cells than this is joined on a coarser grid (:func:`_pairs`)."""
CHUNK_ENTRIES = 1 << 16
"""Query cell entries joined at a time: the candidate arrays stay small enough for the
CPU's caches (on the province 1 << 16 took half the time of 1 << 20)."""


def envelope_pairs(
    query: np.ndarray, tree: np.ndarray, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``(qi, ti)`` (int64) of the boxes of ``query`` and ``tree`` (n × 4: minx,
    miny, maxx, maxy) that meet, sorted by ``qi`` then ``ti``. Rows with a NaN coordinate
    (no geometry, or an empty one) meet nothing. ``threads``: the chunks of the join on
    that many threads (the same result).

    >>> q = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [np.nan] * 4])
    >>> t = np.array([[1, 1, 2, 2], [0.5, -3, 0.6, 9], [7, 7, 8, 8]])
    >>> [a.tolist() for a in envelope_pairs(q, t)]
    [[0, 0], [0, 1]]
    """
    query = np.asarray(query, dtype=np.float64).reshape(-1, 4)
    tree = np.asarray(tree, dtype=np.float64).reshape(-1, 4)
    qi = np.flatnonzero(~np.isnan(query).any(axis=1))
    ti = np.flatnonzero(~np.isnan(tree).any(axis=1))
    empty = np.zeros(0, dtype=np.int64)
    if not len(qi) or not len(ti):
        return empty, empty
    n_tree = np.int64(len(tree))
    keys = [qi[a] * n_tree + ti[b] for a, b in _pairs(query[qi], tree[ti], threads=threads)]
    key = np.concatenate(keys) if keys else empty
    # each pair once already: only sorted here (a few sorted runs, which a stable sort merges)
    key.sort(kind="stable")
    return key // n_tree, key % n_tree


Box = tuple[float, float, float, float]
"""minx, miny, maxx, maxy (m)."""


def extent(bounds: np.ndarray) -> Box:
    """The common box of envelopes (k × 4, finite, k ≥ 1)."""
    lo, hi = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def meeting(bounds: np.ndarray, box: Box) -> np.ndarray:
    """Rows of ``bounds`` (n × 4) whose box meets ``box`` (closed boxes, as
    :func:`envelope_pairs`; a NaN row: never)."""
    return np.flatnonzero(
        (bounds[:, 0] <= box[2])
        & (bounds[:, 2] >= box[0])
        & (bounds[:, 1] <= box[3])
        & (bounds[:, 3] >= box[1])
    )


def _pairs(
    query: np.ndarray, tree: np.ndarray, cell: float | None = None, *, threads: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Row pairs of finite boxes that meet, as a list of ``(query rows, tree rows)``: the
    boxes spanning at most :data:`MAX_CELLS` cells of side ``cell`` (default
    :func:`_cell` of both) joined on that grid; every query box against the larger tree
    boxes, and the larger query boxes against the other tree boxes, each on a grid fitted
    to the larger boxes (coarser: at least the :data:`CELL_QUANTILE` share of them fit it,
    so this ends)."""
    if not len(query) or not len(tree):
        return []
    grid = _Grid(query, tree, _cell(query, tree) if cell is None else cell)
    q_big, t_big = grid.span(query) > MAX_CELLS, grid.span(tree) > MAX_CELLS
    q_small, t_small = np.flatnonzero(~q_big), np.flatnonzero(~t_big)
    out = []
    if len(q_small) and len(t_small):
        a, b = grid.join(query[q_small], tree[t_small], threads=threads)
        out.append((q_small[a], t_small[b]))
    t_rows = np.flatnonzero(t_big)
    if len(t_rows):
        for a, b in _pairs(query, tree[t_rows], _cell(tree[t_rows]), threads=threads):
            out.append((a, t_rows[b]))
    q_rows = np.flatnonzero(q_big)
    if len(q_rows) and len(t_small):
        for a, b in _pairs(query[q_rows], tree[t_small], _cell(query[q_rows]), threads=threads):
            out.append((q_rows[a], t_small[b]))
    return out


def _cell(*boxes: np.ndarray) -> float:
    """:data:`CELL_QUANTILE` of the larger sides above zero (1 when every box is a point)."""
    sides = np.concatenate([np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) for b in boxes])
    sides = sides[sides > 0]
    return float(np.percentile(sides, CELL_QUANTILE)) if len(sides) else 1.0


_RANK = np.array([3, 0, 2, 1], dtype=np.int64)
"""The order of a tree entry within its cell by its ``first`` flags: 1, 3, 2, 0. Then the
partners of each query flag (those completing it to 3) are one run of the cell's entries."""
_RUN = {3: (0, 4), 1: (1, 3), 2: (0, 2), 0: (1, 2)}
"""Per query flag, its partners' ranks (first, last + 1): 3 → all; 1 → {3, 2}; 2 → {1, 3};
0 → {3}."""
DENSE_CELLS = 8
"""A table of every cell's entries (8 bytes each, 4 per cell) is used instead of a binary
search when the grid has at most this many cells per entry of the two inputs."""


class _Grid:
    """Square cells of side ``cell`` over the boxes given; a cell's key is ``ix * ny + iy``."""

    def __init__(self, query: np.ndarray, tree: np.ndarray, cell: float) -> None:
        self.ox = float(min(query[:, 0].min(), tree[:, 0].min()))
        self.oy = float(min(query[:, 1].min(), tree[:, 1].min()))
        right = float(max(query[:, 2].max(), tree[:, 2].max()))
        top = float(max(query[:, 3].max(), tree[:, 3].max()))
        self.cell = cell
        self.ny = np.int64(np.floor((top - self.oy) / cell)) + 1
        self.cells = int(np.int64(np.floor((right - self.ox) / cell)) + 1) * int(self.ny)

    def _ix(self, x: np.ndarray) -> np.ndarray:
        return np.floor((x - self.ox) / self.cell).astype(np.int64)

    def _iy(self, y: np.ndarray) -> np.ndarray:
        return np.floor((y - self.oy) / self.cell).astype(np.int64)

    def span(self, boxes: np.ndarray) -> np.ndarray:
        """Cells each box spans."""
        nx = self._ix(boxes[:, 2]) - self._ix(boxes[:, 0]) + 1
        return nx * (self._iy(boxes[:, 3]) - self._iy(boxes[:, 1]) + 1)

    def entries(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(row, key, first)`` of every cell each box spans; ``first`` (uint8): bit 0 set
        when the cell is in the box's first column, bit 1 when in its first row. A box in
        one cell has one entry (flags 3), taken without the general expansion."""
        x0, y0 = self._ix(boxes[:, 0]), self._iy(boxes[:, 1])
        nx = self._ix(boxes[:, 2]) - x0 + 1
        ny = self._iy(boxes[:, 3]) - y0 + 1
        count = nx * ny
        one = np.flatnonzero(count == 1)
        many = np.flatnonzero(count > 1)
        c = count[many]
        rows = np.repeat(many, c)
        # the k-th cell of a box: column k // ny, row k % ny
        k = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
        ny_r = ny[rows]
        dx, dy = np.divmod(k, ny_r)
        keys = (x0[rows] + dx) * self.ny + (y0[rows] + dy)
        first = (dx == 0).astype(np.uint8) | ((dy == 0).astype(np.uint8) << 1)
        return (
            np.concatenate([one, rows]),
            np.concatenate([x0[one] * self.ny + y0[one], keys]),
            np.concatenate([np.full(len(one), 3, dtype=np.uint8), first]),
        )

    def join(
        self, query: np.ndarray, tree: np.ndarray, *, threads: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row pairs of ``query`` and ``tree`` boxes that meet, each pair once: in the cell of
        the lower-left corner of their intersection. That cell's column is the later of the
        two boxes' first columns, so it is the first column of one of them (likewise the
        row): a shared cell holds the pair when its column is the first of either box and
        its row the first of either box. The tree's entries are sorted by cell and, within
        a cell, by flags (:data:`_RANK`), so each query entry's partners — the entries whose
        flags complete its own to 3 — are one run; no candidate is made for a cell that
        cannot hold the pair. Then the boxes' coordinates are compared."""
        # the two sides' entries at once (NumPy releases the GIL)
        (t_rows, t_keys, t_first), (q_rows, q_keys, q_first) = thread_map(
            self.entries, [tree, query], threads
        )
        composite = t_keys * 4 + _RANK[t_first]
        order = np.argsort(composite, kind="stable")
        rows_t = t_rows[order]
        if self.cells * 4 <= DENSE_CELLS * (len(t_rows) + len(q_rows)):
            # every cell's runs in a table: bounds[key * 4 + rank] = first entry of that rank
            counts = np.bincount(composite, minlength=self.cells * 4)
            bounds = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=bounds[1:])
            del counts

            def run(at: np.ndarray) -> np.ndarray:
                return bounds[at]

        else:
            sorted_t = composite[order]

            def run(at: np.ndarray) -> np.ndarray:
                return np.searchsorted(sorted_t, at, side="left")

        del composite, order
        jobs = []
        for flags, (r0, r1) in _RUN.items():
            mine = np.flatnonzero(q_first == flags)
            jobs += [
                (mine[lo : lo + CHUNK_ENTRIES], r0, r1) for lo in range(0, len(mine), CHUNK_ENTRIES)
            ]

        def chunk(job: tuple[np.ndarray, int, int]) -> tuple[np.ndarray, np.ndarray]:
            at_q, r0, r1 = job
            base = q_keys[at_q] * 4
            start = run(base + r0)
            count = run(base + r1) - start
            total = int(count.sum())
            # every (query entry, partner entry) of one cell: start + 0 … count − 1
            at = np.repeat(start - (np.cumsum(count) - count), count) + np.arange(
                total, dtype=np.int64
            )
            a = np.repeat(q_rows[at_q], count)
            b = rows_t[at]
            qa, tb = query[a], tree[b]
            meet = (
                (qa[:, 0] <= tb[:, 2])
                & (tb[:, 0] <= qa[:, 2])
                & (qa[:, 1] <= tb[:, 3])
                & (tb[:, 1] <= qa[:, 3])
            )
            return a[meet], b[meet]

        done = thread_map(chunk, jobs, threads)
        if not done:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate([d[0] for d in done]), np.concatenate([d[1] for d in done])
