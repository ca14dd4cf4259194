"""The SQL behind vector tiles (issue #8): whole MVT tiles on PostGIS, box reads on GeoPackage,
and the reads the tile cache needs to invalidate exactly (audit rows, changed geometries,
parcel grade attributes of a run).

PostGIS builds a tile in one statement: the tile envelope (``ST_TileEnvelope``, EPSG:3857,
grown by the 64-unit buffer and densified) is transformed into the store CRS once, features
are picked with ``geom && envelope`` (the GiST index), transformed to EPSG:3857, clipped and
quantised by ``ST_AsMVTGeom`` (extent 4096, buffer 64) and encoded by ``ST_AsMVT`` with the
store's ``fid`` as the MVT feature id.

GeoPackage reads only the features whose R-tree box meets the query box
(``rtree_<table>_geom``); encoding happens in the service (``indspace.services.tiles``).

Layer attributes (the contract of ``docs/web-api.md``):

* ``parcels``: parcel_id, district, land_use_code, area_mu (亩, 2 decimals), line_status
  (inside | partial | outside, the rule of ``core.engines.controlline.overlay``: a parcel
  whose part outside (inside) the line is no larger than ``tolerance × perimeter`` m² is
  wholly inside (outside)), read from ``parcel_line_status`` (``store.line_status``) where
  a valid row is kept and computed in the query (PostGIS) or by the caller (GeoPackage)
  where not;
* ``parcel_grades``: parcel_id, grade (the owner's grade in the evaluation run), land_grade
  (地企双评 of that run), lowuse (1 when the parcel is low-efficiency in the lowuse run);
* ``buildings``: building_id, floors; ``control_lines``: block_id, district;
  ``parks``: park_id, name;
* ``lowuse_units``: unit_id, project_type, mode, area_mu — one feature per unit, the union
  of its parcels' current outlines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa

from indspace.core.geo.tiles import BUFFER, EXTENT, tile_size
from indspace.core.model.entities import ENTITIES
from indspace.core.model.units import M2_PER_MU
from indspace.store.store import Store
from indspace.store.tables import history_name

Box = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy) in the store CRS, metres."""

LAYER_TABLES = {"parcels": "parcels", "parcel_grades": "parcels", "buildings": "buildings",
                "control_lines": "control_lines", "parks": "parks", "lowuse_units": "parcels"}
"""The spatial table whose R-tree / GiST index picks each layer's features."""

# Each body selects ``fid``, the layer's attributes and the geometry ``g`` (store CRS) of the
# features whose index box meets the query box; {box} is the backend's index condition on
# the alias ``p``. Parameters: :eval_run, :lowuse_run, :tol (m), :m2_per_mu.
_PLAIN = {
    "buildings": "SELECT p.fid, p.building_id, p.floors, p.geom AS g FROM buildings p {join} "
                 "WHERE {box}",
    "control_lines": "SELECT p.fid, p.block_id, p.district, p.geom AS g FROM control_lines p "
                     "{join} WHERE {box}",
    "parks": "SELECT p.fid, p.park_id, p.name, p.geom AS g FROM parks p {join} WHERE {box}",
    "parcel_grades": (
        "SELECT p.fid, p.parcel_id, r.grade, pe.land_grade, "
        "CASE WHEN lp.parcel_id IS NULL THEN 0 ELSE 1 END AS lowuse, p.geom AS g "
        "FROM parcels p {join} "
        "LEFT JOIN evaluation_results r ON r.run_id = :eval_run "
        "AND r.credit_code = p.owner_credit_code "
        "LEFT JOIN parcel_evaluations pe ON pe.run_id = :eval_run AND pe.parcel_id = p.parcel_id "
        "LEFT JOIN lowuse_parcels lp ON lp.run_id = :lowuse_run AND lp.parcel_id = p.parcel_id "
        "WHERE {box}"),
}
LAYER_COLUMNS = {
    "parcels": ["parcel_id", "district", "land_use_code", "area_mu", "line_status"],
    "parcel_grades": ["parcel_id", "grade", "land_grade", "lowuse"],
    "buildings": ["building_id", "floors"],
    "control_lines": ["block_id", "district"],
    "parks": ["park_id", "name"],
    "lowuse_units": ["unit_id", "project_type", "mode", "area_mu"],
}

