"""Matching runs kept in the store (issue #19) on both backends: the rows read back as written
(rents as exact decimal text), the run id numbers the runs of a day, pages scope by role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from indspace.core.access import Principal
from indspace.core.engines.matching import MatchWeights, match
from indspace.services import matching as svc
from indspace.store import Store
from indspace.store.match_runs import read_match_results

DAY = date(2026, 1, 1)
NOW = datetime(2026, 1, 2, tzinfo=UTC)
W = MatchWeights.from_value(
    {
        "serve": 1,
        "rent": 1,
        "chain_leader": 0.5,
        "chain_suppliers": 0.25,
        "park_specialisation": 0.5,
        "commute": 0.25,
        "affinity_scale_m": 5000,
        "commute_scale_m": 10000,
        "binding_slack_share": 0.05,
        "binding_slack_days": 30,
    }
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    yield s
    s.close()


def test_runs_round_trip_and_scope(store: Store) -> None:
    demands = pd.DataFrame(
        {
            "demand_id": ["D1", "D2"],
            "credit_code": ["C1", "C2"],
            "kind": ["floor", "floor"],
            "min_area_m2": [100.0, 100.0],
            "max_area_m2": [200.0, 200.0],
            "pollution_class": [1, 1],
            "min_load_kn_m2": [None, 10.0],
            "max_rent_yuan_m2_month": [None, None],
            "districts": [None, None],
            "start": [DAY, DAY],
        }
    )
    spaces = pd.DataFrame(
        {
            "space_id": ["S1"],
            "kind": ["floor"],
            "area_m2": [150.25],
            "load_kn_m2": [8.0],
            "clear_height_m": [6.0],
            "power_kva": [100.0],
            "max_pollution_class": [1],
            "district": ["330212"],
            "park_id": [None],
            "rent_yuan_m2_month": [Decimal("20.05")],
            "available_from": [None],
        }
    )
    result = svc.MatchRun(match(demands, spaces, as_of=DAY, weights=W), spaces, 0.1)
    a = svc.save_run(store, result, objective="count-then-rent", on=DAY, now=NOW)
    b = svc.save_run(store, result, objective="count-then-rent", on=DAY, now=NOW)
    assert (a["run_id"], b["run_id"]) == ("match-2026-01-01-v1", "match-2026-01-01-v2")
    rows = read_match_results(store, a["run_id"])
    # D2 needs 10 kN/m², S1 has 8: D1 takes S1, 150.25 m² × 20.05 元 = 3 012.5125 → 3 012.51
    assert rows["space_id"].fillna("").tolist() == ["S1", ""]
    assert rows["rent_yuan_month"].iloc[0] == "3012.51"
    assert rows["rent_yuan_m2_month"].iloc[0] == "20.05"
    run, seen = svc.stored_rows(store, None, who=Principal("a", "city_admin"))
    assert run["run_id"] == b["run_id"] and len(seen) == 2
    assert run["summary"]["objective"]["served"] == 1 and "seconds" not in run["summary"]
    _, mine = svc.stored_rows(store, None, who=Principal("f", "enterprise", credit_code="C2"))
    assert mine["demand_id"].tolist() == ["D2"]
    _, served = svc.stored_rows(store, a["run_id"], who=Principal("a", "auditor"), served="no")
    assert served["demand_id"].tolist() == ["D2"]
