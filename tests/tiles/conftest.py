"""Fixtures of the tile tests: the small demo city as a GeoPackage (shared with the other
small-demo tests) and, for the ``postgis`` tests, the same city in a throw-away database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pg_database

TILE = (14, 13736, 6764)
"""The z14 tile holding most parcel centroids of the small demo (Beilun, ~122 parcels);
the demo is deterministic (fixed seed), so the tile is too."""
FAR = (14, 13708, 6744)
"""A z14 tile of the small demo ~30 km north-west of TILE (Cixi), also with parcels."""


@pytest.fixture
def gpkg_copy(small_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo, for tests that edit it."""
    dst = tmp_path / "edit.gpkg"
    shutil.copy(small_demo, dst)
    return dst


@pytest.fixture(scope="module")
def pg_demo(pg_server: str, small_demo_pg_build: str) -> Iterator[str]:
    """The small demo city in a fresh PostGIS database (one per test module)."""
    with pg_database(pg_server, "indspace_tiles", template=small_demo_pg_build) as url:
        yield url
