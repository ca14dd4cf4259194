"""Full-lifecycle supervision of land-supply contracts as of a day (issue #17), vectorised.

One row per finding: ``contract_id, parcel_id, credit_code, rule, status, since, due,
amount, basis``. ``status`` is ``overdue`` (a deadline has passed: the finding holds from
``since`` = the day after ``due``), ``upcoming`` (the deadline ``due`` falls within the
notice window: act before it) or ``breach`` (an act broke the contract on ``since``).
Periods are calendar periods (民法典 第二百零一条 – 第二百零三条, :mod:`indspace.core.periods`):
the starting day is not counted and a period ending on a rest day ends on the next working
day. Only events dated on or before the as-of day count.

Rules (land-rules D, E, F; every number from the profile, :class:`SupplyParams`):

* ``idle_1y`` — not started one full year after the agreed start (or its extension):
  土地闲置费 = ``idle_fee_rate`` × price, waived (0) when ``idle_cause`` is government or
  force majeure;
* ``idle_2y`` — two full years: 无偿收回 (not for government-caused idling);
* ``stalled_1y`` — started, developed area < ``area_share`` of the area or investment <
  ``investment_share`` of the commitment, and stopped (no resume since) one full year: the
  idle fee as above;
* ``late_completion`` — not completed by the agreed completion day;
* ``installment_overdue`` — less than the first share paid after its deadline, or less than
  the price after the balance deadline: the unpaid amount;
* ``acceptance_shortfall`` — at 达产验收, the firm's evaluated tax per mu or its investment
  below the commitment: penalty ``price × (agreed − actual) ÷ agreed`` on the investment;
* ``transfer_blocked`` — a transfer before full payment or before ``transfer_min_investment``
  of the investment commitment;
* ``lease_conversion_due`` — 先租后让: the lease ends and no grant contract followed;
* ``renewal_window`` — the renewal application is due (``renewal_apply_lead_days`` before
  expiry) and none was filed; the basis gives the firm's grade, commitments and eligibility.

Money is integer 10⁻⁶ 万元 (:mod:`indspace.core.model.money`); no policy number is written
here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd

from indspace.core.model.installments import InstallmentRules, deadlines
from indspace.core.model.money import MISSING, display_wan, share_of
from indspace.core.periods import WorkCalendar, add_calendar, period_end

ALERT_COLUMNS = (
    "contract_id",
    "parcel_id",
    "credit_code",
    "rule",
    "status",
    "since",
    "due",
    "amount_wan",
    "basis",
)
"""The columns of the alert table (issue #17), in order."""
RULES = (
    "idle_1y",
    "idle_2y",
    "stalled_1y",
    "late_completion",
    "installment_overdue",
    "acceptance_shortfall",
    "transfer_blocked",
    "lease_conversion_due",
    "renewal_window",
)
"""Rule names, in the order rows are listed for one contract."""
STATUSES = ("overdue", "upcoming", "breach")

_NAT = np.datetime64("NaT", "D")
MU_M2 = Fraction(2000, 3)


@dataclass(frozen=True)
class SupplyParams:
    """The profile's supervision parameters in force on the as-of day, with their sources."""

    idle_fee_rate: Fraction
    idle_years: int
    recovery_years: int
    waiving_causes: tuple[str, ...]
    stall_area_share: Fraction
    stall_investment_share: Fraction
    stall_years: int
    installments: InstallmentRules
    transfer_min_investment: Fraction
    renewal_lead_days: int
    renewal_excluded_grades: tuple[str, ...]
    renewal_requires_performance: bool
    notice_days: int
    sources: dict[str, str]


def monitor(
    contracts: pd.DataFrame,
    events: pd.DataFrame,
    as_of: date,
    params: SupplyParams,
    calendar: WorkCalendar,
    notice_days: int | None = None,
) -> pd.DataFrame:
    """Findings as of ``as_of``.

    ``contracts`` columns: ``contract_id, parcel_id, credit_code, mode, signed, term_years,
    price, area_m2, start_deadline, completion_deadline, investment_commitment,
    tax_per_mu_commitment`` (float 万元/亩, NaN unknown), ``idle_cause``, ``special`` (bool),
    ``achieved_tax_per_mu`` (float: the firm's evaluated tax ÷ the contract's mu, NaN
    unknown), ``grade`` (the firm's latest 亩均 grade or None), ``converted`` (bool: a grant
    contract followed the lease). Dates are datetime64[D]; money int64 (10⁻⁶ 万元,
    :data:`MISSING` = −1 for unknown). ``events``: ``contract_id, event, date, amount,
    developed_area_m2, invested``. Returns :data:`ALERT_COLUMNS` with ``amount_wan`` as
    int64 10⁻⁶ 万元 (−1 none) and ``since``/``due`` as datetime64[D]; sorted by contract, rule
    order.
    """
    window = np.timedelta64(params.notice_days if notice_days is None else notice_days, "D")
    d = np.datetime64(as_of, "D")
    c = contracts.reset_index(drop=True)
    n = len(c)
    ids = c["contract_id"].to_numpy(dtype=object)
    # events as plain arrays, positions of their contracts (given, or looked up once)
    keep = events["date"].to_numpy("datetime64[D]") <= d
    if "contract_pos" in events.columns:
        pos = events["contract_pos"].to_numpy(np.int64)
    else:
        pos = pd.Index(ids).get_indexer(events["contract_id"].to_numpy(dtype=object))
    keep &= pos >= 0
    agg = _aggregate(events, keep, pos[keep], n)
    price = c["price"].to_numpy(np.int64)
    area = c["area_m2"].to_numpy(np.float64)
    invest_commit = c["investment_commitment"].to_numpy(np.int64)
    waived = c["idle_cause"].isin(params.waiving_causes).to_numpy(bool)
    mode = c["mode"].to_numpy(dtype=object)
    fee = np.where(waived, 0, share_of(price, params.idle_fee_rate))
    out: list[dict[str, np.ndarray]] = []

    def emit(
        rule: str,
        mask: np.ndarray,
        status: np.ndarray | str,
        since: np.ndarray,
        due: np.ndarray,
        amount: np.ndarray | int,
        basis: Callable[[np.ndarray], list[str]],
    ) -> None:
        """Rows for the contracts in ``mask``; ``basis`` texts are built for those only."""
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        k = len(idx)

        def pick(v: np.ndarray | str | int, dtype: str | type) -> np.ndarray:
            return np.asarray(v[idx] if isinstance(v, np.ndarray) else np.full(k, v), dtype=dtype)

        out.append(
            {
                "_pos": idx,
                "_rule": np.full(k, RULES.index(rule)),
                "rule": np.full(k, rule, dtype=object),
                "status": pick(status, object),
                "since": pick(since, "datetime64[D]"),
                "due": pick(due, "datetime64[D]"),
                "amount_wan": pick(amount, np.int64),
                "basis": np.asarray(basis(idx), dtype=object),
            }
        )

    def status_of(due: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """overdue past ``due``, upcoming within the window; (mask, status, since)."""
        ok = when & ~np.isnat(due)
        over = ok & (d > due)
        soon = ok & ~over & (due - d <= window)
        status = np.where(over, "overdue", "upcoming").astype(object)
        since = np.where(over, due + np.timedelta64(1, "D"), due - window)
        return over | soon, status, since

    # --- idle: not started ------------------------------------------------------------------
    start = c["start_deadline"].to_numpy("datetime64[D]")
    start = np.where(np.isnat(agg["extension"]), start, np.maximum(agg["extension"], start))
    not_started = np.isnat(agg["start"]) & ~np.isnat(start)
    for rule, years, amount, what, src in (
        ("idle_1y", params.idle_years, fee, "土地闲置费 idle fee", params.sources.get("idle", "")),
        (
            "idle_2y",
            params.recovery_years,
            np.full(n, MISSING, np.int64),
            "无偿收回 recovery without compensation",
            params.sources.get("recovery", ""),
        ),
    ):
        due = period_end(start, calendar, years=years)
        mask, status, since = status_of(due, not_started)

        def idle_basis(
            i: np.ndarray, years: int = years, what: str = what, src_idle: str = src
        ) -> list[str]:
            return [
                f"约定动工日 {s} 起满{years}年未动工 / not started {years} full year(s) after "
                f"the agreed start {s}: {what}"
                + (
                    "；政府原因，免收闲置费、不得无偿收回 / government-caused: no fee, no recovery"
                    if w
                    else ""
                )
                + f" ({src_idle})"
                for s, w in zip(start[i].astype(str), waived[i], strict=True)
            ]

        emit(rule, mask, status, since, due, amount, idle_basis)

    # --- stalled: started, too little done, stopped one full year ---------------------------
    stopped = ~np.isnat(agg["stop"]) & (np.isnat(agg["resume"]) | (agg["resume"] < agg["stop"]))
    dev = agg["developed_area_m2"]
    inv = agg["invested"]
    sa = params.stall_area_share
    si = params.stall_investment_share
    low_area = ~np.isnan(dev) & (dev * sa.denominator < area * sa.numerator)
    low_inv = (
        (inv >= 0) & (invest_commit > 0) & (inv * si.denominator < invest_commit * si.numerator)
    )
    stall_due = period_end(agg["stop"], calendar, years=params.stall_years)
    mask, status, since = status_of(
        stall_due, ~np.isnat(agg["start"]) & stopped & (low_area | low_inv)
    )

    def stall_basis(k: np.ndarray) -> list[str]:
        return [
            f"{s} 停工满{params.stall_years}年，已开发面积 {_num(a)} ㎡ / 应开发 {_num(b)} ㎡，"
            f"已投资 {_wan(i)} / 承诺 {_wan(j)} 万元 / stopped {params.stall_years} full "
            f"year(s) since {s} with too little developed or invested "
            f"({params.sources.get('stall', '')})"
            for s, a, b, i, j in zip(
                agg["stop"][k].astype(str), dev[k], area[k], inv[k], invest_commit[k], strict=True
            )
        ]

    emit("stalled_1y", mask, status, since, stall_due, fee, stall_basis)

    # --- late completion ---------------------------------------------------------------------
    comp = calendar.next_working_day(c["completion_deadline"].to_numpy("datetime64[D]"))
    mask, status, since = status_of(comp, np.isnat(agg["completion"]))
    emit(
        "late_completion",
        mask,
        status,
        since,
        comp,
        MISSING,
        lambda k: [
            f"约定竣工日 {x} 前未竣工 / not completed by the agreed day {x}"
            for x in comp[k].astype(str)
        ],
    )

    # --- installments ------------------------------------------------------------------------
    rules = params.installments
    pays = pd.Series(mode).isin(rules.modes).to_numpy(bool)
    first_due, balance_due = deadlines(
        c["signed"].to_numpy("datetime64[D]"), c["special"].to_numpy(bool), rules, calendar
    )
    paid = agg["paid"]
    required = share_of(price, rules.first_share)
    bal_over = pays & (d > balance_due) & (paid < price)
    first_over = pays & ~bal_over & (d > first_due) & (paid < required)
    nxt_due = np.where(paid < required, first_due, balance_due)
    nxt_need = np.where(paid < required, required, price)
    soon = (
        pays
        & ~bal_over
        & ~first_over
        & (paid < nxt_need)
        & (nxt_due >= d)
        & (nxt_due - d <= window)
    )
    over = bal_over | first_over
    due = np.where(bal_over, balance_due, np.where(first_over, first_due, nxt_due))
    need = np.where(bal_over, price, np.where(first_over, required, nxt_need))
    status = np.where(over, "overdue", "upcoming").astype(object)
    since = np.where(over, due + np.timedelta64(1, "D"), due - window)

    def pay_basis(k: np.ndarray) -> list[str]:
        return [
            f"截至 {as_of} 已缴 {_wan(p)} 万元，{u} 前应缴 {_wan(q)} 万元 / paid {_wan(p)} of "
            f"{_wan(q)} 万元 due by {u} ({rules.source})"
            for p, q, u in zip(paid[k], need[k], due[k].astype(str), strict=True)
        ]

    emit("installment_overdue", over | soon, status, since, due, need - paid, pay_basis)

    # --- acceptance against the firm's evaluated figures -------------------------------------
    accepted = ~np.isnat(agg["acceptance"])
    tax_commit = c["tax_per_mu_commitment"].to_numpy(np.float64)
    achieved = c["achieved_tax_per_mu"].to_numpy(np.float64)
    tax_short = ~np.isnan(tax_commit) & ~np.isnan(achieved) & (achieved < tax_commit)
    inv_short = (invest_commit > 0) & (inv >= 0) & (inv < invest_commit)
    penalty = np.where(
        inv_short & (invest_commit > 0),
        (price * np.maximum(invest_commit - inv, 0)) // np.maximum(invest_commit, 1),
        MISSING,
    )

    def acceptance_basis(k: np.ndarray) -> list[str]:
        return [
            f"达产验收 {a}：亩均税收 {_num(t)} / 承诺 {_num(tc)} 万元/亩，投资 {_wan(i)} / 承诺 "
            f"{_wan(j)} 万元 / at acceptance: tax per mu {_num(t)} vs {_num(tc)}, investment "
            f"{_wan(i)} vs {_wan(j)} 万元 ({params.sources.get('acceptance', '')})"
            for a, t, tc, i, j in zip(
                agg["acceptance"][k].astype(str),
                achieved[k],
                tax_commit[k],
                inv[k],
                invest_commit[k],
                strict=True,
            )
        ]

    emit(
        "acceptance_shortfall",
        accepted & (tax_short | inv_short),
        "breach",
        agg["acceptance"],
        agg["acceptance"],
        penalty,
        acceptance_basis,
    )

    # --- transfer before full payment or 25 % of the investment ------------------------------
    tr = agg["transfer"]
    had = ~np.isnat(tr)
    paid_tr, inv_tr = agg["paid_at_transfer"], agg["invested_at_transfer"]
    ti = params.transfer_min_investment
    unpaid = had & pays & (paid_tr < price)
    little = had & (invest_commit > 0) & (inv_tr * ti.denominator < invest_commit * ti.numerator)

    def transfer_basis(k: np.ndarray) -> list[str]:
        return [
            f"{t} 转让：已缴 {_wan(p)} / {_wan(q)} 万元，已投资 {_wan(i)} / 承诺 {_wan(j)} 万元"
            f" / transfer on {t} before full payment or {float(ti) * 100:g}% of the "
            f"investment ({params.sources.get('transfer', '')})"
            for t, p, q, i, j in zip(
                tr[k].astype(str), paid_tr[k], price[k], inv_tr[k], invest_commit[k], strict=True
            )
        ]

    emit(
        "transfer_blocked",
        unpaid | little,
        "breach",
        tr,
        tr,
        np.where(unpaid, price - paid_tr, MISSING),
        transfer_basis,
    )

    # --- lease then grant: conversion at the end of the lease ---------------------------------
    term = c["term_years"].to_numpy(np.int64)
    signed = c["signed"].to_numpy("datetime64[D]")
    lease_end = period_end(signed, calendar, years=term)
    ltg = (mode == "lease_then_grant") & ~c["converted"].to_numpy(bool)
    mask, status, since = status_of(lease_end, ltg)
    met = ~(tax_short | inv_short)

    def lease_basis(k: np.ndarray) -> list[str]:
        return [
            f"先租后让租期届满 {e}："
            + (
                "履约达标，可协议出让 / commitments met: negotiated grant"
                if m
                else "未达约定标准，按合同收回 / commitments not met: cleared per the contract"
            )
            + f" ({params.sources.get('lease', '')})"
            for e, m in zip(lease_end[k].astype(str), met[k], strict=True)
        ]

    emit("lease_conversion_due", mask, status, since, lease_end, MISSING, lease_basis)

    # --- renewal: apply at least the lead time before expiry ----------------------------------
    expiry = add_calendar(signed, years=term)
    apply_by = expiry - np.timedelta64(params.renewal_lead_days, "D")
    renewable = (
        pd.Series(mode).isin(("grant", "flexible_term", "long_term_lease")).to_numpy(bool)
        & np.isnat(agg["renewal_application"])
        & (d <= expiry)
    )
    mask, status, since = status_of(apply_by, renewable)
    grade = c["grade"].to_numpy(dtype=object)
    excluded = pd.Series(grade).isin(params.renewal_excluded_grades).to_numpy(bool)
    eligible = ~excluded & (met | ~params.renewal_requires_performance)

    def renewal_basis(k: np.ndarray) -> list[str]:
        return [
            f"使用权 {x} 届满，须于 {a} 前申请续期；亩均等级 {g or '—'}，承诺投资 {_wan(j)} "
            f"万元、亩均税收 {_num(tc)} 万元/亩；"
            + ("可续期 / eligible" if e else "不符合续期条件 / not eligible")
            + f" ({params.sources.get('renewal', '')})"
            for x, a, g, j, tc, e in zip(
                expiry[k].astype(str),
                apply_by[k].astype(str),
                grade[k],
                invest_commit[k],
                tax_commit[k],
                eligible[k],
                strict=True,
            )
        ]

    emit("renewal_window", mask, status, since, apply_by, MISSING, renewal_basis)

    if not out:
        frame = pd.DataFrame({k: pd.Series(dtype=object) for k in ALERT_COLUMNS})
        frame["amount_wan"] = frame["amount_wan"].astype(np.int64)
        return frame
    cols = {k: np.concatenate([o[k] for o in out]) for k in out[0]}
    order = np.lexsort((cols["_rule"], cols["_pos"]))
    p = cols["_pos"][order]
    text = {
        "contract_id": ids[p],
        "parcel_id": c["parcel_id"].to_numpy(dtype=object)[p],
        "credit_code": c["credit_code"].to_numpy(dtype=object)[p],
        **{k: cols[k][order] for k in ALERT_COLUMNS[3:]},
    }
    # text stays Python objects (pandas would convert each column to its string type)
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object) if v.dtype == object else v
            for k, v in text.items()
        }
    )


