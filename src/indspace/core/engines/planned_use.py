"""The planned use of each redevelopment unit, by geometry overlay (issue #14).

A unit's planned use is the use of the plan zone (规划用途分区, import kind ``plans``) that
covers the majority of the unit's land, among the zones in force on the method date: for
each ``zone_id`` its latest approval on or before that day (a zone approved after it does
not exist yet). When that use is not industrial, the plan allows the unit to change use, and
:func:`indspace.core.engines.redevelop.classify_projects` makes it 更新转型
(``renewal_transformation``; land-rules G1: land leaves industry only through a 国土空间规划
change).

Every number is profile data (``planned_use_rules``): which land-use codes count as
industrial (prefixes) and the share of the unit a zone must cover (strictly more than).

Input and output columns
------------------------
``planned_use_by_unit(parcels, zones, on, rules)``
    parcels: unit_id, geometry (the unit's parcels, projected CRS in metres; parcels do not
    overlap, so the unit's area is the sum of theirs). zones: zone_id, planned_use,
    approved (date), geometry (same CRS), optional document.
    Returns one row per unit (sorted by unit_id): unit_id, plan_zone_id, planned_use,
    plan_approved, plan_document, plan_share (0–1, the share of the unit's area inside that
    zone), plan_industrial (bool), plan_allows_conversion (bool). A unit without a zone
    covering more than ``min_share`` has null zone fields, plan_share the largest share
    found (0 when none) and plan_allows_conversion False.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indspace.core.errors import PolicyError

OUT_COLUMNS = (
    "unit_id",
    "plan_zone_id",
    "planned_use",
    "plan_approved",
    "plan_document",
    "plan_share",
    "plan_industrial",
    "plan_allows_conversion",
)


@dataclass(frozen=True)
class PlannedUseRules:
    """``planned_use_rules`` of the profile: ``industrial_use_prefixes`` (land-use codes
    starting with one of them are industrial: 1001 工业用地, 1101 物流仓储用地, GB 50137 M/W)
    and ``min_share`` (a zone decides a unit's planned use when it covers strictly more than
    this share of the unit's area)."""

    industrial_use_prefixes: tuple[str, ...]
    min_share: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_share < 1.0:
            raise PolicyError(
                f"min_share 须在 [0, 1) 内：{self.min_share}",
                f"min_share must lie in [0, 1): {self.min_share}",
                where="planned_use_rules.min_share",
            )

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> PlannedUseRules:
        known = {"industrial_use_prefixes", "min_share"}
        unknown = sorted(set(values) - known)
        missing = sorted(known - set(values))
        if unknown or missing:
            raise PolicyError(
                f"planned_use_rules 参数有误：未知 {', '.join(unknown) or '无'}，"
                f"缺少 {', '.join(missing) or '无'}",
                f"planned_use_rules: unknown {', '.join(unknown) or 'none'}, missing "
                f"{', '.join(missing) or 'none'}",
                where="planned_use_rules",
            )
        return cls(
            tuple(str(p) for p in values["industrial_use_prefixes"]), float(values["min_share"])
        )


def zones_in_force(zones: pd.DataFrame, on: date) -> pd.DataFrame:
    """For each zone_id its latest approval on or before ``on`` (later ones are dropped).

    >>> z = pd.DataFrame({"zone_id": ["Z1", "Z1", "Z2"], "planned_use": ["1001", "0701", "09"],
    ...                   "approved": [date(2020, 1, 1), date(2025, 6, 1), date(2026, 1, 1)]})
    >>> zones_in_force(z, date(2025, 12, 31))[["zone_id", "planned_use"]].to_dict("records")
    [{'zone_id': 'Z1', 'planned_use': '0701'}]
    >>> zones_in_force(z, date(2024, 12, 31))["planned_use"].tolist()
    ['1001']
    """
    approved = pd.to_datetime(zones["approved"]).dt.date
    current = zones[(approved <= on).to_numpy(dtype=bool)]
    current = current.assign(_approved=pd.to_datetime(current["approved"]))
    current = current.sort_values(["zone_id", "_approved"]).drop_duplicates("zone_id", keep="last")
    return current.drop(columns="_approved").reset_index(drop=True)


def is_industrial(uses: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray:
    """Whether each land-use code starts with one of ``prefixes`` (null → False)."""
    if not prefixes:
        return np.zeros(len(uses), dtype=bool)
    text = uses.fillna("").astype(str).str.strip().str.upper()
    return text.str.startswith(tuple(p.upper() for p in prefixes)).to_numpy(dtype=bool)


def planned_use_by_unit(
    parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, on: date, rules: PlannedUseRules
) -> pd.DataFrame:
    """Each unit's planned use by majority overlay (see the module doc)."""
    units = np.sort(pd.unique(parcels["unit_id"].to_numpy(dtype=object)))
    out = pd.DataFrame({"unit_id": pd.Series(units, dtype=object)})
    geoms = parcels.geometry.to_numpy()
    unit_area = (
        pd.Series(shapely.area(geoms), index=parcels["unit_id"].to_numpy()).groupby(level=0).sum()
    )
    live = zones_in_force(zones, on) if len(zones) else zones
    best = pd.DataFrame(columns=["unit_id", "zone_id", "share"])
    if len(live) and len(parcels):
        zgeom = live.geometry.to_numpy()
        tree = shapely.STRtree(zgeom)
        p_idx, z_idx = tree.query(geoms, predicate="intersects")
        inter = shapely.area(shapely.intersection(geoms[p_idx], zgeom[z_idx]))
        pairs = pd.DataFrame(
            {
                "unit_id": parcels["unit_id"].to_numpy(dtype=object)[p_idx],
                "zone_id": live["zone_id"].to_numpy(dtype=object)[z_idx],
                "area": inter,
            }
        )
        cover = pairs.groupby(["unit_id", "zone_id"], as_index=False)["area"].sum()
        cover["share"] = cover["area"] / cover["unit_id"].map(unit_area).to_numpy()
        # the largest share wins; equal shares go to the smaller zone_id (deterministic)
        best = cover.sort_values(
            ["unit_id", "share", "zone_id"], ascending=[True, False, True]
        ).drop_duplicates("unit_id")
    best = best.set_index("unit_id")
    share = out["unit_id"].map(best["share"]).astype("float64").fillna(0.0).to_numpy()
    decided = share > rules.min_share
    zone = out["unit_id"].map(best["zone_id"]).to_numpy(dtype=object)
    zone = np.where(decided, zone, None)
    attrs = (
        live.set_index("zone_id")
        if len(live)
        else pd.DataFrame(columns=["planned_use", "approved", "document"])
    )
    zs = pd.Series(zone, dtype=object)

    def attr(name: str) -> np.ndarray:
        if name not in attrs:
            return np.full(len(out), None, dtype=object)
        vals = np.array(zs.map(attrs[name]).to_numpy(dtype=object), dtype=object)
        vals[~decided] = None
        return vals

    use = attr("planned_use")
    industrial = decided & is_industrial(
        pd.Series(use, dtype=object), rules.industrial_use_prefixes
    )
    out["plan_zone_id"] = zone
    out["planned_use"] = use
    out["plan_approved"] = attr("approved")
    out["plan_document"] = attr("document")
    out["plan_share"] = share
    out["plan_industrial"] = industrial
    out["plan_allows_conversion"] = decided & ~industrial
    return out
