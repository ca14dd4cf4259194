"""Deterministic synthetic Ningbo-like demo city (shared/domain/synthetic-data.md).

:func:`build_city` returns a :class:`DemoCity`: one frame per stored entity
(:data:`indspace.core.model.entities.ENTITIES`) plus the list of planted anomalies that later
features must find. Everything is generated district by district from child generators of
``numpy.random.SeedSequence(seed)`` keyed by (district code, component), so a district's
records do not depend on which other districts are generated, and the same scale, seed and
``as_of`` always give identical frames. :func:`iter_city_parts` yields the districts one at a
time (the province scale in bounded memory).

What is generated (section numbers refer to synthetic-data.md):

* firms — 规上 : 规下 = 1 : 4.2 (§1), 35 % of 规下 land-less tenants (§3), GB/T 4754 classes
  13–43, "361" 2025 chain tags, USCCs per §7 (valid, unique);
* parcels — areas, supply eras 35/55/10 % (§3), control line covering 85 % of the land in
  "2070" parks (§2), rectangles on block grids (§7), ZDDM ids ``330212001001GB00001``;
* buildings — inner rectangles meeting the era's FAR and coefficient (§3); a third carry no
  parcel code and a few a wrong one (the next parcel's), so the parcel comes from the
  geometry (issue #13);
* occupancy — owners plus tenants on 15 % of parcels (§3);
* indicators — 5 years per firm (§4), low tax correlated with old supply eras;
* anomalies — planted low-efficiency parcels and touching clusters, idle land, D-like
  outside-line owners and bad records (§6), listed in :attr:`DemoCity.anomalies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indspace.core.model.entities import ENTITIES, RIGHT_TYPES, Entity
from indspace.demo import _vocab as V
from indspace.demo._attrs import (
    building_counts,
    days,
    founding_dates,
    land_use_codes,
    rights,
    supply_eras,
    tenancies,
    year_of,
)
from indspace.demo._buildings import ERA_2021, ERA_PRE2005, draw_far, make_buildings
from indspace.demo._contracts import make_contracts
from indspace.demo._demands import make_demands
from indspace.demo._economy import ERA_TAX_FACTOR, FirmInputs, indicators, poor_far
from indspace.demo._firms import chains, credit_codes, firm_names, industries
from indspace.demo._land import layout_district, make_parcels
from indspace.demo._plan import SIZES, CityPlan, DistrictPlan, Scale, make_plan
from indspace.demo._transactions import make_transactions
from indspace.demo.boundaries import PROJECT_CRS

__all__ = ["ANOMALY_COLUMNS", "DEFAULT_AS_OF", "DEFAULT_SEED", "SIZES", "DemoCity",
           "build_city", "concat_parts", "iter_city_parts"]

DEFAULT_SEED = 20250429
"""The seed article's date (宁波日报 2025-04-29)."""
DEFAULT_AS_OF = date(2025, 12, 31)
ANOMALY_COLUMNS = ("kind", "table_name", "record_key", "detail")
EARLIEST_AS_OF = date(2023, 1, 1)
"""Idle land needs grants from 2021 at least two years old."""

_FIRMS, _PARCELS, _LAYOUT, _ATTRS, _PLANT, _BUILD, _OCC, _ECON, _NAMES, _LINES, _DESIG, \
    _PLANS, _CODES, _CONTRACTS, _DEMANDS, _MARKET = range(16)
# 企业资质认定 among above-scale firms: share holding each, certificates of 3 years [demo]
_DESIGNATION_SHARES = (("high_tech_enterprise", 0.12), ("specialised_sme", 0.05),
                       ("little_giant", 0.01))
# 规划用途分区 over planted low-efficiency clusters: per district up to this many zones, each
# the cluster's bounding box, with these uses in turn: 0701 城镇住宅用地 and 0901 商业用地
# (re-planned away from industry → 更新转型) and 1001 工业用地 (kept industrial) [demo]
_PLAN_ZONES_PER_DISTRICT = 3
_PLAN_USES = ("0701", "0901", "1001")
NO_PARCEL_CODE_SHARE = 1 / 3
"""Share of demo buildings shipped without a parcel code, as survey layers come (issue #13):
the parcel comes from the geometry."""


