"""The building–parcel overlay and land attribution in PostGIS: the server-deployment path
of the figures :class:`indspace.services.land.StoreOverlay` computes with the engine
(:mod:`indspace.core.engines.land_figures`), same rules, in one SQL statement.

Rules (the engine's, shared/domain/land-rules.md A2):

1. pairs (building, parcel) whose boxes meet (``&&``, the GiST indexes);
2. a building covered by a parcel (``ST_Covers``) is whole on the first covering parcel in
   code-point order of ``parcel_id`` (the engine's first parcel row: parcels are read
   sorted by key);
3. any other building: ``ST_Area(ST_Intersection(…))`` with every parcel it meets; pieces
   of zero area are dropped;
4. a building without geometry whose ``parcel_id`` names a parcel: on that parcel whole,
   footprint 0, share 1 (the attribute fallback);
5. per piece: share = piece ÷ the building's footprint; floor area = ``gfa_m2`` × share,
   else piece × ``floors``; counted twice in FAR when ``height_m / floors`` >
   ``storey_limit_m`` (strictly); mean year built weighted by ``gfa_m2`` × share + 1e-9.

Results equal the engine's to rounding (the sums add the same pieces in another order, and
GEOS computes the intersections; the engine does two axis-aligned rectangles by
arithmetic): per parcel within 1e-6 (tests/store/test_postgis_overlay.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa

if TYPE_CHECKING:
    from indspace.store.store import Store

COLUMNS = (
    "parcel_id",
    "footprint_m2",
    "floor_area_m2",
    "far_floor_m2",
    "mean_year_built",
    "area_m2",
    "far",
)

OVERLAY_SQL = """
WITH pairs AS MATERIALIZED (
    SELECT b.building_id, p.parcel_id, ST_Covers(p.geom, b.geom) AS covered,
           ST_Area(b.geom) AS foot
    FROM {parcels} p JOIN {buildings} b ON b.geom && p.geom
), whole AS (
    SELECT DISTINCT ON (building_id) building_id, parcel_id, foot
    FROM pairs WHERE covered
    ORDER BY building_id, parcel_id COLLATE "C"
), rest AS MATERIALIZED (
    SELECT x.building_id, x.parcel_id, x.foot FROM pairs x
    WHERE NOT EXISTS (SELECT 1 FROM whole w WHERE w.building_id = x.building_id)
), pieces AS (
    SELECT building_id, parcel_id, foot AS clip, foot, false AS fallback FROM whole
    UNION ALL
    SELECT building_id, parcel_id, clip, foot, false FROM (
        SELECT r.building_id, r.parcel_id, ST_Area(ST_Intersection(p.geom, b.geom)) AS clip,
               r.foot
        FROM rest r
        JOIN {buildings} b USING (building_id)
        JOIN {parcels} p ON p.parcel_id = r.parcel_id
    ) c WHERE clip > 0
    UNION ALL
    SELECT b.building_id, b.parcel_id, 0.0, 0.0, true
    FROM {buildings} b JOIN {parcels} p ON p.parcel_id = b.parcel_id
    WHERE b.geom IS NULL OR ST_IsEmpty(b.geom)
), shares AS (
    SELECT x.parcel_id, x.clip, b.year_built::float8 AS year_built, b.gfa_m2,
           b.floors::float8 AS floors,
           CASE WHEN x.fallback THEN 1.0 WHEN x.foot > 0 THEN x.clip / x.foot ELSE 0.0 END
               AS share,
           coalesce(b.floors > 0 AND b.height_m / nullif(b.floors, 0) > :limit, false)
               AS doubled
    FROM pieces x JOIN {buildings} b USING (building_id)
), floors AS (
    SELECT parcel_id, clip, year_built, share, gfa_m2, doubled,
           coalesce(CASE WHEN gfa_m2 IS NOT NULL THEN gfa_m2 * share
                         ELSE clip * floors END, 0.0) AS fl
    FROM shares
), sums AS (
    SELECT parcel_id,
           sum(clip) AS footprint_m2,
           sum(fl) AS floor_area_m2,
           sum(CASE WHEN doubled THEN 2.0 * fl ELSE fl END) AS far_floor_m2,
           sum((coalesce(gfa_m2 * share, 0.0) + 1e-9) * year_built)
               FILTER (WHERE year_built IS NOT NULL)
             / sum(coalesce(gfa_m2 * share, 0.0) + 1e-9)
               FILTER (WHERE year_built IS NOT NULL) AS mean_year_built
    FROM floors GROUP BY parcel_id
)
SELECT s.parcel_id, s.footprint_m2, s.floor_area_m2, s.far_floor_m2, s.mean_year_built,
       ST_Area(p.geom) AS area_m2
FROM sums s JOIN {parcels} p USING (parcel_id)
ORDER BY s.parcel_id COLLATE "C"
"""
SETTINGS = {"jit": "off", "work_mem": "64MB"}
"""Session settings for the statement (``SET LOCAL``): the planner's estimates for the
spatial join are far too high, so JIT compilation (≈ 2.8 s on the city) would cost more
than it saves; the sorts of the pairs fit in memory instead of spilling to disk."""


def overlay_query(parcels: str = "parcels", buildings: str = "buildings") -> str:
    """:data:`OVERLAY_SQL` over the tables ``parcels`` (parcel_id, geom) and ``buildings``
    (building_id, parcel_id, floors, height_m, gfa_m2, year_built, geom); one bind
    parameter, ``:limit`` (the storey-height limit, m)."""
    return OVERLAY_SQL.format(parcels=parcels, buildings=buildings)


def overlay_figures(store: Store, limit_m: float) -> pd.DataFrame:
    """Per-parcel building figures of the store's current parcels and buildings, computed in
    the database: :data:`COLUMNS`, one row per parcel with a building, sorted by
    parcel_id (the frame of ``StoreOverlay.stats`` plus area_m2 and far)."""
    with store.engine.connect() as conn, conn.begin():
        for name, value in SETTINGS.items():
            conn.execute(sa.text(f"SET LOCAL {name} = '{value}'"))
        rows = conn.execute(sa.text(overlay_query()), {"limit": float(limit_m)}).all()
    frame = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    for c in COLUMNS[1:-1]:
        frame[c] = frame[c].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["far"] = np.where(
            frame["area_m2"] > 0, frame["far_floor_m2"] / frame["area_m2"], np.nan
        )
    frame["parcel_id"] = frame["parcel_id"].astype("string")
    return frame