_PG_STATUS = """(
    SELECT CASE WHEN ST_Area(p.geom) - l.inside <= :tol * ST_Perimeter(p.geom) THEN 'inside'
            WHEN l.inside <= :tol * ST_Perimeter(p.geom) THEN 'outside'
            ELSE 'partial' END
    FROM (SELECT LEAST(ST_Area(p.geom), COALESCE(CASE WHEN bool_or(ST_Covers(c.geom, p.geom))
                THEN ST_Area(p.geom)
                ELSE ST_Area(ST_Intersection(p.geom, ST_UnaryUnion(ST_Collect(c.geom)))) END,
                0)) AS inside
          FROM control_lines c WHERE c.geom && p.geom AND ST_Intersects(c.geom, p.geom)) l)"""
"""A parcel's line status computed from the lines (the rule of ``overlay``), for a parcel
without a valid kept row."""

_PG_PARCELS = f"""
SELECT p.fid, p.parcel_id, p.district, p.land_use_code,
       round((p.area_m2 / :m2_per_mu)::numeric, 2)::float8 AS area_mu,
       COALESCE(k.line_status, {_PG_STATUS}) AS line_status,
       p.geom AS g
FROM parcels p CROSS JOIN b
LEFT JOIN parcel_line_status k ON k.parcel_fid = p.fid AND k.parcel_version = p.version
     AND k.source_version = :lines_version AND k.tolerance_m = :tol
WHERE p.geom && b.q"""
"""Parcels with their kept line status (``store.line_status``); COALESCE evaluates the
computed status only for a parcel whose kept row is missing or stale."""

_PG_UNITS = """
SELECT u.fid, u.unit_id, u.project_type, u.mode,
       round(u.area_mu::numeric, 2)::float8 AS area_mu, ST_Union(p.geom) AS g
FROM parcels p CROSS JOIN b
JOIN lowuse_parcels lp ON lp.run_id = :lowuse_run AND lp.parcel_id = p.parcel_id
JOIN lowuse_units u ON u.run_id = lp.run_id AND u.unit_id = lp.unit_id
WHERE p.geom && b.q
GROUP BY u.fid, u.unit_id, u.project_type, u.mode, u.area_mu"""

_PG_TILE = """
WITH b AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_Segmentize(ST_TileEnvelope(:z, :x, :y, margin => :margin),
                                      :seg), :srid) AS q)
SELECT ST_AsMVT(t, :layer, {extent}, 'geom', 'fid') FROM (
    SELECT {cols}, ST_AsMVTGeom(ST_Transform(s.g, 3857), b.env, {extent}, {buffer}, true) AS geom
    FROM ({body}) s CROSS JOIN b
) t"""
"""No ``WHERE t.geom IS NOT NULL``: ``ST_AsMVT`` skips rows whose geometry ``ST_AsMVTGeom``
clipped away, and the planner pushed that filter below the projection, so every
``ST_AsMVTGeom`` ran twice (the densest city z12 parcel tile: 50 → 24 ms, same bytes)."""


SCOPE_COLUMNS = {"district": "p.district", "owner": "p.owner_credit_code"}
"""A tile scope narrows the parcels of a layer: ``("district", code)`` for a district
officer, ``("owner", credit_code)`` for an enterprise user."""


def _scope_cond(scope: tuple[str, str] | None) -> str:
    return "" if scope is None else f" AND {SCOPE_COLUMNS[scope[0]]} = :scope_value"


def _pg_body(layer: str, scope: tuple[str, str] | None = None) -> str:
    if layer == "parcels":
        return _PG_PARCELS
    if layer == "lowuse_units":
        return _PG_UNITS.replace("WHERE p.geom && b.q", "WHERE p.geom && b.q"
                                 + _scope_cond(scope))
    return _PLAIN[layer].format(join="CROSS JOIN b", box="p.geom && b.q" + _scope_cond(scope))


