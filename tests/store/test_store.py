"""The store on both backends (GeoPackage file and a real PostGIS server), same assertions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from indspace.core.errors import NotFoundError, StoreError, ValidationError
from indspace.store import Store
from indspace.store.store import head_revision, shipped_head
from indspace.store.tables import build_metadata

T0 = datetime(2025, 12, 31, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
T2 = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)


def parcels(n: int = 3) -> gpd.GeoDataFrame:
    x = 600_000.0 + 100.0 * np.arange(n)
    geoms = [shapely.MultiPolygon([b]) for b in shapely.box(x, 3_300_000.0, x + 50.0, 3_300_060.0)]
    return gpd.GeoDataFrame({
        "parcel_id": [f"330212001001GB{i:05d}" for i in range(1, n + 1)],
        "land_use_code": ["100101"] * n,
        "area_m2": [3000.0] * n,
        "right_type": ["grant"] * n,
        "right_start": [date(2004, 5, 1)] * n,
        "right_end": [date(2054, 4, 30)] + [None] * (n - 1),
        "owner_credit_code": ["91310110666007217T"] * n,
        "district": ["330212"] * n,
        "is_synthetic": [True] * n,
    }, geometry=geoms, crs=4549)


def enterprises() -> pd.DataFrame:
    return pd.DataFrame({"credit_code": ["91310110666007217T"], "name": ["宁波示例制造有限公司"],
                         "district": ["330212"], "industry_code": ["3484"], "chain": [None],
                         "scale": ["above"], "founded": [date(2003, 1, 5)],
                         "is_synthetic": [True]})


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames({"enterprises": enterprises(), "parcels": parcels()}, valid_from=T0)
    yield s
    s.close()


def test_schema_matches_metadata_after_migration(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": False,  # custom geometry/datetime types do not reflect back
            # Spatial indexes (GPKG R-tree, PostGIS GiST) are made by the migration itself.
            "include_name": lambda name, type_, *_: not (
                (type_ == "table" and (name.startswith(("gpkg_", "rtree_", "sqlite_"))
                                       or name in ("spatial_ref_sys", "alembic_version")))
                or (type_ == "index" and name.endswith("_geom")))})
        diffs = compare_metadata(ctx, build_metadata(store.srid))
    assert diffs == []
    assert store.revision() == "0025"
    store.migrate()  # idempotent
    assert store.counts()["parcels"] == 3


def test_shipped_head_without_alembic_is_alembics_head(store: Store) -> None:
    """Opening a store compares its revision with the head read from the migration files
    (no Alembic import at start-up); it must be the head Alembic finds."""
    assert shipped_head() == head_revision() == store.revision()


def test_round_trip_types_and_geometry(store: Store) -> None:
    got = store.read_frame("parcels")
    want = parcels()
    assert isinstance(got, gpd.GeoDataFrame) and got.crs.to_epsg() == 4549
    assert list(got.parcel_id) == list(want.parcel_id)
    assert got.right_start.tolist() == [date(2004, 5, 1)] * 3
    assert got.right_end.tolist() == [date(2054, 4, 30), None, None]
    assert got.is_synthetic.tolist() == [True, True, True]
    assert got.area_m2.tolist() == [3000.0] * 3
    assert all(shapely.equals_exact(got.geometry.values, want.geometry.values, 0.0))
    e = store.read_frame("enterprises")
    assert e.name.tolist() == ["宁波示例制造有限公司"]
    assert e.founded.tolist() == [date(2003, 1, 5)]


def test_history_keeping_edits(store: Store) -> None:
    key = "330212001001GB00002"
    assert store.update("parcels", key, {"area_m2": 3100.0}, at=T1, actor="officer-1",
                        reason="resurvey") == 2
    assert store.update("parcels", key, {"area_m2": 3200.0, "right_type": "lease"}, at=T2,
                        actor="officer-2") == 3
    # a change that changes nothing writes nothing
    assert store.update("parcels", key, {"area_m2": 3200.0}, at=datetime.now(UTC),
                        actor="x") == 3
    hist = store.history("parcels", key)
    assert hist.version.tolist() == [1, 2, 3]
    assert hist.area_m2.tolist() == [3000.0, 3100.0, 3200.0]
    assert hist.right_type.tolist() == ["grant", "grant", "lease"]
    assert [v.isoformat() for v in hist.valid_from] == [T0.isoformat(), T1.isoformat(),
                                                         T2.isoformat()]
    assert hist.valid_to.iloc[0] == T1 and hist.valid_to.iloc[1] == T2
    assert pd.isna(hist.valid_to.iloc[2])
    # the record as it stood at any moment
    def area_at(t: datetime) -> float:
        return float(store.read_frame("parcels", recorded_at=t,
                                      where={"parcel_id": key}).area_m2[0])
    assert area_at(T0) == 3000.0
    assert area_at(datetime(2026, 3, 1, 9, 29, 59, tzinfo=UTC)) == 3000.0
    assert area_at(T1) == 3100.0
    assert area_at(T2) == 3200.0
    # other records untouched, counts unchanged, geometry kept through history
    assert store.counts()["parcels"] == 3
    as_of_t0 = store.read_frame("parcels", recorded_at=T0)
    assert len(as_of_t0) == 3 and as_of_t0.geometry.notna().all()
    audit = store.audit_log()
    updates = audit[audit.action == "update"]
    assert updates.actor.tolist() == ["officer-1", "officer-2"]
    assert '"area_m2": 3000.0' in updates.before_json.iloc[0]


def test_edits_cannot_rewrite_the_past_or_keys(store: Store) -> None:
    key = "330212001001GB00001"
    store.update("parcels", key, {"area_m2": 1.0}, at=T2, actor="a")
    with pytest.raises(ValidationError, match="not after"):
        store.update("parcels", key, {"area_m2": 2.0}, at=T1, actor="a")
    with pytest.raises(ValidationError, match="immutable"):
        store.update("parcels", key, {"parcel_id": "X"}, at=datetime.now(UTC), actor="a")
    with pytest.raises(NotFoundError):
        store.update("parcels", "nope", {"area_m2": 2.0}, at=datetime.now(UTC), actor="a")
    assert store.history("parcels", key).area_m2.tolist() == [3000.0, 1.0]


def test_geometry_edit_and_retire(store: Store) -> None:
    key = "330212001001GB00003"
    new = shapely.MultiPolygon([shapely.box(600_200.0, 3_300_000.0, 600_260.0, 3_300_070.0)])
    store.update("parcels", key, {"geometry": new}, at=T1, actor="a")
    now = store.read_frame("parcels", where={"parcel_id": key})
    assert now.geometry.iloc[0].equals_exact(new, 0.0)
    store.retire("parcels", key, at=T2, actor="a", reason="merged")
    assert store.counts()["parcels"] == 2
    assert len(store.read_frame("parcels", recorded_at=T1)) == 3
    assert store.history("parcels", key).version.tolist() == [1, 2]


def test_failed_write_leaves_store_unchanged(store: Store) -> None:
    before = store.counts()
    dup = parcels(2)  # ids 00001, 00002 already exist
    more = enterprises().assign(credit_code="914403001922038216")
    with pytest.raises(StoreError, match="nothing was written"):
        store.write_frames({"enterprises": more, "parcels": dup}, valid_from=T1)
    assert store.counts() == before
    assert len(store.read_frame("enterprises")) == 1


def test_wrong_crs_is_refused_with_a_clear_message(store: Store) -> None:
    with pytest.raises(ValidationError, match="EPSG:4549"):
        store.write_frame("parcels", parcels().to_crs(4490), valid_from=T1)


def test_open_missing_store_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="indspace init"):
        Store.open(tmp_path / "missing.gpkg")


def test_paging_and_filters(store: Store) -> None:
    page = store.read_frame("parcels", limit=2, offset=1)
    assert page.parcel_id.tolist() == ["330212001001GB00002", "330212001001GB00003"]
    assert store.counts({"parcels": {"district": "330212"}})["parcels"] == 3
    assert store.counts({"parcels": {"district": "330203"}})["parcels"] == 0


def test_postgis_database_is_created_when_missing(pg_server: str) -> None:
    import uuid

    name = f"indspace_new_{uuid.uuid4().hex[:8]}"
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    try:
        with Store.create(url) as s:
            assert s.counts()["parcels"] == 0 and s.srid == 4549
    finally:
        admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_first_revision_keeps_data(db_url: str) -> None:
    s = Store(db_url)
    if s.path is None:
        from indspace.store import postgis

        postgis.ensure_database(s.engine.url)
    s.migrate(target="0001")
    assert s.revision() == "0001"
    s.write_frames({"enterprises": enterprises(), "parcels": parcels()}, valid_from=T0)
    s.close()
    s = Store.open(db_url)  # opening an older store migrates it
    assert s.revision() == "0025"
    assert s.counts()["parcels"] == 3 and len(s.read_frame("enterprises")) == 1
    s.close()
