from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def store_path(small_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo store (imports mutate it)."""
    dst = tmp_path / "store.gpkg"
    shutil.copy(small_demo, dst)
    return dst