def encoded_tile(store: Store, layer: str, z: int, x: int, y: int, *, tolerance_m: float,
                 lines_version: str | None, eval_run: str | None, lowuse_run: str | None,
                 scope: tuple[str, str] | None = None) -> bytes | None:
    """One MVT tile of ``layer`` encoded by the database (empty bytes: no feature), or None
    when the backend does not encode tiles (GeoPackage: the caller encodes
    :func:`layer_features`)."""
    if not store.encodes_tiles:
        return None
    sql = _PG_TILE.format(extent=EXTENT, buffer=BUFFER, body=_pg_body(layer, scope),
                          cols=", ".join(["s.fid", *(f"s.{c}" for c in LAYER_COLUMNS[layer])]))
    size = tile_size(z)
    params = {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "seg": size / 16,
              "srid": store.srid, "layer": layer, "tol": tolerance_m, "m2_per_mu": M2_PER_MU,
              "lines_version": lines_version, "eval_run": eval_run, "lowuse_run": lowuse_run,
              "scope_value": scope[1] if scope else None}
    with store.engine.connect() as conn:
        out = conn.execute(sa.text(sql), params).scalar()
    return bytes(out) if out else b""


def warm_connections(store: Store, n: int) -> int:
    """Open ``n`` pooled connections at once and have each transform one parcel to EPSG:3857
    and back, so that the first tiles a server builds do not pay a PostgreSQL backend's PROJ
    set-up (100–500 ms per backend, see docs/performance.md); returns how many were warmed
    (0 on a GeoPackage, whose transforms run in this process, or without parcels)."""
    if not store.encodes_tiles:
        return 0
    sql = sa.text("SELECT ST_Transform(ST_Transform(p.geom, 3857), :srid) FROM parcels p "
                  "WHERE p.geom IS NOT NULL LIMIT 1")
    conns = []
    try:
        for _ in range(n):
            conns.append(store.engine.connect())
        for conn in conns:
            if conn.execute(sql, {"srid": store.srid}).first() is None:
                return 0
        return len(conns)
    finally:
        for conn in conns:
            conn.close()


# ------------------------------------------------------------------ box reads (both backends)
def _box_sql(store: Store, table: str) -> tuple[str, str]:
    """(join, condition) picking rows of alias ``p`` of ``table`` whose index box meets
    :minx, :miny, :maxx, :maxy (store CRS)."""
    return store.box_sql(table)


def _geom_expr(store: Store, expr: str) -> str:
    return store.geom_sql(expr)


def _decode(store: Store, raw: list[Any]) -> np.ndarray:
    return store.decode_geoms(raw)


