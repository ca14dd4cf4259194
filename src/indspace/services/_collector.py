"""Pausing CPython's cyclic garbage collector around work that creates many geometries."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while an import or an overlay runs.

    An import holds hundreds of thousands of shapely geometries, and shapely geometries are
    tracked by the collector: every full collection that the import's own allocations
    trigger walks all of them again (three per city-scale import, ≈ 0.25 s of ≈ 2.5 s).
    Reference counting still frees everything that is not part of a reference cycle; cycles
    wait for the first collection after the import. Concurrent imports (threads) share one
    pause; the collector's previous state comes back when the last one ends."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