@dataclass
class DemoCity:
    """One frame per stored entity (``ENTITIES`` order) plus the planted anomalies.

    Every frame has exactly its entity's columns (spatial ones also ``geometry``: MultiPolygon,
    EPSG:4549), is sorted by the entity key and has a RangeIndex. ``anomalies`` has the
    columns ``kind, table_name, record_key, detail``; ``record_key`` is the record's key
    (``credit_code|year`` for indicators, parcel ids joined by ``;`` for a cluster).
    """

    districts: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    control_lines: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    occupancy: pd.DataFrame
    indicators: pd.DataFrame
    designations: pd.DataFrame
    plan_zones: gpd.GeoDataFrame
    contracts: pd.DataFrame
    contract_events: pd.DataFrame
    demands: pd.DataFrame
    transactions: pd.DataFrame
    anomalies: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The entity frames by table name, in load order (anomalies excluded)."""
        return {name: getattr(self, name) for name in ENTITIES}


def _rng(seed: int, code: str, component: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(code), component)))


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(values).astype("int64").astype(str), width)


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.strings.add(out, np.asarray(p).astype(str))
    return out


def _multi(bounds_m: np.ndarray) -> np.ndarray:
    """Axis-aligned rectangles (n, 4) in metres as single-part MultiPolygons."""
    if len(bounds_m) == 0:
        return np.empty(0, dtype=object)
    polys = shapely.box(bounds_m[:, 0], bounds_m[:, 1], bounds_m[:, 2], bounds_m[:, 3])
    return shapely.multipolygons(polys, indices=np.arange(len(polys)))


def _frame(entity: Entity, data: dict[str, object], geometry: np.ndarray | None = None
           ) -> pd.DataFrame:
    """Frame with exactly the entity's columns in contract dtypes, sorted by key."""
    cols: dict[str, object] = {}
    for f in entity.fields:
        v = data[f.name]
        if f.dtype == "text":
            cols[f.name] = pd.array(np.asarray(v, dtype=object), dtype="str")
        elif f.dtype == "date":
            cols[f.name] = np.asarray(v, dtype="datetime64[D]").astype(object)
        elif f.dtype == "int":
            vals = list(v)  # type: ignore[call-overload]
            cols[f.name] = (pd.array(vals, dtype="Int64") if any(x is None for x in vals)
                            else np.asarray(vals, dtype="int64"))
        elif f.dtype == "float":
            cols[f.name] = np.asarray(v, dtype="float64")
        elif f.dtype == "decimal":                     # exact money: Decimal or None
            cols[f.name] = pd.Series(list(v), dtype=object)  # type: ignore[call-overload]
        else:
            cols[f.name] = np.asarray(v, dtype=bool)
    frame: pd.DataFrame
    if entity.geometry is not None:
        frame = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(geometry, crs=PROJECT_CRS))
    else:
        frame = pd.DataFrame(cols)
    return frame.sort_values(list(entity.key), ignore_index=True)


