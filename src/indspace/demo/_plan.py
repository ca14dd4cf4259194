"""Scale table and the per-district plan: every count the generator needs, fixed before any
random draw so that each district can be generated alone (and in any order) with the same
result (synthetic-data.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from indspace.demo.boundaries import ningbo_districts, zhejiang_districts

Scale = Literal["small", "city", "province"]
Region = Literal["ningbo", "zhejiang"]


@dataclass(frozen=True)
class ScaleSize:
    """Target sizes of one demo scale (counts are approximate for buildings)."""

    region: Region
    """Outlines used: the 10 Ningbo units or the 90 county-level units of Zhejiang."""
    enterprises: int
    parcels: int
    buildings: int
    strategic_parks: int
    """"2070" 战略产业园 (20 in Ningbo)."""
    community_parks: int
    """"2070" 优势产业社区 (70 in Ningbo)."""

    @property
    def factor(self) -> float:
        """Size relative to the ``small`` scale (2 500 parcels); scales anomaly counts."""
        return self.parcels / 2_500


SIZES: dict[str, ScaleSize] = {
    "small": ScaleSize("ningbo", 2_000, 2_500, 9_400, 20, 70),
    "city": ScaleSize("ningbo", 30_000, 40_000, 150_000, 20, 70),
    # 1.2 M parcels at the calibrated parcel sizes need ≈ 14 000 km² of industrial land,
    # more than Ningbo's whole 10 366 km², so the province scale uses Zhejiang's outlines.
    "province": ScaleSize("zhejiang", 600_000, 1_200_000, 5_000_000, 400, 1_400),
}
"""Demo sizes (the default is ``city``): one generator, these numbers are its only input."""

ABOVE_RATIO = 4.2
"""规下 : 规上 firm count (海曙 2024, synthetic-data §1)."""
LANDLESS_SHARE = 0.35
"""Share of 规下 firms that hold no land and only rent floor space (synthetic-data §3)."""
LARGE_SITE_SHARE = 0.005
"""Share of 规上 firms on a 300–2 000 亩 petrochemical site (synthetic-data §3)."""
OUTSIDE_LINE_SHARE = 0.15
"""Share of industrial land outside the control line (synthetic-data §2)."""
TENANT_HOST_SHARE = 0.15
"""Share of parcels hosting 1–5 tenants (synthetic-data §3)."""
TENANTS_PER_HOST = 3.0

NINGBO_LAND_SHARE: dict[str, float] = {
    "330282": 18, "330206": 15, "330281": 14, "330212": 13, "330211": 9,
    "330226": 8, "330213": 7, "330225": 6, "330203": 6, "330205": 4,
}
"""District share of industrial land, % (synthetic-data §2, illustrative)."""
OUTSIDE_LINE_WEIGHT: dict[str, float] = {"330281": 3.0, "330282": 3.0}
"""Outside-line land concentrates in 余姚 and 慈溪 village industrial parks (§2)."""
PETROCHEM_DISTRICTS: dict[str, tuple[str, ...]] = {
    "ningbo": ("330206", "330211"),
    # 北仑, 镇海 plus the other chemical bases of the province [I]
    "zhejiang": ("330206", "330211", "330114", "330424", "330482", "330604", "330902",
                 "330921", "331082"),
}

ANOMALIES_PER_SMALL: dict[str, int] = {
    "low_efficiency": 8,
    "low_efficiency_cluster": 3,
    "idle_land": 10,
    "outside_line_d": 4,
    "tax_gt_revenue": 2,
    "negative_employees": 2,
    "far_gt_20": 2,
    "area_mismatch": 2,
    "wrong_parcel_code": 6,
}
"""Planted anomalies at the ``small`` scale, multiplied by :attr:`ScaleSize.factor`."""


@dataclass(frozen=True)
class DistrictPlan:
    """Counts for one district (all fixed before generation)."""

    code: str
    name: str
    enterprises: int
    above: int
    landless: int
    parcels: int
    buildings: int
    strategic: int
    community: int
    large_sites: int
    outside_share: float
    petrochem: bool
    tenant_hosts: int
    tenant_rows: int
    occupancy_offset: int
    anomalies: dict[str, int]


@dataclass(frozen=True)
class CityPlan:
    scale: str
    size: ScaleSize
    districts: gpd.GeoDataFrame
    plans: tuple[DistrictPlan, ...]
    occupancy_digits: int


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total by weights (largest remainder, ties by position)."""
    w = np.asarray(weights, dtype="float64")
    raw = total * w / w.sum()
    base = np.floor(raw).astype("int64")
    rem = int(total - base.sum())
    order = np.lexsort((np.arange(len(w)), -(raw - base)))
    base[order[:rem]] += 1
    return base


