"""Installment rules of a land price (分期缴纳, 财综〔2009〕74号; land-rules E6), pure.

A contract of a mode in ``modes`` pays its price in installments: at least ``first_share``
of it within ``first_due_months`` of signing (the first payment itself), the whole price
within ``balance_due_months``, or ``special_balance_due_months`` for a special project
approved collectively (``installment_special``). Months are calendar periods after the
signing day (民法典 第二百零一条 – 第二百零三条, :mod:`indspace.core.periods`).

A contract's payment rows (``contract-events`` with ``event = payment``) are its schedule:
paid, or agreed to be paid on that day. :func:`schedule_breaches` names the rule a schedule
breaks, so an import refuses it; the monitor flags installments overdue as of a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.model.money import fraction, share_of
from indspace.core.periods import WorkCalendar, period_end

RULE_NAMES = (
    "installment_first_share",
    "installment_first_deadline",
    "installment_balance_deadline",
    "installment_special_deadline",
)
"""The four installment rules, in the order they are checked."""


@dataclass(frozen=True)
class InstallmentRules:
    first_share: Fraction
    first_due_months: int
    balance_due_months: int
    special_balance_due_months: int
    modes: tuple[str, ...]
    source: str

    @classmethod
    def from_profile(cls, value: dict[str, Any], modes: list[str], source: str) -> InstallmentRules:
        return cls(
            fraction(value["first_share_min"]),
            int(value["first_due_months"]),
            int(value["balance_due_months"]),
            int(value["special_balance_due_months"]),
            tuple(modes),
            source,
        )


def deadlines(
    signed: np.ndarray, special: np.ndarray, rules: InstallmentRules, calendar: WorkCalendar
) -> tuple[np.ndarray, np.ndarray]:
    """Last day of the first share and of the balance for each contract."""
    first = period_end(signed, calendar, months=rules.first_due_months)
    months = np.where(special, rules.special_balance_due_months, rules.balance_due_months)
    return first, period_end(signed, calendar, months=months)


def schedule_breaches(
    contracts: pd.DataFrame, payments: pd.DataFrame, rules: InstallmentRules, calendar: WorkCalendar
) -> pd.DataFrame:
    """The installment rule each payment row breaks (one row per breach).

    ``contracts``: ``contract_id``, ``mode``, ``signed`` (datetime64[D]), ``price`` (int64,
    10⁻⁶ 万元), ``special`` (bool). ``payments``: ``contract_id``, ``date``
    (datetime64[D]), ``amount`` (int64), ``pos`` (the caller's row id). Returns ``pos``,
    ``rule``, ``due`` (the deadline broken, datetime64[D]), ``required`` (int64: the first
    share) and ``price``.
    """
    cols = ["pos", "rule", "due", "required", "price"]
    c = contracts[contracts["mode"].isin(rules.modes)]
    if c.empty or payments.empty:
        return pd.DataFrame({k: [] for k in cols})
    first_due, balance_due = deadlines(
        c["signed"].to_numpy("datetime64[D]"), c["special"].to_numpy(bool), rules, calendar
    )
    info = pd.DataFrame(
        {
            "contract_id": c["contract_id"].to_numpy(),
            "first_due": first_due,
            "balance_due": balance_due,
            "price": c["price"].to_numpy(np.int64),
            "special": c["special"].to_numpy(bool),
        }
    )
    p = payments.merge(info, on="contract_id", how="inner")
    if p.empty:
        return pd.DataFrame({k: [] for k in cols})
    p = p.sort_values(["contract_id", "date", "pos"], kind="stable")
    first = ~p["contract_id"].duplicated().to_numpy()
    required = share_of(p["price"].to_numpy(np.int64), rules.first_share)
    d = p["date"].to_numpy("datetime64[D]")
    amount = p["amount"].to_numpy(np.int64)
    special = p["special"].to_numpy(bool)
    out = []
    checks = (
        ("installment_first_share", first & (amount < required), p["first_due"]),
        ("installment_first_deadline", first & (d > p["first_due"].to_numpy()), p["first_due"]),
        (
            "installment_balance_deadline",
            ~special & (d > p["balance_due"].to_numpy()),
            p["balance_due"],
        ),
        (
            "installment_special_deadline",
            special & (d > p["balance_due"].to_numpy()),
            p["balance_due"],
        ),
    )
    for name, mask, due in checks:
        if mask.any():
            out.append(
                pd.DataFrame(
                    {
                        "pos": p["pos"].to_numpy()[mask],
                        "rule": name,
                        "due": due.to_numpy("datetime64[D]")[mask],
                        "required": required[mask],
                        "price": p["price"].to_numpy(np.int64)[mask],
                    }
                )
            )
    if not out:
        return pd.DataFrame({k: [] for k in cols})
    return pd.concat(out, ignore_index=True)