def _anomalies(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    a = np.array(rows, dtype=object).reshape(-1, 4)
    frame = pd.DataFrame({c: pd.array(a[:, i], dtype="str")
                          for i, c in enumerate(ANOMALY_COLUMNS)})
    return frame.sort_values(["kind", "table_name", "record_key"], ignore_index=True)


def _district(plan: CityPlan, i: int, seed: int, as_of: date) -> DemoCity:
    """Generate every table for district ``plan.plans[i]``."""
    dp: DistrictPlan = plan.plans[i]
    code = dp.code
    drow = plan.districts.iloc[[i]].reset_index(drop=True)
    region = drow.geometry.iloc[0]
    asof = np.datetime64(as_of, "D")

    # firms --------------------------------------------------------------------------------
    rng = _rng(seed, code, _FIRMS)
    n = dp.enterprises
    above = np.zeros(n, dtype=bool)
    above[: dp.above] = True
    landless = np.zeros(n, dtype=bool)
    landless[dp.above: dp.above + dp.landless] = True
    large_firm = np.zeros(n, dtype=bool)
    large_firm[: dp.large_sites] = True
    industry = industries(n, dp.petrochem, large_firm, rng)
    codes = credit_codes(code, n, rng)
    chain = chains(industry, rng)

    # parcels and layout ------------------------------------------------------------------
    owner, area_target, large = make_parcels(dp, above, landless, large_firm,
                                             _rng(seed, code, _PARCELS))
    land = layout_district(dp, region, owner, area_target, large, ~above[owner],
                           _rng(seed, code, _LAYOUT))
    p = len(owner)
    bcm = land.bounds_cm
    bounds = bcm / 100.0
    area = ((bcm[:, 2] - bcm[:, 0]) * (bcm[:, 3] - bcm[:, 1])) / 1e4   # exact m²
    outside = land.outside

    # supply era, planted parcels, rights -------------------------------------------------
    rng = _rng(seed, code, _ATTRS)
    era = supply_eras(land, rng)
    prng = _rng(seed, code, _PLANT)
    used = large.copy()
    cluster_members = (np.concatenate(land.clusters) if land.clusters
                       else np.zeros(0, dtype="int64"))
    used[cluster_members] = True

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        cand = np.flatnonzero(mask & ~used)
        sel = np.sort(prng.choice(cand, size=min(k, len(cand)), replace=False))
        used[sel] = True
        return sel

    everywhere = np.ones(p, dtype=bool)
    # land-use anomalies go on parcels the default tests examine (≥ 3 亩 = 2 000 m², C5)
    testable = area >= 2000.0
    idle = pick(testable, dp.anomalies["idle_land"])
    lowe = pick(testable, dp.anomalies["low_efficiency"])
    outd = pick(outside & testable, dp.anomalies["outside_line_d"])
    far20 = pick(everywhere, dp.anomalies["far_gt_20"])
    mismatch = pick(everywhere, dp.anomalies["area_mismatch"])
    low_parcels = np.concatenate([lowe, cluster_members])
    era[low_parcels] = ERA_PRE2005
    era[idle] = ERA_2021
    start, end, right = rights(era, outside, idle, asof, rng)
    land_use = land_use_codes(V.IND_HEAVY_LAND[industry[owner]] | large, rng)
    far = draw_far(era, rng)
    far[low_parcels] = rng.uniform(0.4, 0.7, len(low_parcels))

    # buildings ------------------------------------------------------------------------------
    rng = _rng(seed, code, _BUILD)
    built = np.ones(p, dtype=bool)
    built[idle] = False
    nb = building_counts(bounds, area, built, dp.buildings, rng)
    ba = make_buildings(bounds, era, far, nb, np.char.startswith(land_use, "1101"),
                        year_of(start), as_of.year, rng)
    gfa0 = ba.gfa_m2.copy()
    parcel_gfa = np.bincount(ba.parcel, gfa0, minlength=p)
    first_b = np.searchsorted(ba.parcel, np.arange(p))
    gfa = gfa0.copy()
    gfa[first_b[far20]] = 25.0 * area[far20]

    # founding dates and tenants ---------------------------------------------------------
    rng = _rng(seed, code, _OCC)
    founded = founding_dates(owner, start, landless, asof, rng)
    ten = tenancies(built & ~used, dp.tenant_hosts, dp.tenant_rows, owner, landless,
                    parcel_gfa, ba.parcel, gfa0, ba.year_built, start, founded, asof, rng)
    slot_parcel, tenant, share, floor, tb = ten.parcel, ten.firm, ten.share, ten.floor_m2, \
        ten.building
    t_start, t_end = ten.start, ten.end
    r = len(slot_parcel)
    rented = np.bincount(slot_parcel, floor, minlength=p)

    # economics ----------------------------------------------------------------------------
    own_land = area * (1.0 - np.bincount(slot_parcel, share, minlength=p))
    ten_land = share * area[slot_parcel]
    land_m2 = np.bincount(owner, own_land, minlength=n) + np.bincount(tenant, ten_land,
                                                                       minlength=n)
    era_w = (np.bincount(owner, own_land * ERA_TAX_FACTOR[era], minlength=n)
             + np.bincount(tenant, ten_land * ERA_TAX_FACTOR[era[slot_parcel]], minlength=n))
    poor = far < poor_far(as_of)                      # poor land (the profile's FAR floor)
    poor_m2 = (np.bincount(owner, own_land * poor, minlength=n)
               + np.bincount(tenant, ten_land * poor[slot_parcel], minlength=n))
    low_tax = np.zeros(n, dtype=bool)
    low_tax[owner[low_parcels]] = True
    d_like = np.zeros(n, dtype=bool)
    d_like[owner[outd]] = True
    ind = indicators(FirmInputs(above=above, industry=industry, land_m2=land_m2,
                                era_factor=era_w / land_m2, low_tax=low_tax, d_like=d_like,
                                founded_year=year_of(founded),
                                poor_share=poor_m2 / np.maximum(land_m2, 1e-9)),
                     as_of, _rng(seed, code, _ECON))
    # bad indicator records (planted on ordinary firms)
    normal_rows = np.flatnonzero(~(low_tax | d_like)[ind["firm"]])
    picked = prng.choice(normal_rows, size=min(len(normal_rows),
                                               dp.anomalies["tax_gt_revenue"]
                                               + dp.anomalies["negative_employees"]),
                         replace=False)
    txr = np.sort(picked[: dp.anomalies["tax_gt_revenue"]])
    neg = np.sort(picked[dp.anomalies["tax_gt_revenue"]:])
    ind["revenue"][txr] = np.round(ind["tax"][txr] * prng.uniform(0.3, 0.9, len(txr)), 2)
    ind["employees"][neg] = -ind["employees"][neg]

    # identifiers --------------------------------------------------------------------------
    n_parks = len(land.park_tier)
    pw = max(2, len(str(n_parks)))
    park_ids = _cat(f"PK-{code}-", _zfill(np.arange(1, n_parks + 1), pw))
    block_ids = _cat(f"CL-{code}-", _zfill(np.arange(1, land.n_blocks + 1), 4))
    parcel_ids = _cat(code, _zfill(land.zone, 3), _zfill(land.subzone, 3), "GB",
                      _zfill(land.serial, 5))
    building_ids = _cat(parcel_ids[ba.parcel], "-F", _zfill(ba.seq, 3))
    district = np.full(1, code)

    # names ------------------------------------------------------------------------------
    rng = _rng(seed, code, _NAMES)
    names = firm_names(code, dp.name, industry, above, i, len(plan.plans), rng)
    short = dp.name[:2]
    park_names = np.empty(n_parks, dtype=object)
    for t, words, suffix in ((0, V.STRATEGIC_PARK_WORDS, "战略产业园"),
                             (1, V.COMMUNITY_WORDS, "优势产业社区")):
        idx = np.flatnonzero(land.park_tier == t)
        w = rng.permutation(len(words))
        for j, k in enumerate(idx):
            rep = j // len(words)
            again = "" if rep == 0 else str(rep + 1)
            park_names[k] = f"{short}{words[w[j % len(words)]]}{again}{suffix}"

    # control lines --------------------------------------------------------------------
    rng = _rng(seed, code, _LINES)
    nb_blocks = land.n_blocks
    base = days(np.datetime64("2021-06-30"), np.datetime64("2022-12-31"), rng.random(1))[0]
    base = min(base, asof)
    revised = rng.random(nb_blocks) < 0.15
    eff = np.where(revised, days(np.full(nb_blocks, base), np.full(nb_blocks, asof),
                                  rng.random(nb_blocks)), base)
    strategic_block = land.park_tier[land.block_park] == 0
    level1 = rng.random(nb_blocks) < np.where(strategic_block, 0.9, 0.6)
    block_names = _cat(park_names[land.block_park].astype(str), _zfill(land.block_seq, 1),
                       "号区块")

    # parcel codes of the buildings: a third left empty, a few wrong (issue #13) ----------
    rng = _rng(seed, code, _CODES)
    nbld = len(ba.parcel)
    b_parcel = parcel_ids[ba.parcel].astype(object)
    b_parcel[rng.random(nbld) < NO_PARCEL_CODE_SHARE] = None
    wrong = (np.sort(rng.choice(nbld, size=min(dp.anomalies["wrong_parcel_code"], nbld),
                                replace=False)) if nbld and p > 1 else np.zeros(0, np.int64))
    b_parcel[wrong] = parcel_ids[(ba.parcel[wrong] + 1) % p]     # the next parcel's code

    # frames -------------------------------------------------------------------------------
    scale_txt = np.where(above, "above", "below")
    ent = _frame(ENTITIES["enterprises"], {
        "credit_code": codes, "name": names, "district": np.repeat(district, n),
        "industry_code": V.IND_CODE[industry], "chain": chain, "scale": scale_txt,
        "founded": founded, "is_synthetic": np.ones(n, bool)})
    recorded_area = area.copy()
    mm_factor = np.where(prng.random(len(mismatch)) < 0.5, prng.uniform(1.08, 1.3, len(mismatch)),
                         prng.uniform(0.7, 0.92, len(mismatch)))
    recorded_area[mismatch] = np.round(area[mismatch] * mm_factor, 2)
    parcels = _frame(ENTITIES["parcels"], {
        "parcel_id": parcel_ids, "land_use_code": land_use, "area_m2": recorded_area,
        "right_type": np.array(RIGHT_TYPES)[right], "right_start": start, "right_end": end,
        "owner_credit_code": codes[owner], "district": np.repeat(district, p),
        "is_synthetic": np.ones(p, bool)}, _multi(bounds))
    buildings = _frame(ENTITIES["buildings"], {
        "building_id": building_ids, "parcel_id": b_parcel, "floors": ba.floors,
        "height_m": ba.height_m, "gfa_m2": np.round(gfa, 2), "use": ba.use,
        "year_built": ba.year_built, "district": np.repeat(district, len(ba.parcel)),
        "is_synthetic": np.ones(len(ba.parcel), bool)}, _multi(ba.bounds))

    # occupancy rows: per parcel (id order) the owner, then its tenants
    occ_parcel = np.r_[np.arange(p), slot_parcel]
    occ_tenant = np.r_[np.zeros(p, bool), np.ones(r, bool)]
    occ_firm = np.r_[owner, tenant]
    occ_build = np.r_[np.full(p, -1), tb]
    pid_rank = np.argsort(np.argsort(parcel_ids, kind="stable"), kind="stable")
    code_rank = np.argsort(np.argsort(codes, kind="stable"), kind="stable")
    o = np.lexsort((code_rank[occ_firm], occ_build, occ_tenant, pid_rank[occ_parcel]))
    n_occ = p + r
    occ_ids = _cat("OC-", _zfill(dp.occupancy_offset + np.arange(1, n_occ + 1),
                                 plan.occupancy_digits))
    bid = building_ids[np.maximum(occ_build, 0)].astype(object)
    bid[occ_build < 0] = None
    occ = _frame(ENTITIES["occupancy"], {
        "occupancy_id": occ_ids,
        "credit_code": codes[occ_firm][o], "parcel_id": parcel_ids[occ_parcel][o],
        "building_id": bid[o], "role": np.where(occ_tenant, "tenant", "owner")[o],
        "land_area_m2": np.concatenate([area, np.full(r, np.nan)])[o],
        "floor_area_m2": np.round(np.concatenate([parcel_gfa - rented, floor]), 2)[o],
        "start": np.r_[start, t_start][o], "end": np.r_[end, t_end][o],
        "is_synthetic": np.ones(n_occ, bool)})
    inds = _frame(ENTITIES["indicators"], {
        "credit_code": codes[ind["firm"]], **{k: ind[k] for k in (
            "year", "revenue", "tax", "value_added", "employees", "energy_tce",
            "electricity_kwh", "emissions", "rd_spend", "safety_veto", "environment_veto")},
        "is_synthetic": np.ones(len(ind["firm"]), bool)})
    parks = _frame(ENTITIES["parks"], {
        "park_id": park_ids, "name": park_names,
        "tier": np.array(["strategic", "community"])[land.park_tier],
        "district": np.repeat(district, n_parks), "is_synthetic": np.ones(n_parks, bool)},
        land.park_geometry)
    lines = _frame(ENTITIES["control_lines"], {
        "block_id": block_ids, "name": block_names, "district": np.repeat(district, nb_blocks),
        "line_type": np.where(level1, "level1", "level2"), "park_id": park_ids[land.block_park],
        "effective_from": eff, "effective_to": np.full(nb_blocks, "NaT", "datetime64[D]"),
        "is_synthetic": np.ones(nb_blocks, bool)},
        _multi(land.block_bounds_cm / 100.0))

    # anomaly list -------------------------------------------------------------------------
    last = ind["year"] == as_of.year
    tpm_last = dict(zip(ind["firm"][last].tolist(), ind["tax_per_mu"][last].tolist(),
                        strict=True))
    rows: list[tuple[str, str, str, str]] = []
    for k in lowe:
        rows.append(("low_efficiency", "parcels", str(parcel_ids[k]),
                     f"pre-2005 supply ({start[k]}), FAR {far[k]:.2f}, owner tax per mu "
                     f"{tpm_last.get(int(owner[k]), float('nan')):.2f} 万元/亩"))
    for members in land.clusters:
        rows.append(("low_efficiency_cluster", "parcels", ";".join(parcel_ids[members]),
                     f"{len(members)} touching pre-2005 parcels, FAR "
                     f"{far[members].min():.2f}–{far[members].max():.2f}, low tax per mu"))
    for k in idle:
        rows.append(("idle_land", "parcels", str(parcel_ids[k]),
                     f"granted {start[k]}, no buildings by {as_of}"))
    for k in outd:
        rows.append(("outside_line_d", "parcels", str(parcel_ids[k]),
                     f"outside the control line; owner tax per mu "
                     f"{tpm_last.get(int(owner[k]), float('nan')):.2f} 万元/亩, 4× energy "
                     f"and emissions per value added"))
    for k in far20:
        rows.append(("bad_record", "parcels", str(parcel_ids[k]),
                     f"far_gt_20: building {building_ids[first_b[k]]} gfa_m2 "
                     f"{gfa[first_b[k]]:.0f} on {area[k]:.0f} m²"))
    for k, f in zip(mismatch, mm_factor, strict=True):
        rows.append(("bad_record", "parcels", str(parcel_ids[k]),
                     f"area_mismatch: area_m2 {recorded_area[k]:.2f} vs geometry "
                     f"{area[k]:.2f} ({(f - 1) * 100:+.0f}%)"))
    for k in wrong:
        rows.append(("wrong_parcel_code", "buildings", str(building_ids[k]),
                     f"parcel_id {b_parcel[k]}, stands on {parcel_ids[ba.parcel[k]]}"))
    for k in txr:
        rows.append(("bad_record", "indicators",
                     f"{codes[ind['firm'][k]]}|{ind['year'][k]}",
                     f"tax_gt_revenue: tax {ind['tax'][k]:.2f} > revenue "
                     f"{ind['revenue'][k]:.2f} 万元"))
    for k in neg:
        rows.append(("bad_record", "indicators",
                     f"{codes[ind['firm'][k]]}|{ind['year'][k]}",
                     f"negative_employees: employees {ind['employees'][k]:.0f}"))
    # land-supply contracts with one planted breach per rule (issue #17) ----------------------
    owner_tpm = np.array([tpm_last.get(int(o), np.nan) for o in owner], dtype="float64")
    c_cols, e_cols, c_rows = make_contracts(
        parcel_ids, codes[owner], area, start, right == RIGHT_TYPES.index("grant"),
        np.isin(np.arange(p), idle), as_of, _rng(seed, code, _CONTRACTS), owner_tpm)
    rows += c_rows
    # secondary-market transactions with one planted flag per rule (issue #19) -------------
    contract_parcels = set(map(str, c_cols["parcel_id"]))      # type: ignore[call-overload]
    eligible = outside & ~used & ~np.isin(parcel_ids, list(contract_parcels))
    yrs = ind["year"]
    rev = ind["revenue"] > 0
    # buyers: firms with revenue in every year of the history (no buyer_no_production flag)
    n_rev_years = np.bincount(ind["firm"][rev & (yrs >= as_of.year - 4)], minlength=n)
    producing = n_rev_years == len(np.unique(yrs[yrs >= as_of.year - 4]))
    stored_gfa = np.bincount(ba.parcel, gfa, minlength=p)
    first_bld = np.where(np.bincount(ba.parcel, minlength=p) > 0, first_b, -1)
    centroid = np.column_stack([(bounds[:, 0] + bounds[:, 2]) / 2,
                                (bounds[:, 1] + bounds[:, 3]) / 2])
    t_cols, tc_cols, te_cols, t_rows = make_transactions(
        code, parcel_ids, codes[owner], area, land_use, stored_gfa, first_bld, building_ids,
        centroid, eligible, codes, V.IND_CODE[industry], producing, as_of,
        _rng(seed, code, _MARKET))
    rows += t_rows
    for col, vals in tc_cols.items():
        c_cols[col] = list(c_cols[col]) + vals    # type: ignore[call-overload]
    for col, vals in te_cols.items():
        e_cols[col] = list(e_cols[col]) + vals    # type: ignore[call-overload]
    contracts = _frame(ENTITIES["contracts"], c_cols)
    contract_events = _frame(ENTITIES["contract_events"], e_cols)
    t_data: dict[str, object] = {col: vals for col, vals in t_cols.items()}
    transactions = _frame(ENTITIES["transactions"], t_data)
    return DemoCity(districts=drow, parks=parks, control_lines=lines, enterprises=ent,
                    parcels=parcels, buildings=buildings, occupancy=occ, indicators=inds,
                    designations=_designations(codes[above], as_of,
                                               _rng(seed, code, _DESIG),
                                               _chain_leaders(codes, chain, above, ind,
                                                              as_of)),
                    plan_zones=_plan_zones(code, land.clusters, bounds, as_of,
                                           _rng(seed, code, _PLANS)),
                    contracts=contracts, contract_events=contract_events,
                    demands=_frame(ENTITIES["demands"], make_demands(
                        code, codes, chain,
                        [c for c in plan.districts["admin_code"].astype(str) if c != code],
                        as_of, _rng(seed, code, _DEMANDS))),
                    transactions=transactions, anomalies=_anomalies(rows))


def _chain_leaders(codes: np.ndarray, chain: np.ndarray, above: np.ndarray,
                   ind: dict[str, np.ndarray], as_of: date) -> np.ndarray:
    """链主 of the district (issue #19): per "361" chain, the above-scale firm with the largest
    revenue in ``as_of.year`` (the lower credit code on a tie)."""
    last = ind["year"] == as_of.year
    firm, rev = ind["firm"][last], ind["revenue"][last]
    ok = above[firm] & (chain[firm] != None)  # noqa: E711  (object array of str / None)
    firm, rev = firm[ok], rev[ok]
    if not len(firm):
        return np.zeros(0, dtype=object)
    order = np.lexsort((codes[firm], -rev, chain[firm].astype(str)))
    ch = chain[firm][order].astype(str)
    first = np.r_[True, ch[1:] != ch[:-1]]
    return np.sort(codes[firm][order][first]).astype(object)


def _designations(codes: np.ndarray, as_of: date, rng: np.random.Generator,
                  leaders: np.ndarray | None = None) -> pd.DataFrame:
    """Designations of above-scale firms: each type held by its share of firms, a 3-year
    certificate starting on 1 January of one of the 4 years up to ``as_of``; the chain
    leaders (``leaders``) hold 链主 from 1 January of the year before ``as_of`` for 3 years."""
    parts: dict[str, list[np.ndarray]] = {"credit_code": [], "designation": [], "start": [],
                                          "end": []}
    if leaders is not None and len(leaders):
        k = len(leaders)
        parts["credit_code"].append(leaders)
        parts["designation"].append(np.full(k, "chain_leader", dtype=object))
        parts["start"].append(np.full(k, f"{as_of.year - 1}-01-01", dtype="datetime64[D]"))
        parts["end"].append(np.full(k, f"{as_of.year + 1}-12-31", dtype="datetime64[D]"))
    for kind, share in _DESIGNATION_SHARES:
        held = codes[rng.random(len(codes)) < share]
        first = rng.integers(as_of.year - 3, as_of.year + 1, len(held))
        parts["credit_code"].append(held)
        parts["designation"].append(np.full(len(held), kind, dtype=object))
        parts["start"].append(np.array([f"{y}-01-01" for y in first], dtype="datetime64[D]"))
        parts["end"].append(np.array([f"{y + 2}-12-31" for y in first], dtype="datetime64[D]"))
    data: dict[str, object] = {k: np.concatenate(v) for k, v in parts.items()}
    data["is_synthetic"] = np.ones(len(data["credit_code"]), bool)   # type: ignore[arg-type,type-var]
    return _frame(ENTITIES["designations"], data)


def _plan_zones(code: str, clusters: list[np.ndarray], bounds: np.ndarray, as_of: date,
                rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Plan zones over some planted low-efficiency clusters (in-line rows of touching
    parcels): the bounding box of each chosen cluster, approved in the year before ``as_of``;
    all but the last of a district's zones get a non-industrial use (the demo's 更新转型
    units), the last stays industrial (1001)."""
    k = min(_PLAN_ZONES_PER_DISTRICT, len(clusters))
    chosen = np.sort(rng.choice(len(clusters), size=k, replace=False)) if k else \
        np.zeros(0, dtype="int64")
    boxes = np.array([[bounds[clusters[c], 0].min(), bounds[clusters[c], 1].min(),
                       bounds[clusters[c], 2].max(), bounds[clusters[c], 3].max()]
                      for c in chosen]).reshape(-1, 4)
    uses = np.array([_PLAN_USES[j % len(_PLAN_USES)] for j in range(k)], dtype=object)
    approved = days(np.full(k, np.datetime64(f"{as_of.year - 1}-01-01")),
                    np.full(k, np.datetime64(f"{as_of.year - 1}-12-31")), rng.random(k))
    seq = (_zfill(np.arange(1, k + 1), 2) if k else np.zeros(0, dtype=str))
    return _frame(ENTITIES["plan_zones"], {
        "zone_id": _cat(f"GH-{code}-", seq), "planned_use": uses, "approved": approved,
        "document": _cat(f"演示规划批复〔{as_of.year - 1}〕{code}-", seq, "号"),
        "is_synthetic": np.ones(k, bool)}, _multi(boxes))


def _check_as_of(as_of: date) -> None:
    if as_of < EARLIEST_AS_OF:
        raise ValueError(f"as_of must be on or after {EARLIEST_AS_OF} (idle land needs "
                         f"grants from 2021 at least two years old), got {as_of}")


def iter_city_parts(scale: Scale = "city", seed: int = DEFAULT_SEED,
                    as_of: date = DEFAULT_AS_OF, *,
                    districts: Iterable[str] | None = None) -> Iterator[DemoCity]:
    """Yield the demo city one district at a time (``districts`` table of one row each).

    Parameters
    ----------
    scale : {"small", "city", "province"}
        Size from :data:`SIZES`.
    seed : int
        Root seed; each (district, component) draws from its own child generator.
    as_of : datetime.date
        Reference date: no date lies after it, indicators cover ``as_of.year − 4`` …
        ``as_of.year``. Must be 2023-01-01 or later.
    districts : iterable of str, optional
        Admin codes to generate (default all, in code order). A district's records — ids
        included — are the same whichever subset is generated.

    Yields
    ------
    DemoCity
        All tables of one district; enterprise-keyed tables hold that district's firms.
    """
    _check_as_of(as_of)
    plan = make_plan(scale)
    wanted = None if districts is None else {str(d) for d in districts}
    unknown = (wanted or set()) - {dp.code for dp in plan.plans}
    if unknown:
        raise ValueError(f"no such district at scale {scale!r}: {', '.join(sorted(unknown))}")
    for i, dp in enumerate(plan.plans):
        if wanted is None or dp.code in wanted:
            yield _district(plan, i, seed, as_of)


def concat_parts(parts: Iterable[DemoCity]) -> DemoCity:
    """Concatenate district parts (in admin-code order) into one :class:`DemoCity`."""
    parts = list(parts)
    out = {}
    for name in (*ENTITIES, "anomalies"):
        frames = [getattr(c, name) for c in parts]
        merged = pd.concat(frames, ignore_index=True)
        if name == "anomalies":
            merged = merged.sort_values(["kind", "table_name", "record_key"],
                                        ignore_index=True)
        out[name] = merged
    return DemoCity(**out)


def build_city(scale: Scale = "city", seed: int = DEFAULT_SEED,
               as_of: date = DEFAULT_AS_OF) -> DemoCity:
    """Build the whole synthetic city in memory.

    Parameters
    ----------
    scale : {"small", "city", "province"}, default "city"
        ``small`` ≈ 2 000 firms / 2 500 parcels, ``city`` ≈ 30 000 firms / 40 000 parcels /
        150 000 buildings (Ningbo outlines), ``province`` ≈ 600 000 / 1.2 M / 5 M (the 90
        county-level units of Zhejiang); see :data:`SIZES`. For the province prefer
        :func:`iter_city_parts` with
        :func:`indspace.demo.parquet.write_partitioned_geoparquet`.
    seed : int, default 20250429
    as_of : datetime.date, default 2025-12-31

    Returns
    -------
    DemoCity
        Frames passing :func:`indspace.core.model.entities.check_frame`, sorted by key, all
        geometries MultiPolygon in EPSG:4549 (metres); areas in m², money in 万元, energy in
        tce, electricity in kWh, emissions in t.
    """
    return concat_parts(iter_city_parts(scale, seed, as_of))
