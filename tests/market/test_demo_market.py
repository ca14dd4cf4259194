"""The market scan finds exactly the demo city's planted speculation (issue #19), on both
stores; the contracts planted with the transfer cases raise no supply-monitor finding.

The demo plants, per district, one transaction per case of
``indspace.demo._transactions.PLANTS`` and lists each expected (transaction, rule) in its
anomaly table (kind ``market_flag``); every other transaction is clean. As of the demo's day
(2025-12-31) the flags must be those and no other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indspace.core.engines.market import RULES
from indspace.core.policy.profile import load_profile
from indspace.services.demo import DEMO_AS_OF
from indspace.services.market import run_scan
from indspace.services.supply import run_monitor
from indspace.store import Store


def test_scan_finds_exactly_the_planted_flags(demo_store: Store) -> None:
    planted = demo_store.anomalies()
    planted = planted[planted["kind"] == "market_flag"]
    expected = set(zip(planted["record_key"], planted["detail"].str.split(":").str[0], strict=True))
    assert {rule for _, rule in expected} == set(RULES)  # every rule is planted
    result = run_scan(demo_store, DEMO_AS_OF)
    found = set(zip(result.flags["transaction_id"], result.flags["rule"], strict=True))
    assert found == expected
    assert len(result.flags) == len(expected)  # one row per flag
    # every district has a watch list and indicators for every kind
    districts = set(demo_store.read_frame("districts", columns=["admin_code"])["admin_code"])
    assert set(result.watch["district"]) == districts
    assert set(result.indicators["kind"]) == {
        "land_transfer",
        "strata_sale",
        "sublease",
        "mortgage",
    }
    # the half-paid contracts of the transfer cases are no supply finding
    alerts = run_monitor(demo_store, DEMO_AS_OF).alerts
    assert not alerts["contract_id"].str.endswith("-ZR").any()


def test_demo_market_history_and_price_surface(small_demo: Path) -> None:
    """synthetic-data §6: transactions in every year of the demo's history (2021–2025), clean
    prices on the land-price surface of demo/_transactions.py — primary reference = 0.52 ×
    the profile's benchmark × (0.6 + 0.4·exp(−d / 25 km)) × 1.03^(year − 2025) — with a
    premium ratio LN(1.3, 0.3) cut at 2.4, and ≈ 3 % speculation above 2.5.

    The reference is recomputed here from the stored parcels (distance of the parcel's
    centre to 121.55° E 29.87° N = E 649 758, N 3 306 712 in EPSG:4549) and the profile."""
    with Store.open(small_demo) as store:
        tx = store.read_frame("transactions")
        parcels = store.read_frame("parcels", columns=["parcel_id", "district", "geometry"])
        planted = store.anomalies()
    planted = planted[planted["kind"] == "market_flag"]
    year = pd.to_datetime(tx["date"]).dt.year
    history = set(range(DEMO_AS_OF.year - 4, DEMO_AS_OF.year + 1))
    for kind in ("land_transfer", "strata_sale", "sublease", "mortgage"):
        assert set(year[tx["kind"] == kind]) == history, kind
    speculation = set(
        planted.loc[planted["detail"].str.contains("planted speculation"), "record_key"]
    )
    other = set(planted["record_key"]) - speculation
    sales = tx["kind"].isin(["land_transfer", "strata_sale"])
    n_sales = int(sales.sum())
    assert 0.01 * n_sales <= len(speculation) <= 0.06 * n_sales  # ≈ 3 % (§6)
    bench = load_profile("ningbo-demo").value("market_benchmarks", DEMO_AS_OF)
    p = parcels.set_index("parcel_id")
    centre = p.geometry.centroid.reindex(tx["parcel_id"])
    d = np.hypot(centre.x.to_numpy() - 649_758.0, centre.y.to_numpy() - 3_306_712.0)
    district = p["district"].reindex(tx["parcel_id"]).astype(str).to_numpy()
    kind = tx["kind"].to_numpy(object)
    table = [bench.get(k, bench["land_transfer"]) for k in kind]
    b = np.array([float(t.get(dc, t["default"])) for t, dc in zip(table, district, strict=True)])
    reference = 0.52 * b * (0.6 + 0.4 * np.exp(-d / 25_000.0)) * 1.03 ** (year - 2025)
    unit = tx["price_wan"].astype(float).to_numpy() * 10_000 / tx["area_m2"].to_numpy()
    ratio = unit / reference
    ids = tx["transaction_id"]
    # the planted cases of the other rules (and a flip's first sale) keep fixed prices
    case_parcels = set(tx.loc[ids.isin(other), "parcel_id"])
    clean = (~ids.isin(speculation) & ~tx["parcel_id"].isin(case_parcels)).to_numpy()
    assert clean.sum() > 200
    # cut at 2.4 (prices rounded to the 分 and to 0.01 元/m²: a hair of tolerance)
    assert ratio[clean].max() <= 2.4 + 1e-3
    assert 1.15 < np.median(ratio[clean]) < 1.45  # LN median 1.3
    assert ratio[ids.isin(speculation).to_numpy()].min() > 2.5
    # prices vary by district: the core (海曙, 江北: benchmark 2 400, near the centre) well
    # above the districts on the default benchmark (1 200, farther out)
    lt = clean & (kind == "land_transfer")
    core = np.isin(district, ["330203", "330205"])
    outer = ~np.isin(district, list(bench["land_transfer"]))
    assert np.median(unit[lt & core]) > 1.5 * np.median(unit[lt & outer])
