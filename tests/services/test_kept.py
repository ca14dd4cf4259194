"""The process memory of the web answers is bounded: the oldest value leaves first."""

from __future__ import annotations

import pytest

from indspace.services.kept import Kept


def test_at_most_size_values_oldest_leaves_first() -> None:
    kept: Kept[int] = Kept(2)
    assert kept.put("a", 1) == 1 and kept.put("b", 2) == 2
    kept.put("c", 3)                        # a third: "a", the oldest, leaves
    assert kept.get("a") is None and kept.get("b") == 2 and kept.get("c") == 3
    kept.put("b", 20)                       # put again: "b" becomes the newest
    kept.put("d", 4)                        # so "c" leaves, not "b"
    assert kept.get("c") is None and kept.get("b") == 20 and len(kept) == 2


def test_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Kept(0)
