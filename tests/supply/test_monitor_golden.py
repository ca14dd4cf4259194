"""Golden tests of the contract monitor at every boundary (issue #17).

Periods are counted by the calendar (民法典 第二百零一条 – 第二百零三条): the starting day is
not counted, a period ends on the corresponding day (the month's last day when there is none)
and a last day that is a rest day moves to the next working day of the CN calendar. Every
expected date below is worked by hand in the comments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from indspace.services.supply import engine_inputs, monitor_frame, supply_params
from indspace.settings import DEFAULT_PROFILE

CODE = "91330200MA2AAAAA0G"


def contract(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "contract_id": "C1",
        "parcel_id": "P1",
        "credit_code": CODE,
        "mode": "grant",
        "signed": date(2022, 1, 10),
        "term_years": 50,
        "price_wan": Decimal("1000"),
        "area_m2": 20000.0,
        "start_deadline": None,
        "completion_deadline": None,
        "investment_commitment_wan": None,
        "tax_per_mu_commitment_wan": None,
        "idle_cause": None,
        "installment_special": False,
    }
    base.update(kw)
    return base


def event(event: str, day: date, **kw: object) -> dict[str, object]:
    return {
        "contract_id": kw.pop("contract_id", "C1"),
        "event": event,
        "date": day,
        "amount_wan": kw.get("amount_wan"),
        "developed_area_m2": kw.get("developed_area_m2"),
        "invested_wan": kw.get("invested_wan"),
    }


def paid_in_full(day: date = date(2022, 1, 20), amount: str = "1000") -> dict[str, object]:
    return event("payment", day, amount_wan=Decimal(amount))


def run(
    contracts: list[dict[str, object]],
    events: list[dict[str, object]],
    as_of: date,
    grades: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    cols = ["contract_id", "event", "date", "amount_wan", "developed_area_m2", "invested_wan"]
    c, e = engine_inputs(
        pd.DataFrame(contracts), pd.DataFrame(events, columns=cols), indicators, grades
    )
    return monitor_frame(c, e, as_of, supply_params(as_of, DEFAULT_PROFILE))


def rows(result: pd.DataFrame, rule: str) -> list[tuple[str, str, str, str]]:
    r = result[result["rule"] == rule]
    return list(zip(r["status"], r["since"], r["due"], r["amount_wan"], strict=True))


# --- idle_1y / idle_2y ----------------------------------------------------------------------
# agreed start 2023-03-07: one full year ends at the end of 2024-03-07 (a Thursday, working),
# two full years at the end of 2025-03-07 (a Friday, working). Fee = 20 % × 1000 = 200 万元.
START = [contract(start_deadline=date(2023, 3, 7))]


def test_idle_one_year_day_before_and_after() -> None:
    # 2024-03-07 is the last day of the year: due within the 30-day notice, not overdue yet
    assert rows(run(START, [paid_in_full()], date(2024, 3, 7)), "idle_1y") == [
        ("upcoming", "2024-02-06", "2024-03-07", "200")
    ]
    # the finding shows from 2024-03-08
    assert rows(run(START, [paid_in_full()], date(2024, 3, 8)), "idle_1y") == [
        ("overdue", "2024-03-08", "2024-03-07", "200")
    ]
    # 2024-02-05 is 31 days before: nothing yet
    assert rows(run(START, [paid_in_full()], date(2024, 2, 5)), "idle_1y") == []


def test_idle_two_years_day_before_and_after() -> None:
    assert rows(run(START, [paid_in_full()], date(2025, 3, 7)), "idle_2y") == [
        ("upcoming", "2025-02-05", "2025-03-07", "")
    ]
    assert rows(run(START, [paid_in_full()], date(2025, 3, 8)), "idle_2y") == [
        ("overdue", "2025-03-08", "2025-03-07", "")
    ]


def test_started_on_the_last_day_is_not_idle() -> None:
    r = run(START, [paid_in_full(), event("start", date(2024, 3, 7))], date(2024, 3, 8))
    assert rows(r, "idle_1y") == []


def test_idle_across_a_leap_day() -> None:
    # start 2024-02-29: no 29 February in 2025, so the year ends on 2025-02-28 (第二百零二条,
    # a Friday, working); two years end on 2026-02-28, a Saturday that is a 调休 working day
    # in the CN calendar (Spring Festival 2026), so it is not moved
    c = [contract(start_deadline=date(2024, 2, 29))]
    assert rows(run(c, [paid_in_full()], date(2025, 2, 28)), "idle_1y")[0][0] == "upcoming"
    assert rows(run(c, [paid_in_full()], date(2025, 3, 1)), "idle_1y") == [
        ("overdue", "2025-03-01", "2025-02-28", "200")
    ]
    assert rows(run(c, [paid_in_full()], date(2026, 2, 28)), "idle_2y")[0][0] == "upcoming"
    assert rows(run(c, [paid_in_full()], date(2026, 3, 1)), "idle_2y") == [
        ("overdue", "2026-03-01", "2026-02-28", "")
    ]


def test_idle_across_a_holiday() -> None:
    # start 2023-10-01: the year would end on 2024-10-01, National Day (holiday 10-01…10-07),
    # so it ends on the next working day 2024-10-08 (第二百零三条); overdue from 2024-10-09
    c = [contract(start_deadline=date(2023, 10, 1))]
    assert rows(run(c, [paid_in_full()], date(2024, 10, 8)), "idle_1y") == [
        ("upcoming", "2024-09-08", "2024-10-08", "200")
    ]
    assert rows(run(c, [paid_in_full()], date(2024, 10, 9)), "idle_1y") == [
        ("overdue", "2024-10-09", "2024-10-08", "200")
    ]


def test_government_cause_waives_the_fee() -> None:
    c = [contract(start_deadline=date(2023, 3, 7), idle_cause="government")]
    r = run(c, [paid_in_full()], date(2024, 3, 8))
    assert rows(r, "idle_1y") == [("overdue", "2024-03-08", "2024-03-07", "0")]
    assert "政府原因" in r.loc[r["rule"] == "idle_1y", "basis"].iloc[0]


def test_extension_moves_the_start() -> None:
    # extension to 2023-09-07: the year ends 2024-09-07, a Saturday → Monday 2024-09-09
    ev = [paid_in_full(), event("extension", date(2023, 9, 7))]
    assert rows(run(START, ev, date(2024, 3, 8)), "idle_1y") == []
    assert rows(run(START, ev, date(2024, 9, 10)), "idle_1y") == [
        ("overdue", "2024-09-10", "2024-09-09", "200")
    ]


# --- stalled_1y -----------------------------------------------------------------------------
# started 2022-06-01, stopped 2023-05-10; the year of stoppage ends 2024-05-10 (a Friday).
def stalled(developed: float, invested: str) -> list[dict[str, object]]:
    return [
        paid_in_full(),
        event("start", date(2022, 6, 1)),
        event(
            "stop", date(2023, 5, 10), developed_area_m2=developed, invested_wan=Decimal(invested)
        ),
    ]


STALL = [contract(start_deadline=date(2022, 6, 1), investment_commitment_wan=Decimal("8000"))]


def test_stalled_one_year_boundary() -> None:
    # 6000 m² of 20000 (< 1/3 = 6666.67) and 1000 of 8000 invested (< 25 % = 2000)
    ev = stalled(6000.0, "1000")
    assert rows(run(STALL, ev, date(2024, 5, 10)), "stalled_1y")[0][0] == "upcoming"
    assert rows(run(STALL, ev, date(2024, 5, 11)), "stalled_1y") == [
        ("overdue", "2024-05-11", "2024-05-10", "200")
    ]


def test_stalled_needs_too_little_done() -> None:
    # exactly 1/3 of the area (20000 / 3 is not whole: use 7000 ≥ 6666.67) and exactly 25 %
    # of the investment (2000 of 8000): neither is "below", so not idle land
    assert rows(run(STALL, stalled(7000.0, "2000"), date(2024, 6, 1)), "stalled_1y") == []
    # investment alone below 25 % is enough
    assert len(rows(run(STALL, stalled(7000.0, "1999.99"), date(2024, 6, 1)), "stalled_1y")) == 1


def test_resumed_is_not_stalled() -> None:
    ev = [*stalled(6000.0, "1000"), event("resume", date(2024, 1, 2))]
    assert rows(run(STALL, ev, date(2024, 6, 1)), "stalled_1y") == []


# --- late completion ------------------------------------------------------------------------
def test_late_completion_boundary() -> None:
    # agreed completion 2025-06-30 (a Monday): overdue from 2025-07-01
    c = [contract(completion_deadline=date(2025, 6, 30))]
    assert rows(run(c, [paid_in_full()], date(2025, 6, 30)), "late_completion")[0][0] == "upcoming"
    assert rows(run(c, [paid_in_full()], date(2025, 7, 1)), "late_completion") == [
        ("overdue", "2025-07-01", "2025-06-30", "")
    ]
    done = [paid_in_full(), event("completion", date(2025, 6, 30))]
    assert rows(run(c, done, date(2025, 7, 1)), "late_completion") == []


# --- installments ---------------------------------------------------------------------------
# signed 2024-01-15, price 1000: first share 50 % = 500 due one month later, 2024-02-15 —
# inside the Spring Festival holiday (02-10…02-17), so 2024-02-18 (a Sunday worked, 调休);
# balance due 12 months after signing, 2025-01-15 (a Wednesday).
INST = [contract(signed=date(2024, 1, 15))]


def test_first_share_overdue_across_the_holiday() -> None:
    assert rows(run(INST, [], date(2024, 2, 18)), "installment_overdue") == [
        ("upcoming", "2024-01-19", "2024-02-18", "500")
    ]
    assert rows(run(INST, [], date(2024, 2, 19)), "installment_overdue") == [
        ("overdue", "2024-02-19", "2024-02-18", "500")
    ]


def test_balance_overdue() -> None:
    half = [event("payment", date(2024, 2, 1), amount_wan=Decimal("500"))]
    assert rows(run(INST, half, date(2025, 1, 15)), "installment_overdue") == [
        ("upcoming", "2024-12-16", "2025-01-15", "500")
    ]
    assert rows(run(INST, half, date(2025, 1, 16)), "installment_overdue") == [
        ("overdue", "2025-01-16", "2025-01-15", "500")
    ]
    full = [*half, event("payment", date(2025, 1, 15), amount_wan=Decimal("500"))]
    assert rows(run(INST, full, date(2025, 1, 16)), "installment_overdue") == []


def test_special_project_has_24_months() -> None:
    # special: balance due 2026-01-15 (a Thursday)
    c = [contract(signed=date(2024, 1, 15), installment_special=True)]
    half = [event("payment", date(2024, 2, 1), amount_wan=Decimal("500"))]
    assert rows(run(c, half, date(2025, 1, 16)), "installment_overdue") == []
    assert rows(run(c, half, date(2026, 1, 16)), "installment_overdue") == [
        ("overdue", "2026-01-16", "2026-01-15", "500")
    ]


def test_a_lease_pays_no_installments() -> None:
    c = [contract(signed=date(2024, 1, 15), mode="long_term_lease", term_years=20)]
    assert rows(run(c, [], date(2025, 6, 1)), "installment_overdue") == []


# --- transfer -------------------------------------------------------------------------------
TR = [contract(investment_commitment_wan=Decimal("8000"))]


def test_transfer_before_full_payment_is_blocked() -> None:
    ev = [
        event("payment", date(2022, 1, 20), amount_wan=Decimal("600")),
        event("transfer", date(2022, 6, 1), invested_wan=Decimal("4000")),
    ]
    assert rows(run(TR, ev, date(2022, 7, 1)), "transfer_blocked") == [
        ("breach", "2022-06-01", "2022-06-01", "400")
    ]


def test_transfer_needs_a_quarter_of_the_investment() -> None:
    # 1999.99 of 8000 is below 25 %; 2000 is exactly 25 %: allowed
    low = [paid_in_full(), event("transfer", date(2023, 6, 1), invested_wan=Decimal("1999.99"))]
    assert rows(run(TR, low, date(2023, 7, 1)), "transfer_blocked") == [
        ("breach", "2023-06-01", "2023-06-01", "")
    ]
    ok = [paid_in_full(), event("transfer", date(2023, 6, 1), invested_wan=Decimal("2000"))]
    assert rows(run(TR, ok, date(2023, 7, 1)), "transfer_blocked") == []


# --- acceptance against the evaluated figures -----------------------------------------------
def test_acceptance_shortfall() -> None:
    # 20000 m² = 30 亩; the firm's tax 600 万元 → 20 万元/亩 < the 25 committed.
    # investment 6000 of 8000: penalty 1000 × (8000 − 6000) ÷ 8000 = 250 万元
    c = [
        contract(investment_commitment_wan=Decimal("8000"), tax_per_mu_commitment_wan=Decimal("25"))
    ]
    ind = pd.DataFrame({"credit_code": [CODE], "year": [2024], "tax": [600.0]})
    ev = [paid_in_full(), event("acceptance", date(2025, 3, 1), invested_wan=Decimal("6000"))]
    r = run(c, ev, date(2025, 4, 1), indicators=ind)
    assert rows(r, "acceptance_shortfall") == [("breach", "2025-03-01", "2025-03-01", "250")]
    ind_ok = pd.DataFrame({"credit_code": [CODE], "year": [2024], "tax": [750.0]})
    ev_ok = [paid_in_full(), event("acceptance", date(2025, 3, 1), invested_wan=Decimal("8000"))]
    assert rows(run(c, ev_ok, date(2025, 4, 1), indicators=ind_ok), "acceptance_shortfall") == []


# --- lease then grant -----------------------------------------------------------------------
def test_lease_then_grant_conversion_due() -> None:
    # a 5-year lease signed 2020-06-01 ends on 2025-06-01, a Sunday — and 06-02 is the
    # Dragon Boat holiday (05-31…06-02) — so on Tuesday 2025-06-03
    c = [contract(mode="lease_then_grant", term_years=5, signed=date(2020, 6, 1))]
    assert rows(run(c, [], date(2025, 6, 3)), "lease_conversion_due") == [
        ("upcoming", "2025-05-04", "2025-06-03", "")
    ]
    assert rows(run(c, [], date(2025, 6, 4)), "lease_conversion_due") == [
        ("overdue", "2025-06-04", "2025-06-03", "")
    ]
    granted = [
        *c,
        contract(contract_id="C2", mode="grant", signed=date(2025, 5, 20), term_years=45),
    ]
    r = run(
        granted,
        [event("payment", date(2025, 5, 25), contract_id="C2", amount_wan=Decimal("1000"))],
        date(2025, 6, 4),
    )
    assert rows(r, "lease_conversion_due") == []


# --- renewal --------------------------------------------------------------------------------
def test_renewal_window_and_eligibility() -> None:
    # 20 years from 2006-07-01: expiry 2026-07-01; apply 365 days before, by 2025-07-01
    c = [contract(signed=date(2006, 7, 1), term_years=20)]
    ev = [paid_in_full(date(2006, 7, 10))]
    grades = pd.DataFrame({"credit_code": [CODE], "grade": ["D"]})
    r = run(c, ev, date(2025, 6, 1), grades=grades)
    assert rows(r, "renewal_window") == [("upcoming", "2025-06-01", "2025-07-01", "")]
    assert "not eligible" in r.loc[r["rule"] == "renewal_window", "basis"].iloc[0]
    r = run(c, ev, date(2025, 7, 2), grades=pd.DataFrame({"credit_code": [CODE], "grade": ["B"]}))
    assert rows(r, "renewal_window") == [("overdue", "2025-07-02", "2025-07-01", "")]
    assert "/ eligible" in r.loc[r["rule"] == "renewal_window", "basis"].iloc[0]
    applied = [*ev, event("renewal_application", date(2025, 6, 20))]
    assert rows(run(c, applied, date(2025, 7, 2)), "renewal_window") == []
    assert rows(run(c, ev, date(2025, 5, 31)), "renewal_window") == []


@pytest.mark.parametrize("as_of", [date(2024, 3, 8), date(2025, 3, 8)])
def test_same_inputs_same_output(as_of: date) -> None:
    a = run(START, [paid_in_full()], as_of)
    b = run(START, [paid_in_full()], as_of)
    assert a.to_csv(index=False) == b.to_csv(index=False)
