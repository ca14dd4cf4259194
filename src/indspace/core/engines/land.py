"""Land attribution for the 亩均 evaluation (mujun-evaluation.md §3): whose land is it this year?

An enterprise's evaluated land = Σ owned + Σ leased − Σ leased out, from the occupancy records
in force during the evaluated year. A tenant record without a land area gets land in
proportion to its floor area: ``floor_area_m2 ÷ parcel floor area × parcel land area`` [I];
the owner keeps the remainder.

With ``merge_landless_tenants`` (the ``owner_merged`` mode) a tenant that owns no land of its
own is not evaluated on its own: its land stays with the landlord, and the evaluation engine
adds its figures to the landlord's (weights in ``links.merge_weight``). A lease on a parcel with
no owner record in the year has no landlord to merge into and is attributed as a lease.

Inputs (pure frames, no I/O):

``parcels``   parcel_id, area_m2 (m²), right_start (date, may be null), and optionally
              floor_area_m2 (m², the parcel's total floor area, e.g. Σ building GFA;
              default: Σ floor_area_m2 of all its occupancy records, owner included — the
              owner's record holds the floor it uses itself)
``occupancy`` credit_code, parcel_id, role (owner|tenant), land_area_m2 (m², may be null),
              floor_area_m2 (m², may be null), start, end (dates; null end = open)

Outputs of :func:`attribute_land`:

``firms``  one row per credit_code: owned_m2, leased_m2, leased_out_m2, land_m2 (the
           evaluated land, m²), land_area_mu (亩), n_parcels, first_right_start,
           merged (bool: figures go to the landlord), landlord (principal landlord's code)
``links``  one row per (credit_code, parcel_id, tenure) with land_m2 and, for merged tenants,
           landlord and merge_weight (share of the tenant's figures going to that landlord)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from indspace.core.model.units import m2_to_mu


@dataclass(frozen=True)
class Attribution:
    firms: pd.DataFrame
    links: pd.DataFrame


def isin(values: pd.Series | pd.Index, of: object) -> np.ndarray:
    """``values.isin(of)`` as a bool array, on a hash table of Python objects: pandas' isin
    of pyarrow-backed strings converts the value set one scalar at a time (~100× slower)."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object).isin(
        np.asarray(of, dtype=object))


def active_in_year(frame: pd.DataFrame, year: int) -> pd.Series:
    """Rows whose [start, end] period overlaps the calendar year (null bounds are open)."""
    first, last = pd.Timestamp(date(year, 1, 1)), pd.Timestamp(date(year, 12, 31))
    start = pd.to_datetime(frame["start"])
    end = pd.to_datetime(frame["end"])
    return (start.isna() | (start <= last)) & (end.isna() | (end >= first))


