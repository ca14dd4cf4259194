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
