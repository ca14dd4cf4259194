"""Baseline A of ``land_far.py``: land figures per parcel as a GIS engineer writes them in
GeoPandas — read with pyogrio/Arrow, ``gpd.sjoin``, prepared parcels with ``covers`` as the
fast path, ``shapely.intersection`` for the rest, ``np.bincount`` per parcel.

Rules (issue #13): a building's floor area is its ``gfa_m2`` apportioned by footprint share,
else clipped footprint × floors; for FAR it counts twice when ``height_m / floors`` is
strictly above 8 m.

Run: ``python benchmarks/landfar_geopandas.py CITY.gpkg OUT.csv``
"""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

STOREY_LIMIT_M = 8.0


def land_far(path: str) -> pd.DataFrame:
    parcels = gpd.read_file(path, layer="parcels", columns=["parcel_id"], use_arrow=True)
    buildings = gpd.read_file(
        path, layer="buildings", columns=["floors", "height_m", "gfa_m2"], use_arrow=True
    )
    return figures(parcels, buildings)


def figures(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """The per-parcel table of ``parcels`` (parcel_id, geometry) and ``buildings`` (floors,
    height_m, gfa_m2, geometry), each with a default RangeIndex."""
    pairs = gpd.sjoin(buildings, parcels, how="inner", predicate="intersects")
    b = pairs.index.to_numpy()
    p = pairs["index_right"].to_numpy()

    pgeom = parcels.geometry.to_numpy()
    bgeom = buildings.geometry.to_numpy()
    shapely.prepare(pgeom)
    b_area = shapely.area(bgeom)
    clip = np.where(shapely.covers(pgeom[p], bgeom[b]), b_area[b], np.nan)
    rest = np.isnan(clip)
    clip[rest] = shapely.area(shapely.intersection(pgeom[p[rest]], bgeom[b[rest]]))

    floors = buildings["floors"].to_numpy(float)[b]
    gfa = buildings["gfa_m2"].to_numpy(float)[b]
    floor_area = np.where(np.isnan(gfa), clip * floors, gfa * clip / b_area[b])
    tall = buildings["height_m"].to_numpy(float)[b] / floors > STOREY_LIMIT_M
    far_floor = np.where(tall, 2 * floor_area, floor_area)

    n = len(parcels)
    area = parcels.geometry.area.to_numpy()
    footprint = np.bincount(p, weights=clip, minlength=n)
    far_floor_sum = np.bincount(p, weights=far_floor, minlength=n)
    return pd.DataFrame(
        {
            "parcel_id": parcels["parcel_id"],
            "area_m2": area,
            "footprint_m2": footprint,
            "floor_area_m2": np.bincount(p, weights=floor_area, minlength=n),
            "far_floor_m2": far_floor_sum,
            "far": far_floor_sum / area,
            "coverage": footprint / area,
            "n_buildings": np.bincount(p[clip > 0], minlength=n),
        }
    )


if __name__ == "__main__":
    land_far(sys.argv[1]).to_csv(sys.argv[2], index=False)