def attribute_land(parcels: pd.DataFrame, occupancy: pd.DataFrame, year: int, *,
                   merge_landless_tenants: bool) -> Attribution:
    occ = occupancy.loc[active_in_year(occupancy, year),
                        ["credit_code", "parcel_id", "role", "land_area_m2", "floor_area_m2"]]
    par = parcels.set_index("parcel_id")
    occ = occ[isin(occ["parcel_id"], par.index)].reset_index(drop=True)
    parcel_area = occ["parcel_id"].map(par["area_m2"]).astype("float64")
    is_owner = occ["role"].eq("owner").to_numpy()
    floor = occ["floor_area_m2"].astype("float64")

    # the parcel's floor area: given, else Σ floor of all its occupants (owner's own use included)
    if "floor_area_m2" in par.columns:
        parcel_floor = occ["parcel_id"].map(par["floor_area_m2"]).astype("float64")
    else:
        parcel_floor = pd.Series(np.nan, index=occ.index)
    parcel_floor = parcel_floor.fillna(floor.groupby(occ["parcel_id"]).transform("sum"))

    # tenants: recorded land, else floor share of the parcel's land (never above the parcel)
    share = (floor / parcel_floor).where(parcel_floor > 0)
    tenant_land = occ["land_area_m2"].astype("float64").fillna(share * parcel_area)
    tenant_land = tenant_land.clip(upper=parcel_area).fillna(0.0)
    # owners: recorded land, else the parcel split equally among its owner records
    n_owners = pd.Series(is_owner, index=occ.index).groupby(occ["parcel_id"]).transform("sum")
    owner_land = occ["land_area_m2"].astype("float64").fillna(parcel_area / n_owners)
    occ["land_m2"] = np.where(is_owner, owner_land, tenant_land)

    owns_land = occ.loc[is_owner, "credit_code"].unique()
    # a lease merges only where the parcel has an owner on record to merge into (a parcel
    # whose owner is not recorded, e.g. a village collective, leaves the tenant on its own)
    has_owner = isin(occ["parcel_id"], occ.loc[is_owner, "parcel_id"].unique())
    occ["merged"] = (~is_owner & ~isin(occ["credit_code"], owns_land) & has_owner
                     & merge_landless_tenants)

    # leased-out land: tenants' land per parcel (merged tenants' land stays with the landlord),
    # booked to the parcel's owners in proportion to their owned land
    tenants = occ[~is_owner]
    out_per_parcel = tenants.loc[~tenants["merged"]].groupby("parcel_id")["land_m2"].sum()
    owners = occ[is_owner]
    owned_per_parcel = owners.groupby("parcel_id")["land_m2"].transform("sum")
    owner_share = (owners["land_m2"] / owned_per_parcel).where(owned_per_parcel > 0, 0.0)
    leased_out = owners["parcel_id"].map(out_per_parcel).fillna(0.0) * owner_share

    links = pd.concat([
        pd.DataFrame({"credit_code": owners["credit_code"], "parcel_id": owners["parcel_id"],
                      "tenure": "owned", "land_m2": owners["land_m2"]}),
        pd.DataFrame({"credit_code": tenants["credit_code"], "parcel_id": tenants["parcel_id"],
                      "tenure": "leased", "land_m2": tenants["land_m2"],
                      "merged": tenants["merged"]}),
        pd.DataFrame({"credit_code": owners["credit_code"], "parcel_id": owners["parcel_id"],
                      "tenure": "leased_out", "land_m2": leased_out}),
    ], ignore_index=True)
    links["merged"] = links["merged"].fillna(False).astype(bool)
    links = links[(links["tenure"] != "leased_out") | (links["land_m2"] > 0)]
    links = _add_landlords(links, owners)

    firms = _firm_totals(links, par)
    return Attribution(firms=firms, links=links.reset_index(drop=True))


def _add_landlords(links: pd.DataFrame, owners: pd.DataFrame) -> pd.DataFrame:
    """For each lease, the parcel's principal owner (largest owned land, then smallest code)."""
    principal = (owners.sort_values(["land_m2", "credit_code"], ascending=[False, True])
                 .drop_duplicates("parcel_id").set_index("parcel_id")["credit_code"])
    leased = links["tenure"].eq("leased")
    links = links.assign(landlord=links["parcel_id"].map(principal).where(leased))
    lease_land = links["land_m2"].where(leased & links["merged"], 0.0)
    total = lease_land.groupby(links["credit_code"]).transform("sum")
    links["merge_weight"] = (lease_land / total).where(total > 0, 0.0)
    return links


def _firm_totals(links: pd.DataFrame, par: pd.DataFrame) -> pd.DataFrame:
    land = links.pivot_table(index="credit_code", columns="tenure", values="land_m2",
                             aggfunc="sum", fill_value=0.0)
    for col in ("owned", "leased", "leased_out"):
        if col not in land.columns:
            land[col] = 0.0
    firms = pd.DataFrame({"owned_m2": land["owned"], "leased_m2": land["leased"],
                          "leased_out_m2": land["leased_out"]})
    merged = links[links["tenure"].eq("leased")].groupby("credit_code")["merged"].any()
    firms["merged"] = merged.reindex(firms.index, fill_value=False)
    own_lease = firms["leased_m2"].where(~firms["merged"], 0.0)
    firms["land_m2"] = (firms["owned_m2"] + own_lease - firms["leased_out_m2"]).clip(lower=0.0)
    firms["land_area_mu"] = m2_to_mu(firms["land_m2"].to_numpy())
    firms["n_parcels"] = links[links["tenure"] != "leased_out"].groupby(
        "credit_code")["parcel_id"].nunique().reindex(firms.index, fill_value=0)
    owned = links[links["tenure"].eq("owned")]
    starts = pd.to_datetime(owned["parcel_id"].map(par["right_start"]))
    firms["first_right_start"] = starts.groupby(owned["credit_code"]).min().reindex(firms.index)
    leases = links[links["tenure"].eq("leased")].sort_values(
        ["land_m2", "landlord"], ascending=[False, True])
    firms["landlord"] = leases.drop_duplicates("credit_code").set_index(
        "credit_code")["landlord"].reindex(firms.index)
    firms.loc[firms["owned_m2"] > 0, "landlord"] = None
    firms.index.name = "credit_code"
    return firms.reset_index().sort_values("credit_code", ignore_index=True)
