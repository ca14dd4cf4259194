"""Export a stored entity in the exchange format (round-trips with ``indspace import``).

Columns are the contract names of ``docs/import-format.md``; spatial kinds carry their
geometry natively in GeoPackage/GeoJSON and as WKT in a ``wkt`` column in CSV/XLSX.
GeoJSON is written in EPSG:4490 (CGCS2000 geographic, RFC 7946 order lon/lat); the other
formats keep the store CRS. CSV is UTF-8 with BOM, so Excel opens the Chinese text. Text is
always written as text (:mod:`indspace.services.output`): XLSX string cells, CSV cells that
start like a formula prefixed with ``'`` (removed again on import).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.services.output import csv_safe, excel_writer
from indspace.store import Store

Format = Literal["gpkg", "geojson", "csv", "xlsx"]
KIND_TABLES = {k.replace("_", "-"): k for k in ENTITIES}
"""CLI kind (``control-lines``) → table (``control_lines``): every stored entity can be
exported (districts too), while only the kinds of ``ingest.aliases.KINDS`` can be imported."""


def table_for_kind(kind: str) -> str:
    table = KIND_TABLES.get(kind) or (kind if kind in ENTITIES else None)
    if table is None:
        raise ValidationError(f"未知的数据类型：{kind}", f"unknown kind: {kind}",
                              hint_zh=f"可选：{', '.join(KIND_TABLES)}",
                              hint_en=f"one of: {', '.join(KIND_TABLES)}")
    return table


def export_kind(store: Store, kind: str, fmt: Format, out: str | Path) -> tuple[Path, int]:
    """Write the current records of ``kind`` to ``out``; returns (path, rows)."""
    table = table_for_kind(kind)
    frame = store.read_frame(table)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    spatial = isinstance(frame, gpd.GeoDataFrame)
    if fmt in ("gpkg", "geojson"):
        if not spatial:
            raise ValidationError(f"{kind} 没有几何，不能导出为 {fmt}",
                                  f"{kind} has no geometry; cannot export as {fmt}",
                                  hint_zh="请用 csv 或 xlsx", hint_en="use csv or xlsx")
        gdf = frame.to_crs(4490) if fmt == "geojson" else frame
        pyogrio.write_dataframe(_dates_as_text(gdf, table), out,
                                layer=kind if fmt == "gpkg" else None,
                                driver="GPKG" if fmt == "gpkg" else "GeoJSON")
        return out, len(frame)
    flat = pd.DataFrame(frame.drop(columns="geometry")) if spatial else frame
    if spatial:
        flat["wkt"] = shapely.to_wkt(frame.geometry.values, rounding_precision=3)
    if fmt == "csv":
        csv_safe(flat).to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\n")
    elif fmt == "xlsx":
        with excel_writer(out) as xw:
            flat.to_excel(xw, sheet_name=kind[:31], index=False, freeze_panes=(1, 0))
    else:
        raise ValidationError(f"不支持的格式：{fmt}", f"unsupported format: {fmt}")
    return out, len(frame)


def _dates_as_text(gdf: gpd.GeoDataFrame, table: str) -> gpd.GeoDataFrame:
    """Date objects → ISO text (an object column of dates is not a GDAL field type)."""
    out = gdf.copy()
    for f in ENTITIES[table].fields:
        if f.dtype == "date" and f.name in out.columns:
            out[f.name] = [None if v is None or pd.isna(v) else v.isoformat()
                           for v in out[f.name]]
    return out
