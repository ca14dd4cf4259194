"""The embedded store is a real GeoPackage: GDAL reads it, and we can edit what GDAL wrote."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import pyogrio
import pytest
import shapely

from indspace.store import Store

from .test_store import T0, parcels


@pytest.fixture
def gpkg(tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    s = Store.create(tmp_path / "s.gpkg")
    s.write_frame("parcels", parcels(5), valid_from=T0)
    yield s
    s.close()


def test_ogrinfo_lists_layer_with_count_and_crs(gpkg: Store, gdal_bin: str) -> None:
    out = subprocess.run([gdal_bin, "-so", str(gpkg.path), "parcels"], capture_output=True,
                         text=True, check=True).stdout
    assert "Feature Count: 5" in out
    assert 'ID["EPSG",4549]' in out
    assert "Multi Polygon" in out
    assert "ERROR" not in out


def test_ogrinfo_spatial_filter_uses_our_rtree(gpkg: Store, gdal_bin: str) -> None:
    out = subprocess.run([gdal_bin, "-q", str(gpkg.path), "parcels", "-spat", "600090",
                          "3300000", "600160", "3300010"], capture_output=True, text=True,
                         check=True).stdout
    assert out.count("OGRFeature(parcels)") == 1  # only the 2nd parcel (600100–600150)


def test_header_and_registration(gpkg: Store) -> None:
    con = sqlite3.connect(gpkg.path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='parcels'"
                       ).fetchone()[0] == 4549
    assert con.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone()[0] == 5
    minx, maxx = con.execute("SELECT min_x, max_x FROM gpkg_contents WHERE table_name='parcels'"
                             ).fetchone()
    assert (minx, maxx) == (600_000.0, 600_450.0)
    con.close()


def test_pyogrio_reads_our_layer(gpkg: Store) -> None:
    df = pyogrio.read_dataframe(gpkg.path, layer="parcels")
    assert len(df) == 5 and df.crs.to_epsg() == 4549
    assert df.right_start.iloc[0].year == 2004


def test_we_can_edit_a_feature_gdal_wrote(gpkg: Store) -> None:
    """GDAL's rows go through the R-tree triggers calling our ST_* functions."""
    extra = parcels(6).iloc[[5]].copy()
    extra["version"] = 1
    extra["valid_from"] = "2025-12-31T00:00:00.000Z"
    pyogrio.write_dataframe(extra, gpkg.path, layer="parcels", append=True)
    key = extra.parcel_id.iloc[0]
    moved = shapely.MultiPolygon([shapely.box(700_000.0, 3_300_000.0, 700_010.0, 3_300_010.0)])
    gpkg.update("parcels", key, {"geometry": moved}, at=datetime(2026, 1, 2, tzinfo=UTC),
                actor="t")
    con = sqlite3.connect(gpkg.path)
    fid = con.execute("SELECT fid FROM parcels WHERE parcel_id = ?", (key,)).fetchone()[0]
    assert con.execute("SELECT minx FROM rtree_parcels_geom WHERE id = ?", (fid,)
                       ).fetchone()[0] == pytest.approx(700_000.0)
    con.close()


def test_packed_rtree_is_valid_and_answers_like_brute_force(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Large loads re-pack the R-tree (STR); SQLite's own rtreecheck() must accept it, a
    window query must match a brute-force scan, and small appends must keep it valid."""
    s = Store.create(tmp_path / "big.gpkg")
    big = parcels(6_000)  # ≥ PACK_MIN_ROWS → packed
    s.write_frame("parcels", big, valid_from=T0)
    more = parcels(6_010).iloc[6_000:]  # 10 rows → incremental insert into the packed tree
    s.write_frame("parcels", more, valid_from=T0)
    s.close()
    con = sqlite3.connect(s.path)
    assert con.execute("SELECT rtreecheck('rtree_parcels_geom')").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone()[0] == 6_010
    # parcel i (id i + 1) spans x = 600 000 + 100 i … + 50. The window 1 000 050 … 1 000 420
    # is 400 050 … 400 420 relative: 100 i + 50 ≥ 400 050 ⇒ i ≥ 4000 (i = 4000 touches its
    # edge), 100 i ≤ 400 420 ⇒ i ≤ 4004; so i = 4000 … 4004, ids 4001 … 4005.
    hits = con.execute(
        "SELECT p.parcel_id FROM parcels p JOIN rtree_parcels_geom r ON r.id = p.fid "
        "WHERE r.maxx >= 1000050 AND r.minx <= 1000420 AND r.maxy >= 3300000 "
        "AND r.miny <= 3300060 ORDER BY 1").fetchall()
    assert [h[0] for h in hits] == [f"330212001001GB{i:05d}" for i in range(4001, 4006)]
    con.close()


def test_readers_do_not_take_the_write_lock(gpkg: Store) -> None:
    """Reads begin DEFERRED (a shared lock only); writes begin IMMEDIATE. So while a read
    transaction is open another connection can still start a write transaction.

    (We keep SQLite's rollback journal rather than WAL: GDAL reads ``application_id`` from the
    file header, which WAL leaves stale until a checkpoint, and two SQLite libraries in one
    process — ours and GDAL's — must not share WAL locks.)
    """
    with gpkg.engine.connect() as reader:
        reader.exec_driver_sql("SELECT count(*) FROM parcels").fetchall()  # read txn open
        writer = sqlite3.connect(gpkg.path, timeout=0.5, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # raises 'database is locked' if the reader held it
        writer.execute("ROLLBACK")
        writer.close()
