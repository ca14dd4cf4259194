"""Fixtures of the tile tests: the small demo city as a GeoPackage (shared with the other
small-demo tests) and, for the ``postgis`` tests, the same city in a throw-away database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from indspace.services.demo import build_demo_store
from tests.cli.conftest import small_demo  # noqa: F401  (shared session fixture)

TILE = (14, 13736, 6764)
"""The z14 tile holding most parcel centroids of the small demo (Beilun, ~122 parcels);
the demo is deterministic (fixed seed), so the tile is too."""
FAR = (14, 13708, 6744)
"""A z14 tile of the small demo ~30 km north-west of TILE (Cixi), also with parcels."""


@pytest.fixture
def gpkg_copy(small_demo: Path, tmp_path: Path) -> Path:  # noqa: F811
    """A private copy of the small demo, for tests that edit it."""
    dst = tmp_path / "edit.gpkg"
    shutil.copy(small_demo, dst)
    return dst


@pytest.fixture(scope="module")
def pg_demo(pg_server: str) -> Iterator[str]:
    """The small demo city in a fresh PostGIS database (one per test module)."""
    name = f"indspace_tiles_{uuid.uuid4().hex[:10]}"
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    build_demo_store(url, scale="small")
    yield url
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
