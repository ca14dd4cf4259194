"""What makes a SQLite file a valid GeoPackage (OGC 12-128r18), without SpatiaLite.

* :func:`on_connect` registers the small SQL functions the standard R-tree triggers call
  (``ST_IsEmpty``, ``ST_MinX``, ``ST_MaxX``, ``ST_MinY``, ``ST_MaxY``). They read the
  envelope from the GeoPackage binary header, so files written by GDAL (which carry the
  same triggers) can be edited through our connection too.
* :func:`create_core_tables` sets ``application_id``/``user_version`` and creates
  ``gpkg_spatial_ref_sys``, ``gpkg_contents``, ``gpkg_geometry_columns`` and
  ``gpkg_extensions`` with the mandatory SRS rows.
* :func:`register_features` / :func:`register_attributes` list a table in
  ``gpkg_contents`` (so ``ogrinfo`` and QGIS show it); :func:`create_rtree` adds the
  ``gpkg_rtree_index`` extension with its triggers.

Only SQLite-specific DDL lives here; it is called from the Alembic migrations.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np

from indspace.store import rtree_pack
from indspace.store.geometry import gpkg_envelope
from indspace.store.sqlite_rows import insert_columns

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0, read by GDAL ≥ 3.1 without warnings


def _envelope_fn(i: int):  # type: ignore[no-untyped-def]
    def f(blob: bytes | None) -> float | None:
        env = gpkg_envelope(blob)
        return None if env is None else env[i]
    return f


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(gpkg_envelope(blob) is None)


def on_connect(dbapi_conn: sqlite3.Connection, _record: Any = None) -> None:
    """Per-connection set-up: R-tree trigger functions and sane pragmas."""
    dbapi_conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        dbapi_conn.create_function(name, 1, _envelope_fn(i), deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA cache_size = -262144")  # 256 MiB page cache for bulk loads
    cur.close()


_CORE_DDL = [
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
        organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
        definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
        identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL,
        geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
        z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
]


def create_core_tables(execute: Any, srid: int) -> None:
    """Create the GeoPackage core tables and SRS rows (idempotent).

    ``execute`` runs one SQL string with optional parameters (an Alembic ``op.execute``
    wrapper or a DBAPI cursor's ``execute``).
    """
    execute(f"PRAGMA application_id = {APPLICATION_ID}")
    execute(f"PRAGMA user_version = {USER_VERSION}")
    for ddl in _CORE_DDL:
        execute(ddl)
    rows = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
    ]
    from pyproj import CRS  # ≈ 0.15 s to import: only here, where a store is created

    for code in sorted({4326, 4490, srid}):
        crs = CRS.from_epsg(code)
        rows.append((crs.name, code, "EPSG", code, crs.to_wkt("WKT1_GDAL"), crs.name))
    for r in rows:
        execute("INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, "
                "organization_coordsys_id, definition, description) VALUES "
                f"({', '.join(_lit(v) for v in r)})")


def _lit(v: object) -> str:
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def register_features(execute: Any, table: str, column: str, geom_type: str, srid: int,
                      description: str = "") -> None:
    """List a feature table in gpkg_contents and gpkg_geometry_columns."""
    execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
            f"description, srs_id) VALUES ({_lit(table)}, 'features', {_lit(table)}, "
            f"{_lit(description)}, {srid})")
    execute("INSERT OR REPLACE INTO gpkg_geometry_columns VALUES "
            f"({_lit(table)}, {_lit(column)}, {_lit(geom_type)}, {srid}, 0, 0)")


def register_attributes(execute: Any, table: str, description: str = "") -> None:
    """List a non-spatial table in gpkg_contents (data_type 'attributes')."""
    execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
            f"description) VALUES ({_lit(table)}, 'attributes', {_lit(table)}, "
            f"{_lit(description)})")


def _rtree_triggers(t: str, c: str, i: str) -> dict[str, tuple[str, str]]:
    r = f"rtree_{t}_{c}"
    ins = (f"INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), "
           f"ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));")
    return {
        "insert": (f"AFTER INSERT ON {t} WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))",
                   ins),
        "update1": (f"AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
                    f"(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))", ins),
        "update2": (f"AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
                    f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))",
                    f"DELETE FROM {r} WHERE id = OLD.{i};"),
        "update3": (f"AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND "
                    f"(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))",
                    f"DELETE FROM {r} WHERE id = OLD.{i}; " + ins),
        "update4": (f"AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND "
                    f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))",
                    f"DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i});"),
        "delete": (f"AFTER DELETE ON {t} WHEN old.{c} NOT NULL",
                   f"DELETE FROM {r} WHERE id = OLD.{i};"),
    }


def _create_trigger(execute: Any, t: str, c: str, i: str, name: str) -> None:
    when, body = _rtree_triggers(t, c, i)[name]
    execute(f"CREATE TRIGGER IF NOT EXISTS rtree_{t}_{c}_{name} {when} BEGIN {body} END")


def create_rtree(execute: Any, t: str, c: str, i: str = "fid") -> None:
    """Create the gpkg_rtree_index extension for ``t.c`` (GeoPackage 1.3 §F.3 triggers)."""
    r = f"rtree_{t}_{c}"
    execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {r} USING rtree(id, minx, maxx, miny, maxy)")
    execute(f"INSERT OR IGNORE INTO {r} SELECT {i}, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), "
            f"ST_MaxY({c}) FROM {t} WHERE {c} NOT NULL AND NOT ST_IsEmpty({c})")
    for name in _rtree_triggers(t, c, i):
        _create_trigger(execute, t, c, i, name)
    execute("INSERT OR IGNORE INTO gpkg_extensions VALUES "
            f"({_lit(t)}, {_lit(c)}, 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')")


PACK_MIN_ROWS = 5_000
"""Below this many new rows the R-tree is updated in place; above, it is re-packed whole."""


def bulk_insert(cursor: sqlite3.Cursor, t: str, c: str, names: list[str],
                columns: list[Any], fids: np.ndarray, bounds: np.ndarray,
                constants: dict[str, int | str] | None = None) -> None:
    """Insert many features and their R-tree entries without per-row trigger calls.

    ``columns`` holds the values of ``names`` column-wise (one sequence per name);
    ``constants`` are columns with one value for every row.
    ``bounds`` is shapely's ``(minx, miny, maxx, maxy)`` per row (NaN for empty/missing).
    The insert trigger is dropped and re-created inside the caller's transaction (SQLite
    DDL is transactional, and ``BEGIN IMMEDIATE`` holds the write lock). The R-tree is then
    either updated row by row (small batches) or re-packed whole with STR
    (:mod:`indspace.store.rtree_pack`), about 6× faster than SQLite's own insertion.
    """
    r = f"rtree_{t}_{c}"
    cursor.execute(f"DROP TRIGGER IF EXISTS {r}_insert")
    insert_columns(cursor, t, ["fid", *names], [fids, *columns], constants)
    keep = ~np.isnan(bounds[:, 0])
    new_ids, b = fids[keep], bounds[keep]
    if len(new_ids) >= PACK_MIN_ROWS:
        old = np.array(cursor.execute(f"SELECT id, minx, maxx, miny, maxy FROM {r}").fetchall(),
                       dtype=np.float64).reshape(-1, 5)
        rtree_pack.pack(cursor, r, np.concatenate([old[:, 0].astype(np.int64), new_ids]),
                        np.concatenate([old[:, 1], b[:, 0]]), np.concatenate([old[:, 2], b[:, 2]]),
                        np.concatenate([old[:, 3], b[:, 1]]), np.concatenate([old[:, 4], b[:, 3]]))
    else:
        cursor.executemany(f"INSERT INTO {r} VALUES (?, ?, ?, ?, ?)",
                           zip(new_ids.tolist(), b[:, 0].tolist(), b[:, 2].tolist(),
                               b[:, 1].tolist(), b[:, 3].tolist(), strict=True))
    _create_trigger(cursor.execute, t, c, "fid", "insert")


def update_extent(execute: Any, t: str, c: str) -> None:
    """Refresh a feature table's bounding box in gpkg_contents (QGIS "zoom to layer")."""
    execute(f"UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = "
            f"(SELECT min(minx), max(maxx), min(miny), max(maxy) FROM rtree_{t}_{c}) "
            f"WHERE table_name = {_lit(t)}")
