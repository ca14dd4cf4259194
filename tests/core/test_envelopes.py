"""The NumPy envelope join gives exactly the pairs of an STRtree query (issue #20)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from indspace.core.engines import envelopes
from indspace.core.engines.envelopes import envelope_pairs


def _strtree_pairs(query: np.ndarray, tree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference: ``STRtree.query`` on the boxes as polygons (NaN rows: no geometry),
    sorted by query row, then tree row."""

    def geoms(b: np.ndarray) -> np.ndarray:
        out = np.full(len(b), None, dtype=object)
        ok = ~np.isnan(b).any(axis=1)
        out[ok] = shapely.box(*b[ok].T)
        return out

    a, b = shapely.STRtree(geoms(tree)).query(geoms(query))
    o = np.lexsort((b, a))
    return a[o], b[o]


def _boxes(rng: np.random.Generator, n: int, size: float, grid: float | None) -> np.ndarray:
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    w, h = rng.exponential(size, n), rng.exponential(size, n)
    if grid:  # corners on a grid: many boxes touch or share edges exactly
        x, y, w, h = (np.round(v / grid) * grid for v in (x, y, w, h))
    return np.c_[x, y, x + w, y + h]


@pytest.mark.parametrize("seed", range(12))
def test_the_pairs_of_an_strtree_query(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grid = [None, 5.0][seed % 2]
    query = _boxes(rng, int(rng.integers(1, 600)), [0.0, 3.0, 20.0][seed % 3], grid)
    tree = _boxes(rng, int(rng.integers(1, 400)), [1.0, 40.0, 300.0][seed % 3], grid)
    query[rng.integers(len(query), size=max(1, len(query) // 20))] = np.nan  # no geometry
    tree[0] = [-1e5, -1e5, 1e5, 1e5]  # one box over everything: joined on its own grid
    if len(tree) > 2:
        tree[1] = [500, -1e4, 500, 1e4]  # a vertical line (zero width)
    got = envelope_pairs(query, tree)
    want = _strtree_pairs(query, tree)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()
    assert len(got[0]) > 0


def test_threads_chunks_and_the_binary_search_give_the_same_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    query, tree = _boxes(rng, 3000, 4.0, None), _boxes(rng, 800, 30.0, 5.0)
    want = envelope_pairs(query, tree)
    monkeypatch.setattr(envelopes, "CHUNK_ENTRIES", 97)  # many chunks, on 2 threads
    monkeypatch.setattr(envelopes, "DENSE_CELLS", 0)  # the binary search, not the table
    got = envelope_pairs(query, tree, threads=2)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    ref = _strtree_pairs(query, tree)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_points_and_empty_inputs() -> None:
    pts = np.array([[1.0, 1, 1, 1], [2, 2, 2, 2], [1, 1, 1, 1]])
    assert [a.tolist() for a in envelope_pairs(pts, pts)] == [[0, 0, 1, 2, 2], [0, 2, 1, 0, 2]]
    none = np.zeros((0, 4))
    assert [len(a) for a in envelope_pairs(none, pts)] == [0, 0]
    assert [len(a) for a in envelope_pairs(pts, np.full((2, 4), np.nan))] == [0, 0]
