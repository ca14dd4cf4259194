"""What a server process keeps in memory between requests: a small bounded map.

Several answers are functions of things that never change once written (a stored run's
rows, a roll-up of two stored runs) or that are keyed by the store's data version (the
land tables of a year). They are kept per process so that the next request reads them
instead of the store; each kind is bounded, the oldest entry leaving first. Shared by the
request threads of one server, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """At most ``size`` values by key; putting one more drops the oldest."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._values.get(key)

    def put(self, key: Hashable, value: V) -> V:
        """Keep ``value`` under ``key``; returns it."""
        with self._lock:
            self._values.pop(key, None)
            while len(self._values) >= self.size:
                self._values.pop(next(iter(self._values)))
            self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
