"""Baseline B of ``land_far.py``: land figures per parcel in one DuckDB spatial query —
``ST_Read`` of the GeoPackage, a spatial join on ``ST_Intersects``, ``ST_Intersection``
areas (with ``ST_Covers`` as the fast path, as in baseline A: 2.4 s instead of 5.4–7.8 s on
the 40 k city), ``GROUP BY`` parcel. DuckDB 1.5.5 with the spatial extension loaded from
the installed ``duckdb-extension-spatial`` package (no network, no extension auto-install).

Rules (issue #13): a building's floor area is its ``gfa_m2`` apportioned by footprint share,
else clipped footprint × floors; for FAR it counts twice when ``height_m / floors`` is
strictly above 8 m.

Run: ``python benchmarks/landfar_duckdb.py CITY.gpkg OUT.csv``
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import duckdb_extension_spatial

QUERY = """
WITH p AS (
    SELECT parcel_id, geom, ST_Area(geom) AS area_m2 FROM ST_Read($path, layer = 'parcels')
), b AS (
    SELECT geom, floors, gfa_m2, height_m / floors > 8.0 AS tall, ST_Area(geom) AS foot
    FROM ST_Read($path, layer = 'buildings')
), pieces AS (
    SELECT p.parcel_id, b.floors, b.gfa_m2, b.tall, b.foot,
           CASE WHEN ST_Covers(p.geom, b.geom) THEN b.foot
                ELSE ST_Area(ST_Intersection(p.geom, b.geom)) END AS clip
    FROM p JOIN b ON ST_Intersects(p.geom, b.geom)
), floors AS (
    SELECT parcel_id, clip,
           CASE WHEN gfa_m2 IS NULL THEN clip * floors ELSE gfa_m2 * clip / foot END AS fl,
           tall
    FROM pieces
)
SELECT p.parcel_id, any_value(p.area_m2) AS area_m2,
       coalesce(sum(f.clip), 0) AS footprint_m2,
       coalesce(sum(f.fl), 0) AS floor_area_m2,
       coalesce(sum(CASE WHEN f.tall THEN 2 * f.fl ELSE f.fl END), 0) AS far_floor_m2,
       far_floor_m2 / any_value(p.area_m2) AS far,
       footprint_m2 / any_value(p.area_m2) AS coverage,
       count(*) FILTER (WHERE f.clip > 0) AS n_buildings
FROM p LEFT JOIN floors f USING (parcel_id)
GROUP BY p.parcel_id
ORDER BY p.parcel_id
"""


def connect() -> duckdb.DuckDBPyConnection:
    ext = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.*"))
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute(f"LOAD '{ext}'")
    return con


def land_far(path: str, out: str | None = None):
    """The per-parcel table as a DataFrame, or written to ``out`` (CSV) by DuckDB itself."""
    con = connect()
    if out is None:
        return con.execute(QUERY, {"path": path}).df()
    con.execute(f"COPY ({QUERY}) TO '{out}' (HEADER)", {"path": path})
    return None


if __name__ == "__main__":
    land_far(sys.argv[1], sys.argv[2])
