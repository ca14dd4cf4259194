"""Shared fixtures: real backends, never mocks.

PostGIS tests use a throw-away database on the local server (``INDSPACE_TEST_PG`` overrides
the admin URL, default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). They skip
with a reason when the server or PostGIS is missing — except when ``CI=true`` or
``INDSPACE_FULL_TESTS=1``, where a missing service is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

if TYPE_CHECKING:
    from indspace.store import Store


def _node_id_compat() -> None:
    """Give pytest nodes a ``_nodeid`` attribute again.

    schemathesis' pytest plugin (``schemathesis/pytest/lazy.py``, 4.x) reads
    ``request.node._nodeid`` to label its sub-tests, but pytest 9.2 keeps the node id as a
    structured ``Node._id`` and has no ``_nodeid`` (the same break as
    ionelmc/pytest-benchmark#321). Under ``-n 2 --dist loadgroup`` the schemathesis tests only
    worked because pytest-xdist assigns ``item._nodeid = "<id>@<group>"`` to items with an
    ``xdist_group`` mark, creating the attribute as a side effect; with ``-p no:xdist`` or
    ``-n 1`` the plugin failed with "'Function' object has no attribute '_nodeid'". This
    shim is that same plain attribute (defaulting to the node id), nothing more: it does not
    change ``nodeid``. It disappears by itself once pytest or schemathesis restores the name.
    """
    from _pytest.nodes import Node

    if hasattr(Node, "_nodeid"):
        return

    def get(self: Node) -> str:
        return str(self.__dict__.get("_nodeid_compat") or self.nodeid)

    def put(self: Node, value: str) -> None:
        self.__dict__["_nodeid_compat"] = value

    Node._nodeid = property(get, put)  # type: ignore[attr-defined]


_node_id_compat()

FULL = os.environ.get("CI", "").lower() == "true" or os.environ.get("INDSPACE_FULL_TESTS") == "1"
PG_ADMIN = os.environ.get("INDSPACE_TEST_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def need(what: str, reason: str) -> None:
    """Skip (or, in full mode, fail) because ``what`` is unavailable."""
    msg = f"{what} unavailable: {reason}"
    if FULL:
        pytest.fail(msg + " (CI=true / INDSPACE_FULL_TESTS=1: missing services fail)")
    pytest.skip(msg)


def _pg_problem() -> str | None:
    try:
        eng = sa.create_engine(PG_ADMIN)
        with eng.connect() as conn:
            ok = conn.execute(sa.text(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
        eng.dispose()
    except Exception as e:  # any connection failure means "no server"
        return f"cannot connect to {PG_ADMIN}: {type(e).__name__}"
    return None if ok else "the postgis extension is not installed on the server"


@pytest.fixture(scope="session")
def pg_server() -> str:
    problem = _pg_problem()
    if problem:
        need("PostgreSQL/PostGIS", problem)
    return PG_ADMIN


@contextlib.contextmanager
def pg_database(server: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on ``server`` (a copy of the database ``template`` if named, which
    nobody may be connected to), its URL; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    with pg_database(pg_server, "indspace_test") as url:
        yield url


# ------------------------------------------------------------------ the small demo city
# Built once per test session (per xdist worker) on each store; every test gets its own copy,
# so a test that writes cannot change what another one reads. Request the fixture from here:
# importing a fixture into a test module makes pytest build it again for that module.
INDSPACE = [sys.executable, "-m", "indspace"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    return subprocess.run([*INDSPACE, *args], capture_output=True, text=True, check=check,
                          timeout=600)


@pytest.fixture(scope="session")
def small_demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city built once per worker by `indspace demo --scale small --no-serve`.
    Only read it (or copy it); tests take :func:`small_demo`."""
    db = tmp_path_factory.mktemp("demo") / "small.gpkg"
    run("demo", "--scale", "small", "--no-serve", "--db", str(db))
    return db


@pytest.fixture(scope="module")
def small_demo(small_demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city as a GeoPackage: a copy of the one build for each test module."""
    db = tmp_path_factory.mktemp("demo-copy") / "small.gpkg"
    shutil.copyfile(small_demo_build, db)
    return db


@pytest.fixture(scope="session")
def small_demo_pg_build(pg_server: str) -> Iterator[str]:
    """The small demo city in PostGIS, built once per worker; its database name. Never
    opened by a test: it is the template of :func:`small_demo_pg` copies."""
    from indspace.services.demo import build_demo_store

    with pg_database(pg_server, "indspace_demo") as url:
        build_demo_store(url, scale="small")  # closes its store: no connection is left
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def small_demo_pg(pg_server: str, small_demo_pg_build: str) -> Iterator[str]:
    """The small demo city in a fresh PostGIS database of its own (a copy of the one build);
    its URL."""
    with pg_database(pg_server, "indspace_demo_copy", template=small_demo_pg_build) as url:
        yield url


@pytest.fixture(params=["gpkg", "postgis"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The same test on both backends: a GeoPackage file and a PostGIS database."""
    if request.param == "gpkg":
        return str(tmp_path / "store.gpkg")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def gdal_bin() -> str:
    exe = shutil.which("ogrinfo")
    if exe is None:
        need("gdal-bin", "ogrinfo is not on PATH (apt-get install gdal-bin)")
    return str(exe)


@pytest.fixture(params=["gpkg", "postgis"])
def demo_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same test on the small demo city in both stores, each a fresh copy of its own (the
    test may write)."""
    from indspace.store import Store

    if request.param == "gpkg":
        url = str(tmp_path / "small.gpkg")
        shutil.copyfile(request.getfixturevalue("small_demo_build"), url)
    else:
        url = request.getfixturevalue("small_demo_pg")
    store = Store.open(url)
    yield store
    store.close()
