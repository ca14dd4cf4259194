"""File-making fixtures for the ingest tests: real files written to temporary folders.

Each ``make_*`` fixture returns a factory (the same function is importable from this module
as ``write_*``)::

    def test_x(tmp_path, make_shapefile, parcels_4528):
        shp = make_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)

Sample data:

* ``parcels_4528`` — five parcels (GeoDataFrame, EPSG:4528, zone-prefixed 3° Gauss–Krüger
  zone 40) near 121.2°E 29.8°N (慈溪/余姚), with cadastral field codes and Chinese field
  names: ZDDM, ZL, ZDMJ, 用途, DLBM, QLLX, 权利人, RJL. Every field name fits the 10-byte
  DBF limit in both GBK and UTF-8.
* ``parcels_table`` — the same parcels as a plain table with Chinese headers and typed
  values (str, int, float, date), for CSV and Excel files.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

PARCEL_CENTRE_LONLAT = (121.2, 29.8)
"""Approximate centre of the sample parcels (degrees, CGCS2000)."""


def write_shapefile(tmp: Path, gdf: gpd.GeoDataFrame, encoding: str | None = "GBK",
                    cpg: bool = False, name: str = "parcels") -> Path:
    """Write ``gdf`` as ``tmp/name.shp`` with its DBF in ``encoding``; drop the .cpg unless
    ``cpg``. Returns the .shp path.

    GDAL's RuntimeWarning about field names cut to the 10-byte DBF limit is silenced: tests
    that write such names want exactly that file.
    """
    path = Path(tmp) / f"{name}.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, encoding=encoding)
    cpg_path = path.with_suffix(".cpg")
    if not cpg and cpg_path.exists():
        cpg_path.unlink()
    return path


def write_csv(tmp: Path, df: pd.DataFrame, encoding: str = "utf-8", name: str = "table.csv",
              sep: str = ",") -> Path:
    """Write ``df`` (no index) as CSV text in ``encoding`` ("utf-8", "utf-8-sig" adds the BOM,
    "gbk" …). Returns the path."""
    path = Path(tmp) / name
    text = df.to_csv(index=False, sep=sep, lineterminator="\r\n")
    path.write_bytes(text.encode(encoding))
    return path


def _excel_value(v: object) -> object:
    if v is None or (not isinstance(v, str) and pd.isna(v)):  # type: ignore[call-overload]
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_xlsx(tmp: Path, df: pd.DataFrame, name: str = "table.xlsx", sheet: str = "Sheet1",
               extra_sheets: Mapping[str, pd.DataFrame] | None = None,
               number_formats: Mapping[str, str] | None = None) -> Path:
    """Write ``df`` to an Excel workbook with typed cells (str, int, float, date).

    ``number_formats`` maps a column name to an Excel number format ("0.00%" …).
    Skips the test when openpyxl is not installed.
    """
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    sheets = {sheet: df, **(extra_sheets or {})}
    for title, frame in sheets.items():
        w = ws if title == sheet else wb.create_sheet(title)
        w.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            w.append([_excel_value(v) for v in row])
        for col, fmt in (number_formats or {}).items():
            if col in frame.columns:
                j = list(frame.columns).index(col) + 1
                for i in range(2, len(frame) + 2):
                    w.cell(row=i, column=j).number_format = fmt
    path = Path(tmp) / name
    wb.save(path)
    return path


def write_geojson(tmp: Path, gdf: gpd.GeoDataFrame, name: str = "parcels.geojson",
                  encoding: str | None = None, rfc7946: bool = False) -> Path:
    """Write ``gdf`` as GeoJSON with a ``crs`` member, or as RFC 7946 GeoJSON (WGS 84, no
    ``crs`` member) when ``rfc7946``; ``encoding`` re-encodes the UTF-8 text (e.g. "gbk",
    to imitate a bad export)."""
    path = Path(tmp) / name
    if rfc7946:
        pyogrio.write_dataframe(gdf.to_crs(4326), path, driver="GeoJSON",
                                layer_options={"RFC7946": "YES"})
    else:
        pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    if encoding is not None:
        path.write_bytes(path.read_bytes().decode("utf-8").encode(encoding))
    return path


def write_gpkg(tmp: Path, layers: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
               name: str = "parcels.gpkg") -> Path:
    """Write one GeoDataFrame (layer "parcels") or several named layers to a GeoPackage."""
    path = Path(tmp) / name
    items = {"parcels": layers} if isinstance(layers, gpd.GeoDataFrame) else dict(layers)
    for layer, gdf in items.items():
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")
    return path


@pytest.fixture
def make_shapefile() -> Callable[..., Path]:
    return write_shapefile


@pytest.fixture
def make_csv() -> Callable[..., Path]:
    return write_csv


@pytest.fixture
def make_xlsx() -> Callable[..., Path]:
    return write_xlsx


@pytest.fixture
def make_geojson() -> Callable[..., Path]:
    return write_geojson


@pytest.fixture
def make_gpkg() -> Callable[..., Path]:
    return write_gpkg


def sample_parcels_4528() -> gpd.GeoDataFrame:
    """Five rectangular parcels (80 m × 60 m) in EPSG:4528 near 121.2°E 29.8°N."""
    lon, lat = PARCEL_CENTRE_LONLAT
    e0, n0 = Transformer.from_crs(4490, 4528, always_xy=True).transform(lon, lat)
    boxes = [shapely.box(e0 + 100 * i, n0, e0 + 100 * i + 80, n0 + 60) for i in range(5)]
    return gpd.GeoDataFrame(
        {
            "ZDDM": [f"330282001001GB{i:05d}" for i in range(1, 6)],
            "ZL": ["慈溪市宗汉街道新兴产业园区1号", "慈溪市宗汉街道新兴产业园区2号",
                   "余姚市经济开发区城东新区3号", "余姚市经济开发区城东新区4号",
                   "慈溪市周巷镇工业园5号"],
            "ZDMJ": [4800.0, 4800.5, 4799.25, 12000.0, 333.33],
            "用途": ["工业用地", "工业用地", "仓储用地", "工业用地", "商服用地"],
            "DLBM": ["0601", "0601", "0604", "0601", "05H1"],
            "QLLX": ["国有建设用地使用权"] * 5,
            "权利人": ["宁波甬江精密制造有限公司", "慈溪市宗汉电器厂", "余姚市姚北仓储物流有限公司",
                    "宁波杭州湾新材料股份有限公司", "周巷镇集体资产经营公司"],
            "RJL": [1.2, 1.5, 0.8, 2.0, 1.0],
        },
        geometry=boxes,
        crs=4528,
    )


@pytest.fixture
def parcels_4528() -> gpd.GeoDataFrame:
    return sample_parcels_4528()


def sample_parcels_table() -> pd.DataFrame:
    """The sample parcels as a plain table with Chinese headers and typed values."""
    g = sample_parcels_4528()
    return pd.DataFrame({
        "宗地代码": g["ZDDM"],
        "坐落": g["ZL"],
        "宗地面积": g["ZDMJ"],
        "土地用途": g["用途"],
        "权利人": g["权利人"],
        "总层数": [3, 5, 1, 6, 2],
        "登记日期": [dt.date(2019, 3, 1), dt.date(2020, 7, 15), dt.date(2021, 1, 4),
                 dt.date(2022, 12, 31), dt.date(2023, 6, 30)],
    })


@pytest.fixture
def parcels_table() -> pd.DataFrame:
    return sample_parcels_table()
