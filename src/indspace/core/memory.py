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
