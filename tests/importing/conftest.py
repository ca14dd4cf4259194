from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import small_demo  # noqa: F401  (session fixture, one build per worker)


@pytest.fixture
def store_path(small_demo: Path, tmp_path: Path) -> Path:  # noqa: F811
    """A private copy of the small demo store (imports mutate it)."""
    dst = tmp_path / "store.gpkg"
    shutil.copy(small_demo, dst)
    return dst
