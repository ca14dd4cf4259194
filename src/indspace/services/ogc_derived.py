"""Derived OGC collections (issue #8): the results of the latest runs as features, behind
login — ``parcel_grades`` (each parcel with its owner's 亩均 grade, its 地企双评 land grade
and the low-efficiency flag) and ``lowuse_units`` (redevelopment units outlined by the union
of their parcels, with project type and recommended mode).

They read the same queries as the map tiles (``store/tiles.py``), so a parcel's grade is the
same on the map, in QGIS and in the API. A district officer sees its district's features, an
enterprise user its own parcels (scope as for the tiles). Small enough to filter and page in
memory: one row per parcel or unit of a city.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indspace.store import Store
from indspace.store import tiles as tile_rows

DERIVED: dict[str, tuple[str, str, str]] = {
    "parcel_grades": ("宗地评价等级（最新批次）", "Parcel grades (latest runs)", "parcel_id"),
    "lowuse_units": ("低效用地连片改造单元（最新批次）",
                     "Low-efficiency redevelopment units (latest run)", "unit_id"),
}
"""collection id → (title zh, title en, feature id column)."""


def derived_frame(store: Store, collection_id: str, scope: tuple[str, str] | None
                  ) -> gpd.GeoDataFrame:
    """All features of a derived collection (store CRS), sorted by their id, ``fid``
    dropped."""
    box = tile_rows.table_bounds(store, "parcels")
    key = DERIVED[collection_id][2]
    eval_run, lowuse_run = tile_rows.latest_runs(store)
    if box is None:
        feats = gpd.GeoDataFrame({key: []}, geometry=[], crs=store.srid)
    else:
        feats = tile_rows.layer_features(store, collection_id, box, eval_run=eval_run,
                                         lowuse_run=lowuse_run, scope=scope)
    if collection_id == "lowuse_units" and len(feats):
        feats = feats.dissolve(by="fid", as_index=False, sort=True)
    feats = feats.drop(columns=["fid"], errors="ignore")
    return feats.sort_values(key, kind="stable", ignore_index=True)


def filter_frame(frame: gpd.GeoDataFrame, params: dict[str, str], reserved: set[str],
                 box: shapely.Geometry | None) -> gpd.GeoDataFrame:
    """Equality filters on the derived columns (compared as text) and an optional bbox
    (store CRS); an unknown parameter is returned as the error's subject by the caller."""
    mask = np.ones(len(frame), dtype=bool)
    for name, raw in params.items():
        if name in reserved:
            continue
        col = frame[name]
        mask &= col.astype("string").fillna("").eq(raw).to_numpy(dtype=bool)
    if box is not None and len(frame):
        mask &= shapely.intersects(np.asarray(frame.geometry.values, dtype=object), box)
    return frame[mask]


def unknown_params(frame: pd.DataFrame, params: dict[str, str], reserved: set[str]
                   ) -> list[str]:
    cols = set(frame.columns) - {"geometry"}
    return [p for p in params if p not in reserved and p not in cols]


def describe(collection_id: str) -> dict[str, Any]:
    zh, en, key = DERIVED[collection_id]
    return {"title": f"{zh} / {en}",
            "description": f"{zh}（{collection_id}），要素编号为 {key}；需登录 / login required"}