def _frame(store: Store, sql: str, params: dict[str, Any], columns: list[str]
           ) -> gpd.GeoDataFrame:
    """Run ``sql`` (selecting ``columns`` then a raw geometry) into a GeoDataFrame."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(sql), params).all()
    by_col = list(zip(*rows, strict=True)) if rows else [()] * (len(columns) + 1)
    frame = pd.DataFrame({c: list(by_col[i]) for i, c in enumerate(columns)})
    geoms = _decode(store, list(by_col[len(columns)]))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=store.srid))


def _box_params(box: Box) -> dict[str, float]:
    return dict(zip(("minx", "miny", "maxx", "maxy"), map(float, box), strict=True))


def layer_features(store: Store, layer: str, box: Box, *, eval_run: str | None = None,
                   lowuse_run: str | None = None, scope: tuple[str, str] | None = None,
                   lines_version: str | None = None, tolerance_m: float | None = None
                   ) -> gpd.GeoDataFrame:
    """Features of ``layer`` whose index box meets ``box``: ``fid``, the layer's attributes
    (``parcels``: area_m2 instead of area_mu, and line_status as kept for ``lines_version``
    and ``tolerance_m`` — None where no valid row is kept, the caller computes it;
    ``lowuse_units``: one row per member parcel with the parcel's outline), ``geometry``."""
    join, cond = _box_sql(store, LAYER_TABLES[layer])
    cond += _scope_cond(scope)
    params: dict[str, Any] = {**_box_params(box), "eval_run": eval_run, "lowuse_run": lowuse_run,
                              "scope_value": scope[1] if scope else None,
                              "lines_version": lines_version, "tol": tolerance_m}
    if layer == "parcels":
        cols = ["fid", "parcel_id", "district", "land_use_code", "area_m2", "line_status"]
        sql = (f"SELECT p.fid, p.parcel_id, p.district, p.land_use_code, p.area_m2, "
               f"k.line_status, {_geom_expr(store, 'p.geom')} FROM parcels p {join} "
               "LEFT JOIN parcel_line_status k ON k.parcel_fid = p.fid "
               "AND k.parcel_version = p.version AND k.source_version = :lines_version "
               f"AND k.tolerance_m = :tol WHERE {cond}")
    elif layer == "lowuse_units":
        cols = ["fid", *LAYER_COLUMNS[layer]]
        rounded = store.round_sql("u.area_mu", 2)
        sql = (f"SELECT u.fid, u.unit_id, u.project_type, u.mode, {rounded}, "
               f"{_geom_expr(store, 'p.geom')} FROM parcels p {join} "
               "JOIN lowuse_parcels lp ON lp.run_id = :lowuse_run AND lp.parcel_id = p.parcel_id "
               "JOIN lowuse_units u ON u.run_id = lp.run_id AND u.unit_id = lp.unit_id "
               f"WHERE {cond}")
    else:
        cols = ["fid", *LAYER_COLUMNS[layer]]
        body = _PLAIN[layer].format(join=join, box=cond)
        sql = body.replace(" p.geom AS g ", f" {_geom_expr(store, 'p.geom')} ")
    return _frame(store, sql, params, cols)


def features_in_box(store: Store, table: str, box: Box, columns: list[str]
                    ) -> gpd.GeoDataFrame:
    """``fid``, ``columns`` and geometry of the current rows of ``table`` whose index box
    meets ``box`` (store CRS)."""
    join, cond = _box_sql(store, table)
    sel = ", ".join(f"p.{c}" for c in ["fid", *columns])
    sql = f"SELECT {sel}, {_geom_expr(store, 'p.geom')} FROM {table} p {join} WHERE {cond}"
    return _frame(store, sql, _box_params(box), ["fid", *columns])


def features_by_fid(store: Store, table: str, fids: list[int], columns: list[str]
                    ) -> gpd.GeoDataFrame:
    """``fid``, ``columns`` and geometry of the rows of ``table`` with these fids."""
    sel = ", ".join(f"p.{c}" for c in ["fid", *columns])
    parts = []
    for i in range(0, len(fids), 500):
        chunk = [int(f) for f in fids[i:i + 500]]
        names = ", ".join(f":f{j}" for j in range(len(chunk)))
        sql = (f"SELECT {sel}, {_geom_expr(store, 'p.geom')} FROM {table} p "
               f"WHERE p.fid IN ({names}) ORDER BY p.fid")
        parts.append(_frame(store, sql, {f"f{j}": f for j, f in enumerate(chunk)},
                            ["fid", *columns]))
    if not parts:
        return _frame(store, f"SELECT {sel}, {_geom_expr(store, 'p.geom')} FROM {table} p "
                      "WHERE 1 = 0", {}, ["fid", *columns])
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=store.srid)


def table_bounds(store: Store, table: str) -> Box | None:
    """The bounding box of a spatial table's current rows (store CRS), None when empty."""
    sql = store.extent_sql(table)
    with store.engine.connect() as conn:
        row = conn.execute(sa.text(sql)).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


