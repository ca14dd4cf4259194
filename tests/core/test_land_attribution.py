"""Golden tests for land attribution (mujun-evaluation.md §3, engines/land.py).

Every expected number is worked out by hand in the comments. 1 亩 = 2000/3 m², so
x m² = x × 3 / 2000 亩 (areas below are multiples of 2000 m² where possible: 2000 m² = 3 亩).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from indspace.core.engines.land import Attribution, attribute_land

YEAR = 2024
OLD = date(2010, 1, 1)

OCC_COLUMNS = ["credit_code", "parcel_id", "role", "land_area_m2", "floor_area_m2", "start",
               "end"]


def parcels(*rows: tuple) -> pd.DataFrame:
    """Rows (parcel_id, area_m2[, floor_area_m2]); right_start 2010-01-01."""
    out = pd.DataFrame({"parcel_id": [r[0] for r in rows],
                        "area_m2": [float(r[1]) for r in rows],
                        "right_start": [OLD] * len(rows)})
    if any(len(r) > 2 for r in rows):
        out["floor_area_m2"] = [float(r[2]) if len(r) > 2 else None for r in rows]
    return out


def occ(code: str, parcel: str, role: str, land: float | None = None,
        floor: float | None = None, start: date | None = OLD, end: date | None = None) -> dict:
    return {"credit_code": code, "parcel_id": parcel, "role": role, "land_area_m2": land,
            "floor_area_m2": floor, "start": start, "end": end}


def occupancy(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=OCC_COLUMNS)


def firm(att: Attribution, code: str) -> pd.Series:
    rows = att.firms[att.firms["credit_code"] == code]
    assert len(rows) == 1, f"{code}: {len(rows)} rows"
    return rows.iloc[0]


def test_tenant_floor_share_with_parcel_floor_area() -> None:
    """tenant_separate: tenant land = leased floor ÷ parcel floor × parcel land.

    Parcel P1: 12 000 m² (= 12 000 × 3 / 2000 = 18 亩), floor area 9 000 m².
    Tenant T leases 3 000 m² of floor, no land recorded:
        T land = 3 000 / 9 000 × 12 000 = 4 000 m² = 6 亩
    Landlord L keeps 12 000 − 4 000 = 8 000 m² = 12 亩 (leased_out 4 000 m²).
    """
    att = attribute_land(parcels(("P1", 12_000, 9_000)),
                         occupancy(occ("L", "P1", "owner"), occ("T", "P1", "tenant", floor=3_000)),
                         YEAR, merge_landless_tenants=False)
    t, landlord = firm(att, "T"), firm(att, "L")
    assert t["leased_m2"] == pytest.approx(4_000)
    assert t["land_m2"] == pytest.approx(4_000)
    assert t["land_area_mu"] == pytest.approx(6.0)
    assert t["owned_m2"] == 0
    assert not t["merged"]
    assert t["landlord"] == "L"
    assert landlord["owned_m2"] == pytest.approx(12_000)
    assert landlord["leased_out_m2"] == pytest.approx(4_000)
    assert landlord["land_m2"] == pytest.approx(8_000)
    assert landlord["land_area_mu"] == pytest.approx(12.0)
    assert pd.isna(landlord["landlord"])


def test_tenant_floor_share_default_parcel_floor() -> None:
    """Without a parcel floor area: parcel floor = Σ floor_area_m2 of all its occupancy records,
    the owner's record (the floor it uses itself) included.

    Parcel P1: 12 000 m² (18 亩). Owner L uses 4 000 m² of floor; tenants T1 1 500 m²,
    T2 1 000 m², T3 1 500 m² → parcel floor = 4 000 + 1 500 + 1 000 + 1 500 = 8 000 m².
        T1 = 1 500 / 8 000 × 12 000 = 2 250 m² = 2 250 × 3 / 2000 = 3.375 亩
        T2 = 1 000 / 8 000 × 12 000 = 1 500 m² = 2.25 亩
    T3 has a recorded land area of 1 000 m² (1.5 亩): the record wins over its floor share
    (which would be 1 500 / 8 000 × 12 000 = 2 250 m²).
        L = 12 000 − (2 250 + 1 500 + 1 000) = 7 250 m² = 10.875 亩
    """
    att = attribute_land(parcels(("P1", 12_000)), occupancy(
        occ("L", "P1", "owner", floor=4_000),
        occ("T1", "P1", "tenant", floor=1_500),
        occ("T2", "P1", "tenant", floor=1_000),
        occ("T3", "P1", "tenant", land=1_000, floor=1_500),
    ), YEAR, merge_landless_tenants=False)
    assert firm(att, "T1")["land_m2"] == pytest.approx(2_250)
    assert firm(att, "T1")["land_area_mu"] == pytest.approx(3.375)
    assert firm(att, "T2")["land_m2"] == pytest.approx(1_500)
    assert firm(att, "T2")["land_area_mu"] == pytest.approx(2.25)
    assert firm(att, "T3")["land_m2"] == pytest.approx(1_000)
    assert firm(att, "T3")["land_area_mu"] == pytest.approx(1.5)
    landlord = firm(att, "L")
    assert landlord["leased_out_m2"] == pytest.approx(4_750)
    assert landlord["land_m2"] == pytest.approx(7_250)
    assert landlord["land_area_mu"] == pytest.approx(10.875)


def test_owner_merged_landless_tenant_stays_on_landlord() -> None:
    """owner_merged: a landless tenant's land stays with the landlord (whole parcel).

    Same parcel as the floor-share test (12 000 m², floor 9 000; T leases 3 000 m² floor):
        L land = 12 000 m² = 18 亩 (nothing booked as leased out)
        T land = 0; merged, landlord L, merge_weight 1 (its only lease)
    """
    att = attribute_land(parcels(("P1", 12_000, 9_000)),
                         occupancy(occ("L", "P1", "owner"), occ("T", "P1", "tenant", floor=3_000)),
                         YEAR, merge_landless_tenants=True)
    landlord, t = firm(att, "L"), firm(att, "T")
    assert landlord["land_m2"] == pytest.approx(12_000)
    assert landlord["land_area_mu"] == pytest.approx(18.0)
    assert landlord["leased_out_m2"] == 0
    assert t["merged"]
    assert t["land_m2"] == 0
    assert t["land_area_mu"] == 0
    assert t["landlord"] == "L"
    lease = att.links[(att.links["credit_code"] == "T") & (att.links["tenure"] == "leased")]
    assert lease["merge_weight"].tolist() == [1.0]
    assert lease["landlord"].tolist() == ["L"]


def test_merge_weight_split_over_two_landlords() -> None:
    """A landless tenant on two parcels: figures split by leased land.

    T leases 1 000 m² on P1 (owner L1) and 3 000 m² on P2 (owner L2):
        merge_weight(L1) = 1 000 / 4 000 = 0.25, merge_weight(L2) = 3 000 / 4 000 = 0.75
    T's principal landlord is L2 (larger lease).
    """
    att = attribute_land(parcels(("P1", 6_000), ("P2", 8_000)), occupancy(
        occ("L1", "P1", "owner"), occ("L2", "P2", "owner"),
        occ("T", "P1", "tenant", land=1_000), occ("T", "P2", "tenant", land=3_000),
    ), YEAR, merge_landless_tenants=True)
    leases = att.links[att.links["tenure"] == "leased"].set_index("landlord")
    assert leases.loc["L1", "merge_weight"] == pytest.approx(0.25)
    assert leases.loc["L2", "merge_weight"] == pytest.approx(0.75)
    assert firm(att, "T")["landlord"] == "L2"
    assert firm(att, "T")["n_parcels"] == 2
    # the landlords keep whole parcels: 6 000 m² = 9 亩 and 8 000 m² = 12 亩
    assert firm(att, "L1")["land_area_mu"] == pytest.approx(9.0)
    assert firm(att, "L2")["land_area_mu"] == pytest.approx(12.0)


def _multi_parcel(merge: bool) -> Attribution:
    """M owns P1 (6 000 m²) and P2 (4 000 m²), leases 2 000 m² on P3 (owner N, 5 000 m²),
    and leases 1 000 m² of P1 out to X (X owns no land). P1's right started 2012, P2's 2008."""
    par = parcels(("P1", 6_000), ("P2", 4_000), ("P3", 5_000))
    par["right_start"] = [date(2012, 5, 1), date(2008, 3, 1), OLD]
    return attribute_land(par, occupancy(
        occ("M", "P1", "owner"), occ("M", "P2", "owner"),
        occ("N", "P3", "owner"), occ("M", "P3", "tenant", land=2_000),
        occ("X", "P1", "tenant", land=1_000),
    ), YEAR, merge_landless_tenants=merge)


def test_multi_parcel_firm_owned_leased_in_and_out() -> None:
    """Enterprise land = Σ owned + Σ leased − Σ leased out (tenant_separate).

    M: owned 6 000 + 4 000 = 10 000 m²; leased in 2 000 m²; leased out 1 000 m²
        land = 10 000 + 2 000 − 1 000 = 11 000 m² = 11 000 × 3 / 2000 = 16.5 亩
        n_parcels = 3 (P1, P2, P3); first_right_start = min(2012-05-01, 2008-03-01)
    N: 5 000 − 2 000 = 3 000 m² = 4.5 亩.   X: 1 000 m² = 1.5 亩, landlord M.
    """
    att = _multi_parcel(merge=False)
    m = firm(att, "M")
    assert m["owned_m2"] == pytest.approx(10_000)
    assert m["leased_m2"] == pytest.approx(2_000)
    assert m["leased_out_m2"] == pytest.approx(1_000)
    assert m["land_m2"] == pytest.approx(11_000)
    assert m["land_area_mu"] == pytest.approx(16.5)
    assert m["n_parcels"] == 3
    assert m["first_right_start"] == pd.Timestamp(2008, 3, 1)
    assert pd.isna(m["landlord"])          # M owns land: it is nobody's dependent tenant
    assert firm(att, "N")["land_m2"] == pytest.approx(3_000)
    assert firm(att, "N")["land_area_mu"] == pytest.approx(4.5)
    x = firm(att, "X")
    assert x["land_area_mu"] == pytest.approx(1.5)
    assert x["landlord"] == "M"
    assert pd.isna(x["first_right_start"])  # no land right of its own


def test_multi_parcel_firm_owner_merged() -> None:
    """owner_merged: X (landless) merges into M, so M keeps P1 whole; M owns land, so its own
    lease on P3 is not merged and still counts.

    M: 10 000 + 2 000 − 0 = 12 000 m² = 18 亩.  N: 5 000 − 2 000 = 3 000 m² = 4.5 亩.  X: 0.
    """
    att = _multi_parcel(merge=True)
    m = firm(att, "M")
    assert not m["merged"]
    assert m["leased_out_m2"] == 0
    assert m["land_m2"] == pytest.approx(12_000)
    assert m["land_area_mu"] == pytest.approx(18.0)
    assert firm(att, "N")["land_area_mu"] == pytest.approx(4.5)
    assert firm(att, "X")["merged"]
    assert firm(att, "X")["land_m2"] == 0


def test_co_owners_split_parcel_and_leased_out() -> None:
    """Two owner records without land areas share the parcel equally; a tenant's land is
    booked as leased out in proportion to owned land.

    P1 = 9 000 m²: O1 = O2 = 4 500 m². T records 3 000 m² → leased out 1 500 m² each.
        O1 = O2 = 4 500 − 1 500 = 3 000 m² = 4.5 亩;  T = 3 000 m² = 4.5 亩.
    Principal landlord: equal land → smallest code, O1.
    """
    att = attribute_land(parcels(("P1", 9_000)), occupancy(
        occ("O2", "P1", "owner"), occ("O1", "P1", "owner"), occ("T", "P1", "tenant", land=3_000),
    ), YEAR, merge_landless_tenants=False)
    for code in ("O1", "O2"):
        assert firm(att, code)["owned_m2"] == pytest.approx(4_500)
        assert firm(att, code)["leased_out_m2"] == pytest.approx(1_500)
        assert firm(att, code)["land_area_mu"] == pytest.approx(4.5)
    assert firm(att, "T")["land_area_mu"] == pytest.approx(4.5)
    assert firm(att, "T")["landlord"] == "O1"


def test_occupancy_outside_year_is_ignored() -> None:
    """Only records overlapping 2024-01-01..2024-12-31 count (null bounds are open).

    A owned P1 until 2023-12-31 and P2 from 2024-12-31 → only P2 (2 000 m² = 3 亩).
    B's lease starts 2025-01-01 → B has no land in 2024 (no row at all).
    C's record ends 2024-01-01 (overlaps by one day) → counts: P3 4 000 m² = 6 亩.
    """
    att = attribute_land(parcels(("P1", 6_000), ("P2", 2_000), ("P3", 4_000)), occupancy(
        occ("A", "P1", "owner", end=date(2023, 12, 31)),
        occ("A", "P2", "owner", start=date(2024, 12, 31)),
        occ("B", "P1", "tenant", land=1_000, start=date(2025, 1, 1)),
        occ("C", "P3", "owner", start=None, end=date(2024, 1, 1)),
    ), YEAR, merge_landless_tenants=False)
    assert firm(att, "A")["land_m2"] == pytest.approx(2_000)
    assert firm(att, "A")["land_area_mu"] == pytest.approx(3.0)
    assert firm(att, "A")["n_parcels"] == 1
    assert "B" not in set(att.firms["credit_code"])
    assert firm(att, "C")["land_area_mu"] == pytest.approx(6.0)


def test_unknown_parcel_is_ignored() -> None:
    """An occupancy record naming a parcel that is not in ``parcels`` attributes nothing."""
    att = attribute_land(parcels(("P1", 2_000)), occupancy(
        occ("A", "P1", "owner"), occ("A", "P9", "owner")), YEAR, merge_landless_tenants=False)
    assert firm(att, "A")["land_area_mu"] == pytest.approx(3.0)
    assert firm(att, "A")["n_parcels"] == 1


def test_lease_on_parcel_without_owner_record_is_not_merged() -> None:
    """owner_merged, but P1 (9 000 m²) has no owner record this year (e.g. a village collective
    that is no evaluated firm): there is no landlord to merge into, so T keeps its lease,
    2 000 m² = 3 亩, and is evaluated on its own. T2 on P2 (owner L) is merged as usual."""
    att = attribute_land(parcels(("P1", 9_000), ("P2", 6_000)), occupancy(
        occ("T", "P1", "tenant", land=2_000),
        occ("L", "P2", "owner"), occ("T2", "P2", "tenant", land=1_000),
    ), YEAR, merge_landless_tenants=True)
    t = firm(att, "T")
    assert not t["merged"]
    assert pd.isna(t["landlord"])
    assert t["land_m2"] == pytest.approx(2_000)
    assert t["land_area_mu"] == pytest.approx(3.0)
    assert firm(att, "T2")["merged"]
    assert firm(att, "L")["land_area_mu"] == pytest.approx(9.0)    # 6 000 m², whole parcel
