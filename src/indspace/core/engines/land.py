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
    par_index = pd.Index(np.asarray(par.index, dtype=object), dtype=object)
    at = par_index.get_indexer(np.asarray(occ["parcel_id"], dtype=object))
    occ = occ[at >= 0].reset_index(drop=True)
    at = at[at >= 0]                          # row → parcel position (integer key)
    parcel_area = pd.Series(par["area_m2"].to_numpy(dtype="float64")[at])
    is_owner = occ["role"].eq("owner").to_numpy()
    floor = occ["floor_area_m2"].astype("float64")

    # the parcel's floor area: given, else Σ floor of all its occupants (owner's own use included)
    if "floor_area_m2" in par.columns:
        parcel_floor = pd.Series(par["floor_area_m2"].to_numpy(dtype="float64",
                                                               na_value=np.nan)[at])
    else:
        parcel_floor = pd.Series(np.nan, index=occ.index)
    parcel_floor = parcel_floor.fillna(floor.groupby(at).transform("sum"))

    # tenants: recorded land, else floor share of the parcel's land (never above the parcel)
    share = (floor / parcel_floor).where(parcel_floor > 0)
    tenant_land = occ["land_area_m2"].astype("float64").fillna(share * parcel_area)
    tenant_land = tenant_land.clip(upper=parcel_area).fillna(0.0)
    # owners: recorded land, else the parcel split equally among its owner records
    n_owners = pd.Series(is_owner, index=occ.index).groupby(at).transform("sum")
    owner_land = occ["land_area_m2"].astype("float64").fillna(parcel_area / n_owners)
    occ["land_m2"] = np.where(is_owner, owner_land, tenant_land)

    owns_land = occ.loc[is_owner, "credit_code"].unique()
    # a lease merges only where the parcel has an owner on record to merge into (a parcel
    # whose owner is not recorded, e.g. a village collective, leaves the tenant on its own)
    has_owner = (np.bincount(at[is_owner], minlength=len(par_index)) > 0)[at]
    occ["merged"] = (~is_owner & ~isin(occ["credit_code"], owns_land) & has_owner
                     & merge_landless_tenants)

    # leased-out land: tenants' land per parcel (merged tenants' land stays with the landlord),
    # booked to the parcel's owners in proportion to their owned land
    tenants = occ[~is_owner]
    lent = ~is_owner & ~occ["merged"].to_numpy()
    out_per_parcel = pd.Series(occ["land_m2"].to_numpy()[lent]).groupby(at[lent]).sum()
    owners = occ[is_owner]
    owned_per_parcel = owners["land_m2"].groupby(at[is_owner]).transform("sum")
    owner_share = (owners["land_m2"] / owned_per_parcel).where(owned_per_parcel > 0, 0.0)
    leased_out = pd.Series(at[is_owner], index=owners.index).map(out_per_parcel).fillna(
        0.0) * owner_share

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
    o_code = np.asarray(owners["credit_code"], dtype=object)
    o_parcel = np.asarray(owners["parcel_id"], dtype=object)
    o_land = owners["land_m2"].to_numpy(dtype="float64")
    rank, _ = pd.factorize(o_code, sort=True)           # code order = text order
    order = np.lexsort((rank, -o_land))                  # land descending, then code
    parcels_sorted = o_parcel[order]
    first = ~pd.Index(parcels_sorted, dtype=object).duplicated()
    principal = pd.Index(parcels_sorted[first], dtype=object)
    principal_code = o_code[order][first]
    leased = links["tenure"].eq("leased").to_numpy()
    at = principal.get_indexer(np.asarray(links["parcel_id"], dtype=object))
    landlord = np.where(leased & (at >= 0), principal_code[np.maximum(at, 0)], None)
    links = links.assign(landlord=pd.array(landlord, dtype="str"))
    lease_land = np.where(leased & links["merged"].to_numpy(), links["land_m2"].to_numpy(), 0.0)
    code, _ = pd.factorize(np.asarray(links["credit_code"], dtype=object))
    total = pd.Series(lease_land).groupby(code).transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        links["merge_weight"] = np.where(total > 0, lease_land / total, 0.0)
    return links


def _firm_totals(links: pd.DataFrame, par: pd.DataFrame) -> pd.DataFrame:
    codes = np.asarray(links["credit_code"], dtype=object)
    code, uniq = pd.factorize(codes, sort=True)          # firms in credit-code order
    n = len(uniq)
    tenure = links["tenure"].to_numpy(dtype=object)
    land = links["land_m2"].to_numpy(dtype="float64")
    owned_row, leased_row = tenure == "owned", tenure == "leased"
    out_row = tenure == "leased_out"

    def total(mask: np.ndarray) -> np.ndarray:   # pandas' (compensated) sums, integer keys
        sums = pd.Series(land[mask]).groupby(code[mask]).sum()
        return sums.reindex(np.arange(n), fill_value=0.0).to_numpy(dtype="float64")

    firms = pd.DataFrame({"credit_code": pd.array(uniq, dtype="str"),
                          "owned_m2": total(owned_row), "leased_m2": total(leased_row),
                          "leased_out_m2": total(out_row)})
    merged_rows = leased_row & links["merged"].to_numpy()
    firms["merged"] = np.bincount(code[merged_rows], minlength=n) > 0
    own_lease = np.where(firms["merged"], 0.0, firms["leased_m2"])
    firms["land_m2"] = np.maximum(firms["owned_m2"] + own_lease - firms["leased_out_m2"], 0.0)
    firms["land_area_mu"] = m2_to_mu(firms["land_m2"].to_numpy())
    # distinct parcels used (owned or leased) per firm
    pcode, _ = pd.factorize(np.asarray(links["parcel_id"], dtype=object))
    used = ~out_row
    pairs = np.unique(code[used].astype(np.int64) * (int(pcode.max(initial=0)) + 1)
                      + pcode[used])
    firms["n_parcels"] = np.bincount(pairs // (int(pcode.max(initial=0)) + 1),
                                     minlength=n).astype("int64")
    starts = pd.to_datetime(pd.Series(np.asarray(links["parcel_id"], dtype=object)[owned_row])
                            .map(par["right_start"]))
    first = starts.groupby(code[owned_row]).min()
    firms["first_right_start"] = first.reindex(np.arange(n)).to_numpy()
    # principal landlord of a tenant: the lease with the most land, then the smallest code
    l_code = code[leased_row]
    l_land = land[leased_row]
    l_lord = np.asarray(links["landlord"], dtype=object)[leased_row]
    lord_rank, _ = pd.factorize(pd.Series(l_lord, dtype="str"), sort=True,
                                use_na_sentinel=True)
    lord_rank = np.where(lord_rank < 0, np.iinfo(np.int64).max, lord_rank)
    order = np.lexsort((lord_rank, -l_land, l_code))
    firsts = order[np.r_[True, l_code[order][1:] != l_code[order][:-1]]] if len(order) \
        else order
    landlord = np.full(n, None, dtype=object)
    landlord[l_code[firsts]] = l_lord[firsts]
    landlord[firms["owned_m2"].to_numpy() > 0] = None
    firms["landlord"] = pd.array(landlord, dtype="str")
    return firms