# ------------------------------------------------------------------ what the cache reads
def latest_runs(store: Store) -> tuple[str | None, str | None]:
    """(evaluation run, low-efficiency run) the grade layers show: of each, the newest run of
    the latest year (by ``created_at``, then insertion order)."""
    out: list[str | None] = []
    with store.engine.connect() as conn:
        for name in ("evaluation_runs", "lowuse_runs"):
            t = store.table(name)
            out.append(conn.execute(sa.select(t.c.run_id).order_by(
                t.c.year.desc(), t.c.created_at.desc(), t.c.fid.desc()).limit(1)).scalar())
    return out[0], out[1]


def parcel_attributes(store: Store, eval_run: str | None, lowuse_run: str | None
                      ) -> pd.DataFrame:
    """Every current parcel's run-derived tile attributes: parcel_id, grade, land_grade,
    lowuse (0/1), unit_id, project_type, mode, unit_area_mu (亩)."""
    sql = ("SELECT p.parcel_id, r.grade, pe.land_grade, "
           "CASE WHEN lp.parcel_id IS NULL THEN 0 ELSE 1 END, "
           "u.unit_id, u.project_type, u.mode, u.area_mu FROM parcels p "
           "LEFT JOIN evaluation_results r ON r.run_id = :eval_run "
           "AND r.credit_code = p.owner_credit_code "
           "LEFT JOIN parcel_evaluations pe ON pe.run_id = :eval_run "
           "AND pe.parcel_id = p.parcel_id "
           "LEFT JOIN lowuse_parcels lp ON lp.run_id = :lowuse_run AND lp.parcel_id = p.parcel_id "
           "LEFT JOIN lowuse_units u ON u.run_id = lp.run_id AND u.unit_id = lp.unit_id")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"eval_run": eval_run, "lowuse_run": lowuse_run}
                            ).all()
    cols = ["parcel_id", "grade", "land_grade", "lowuse", "unit_id", "project_type", "mode",
            "unit_area_mu"]
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def audit_after(store: Store, fid: int) -> pd.DataFrame:
    """Audit rows with ``fid > fid`` in fid order: fid, at, action, table_name, record_key.

    ``at`` is the entry's effective time (the version time the edit wrote, which
    :func:`changed_geometries` looks up), not the time the entry was written."""
    t = store.table("audit_log")
    with store.engine.connect() as conn:
        at = sa.func.coalesce(t.c.effective_at, t.c.at, type_=t.c.at.type)
        rows = conn.execute(sa.select(t.c.fid, at, t.c.action, t.c.table_name, t.c.record_key
                                      ).where(t.c.fid > fid).order_by(t.c.fid)).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["fid", "at", "action", "table_name", "record_key"])


def last_audit_fid(store: Store) -> int:
    t = store.table("audit_log")
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.fid), 0))
                                ).scalar_one())


def changed_geometries(store: Store, table: str, at: datetime,
                       keys: list[str] | None = None) -> np.ndarray:
    """The geometries an edit at ``at`` touched: current versions that became valid at
    ``at`` and closed versions that ended at ``at`` (optionally only these natural keys of
    a single-key table). Edits cannot be back-dated, so this is exactly the old and new
    geometry of every record the edit wrote."""
    cur, hist = store.table(table), store.table(history_name(table))
    key = ENTITIES[table].key[0]
    out: list[np.ndarray] = []
    with store.engine.connect() as conn:
        # the audit log keeps its times to the millisecond (store.audit.utc_ms); a version
        # time may carry microseconds (PostgreSQL), so match the millisecond it falls in
        end = at + timedelta(milliseconds=1)
        for t, cond in ((cur, cur.c.valid_from.between(at, end - timedelta(microseconds=1))),
                        (hist, hist.c.valid_to.between(at, end - timedelta(microseconds=1)))):
            q = sa.select(store._raw_geom(t)).where(cond)
            if keys is not None:
                q = q.where(t.c[key].in_(keys))
            raw = [r[0] for r in conn.execute(q).all()]
            out.append(_decode(store, raw))
    return np.concatenate(out) if out else np.empty(0, dtype=object)

