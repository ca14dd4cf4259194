"""Write the demo city as district-partitioned (Geo)Parquet, e.g. for the province scale.

Layout (hive style)::

    out_dir/<table>/district=<admin_code>/part-0.parquet

for every entity table and ``anomalies``. Spatial tables are GeoParquet (geopandas
``to_parquet``: WKB geometry, CRS EPSG:4549 in the ``geo`` metadata); the others are plain
Parquet. Rows go to the partition of their district: the ``district`` column where the table
has one, ``admin_code`` for ``districts``, the enterprise's district for ``occupancy``,
``indicators``, ``designations`` and ``demands``, and the record's district for ``anomalies``.

Following the hive convention the partition column is **not** repeated inside the files
(tools such as pyarrow, dask and DuckDB add it from the directory name and refuse a second
copy). Declare it as a string when reading with a generic tool, e.g. pyarrow
``partitioning=ds.partitioning(pa.schema([("district", pa.string())]), flavor="hive")`` —
otherwise ``330212`` is read as an integer — or use :func:`read_partitioned_geoparquet`, which
restores each table's contract columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from indspace.core.model.entities import ENTITIES
from indspace.core.model.partitions import PART_FILE
from indspace.demo.city import DemoCity

__all__ = ["PART_FILE", "read_partitioned_geoparquet", "write_partitioned_geoparquet"]


def _row_districts(table: str, frame: pd.DataFrame, firm_district: pd.Series) -> np.ndarray:
    if table == "districts":
        return frame["admin_code"].to_numpy(dtype=str)
    if "district" in frame.columns:
        return frame["district"].to_numpy(dtype=str)
    if table in ("occupancy", "indicators", "designations", "demands"):
        return firm_district.reindex(frame["credit_code"]).to_numpy(dtype=str)
    if table in ("contracts", "contract_events"):   # <parcel_id>-HT: parcel ids lead
        return frame["contract_id"].astype(str).str.slice(0, 6).to_numpy(dtype=str)
    if table == "transactions":                     # JY-<district>-<seq>
        return frame["transaction_id"].astype(str).str.slice(3, 9).to_numpy(dtype=str)
    if table == "plan_zones":                       # GH-<district>-<seq>
        return frame["zone_id"].astype(str).str.slice(3, 9).to_numpy(dtype=str)
    if table == "anomalies":
        key = frame["record_key"].astype(str)
        table_name = frame["table_name"]
        return np.select([table_name == "indicators", table_name == "transactions"],
                         [key.str.slice(2, 8), key.str.slice(3, 9)],
                         key.str.slice(0, 6)).astype(str)
    raise ValueError(f"no district rule for table {table!r}")


def write_partitioned_geoparquet(city: DemoCity | Iterable[DemoCity], out_dir: Path | str
                                 ) -> dict[str, int]:
    """Write every table of ``city`` (one :class:`DemoCity` or an iterable of district parts,
    e.g. :func:`indspace.demo.iter_city_parts`) under ``out_dir``.

    Parameters
    ----------
    city : DemoCity or iterable of DemoCity
        Parts are written as they come, so an iterator keeps memory to one district.
    out_dir : pathlib.Path or str
        Created if missing. A partition file that already exists is an error (write into an
        empty directory; two parts must not share a district).

    Returns
    -------
    dict of str to int
        Rows written per table.
    """
    out = Path(out_dir)
    parts = [city] if isinstance(city, DemoCity) else city
    written: dict[str, int] = {}
    for part in parts:
        firm_district = pd.Series(part.enterprises["district"].to_numpy(dtype=str),
                                  index=part.enterprises["credit_code"].to_numpy(dtype=str))
        for table, frame in (*part.tables().items(), ("anomalies", part.anomalies)):
            codes = _row_districts(table, frame, firm_district)
            body = frame.drop(columns=["district"]) if "district" in frame.columns else frame
            order = np.argsort(codes, kind="stable")
            uniq, starts = np.unique(codes[order], return_index=True)
            bounds = np.r_[starts, len(order)]
            for j, code in enumerate(uniq):
                rows = order[bounds[j]: bounds[j + 1]]
                path = out / table / f"district={code}" / PART_FILE
                if path.exists():
                    raise FileExistsError(f"{path} exists: write into an empty directory")
                path.parent.mkdir(parents=True, exist_ok=True)
                sub = body.iloc[np.sort(rows)].reset_index(drop=True)
                sub.to_parquet(path, compression="zstd", index=False)
                written[table] = written.get(table, 0) + len(sub)
    return written


def read_partitioned_geoparquet(out_dir: Path | str, table: str,
                                districts: Iterable[str] | None = None,
                                columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read one table written by :func:`write_partitioned_geoparquet` back into its contract
    shape (``district`` restored as text where the entity has it), sorted by key.

    Parameters
    ----------
    out_dir : pathlib.Path or str
    table : str
        An entity table name or ``"anomalies"``.
    districts : iterable of str, optional
        Admin codes to read (default: all partitions).
    columns : iterable of str, optional
        Contract columns to read (default: all, with the geometry of a spatial table). The
        key columns are always read (the rows are sorted by them); without ``geometry``
        among them a spatial table is read as a plain DataFrame, its shapes not decoded.
    """
    root = Path(out_dir) / table
    wanted = None if districts is None else {str(d) for d in districts}
    files = [f for f in sorted(root.glob(f"district=*/{PART_FILE}"))
             if wanted is None or f.parent.name.split("=", 1)[1] in wanted]
    if not files:
        raise FileNotFoundError(f"no partitions of {table!r} under {root}")
    entity = ENTITIES.get(table)
    spatial = entity is not None and entity.geometry is not None
    wanted_cols = None if columns is None else list(columns)
    read = None  # the columns stored in the files (the partition column is not)
    if wanted_cols is not None and entity is not None:
        keep = set(wanted_cols) | set(entity.key)
        spatial = spatial and "geometry" in keep
        read = [c for c in entity.columns + (["geometry"] if spatial else [])
                if c in keep and c != "district"]
    frames = []
    for f in files:
        frame = gpd.read_parquet(f, columns=read) if spatial else pd.read_parquet(f, columns=read)
        if entity is not None and "district" in entity.columns:
            frame.insert(0, "district", pd.array([f.parent.name.split("=", 1)[1]] * len(frame),
                                                 dtype="str"))
        frames.append(frame)
    merged = pd.concat(frames, ignore_index=True)
    if entity is None:
        return merged
    cols = entity.columns + (["geometry"] if spatial else [])
    if wanted_cols is not None:
        cols = [c for c in cols if c in set(wanted_cols) | set(entity.key)]
    return merged[cols].sort_values(list(entity.key), ignore_index=True)