def _aggregate(
    events: pd.DataFrame, keep: np.ndarray, pos: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Per contract (position): first/last day of each event, amount paid, latest developed
    area and investment, and what was paid and invested at the first transfer. ``keep``
    selects the events counted (dated on or before the as-of day); ``pos`` their contracts."""
    codes, kinds = pd.factorize(events["event"].to_numpy(dtype=object)[keep])
    code_of = {k: i for i, k in enumerate(kinds)}
    day = events["date"].to_numpy("datetime64[D]")[keep]
    dint = day.astype(np.int64)
    out: dict[str, np.ndarray] = {}
    big = np.iinfo(np.int64).max

    def first_last(name: str, first: bool) -> np.ndarray:
        res = np.full(n, big if first else -big, dtype=np.int64)
        if name in code_of:
            m = codes == code_of[name]
            (np.minimum if first else np.maximum).at(res, pos[m], dint[m])
        empty = res == (big if first else -big)
        days = res.astype("datetime64[D]")
        days[empty] = _NAT
        return days

    for name in ("completion", "acceptance", "renewal_application", "extension", "resume", "stop"):
        out[name] = first_last(name, first=False)
    out["start"] = first_last("start", first=True)
    out["transfer"] = first_last("transfer", first=True)
    amount = events["amount"].to_numpy(np.int64)[keep]
    pay = codes == code_of.get("payment", -2)
    out["paid"] = _sum_int(pos[pay], np.maximum(amount[pay], 0), n)
    # latest reported developed area / investment (events in date order)
    order = np.lexsort((dint, pos))
    dev = events["developed_area_m2"].to_numpy(np.float64)[keep][order]
    inv = events["invested"].to_numpy(np.int64)[keep][order]
    p_sorted = pos[order]
    out["developed_area_m2"] = _last_present(p_sorted, dev, ~np.isnan(dev), n, np.nan)
    out["invested"] = _last_present(p_sorted, inv, inv >= 0, n, MISSING)
    # at the first transfer: payments and the latest investment on or before it
    tr_at = out["transfer"][pos]
    before = ~np.isnat(tr_at) & (day <= tr_at)
    out["paid_at_transfer"] = _sum_int(pos[pay & before], np.maximum(amount[pay & before], 0), n)
    b_sorted = before[order]
    out["invested_at_transfer"] = np.maximum(
        _last_present(p_sorted, inv, (inv >= 0) & b_sorted, n, 0), 0
    )
    return out


def _sum_int(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, pos, values.astype(np.int64))
    return out


def _last_present(
    pos: np.ndarray, values: np.ndarray, present: np.ndarray, n: int, fill: float | int
) -> np.ndarray:
    """The last present value per position (inputs sorted by position, then date)."""
    out = np.full(n, fill, dtype=values.dtype)
    m = present
    if m.any():
        p, v = pos[m], values[m]
        last = np.r_[p[1:] != p[:-1], True]
        out[p[last]] = v[last]
    return out


def _wan(micro: int) -> str:
    """An amount in the basis text, as people read it (:func:`display_wan`), — missing."""
    return "—" if micro < 0 else display_wan(int(micro))


def _num(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:g}"
