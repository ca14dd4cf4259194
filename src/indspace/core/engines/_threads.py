"""Work on several threads for the engines' NumPy loops (NumPy and Shapely release the GIL
in their array operations, so chunks of one array run in parallel)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def thread_map(func: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``[func(x) for x in items]``, on ``threads`` threads when more than one (results in
    the order of ``items`` either way)."""
    if threads <= 1 or len(items) < 2:
        return [func(x) for x in items]
    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(func, items))
