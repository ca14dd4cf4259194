"""The market scan finds exactly the demo city's planted speculation (issue #19), on both
stores; the contracts planted with the transfer cases raise no supply-monitor finding.

The demo plants, per district, one transaction per case of
``indspace.demo._transactions.PLANTS`` and lists each expected (transaction, rule) in its
anomaly table (kind ``market_flag``); every other transaction is clean. As of the demo's day
(2025-12-31) the flags must be those and no other.
"""

from __future__ import annotations

from indspace.core.engines.market import RULES
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
