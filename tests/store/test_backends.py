"""The store's two backends as two classes behind one interface (issue #20 item 4).

* ``Store(url_or_path)`` and ``Store.open`` give a ``GpkgStore`` for a GeoPackage path and a
  ``PostgisStore`` for a PostgreSQL URL; ``backend`` is their name, for display;
* no module of ``src/indspace`` outside ``store/`` branches on which backend it has;
* a bulk write of ≥ ``BULK_MIN_ROWS`` rows into an empty PostGIS table (binary COPY, indexes
  built after the load) leaves the same indexes and constraints as before, reads back the
  rows written, and a duplicate key still fails the whole write.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from indspace.core.errors import StoreError
from indspace.store import Store
from indspace.store.gpkg_store import GpkgStore
from indspace.store.postgis import BULK_MIN_ROWS
from indspace.store.postgis_store import PostgisStore
from tests.store.test_store import enterprises, parcels

T0 = datetime(2025, 12, 31, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[2] / "src" / "indspace"
BRANCHING = re.compile(r"\bbackend\s*(==|!=|\bin\b|\bnot in\b)")


def test_the_right_class_for_each_kind_of_address(tmp_path: Path, pg_url: str) -> None:
    gpkg = Store.create(tmp_path / "s.gpkg")
    assert type(gpkg) is GpkgStore and gpkg.backend == "gpkg"
    pg = Store.create(pg_url)
    assert type(pg) is PostgisStore and pg.backend == "postgis"
    assert isinstance(pg, Store) and isinstance(gpkg, Store)
    for address, kind in ((tmp_path / "s.gpkg", GpkgStore), (pg_url, PostgisStore)):
        with Store(address) as made, Store.open(address) as opened:
            assert type(made) is kind and type(opened) is kind
    pg.close()
    gpkg.close()


def test_no_module_but_the_store_classes_asks_which_backend_it_has() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in ("store/store.py", "store/gpkg_store.py", "store/postgis_store.py"):
            continue  # the interface and its two classes
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BRANCHING.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []


def test_the_check_finds_branching() -> None:
    """The pattern of the check above catches each way of asking (it can fail)."""
    for line in (
        'if store.backend == "postgis":',
        "x = a if s.backend != 'gpkg' else b",
        'if store.backend in ("gpkg",):',
        "if self.store.backend not in names:",
    ):
        assert BRANCHING.search(line), line
    assert not BRANCHING.search('"backend": store.backend,')


def _catalog(store: Store, sql: str, table: str) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), {"t": table})]


def _indexes(store: Store, table: str) -> list[tuple[str, str]]:
    return _catalog(
        store,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t ORDER BY indexname",
        table,
    )


def _constraints(store: Store, table: str) -> list[tuple[str, str]]:
    return _catalog(
        store,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) ORDER BY conname",
        table,
    )


def test_a_bulk_load_builds_the_same_indexes_after_it(pg_url: str) -> None:
    store = Store.create(pg_url)
    before = _indexes(store, "parcels"), _constraints(store, "parcels")
    assert any("gist" in d for _, d in before[0])  # the spatial index exists
    assert any(d.startswith("UNIQUE") for _, d in before[1])  # and the key's constraint
    n = BULK_MIN_ROWS + 5
    frame = parcels(n)
    store.write_frames({"enterprises": enterprises(), "parcels": frame}, valid_from=T0)
    assert (_indexes(store, "parcels"), _constraints(store, "parcels")) == before
    back = store.read_frame("parcels")
    assert len(back) == n
    assert back["parcel_id"].tolist() == sorted(frame["parcel_id"])
    assert np.allclose(back.geometry.area.to_numpy(), 50.0 * 60.0)
    assert back["right_start"].iloc[0] == frame["right_start"].iloc[0]
    with store.engine.connect() as conn:  # the planner knows the table after the load
        est = conn.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE relname = 'parcels'")
        ).scalar()
    assert est == n
    store.close()


def test_a_duplicate_key_in_a_bulk_load_fails_whole(pg_url: str) -> None:
    store = Store.create(pg_url)
    frame = parcels(BULK_MIN_ROWS + 5)
    frame.loc[frame.index[-1], "parcel_id"] = frame["parcel_id"].iloc[0]
    with pytest.raises(StoreError) as e:
        store.write_frames({"parcels": frame}, valid_from=T0)
    assert "主键重复" in e.value.message_zh
    assert store.count("parcels") == 0
    assert len(_indexes(store, "parcels")) >= 2  # nothing of the load's DDL stayed
    store.close()


def test_every_entity_table_loads_by_binary_copy(pg_url: str) -> None:
    """No entity table falls back to text COPY: each column's type has a binary dumper
    (the geometry one registered by the store)."""
    from indspace.core.model.entities import ENTITIES
    from indspace.store.postgis import _binary_oids

    store = Store.create(pg_url)
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        for name in ENTITIES:
            cols = [c.name for c in store.table(name).columns if c.name != "fid"]
            assert _binary_oids(raw, name, cols) is not None, name
    store.close()
