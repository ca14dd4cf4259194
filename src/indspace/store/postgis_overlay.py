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

COLUMNS = ("parcel_id", "footprint_m2", "floor_area_m2", "far_floor_m2", "mean_year_built",
           "area_m2", "far")

OVERLAY_SQL = """
WITH b AS (
    SELECT building_id, parcel_id AS attr, floors::float8 AS floors, height_m, gfa_m2,
           year_built::float8 AS year_built, geom, coalesce(ST_Area(geom), 0) AS foot
    FROM {buildings}
), pairs AS MATERIALIZED (
    SELECT b.building_id, p.parcel_id, ST_Covers(p.geom, b.geom) AS covered
    FROM b JOIN {parcels} p ON p.geom && b.geom
), whole AS (
    SELECT DISTINCT ON (building_id) building_id, parcel_id
    FROM pairs WHERE covered
    ORDER BY building_id, parcel_id COLLATE "C"
), cut AS (
    SELECT x.building_id, x.parcel_id, ST_Area(ST_Intersection(p.geom, b.geom)) AS clip
    FROM pairs x
    JOIN b USING (building_id)
    JOIN {parcels} p ON p.parcel_id = x.parcel_id
    WHERE NOT EXISTS (SELECT 1 FROM whole w WHERE w.building_id = x.building_id)
), pieces AS (
    SELECT w.building_id, w.parcel_id, b.foot AS clip, false AS fallback
    FROM whole w JOIN b USING (building_id)
    UNION ALL
    SELECT building_id, parcel_id, clip, false FROM cut WHERE clip > 0
    UNION ALL
    SELECT b.building_id, b.attr, 0.0, true
    FROM b JOIN {parcels} p ON p.parcel_id = b.attr
    WHERE b.geom IS NULL OR ST_IsEmpty(b.geom)
), figures AS (
    SELECT x.parcel_id, x.clip, b.year_built,
           CASE WHEN x.fallback THEN 1.0 WHEN b.foot > 0 THEN x.clip / b.foot ELSE 0.0 END
               AS share,
           b.gfa_m2, b.floors,
           coalesce(b.floors > 0 AND b.height_m / nullif(b.floors, 0) > :limit, false)
               AS doubled
    FROM pieces x JOIN b USING (building_id)
), floors AS (
    SELECT parcel_id, clip, year_built, share, gfa_m2, doubled,
           coalesce(CASE WHEN gfa_m2 IS NOT NULL THEN gfa_m2 * share
                         ELSE clip * floors END, 0.0) AS fl
    FROM figures
)
SELECT f.parcel_id,
       sum(f.clip) AS footprint_m2,
       sum(f.fl) AS floor_area_m2,
       sum(CASE WHEN f.doubled THEN 2.0 * f.fl ELSE f.fl END) AS far_floor_m2,
       sum((coalesce(f.gfa_m2 * f.share, 0.0) + 1e-9) * f.year_built)
           FILTER (WHERE f.year_built IS NOT NULL)
         / sum(coalesce(f.gfa_m2 * f.share, 0.0) + 1e-9)
           FILTER (WHERE f.year_built IS NOT NULL) AS mean_year_built,
       ST_Area(p.geom) AS area_m2
FROM floors f JOIN {parcels} p USING (parcel_id)
GROUP BY f.parcel_id, p.geom
ORDER BY f.parcel_id COLLATE "C"
"""


def overlay_query(parcels: str = "parcels", buildings: str = "buildings") -> str:
    """:data:`OVERLAY_SQL` over the tables ``parcels`` (parcel_id, geom) and ``buildings``
    (building_id, parcel_id, floors, height_m, gfa_m2, year_built, geom); one bind
    parameter, ``:limit`` (the storey-height limit, m)."""
    return OVERLAY_SQL.format(parcels=parcels, buildings=buildings)


def overlay_figures(store: Store, limit_m: float) -> pd.DataFrame:
    """Per-parcel building figures of the store's current parcels and buildings, computed in
    the database: :data:`COLUMNS`, one row per parcel with a building, sorted by
    parcel_id (the frame of ``StoreOverlay.stats`` plus area_m2 and far)."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(overlay_query()), {"limit": float(limit_m)}).all()
    frame = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    for c in COLUMNS[1:-1]:
        frame[c] = frame[c].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["far"] = np.where(frame["area_m2"] > 0,
                                frame["far_floor_m2"] / frame["area_m2"], np.nan)
    frame["parcel_id"] = frame["parcel_id"].astype("string")
    return frame
