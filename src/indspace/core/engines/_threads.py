"""Work on several threads for the engines' NumPy loops (NumPy and Shapely release the GIL
in their array operations, so chunks of one array run in parallel)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")


def thread_map(func: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``[func(x) for x in items]``, on ``threads`` threads when more than one (results in
    the order of ``items`` either way)."""
    if threads <= 1 or len(items) < 2:
        return [func(x) for x in items]
    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(func, items))


class Workers:
    """Runs ``func(a, b)`` over contiguous slices of two arrays on ``threads`` threads (one
    pool for the whole overlay, started on first use), concatenating the results."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def map2(
        self, func: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        n, k = len(a), self.threads
        if k <= 1 or n < 20_000:
            return func(a, b)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(k)
        cuts = np.linspace(0, n, k + 1).astype(np.int64)
        parts = self._pool.map(
            lambda i: func(a[cuts[i] : cuts[i + 1]], b[cuts[i] : cuts[i + 1]]), range(k)
        )
        return np.concatenate(list(parts))
