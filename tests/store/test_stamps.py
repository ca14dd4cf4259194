"""Data stamps (issue #14): every write to an entity table raises its stamp, whoever writes
— the store, plain SQL or GDAL's ogr2ogr — so a kept result is never read stale."""

from __future__ import annotations

import subprocess

import sqlalchemy as sa

from indspace.core.model.entities import ENTITIES
from indspace.store import Store
from indspace.store.stamps import content_version
from indspace.store.tables import history_name
from tests.store.test_store import T0, enterprises, parcels


def _stamps(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT table_name, stamp FROM data_stamps")).all())


def test_every_entity_table_is_stamped(db_url: str) -> None:
    """A new entity's migration must install its stamps (this fails until it does)."""
    store = Store.create(db_url, overwrite=True)
    have = _stamps(store)
    want = {t for e in ENTITIES.values() for t in (e.table, history_name(e.table))}
    assert want <= set(have), sorted(want - set(have))
    store.close()


def test_store_writes_and_plain_sql_raise_the_stamp(db_url: str) -> None:
    store = Store.create(db_url, overwrite=True)
    v0 = content_version(store, ("parcels", "enterprises"))
    assert v0 == content_version(store, ("parcels", "enterprises"))   # reading changes nothing
    store.write_frames({"enterprises": enterprises(), "parcels": parcels()}, valid_from=T0)
    v1 = content_version(store, ("parcels", "enterprises"))
    s1 = _stamps(store)
    assert v1 != v0 and s1["parcels"] > 0 and s1["enterprises"] > 0
    assert s1["buildings"] == 0                                       # untouched table
    # an edit made outside the store (a GIS user's SQL) is seen too
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE parcels SET area_m2 = area_m2 + 1 "
                             "WHERE parcel_id = '330212001001GB00001'"))
    v2 = content_version(store, ("parcels",))
    assert _stamps(store)["parcels"] > s1["parcels"]
    assert v2 != content_version(store, ("enterprises",))
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM enterprises"))
    assert _stamps(store)["enterprises"] > s1["enterprises"]
    store.close()


def test_a_gdal_edit_raises_the_stamp(tmp_path, gdal_bin: str) -> None:  # type: ignore[no-untyped-def]
    """QGIS and ogr2ogr write a GeoPackage through SQLite: the triggers fire for them."""
    path = tmp_path / "store.gpkg"
    store = Store.create(str(path), overwrite=True)
    store.write_frames({"parcels": parcels()}, valid_from=T0)
    before = _stamps(store)["parcels"]
    store.close()
    subprocess.run([gdal_bin, str(path), "-sql", "UPDATE parcels SET district = '330206'"],
                   check=True, capture_output=True)
    again = Store.open(str(path))
    assert _stamps(again)["parcels"] > before
    again.close()
