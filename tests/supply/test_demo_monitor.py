"""The monitor finds exactly the demo city's planted contract breaches (issue #17), on both
stores.

The demo plants, per district, one contract per case of ``indspace.demo._contracts.PLANTS``
(idle one year — also once government-caused —, idle two years, stalled, late completion,
installment overdue, acceptance shortfall, blocked transfer, lease conversion due, renewal
window) and lists each expected (contract, rule) in its anomaly table; every other contract
was performed in full. As of the demo's day (2025-12-31) the findings must be those and no
other.
"""

from __future__ import annotations

from indspace.core.engines.supply_monitor import RULES
from indspace.services.demo import DEMO_AS_OF
from indspace.services.supply import run_monitor
from indspace.store import Store


def test_monitor_finds_exactly_the_planted_breaches(demo_store: Store) -> None:
    planted = demo_store.anomalies()
    planted = planted[planted["kind"] == "contract_breach"]
    expected = set(zip(planted["record_key"], planted["detail"].str.split(":").str[0], strict=True))
    assert {rule for _, rule in expected} == set(RULES)  # every rule is planted
    result = run_monitor(demo_store, DEMO_AS_OF)
    found = set(zip(result.alerts["contract_id"], result.alerts["rule"], strict=True))
    assert found == expected
    assert len(result.alerts) == len(expected)  # one row per finding
    # government-caused idling: a finding, but no fee
    gov = planted[planted["detail"].str.contains("idle_1y_government")]["record_key"]
    fees = result.alerts.set_index(["contract_id", "rule"])["amount_wan"]
    assert {fees[(k, "idle_1y")] for k in gov} == {"0"}
    assert result.summary()["by_status"].keys() <= {"overdue", "breach"}