def capacity_km2(districts: gpd.GeoDataFrame, cell_m: float = 1000.0) -> np.ndarray:
    """Number of whole ``cell_m`` squares inside each district: a proxy for land where
    compact industrial parks fit (islands and slivers count little)."""
    out = np.zeros(len(districts))
    for i, geom in enumerate(districts.geometry.to_numpy()):
        x0, y0, x1, y1 = shapely.bounds(geom)
        xs = np.arange(x0, x1, cell_m)
        ys = np.arange(y0, y1, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
        shapely.prepare(geom)
        out[i] = shapely.contains(geom, cells).sum()
    return out


def make_plan(scale: str) -> CityPlan:
    """All per-district counts for a scale (see :data:`SIZES`)."""
    if scale not in SIZES:
        raise ValueError(f"unknown demo scale {scale!r}; expected one of {', '.join(SIZES)}")
    size = SIZES[scale]
    districts = ningbo_districts() if size.region == "ningbo" else zhejiang_districts()
    codes = districts["admin_code"].to_numpy().astype(str)
    if size.region == "ningbo":
        share = np.array([NINGBO_LAND_SHARE[c] for c in codes], dtype="float64")
    else:
        share = capacity_km2(districts)
    share = share / share.sum()
    n = len(codes)
    ent = apportion(size.enterprises, share)
    par = apportion(size.parcels, share)
    bld = apportion(size.buildings, share)
    above = np.round(ent / (1 + ABOVE_RATIO)).astype("int64")
    below = ent - above
    landless = np.round(LANDLESS_SHARE * below).astype("int64")
    par = np.maximum(par, ent - landless)
    petro = np.isin(codes, PETROCHEM_DISTRICTS[size.region])
    n_large = round(LARGE_SITE_SHARE * int(above.sum()))
    large = np.zeros(n, dtype="int64")
    large[petro] = apportion(n_large, share[petro])
    large = np.minimum(large, above)
    strategic = apportion(size.strategic_parks, share)
    community = apportion(size.community_parks, share)
    strategic[petro & (large > 0) & (strategic == 0)] = 1
    community[(strategic + community) == 0] = 1
    ow = np.array([OUTSIDE_LINE_WEIGHT.get(c, 1.0) for c in codes])
    outside = np.minimum(OUTSIDE_LINE_SHARE / float((share * ow).sum()) * ow, 0.5)
    kinds = {k: apportion(max(1, round(v * size.factor)), par)
             for k, v in ANOMALIES_PER_SMALL.items()}
    hosts = np.round(TENANT_HOST_SHARE * par).astype("int64")
    rows = np.maximum(np.round(TENANTS_PER_HOST * hosts).astype("int64"), landless)
    hosts = np.maximum(hosts, -(-rows // 5))
    reserved = sum(kinds[k] for k in ("low_efficiency", "idle_land", "outside_line_d",
                                      "far_gt_20", "area_mismatch"))
    reserved = reserved + 8 * kinds["low_efficiency_cluster"] + large
    if np.any(hosts > par - reserved):
        bad = codes[np.flatnonzero(hosts > par - reserved)[0]]
        raise ValueError(f"district {bad} is too small for its tenants at scale {scale!r}")
    occ = par + rows
    offsets = np.concatenate([[0], np.cumsum(occ)[:-1]])
    plans = tuple(
        DistrictPlan(
            code=codes[i], name=str(districts["name"].iloc[i]), enterprises=int(ent[i]),
            above=int(above[i]), landless=int(landless[i]), parcels=int(par[i]),
            buildings=int(bld[i]), strategic=int(strategic[i]), community=int(community[i]),
            large_sites=int(large[i]), outside_share=float(outside[i]), petrochem=bool(petro[i]),
            tenant_hosts=int(hosts[i]), tenant_rows=int(rows[i]),
            occupancy_offset=int(offsets[i]),
            anomalies={k: int(v[i]) for k, v in kinds.items()})
        for i in range(n))
    digits = max(6, len(str(int(occ.sum()))))
    return CityPlan(scale, size, districts, plans, digits)

