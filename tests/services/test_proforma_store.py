"""Pro forma results stored with the plan run, on GeoPackage and PostGIS (issue #18).

A hand-made plan run of two units (stored as `indspace lowuse plan` stores it, with the
ningbo-demo profile text) is appraised; the rows come back from the store with money as
exact 0.01 万元 text, the party balances add up to the NPV, and a second run on the same
plan gives byte-identical results.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from indspace.core.errors import NotFoundError, ValidationError
from indspace.core.policy import load_profile
from indspace.services import proforma
from indspace.store import Store
from indspace.store.lowuse_runs import save_lowuse_run
from indspace.store.proforma_runs import list_proforma_runs, read_proforma_results

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    prof = load_profile("ningbo-demo")
    units = pd.DataFrame(
        {
            "unit_id": ["U-A", "U-B"],
            "district": ["330203", "330205"],
            "parcel_count": [1, 3],
            "area_mu": [15.0, 45.0],
            "potential_gfa_m2": [15_000.0, 40_000.0],
            "project_type": ["upgrade_in_place", "renewal_transformation"],
            "mode": ["enterprise_led", "gov_led_contiguous"],
            "detail_json": [
                json.dumps(
                    {
                        "area_m2": 10_000.0,
                        "floor_area_m2": 5_000.0,
                        "collective_share": 0.0,
                        "target_far": 2.0,
                    }
                ),
                json.dumps(
                    {
                        "area_m2": 30_000.0,
                        "floor_area_m2": 20_000.0,
                        "collective_share": 0.6,
                        "target_far": 2.0,
                    }
                ),
            ],
        }
    )
    save_lowuse_run(
        s,
        {
            "year": 2025,
            "profile_id": prof.id,
            "profile_hash": prof.content_hash,
            "gap_m": 5.0,
            "profile_text": prof.text,
            "method_date": date(2025, 6, 1),
            "evaluation_run_id": None,
            "created_at": AT,
            "actor": "test",
            "summary_json": "{}",
        },
        pd.DataFrame(
            {
                "parcel_id": ["P1"],
                "criteria": ["low_far"],
                "triggers": ["low_far"],
                "unit_id": ["U-A"],
            }
        ),
        units,
    )
    yield s
    s.close()


def test_results_stored_with_the_plan_run(store: Store, tmp_path: Path) -> None:
    pf = proforma.run_proforma(store, None, proforma.MODES, actor="test", now=AT)
    assert pf.run is not None and pf.run["run_id"] == "proforma-lowuse-2025-v1-v1"
    rows = read_proforma_results(store, pf.run["run_id"])
    assert len(rows) == 8 and set(rows["mode"]) == set(proforma.MODES)
    assert rows["lowuse_run_id"].eq("lowuse-2025-v1").all()
    for r in rows.itertuples(index=False):
        money = [Decimal(getattr(r, f"balance_{p}_wan")) for p in proforma.PARTIES]
        assert all(m == m.quantize(Decimal("0.01")) for m in money)
        # each balance rounds on its own: the sum is the NPV within 4 × 0.005
        assert abs(sum(money) - Decimal(r.npv_wan)) <= Decimal("0.02")
        assert r.detail_json == ""  # the yearly detail is recomputed when asked for
    # the enterprise-led owners pay no compensation to themselves; gov-led owners receive it
    a = rows[rows["unit_id"] == "U-A"].set_index("mode")
    assert Decimal(a.at["enterprise_led", "balance_operator_wan"]) == 0
    assert Decimal(a.at["gov_led_contiguous", "balance_owners_wan"]) > 0
    # the collective (60 % of U-B) is paid for its land under gov-led, and shares rents in
    # the village mode
    b = rows[rows["unit_id"] == "U-B"].set_index("mode")
    assert Decimal(b.at["gov_led_contiguous", "balance_collective_wan"]) > 0
    assert Decimal(b.at["village_enterprise_coop", "balance_collective_wan"]) > 0
    runs = list_proforma_runs(store, "lowuse-2025-v1")
    assert list(runs["run_id"]) == ["proforma-lowuse-2025-v1-v1"]
    assert runs["method_date"].iloc[0] == date(2025, 6, 1)

    # a unit's yearly flows and tornado, recomputed from the stored run's plan and profile:
    # the headline figures are exactly the stored ones
    one = proforma.stored_unit_detail(store, pf.run["run_id"], "U-B")
    assert one["unit_id"] == "U-B" and [r["mode"] for r in one["rows"]] == list(proforma.MODES)
    for got in one["rows"]:
        want = b.loc[got["mode"]]
        assert len(got["project_wan"]) == 15 and len(got["tornado"]) == 7
        for c in ("npv_wan", "best_far_npv_wan", *(f"balance_{p}_wan" for p in proforma.PARTIES)):
            assert got[c] == want[c]
    with pytest.raises(NotFoundError):
        proforma.stored_unit_detail(store, "proforma-none-v1", "U-B")


def test_same_plan_same_bytes(store: Store, tmp_path: Path) -> None:
    one = proforma.run_proforma(store, ["U-B"], ("operator_led",), now=AT)
    two = proforma.run_proforma(store, ["U-B"], ("operator_led",), now=AT)
    assert two.run is not None and two.run["run_id"].endswith("-v2")
    for suffix in (".csv", ".json", ".xlsx"):
        a = proforma.write_proforma(tmp_path / f"a{suffix}", one)
        b = proforma.write_proforma(tmp_path / f"b{suffix}", two)
        if suffix == ".json":  # the stored run ids differ; everything else is the same
            ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
            ja.pop("proforma_run_id"), jb.pop("proforma_run_id")
            assert ja == jb
        elif suffix == ".csv":
            assert a.read_bytes() == b.read_bytes()
    first = read_proforma_results(store, one.run["run_id"]).drop(columns=["run_id"])
    second = read_proforma_results(store, two.run["run_id"]).drop(columns=["run_id"])
    pd.testing.assert_frame_equal(first, second)


def test_bad_unit_mode_and_run_are_named(store: Store) -> None:
    with pytest.raises(NotFoundError) as e:
        proforma.compute(store, ["U-NONE"], proforma.MODES)
    assert e.value.where == "UNIT_ID" and "U-NONE" in str(e.value)
    with pytest.raises(ValidationError) as v:
        proforma.compute(store, ["U-A"], ("castle",))
    assert v.value.where == "--mode"
    with pytest.raises(NotFoundError) as r:
        proforma.compute(store, ["U-A"], proforma.MODES, "lowuse-1999-v1")
    assert r.value.where == "--run"
