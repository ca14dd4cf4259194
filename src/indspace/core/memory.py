"""Handing freed heap memory back to the operating system.

glibc keeps the memory a process frees in its heap for reuse, and raises its ``mmap``
threshold as large blocks are freed, so a step that frees many mid-sized arrays while it
allocates others (joining yearly pieces into one column, say) leaves its resident size
well above what it holds. ``malloc_trim(0)`` gives the free pages back (``madvise``, also
inside the heap). Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim_heap() -> None:
    """Return the heap's free pages to the operating system (glibc; elsewhere nothing)."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(OSError):
            libc.malloc_trim(0)


M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc ``mallopt`` parameters (malloc.h)."""
DEFAULT_TRIM_THRESHOLD = 128 * 1024
"""glibc's default ``M_TRIM_THRESHOLD`` (bytes)."""
MAX_MMAP_THRESHOLD = 32 * 1024 * 1024
"""glibc's ceiling of its dynamic ``mmap`` threshold on 64-bit systems (bytes): the value the
threshold is left at after :func:`large_blocks_in_heap`."""


@contextlib.contextmanager
def large_blocks_in_heap() -> Any:
    """Within the block, glibc serves large allocations (NumPy arrays of millions of rows)
    from its heap and keeps freed ones there for reuse, instead of mapping fresh zeroed pages
    for each (``mmap``) and unmapping them on free: a step that makes and drops many large
    temporaries then stops paying a page fault per 4 kB each time. On the province overlay
    (5 M buildings) minor page faults fell from ≈ 0.5 M to ≈ 0.13 M, system CPU from
    5.5–9.7 s to 3.8–4.8 s and the wall time from 9.3–11.7 s to 8.0–8.6 s, for 0.3 GB more
    peak resident memory (docs/performance.md, "ovl20c"). Afterwards the thresholds are set
    back (the ``mmap`` one to glibc's dynamic ceiling, 32 MiB) and the free heap pages are
    returned (:func:`trim_heap`). Elsewhere than glibc this does nothing."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        yield
        return
    libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 31)
    try:
        yield
    finally:
        libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        libc.mallopt(M_MMAP_THRESHOLD, MAX_MMAP_THRESHOLD)
        trim_heap()
