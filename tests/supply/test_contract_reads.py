"""The monitor's fast store read (issue #17): contracts and events with money as exact
integers of 10⁻⁶ 万元 and days as datetime64, on both stores, equal to what the Decimal path
(``Store.read_frame`` → ``exact_contracts``) gives, with the amounts worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from indspace.core.model.money import MISSING, micro_wan_text
from indspace.services.supply import exact_contracts, exact_events
from indspace.store import Store
from indspace.store.contract_reads import read_contracts_exact, read_events_exact

A = "91330200MA2AAAAA0G"
B = "91330200MA2BBBBB0Q"


def contracts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contract_id": ["HT-2", "HT-1", "HT-3"],
            "parcel_id": ["P2", "P1", "P3"],
            "credit_code": [A, A, B],
            "mode": ["grant", "grant", "lease_then_grant"],
            "signed": [date(2020, 2, 29), date(2019, 1, 2), date(2021, 6, 1)],
            "term_years": [50, 50, 5],
            "price_wan": [Decimal("1234.56"), Decimal("0.000001"), Decimal("98765432.123456")],
            "area_m2": [10_000.5, 2000.0, 0.1],
            "start_deadline": [date(2020, 8, 29), None, date(2021, 12, 1)],
            "completion_deadline": [None, date(2021, 1, 2), date(2023, 6, 1)],
            "investment_commitment_wan": [Decimal("4500"), None, Decimal("12.5")],
            "tax_per_mu_commitment_wan": [None, Decimal("30.25"), None],
            "far_min": [1.0, None, 1.2],
            "far_max": [3.0, None, None],
            "idle_cause": [None, "government", None],
            "installment_special": [True, False, None],
            "is_synthetic": [True, True, True],
        }
    )


def events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contract_id": ["HT-2", "HT-1", "HT-2", "HT-2"],
            "event": ["payment", "start", "payment", "stop"],
            "date": [date(2021, 3, 1), date(2019, 4, 1), date(2020, 3, 10), date(2022, 1, 1)],
            "amount_wan": [Decimal("617.28"), None, Decimal("617.28"), None],
            "developed_area_m2": [None, None, None, 1000.25],
            "invested_wan": [None, None, None, Decimal("450.000001")],
            "note": [None, "x", None, None],
            "is_synthetic": [True] * 4,
        }
    )


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    s = Store.create(db_url, overwrite=True)
    s.write_frames(
        {"contracts": contracts(), "contract_events": events()},
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    yield s
    s.close()


def test_exact_read_equals_the_decimal_path(store: Store) -> None:
    got = read_contracts_exact(store)
    want = exact_contracts(store.read_frame("contracts"))
    pd.testing.assert_frame_equal(got, want[list(got.columns)], check_dtype=False)
    # by hand: 1234.56 万元 = 1 234 560 000 units of 10⁻⁶ 万元; 0.000001 万元 = 1 unit (1 分);
    # 98 765 432.123456 万元 = 98 765 432 123 456 units; empty = MISSING (−1)
    assert got["contract_id"].tolist() == ["HT-1", "HT-2", "HT-3"]  # natural-key order
    assert got["price_wan"].tolist() == [1, 1_234_560_000, 98_765_432_123_456]
    assert got["investment_commitment_wan"].tolist() == [MISSING, 4_500_000_000, 12_500_000]
    assert got["tax_per_mu_commitment_wan"].tolist() == [30_250_000, MISSING, MISSING]
    assert got["signed"].tolist()[1] == np.datetime64("2020-02-29")
    assert np.isnat(got["start_deadline"].to_numpy()[0])
    assert got["installment_special"].tolist() == [False, True, False]
    ev = read_events_exact(store)
    pd.testing.assert_frame_equal(
        ev, exact_events(store.read_frame("contract_events"))[list(ev.columns)], check_dtype=False
    )
    # sorted by contract, event, day; 450.000001 万元 = 450 000 001 units
    assert list(zip(ev["contract_id"], ev["event"], strict=True)) == [
        ("HT-1", "start"),
        ("HT-2", "payment"),
        ("HT-2", "payment"),
        ("HT-2", "stop"),
    ]
    assert ev["amount_wan"].tolist() == [MISSING, 617_280_000, 617_280_000, MISSING]
    assert ev["invested_wan"].tolist()[-1] == 450_000_001


def test_one_firms_contracts_and_their_events(store: Store) -> None:
    assert read_contracts_exact(store, credit_code=B)["contract_id"].tolist() == ["HT-3"]
    assert read_events_exact(store, credit_code=B).empty
    assert set(read_events_exact(store, credit_code=A)["contract_id"]) == {"HT-1", "HT-2"}


def test_text_arrow_cannot_take_exactly_falls_back_to_half_even() -> None:
    # 7 decimals: rounded half-even to the 分 as micro_wan does (0.0000005 → 0, 0.0000015 → 2)
    assert micro_wan_text(["0.0000005", "0.0000015", None]).tolist() == [0, 2, MISSING]
    assert micro_wan_text([" 2.5"]).tolist() == [2_500_000]
