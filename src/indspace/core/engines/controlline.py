"""工业区块控制线 overlay: is each parcel inside, outside or partly inside the line?

Rules (shared/domain/land-rules.md §G): new industrial land only inside the line (G3); land
leaving the line must be replaced (G1). The overlay is the base of both.

Method (vectorised, one spatial index):

1. An STRtree over the line blocks; every (parcel, block) pair whose geometries intersect.
2. Pairs where the block covers the parcel (prepared block, ``shapely.covers``) are inside
   without computing an intersection — most parcels.
3. For the rest, the intersection area with the union of the parcel's blocks (blocks of one
   line should not overlap, but a union keeps a doubly covered strip from counting twice).
4. Boundary noise: a parcel whose outside part (or inside part) is no larger than a band of
   ``tolerance_m`` along its boundary (tolerance × perimeter, m²) counts as wholly inside (or
   outside); ``inside_share`` is then snapped to 1 (or 0). Digitising noise of a few
   decimetres along a shared edge must not turn parcels into "partial".

Multipolygons are handled as they are (areas of all parts; a part outside the line makes the
parcel partial).

Inputs: ``parcels`` GeoDataFrame (parcel_id, geometry, optional district), ``lines``
GeoDataFrame (block_id, geometry, optional park_id), both in the same projected CRS (metres).
Output (:data:`COLUMNS`): parcel_id, district, area_m2, inside_m2, inside_share (0–1),
status (inside|outside|partial), block_id (the block holding most of the parcel), park_id.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

COLUMNS = ("parcel_id", "district", "area_m2", "inside_m2", "inside_share", "status",
           "block_id", "park_id")
STATUS_LABELS = {"inside": "线内", "outside": "线外", "partial": "部分在线内"}


def overlay(parcels: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *,
            tolerance_m: float) -> pd.DataFrame:
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    blocks = np.asarray(lines.geometry.values, dtype=object)
    n = len(geoms)
    area = shapely.area(geoms)
    inside = np.zeros(n)
    best_block = np.full(n, -1, dtype=np.int64)
    if n and len(blocks):
        tree = shapely.STRtree(blocks)
        p_idx, b_idx = tree.query(geoms, predicate="intersects")
        shapely.prepare(blocks)
        covered = shapely.covers(blocks[b_idx], geoms[p_idx])
        full = np.unique(p_idx[covered])
        inside[full] = area[full]
        first_cover, at = np.unique(p_idx[covered], return_index=True)
        best_block[first_cover] = b_idx[covered][at]              # first covering block
        rest = ~np.isin(p_idx, full)
        p_rest, b_rest = p_idx[rest], b_idx[rest]
        if len(p_rest):
            piece = shapely.area(shapely.intersection(geoms[p_rest], blocks[b_rest]))
            # the block holding most of each partly covered parcel
            order = np.lexsort((-piece, p_rest))
            first = np.r_[True, p_rest[order][1:] != p_rest[order][:-1]]
            best_block[p_rest[order][first]] = b_rest[order][first]
            multi = np.bincount(p_rest, minlength=n) > 1
            single = ~multi[p_rest]
            inside[p_rest[single]] = piece[single]
            for i in np.flatnonzero(multi):        # several blocks: intersect with their union
                union = shapely.union_all(blocks[b_rest[p_rest == i]])
                inside[i] = shapely.area(shapely.intersection(geoms[i], union))
    inside = np.minimum(inside, area)
    band = tolerance_m * shapely.length(geoms)
    outside_m2 = area - inside
    status = np.where(outside_m2 <= band, "inside",
                      np.where(inside <= band, "outside", "partial"))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area > 0, inside / area, 0.0)
    share = np.where(status == "inside", 1.0, np.where(status == "outside", 0.0, share))
    none = np.full(n, None, dtype=object)
    block_ids = np.asarray(lines["block_id"], dtype=object)
    park = (np.asarray(lines["park_id"], dtype=object) if "park_id" in lines.columns
            else np.full(len(lines), None, dtype=object))
    has_block = (best_block >= 0) & (status != "outside")
    take = np.maximum(best_block, 0)
    block_of = block_ids[take] if len(block_ids) else none
    park_of = park[take] if len(park) else none
    return pd.DataFrame({
        "parcel_id": np.asarray(parcels["parcel_id"], dtype=object),
        "district": (np.asarray(parcels["district"], dtype=object) if "district" in parcels
                     else np.full(n, None, dtype=object)),
        "area_m2": area, "inside_m2": np.where(status == "outside", 0.0, inside),
        "inside_share": share, "status": status,
        "block_id": np.where(has_block, block_of, none),
        "park_id": np.where(has_block, park_of, none),
    })[list(COLUMNS)]


def summarise(result: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per ``by`` (district or park_id): parcels and land (m², 亩) inside, partial, outside,
    and the share of land inside the line."""
    frame = result.assign(key=result[by].fillna("—"))
    counts = pd.crosstab(frame["key"], frame["status"]).reindex(
        columns=["inside", "partial", "outside"], fill_value=0)
    land = frame.groupby("key").agg(area_m2=("area_m2", "sum"), inside_m2=("inside_m2", "sum"))
    out = counts.add_prefix("n_").join(land)
    out["area_mu"] = out["area_m2"] * 3 / 2000
    out["inside_mu"] = out["inside_m2"] * 3 / 2000
    out["inside_land_share"] = out["inside_m2"] / out["area_m2"].where(out["area_m2"] > 0)
    out.index.name = by
    return out.reset_index()
