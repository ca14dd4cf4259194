"""Synthetic land-supply contracts and their events, with one planted breach per rule
(issue #17).

Every granted parcel supplied between 2005-01-01 and three years before ``as_of`` gets a
contract ``<parcel_id>-HT`` that was performed in full: the whole price paid ten days after
signing, started three months and completed eighteen months after signing (agreed: six and
twenty-four months), accepted at twenty-four months with the committed investment. A
50-year term keeps renewal far off. Such a contract raises no finding as of ``as_of``.

Ten of them per district (or fewer in a tiny district) are replaced by a planted breach,
dated relative to ``as_of`` so that exactly the listed rules fire (``PLANTS``); the anomaly
list records one row per expected (contract, rule). The planted ``idle_land`` parcels
(granted 2021 or later) get no contract.

Each district has a *showcase firm*: the owner of at least two contracts with the lowest tax
per mu in the last year (the weakest performer, graded C or D by the demo's evaluation). Its
contracts carry the cases of ``SHOWCASE`` (an idle-land fee, an overdue installment and a
renewal application due), so a firm account (``indspace demo``'s ``firm``, see
``services.demo.create_demo_accounts``) sees its own alerts and deadlines; the other cases
go to randomly chosen contracts as before.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from indspace.core.model.entities import ENTITIES
from indspace.core.periods import add_calendar

PLANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idle_1y", ("idle_1y",)),
    ("idle_1y_government", ("idle_1y",)),
    ("idle_2y", ("idle_1y", "idle_2y")),
    ("stalled_1y", ("stalled_1y",)),
    ("late_completion", ("late_completion",)),
    ("installment_overdue", ("installment_overdue",)),
    ("acceptance_shortfall", ("acceptance_shortfall",)),
    ("transfer_blocked", ("transfer_blocked",)),
    ("lease_conversion_due", ("lease_conversion_due",)),
    ("renewal_window", ("renewal_window",)),
)
"""Planted case → the rules the monitor must report for it as of ``as_of``."""

SHOWCASE = ("idle_1y", "installment_overdue", "renewal_window")
"""The planted cases given to the district's showcase firm, in order (as many as it holds
contracts)."""

CLEAN_TERM_YEARS = 50
_DAY = np.timedelta64(1, "D")


def _months(day: np.datetime64, months: int) -> np.datetime64:
    return add_calendar(np.array([day], dtype="datetime64[D]"), months=months)[0]


def make_contracts(
    parcel_ids: np.ndarray,
    owner_codes: np.ndarray,
    area_m2: np.ndarray,
    start: np.ndarray,
    is_grant: np.ndarray,
    exclude: np.ndarray,
    as_of: date,
    rng: np.random.Generator,
    owner_tpm: np.ndarray | None = None,
) -> tuple[dict[str, object], dict[str, object], list[tuple[str, str, str, str]]]:
    """Contract and event columns (entity field → values) and anomaly rows of one district.

    ``start``: the parcels' right start (datetime64[D]); ``exclude``: parcels that get no
    contract (the planted idle land); ``owner_tpm``: the owner's tax per mu in the last year
    (万元/亩, NaN unknown), which picks the showcase firm (module docstring)."""
    a = np.datetime64(as_of, "D")
    latest = _months(a, -36)
    ok = is_grant & ~exclude & (start >= np.datetime64("2005-01-01")) & (start <= latest)
    idx = np.flatnonzero(ok)
    n = len(idx)
    unit = rng.integers(300, 900, n)  # 元/m², integer
    signed = start[idx].astype("datetime64[D]")
    area = area_m2[idx]
    price = [
        Decimal(repr(float(x))) * int(u) / Decimal(10_000) for x, u in zip(area, unit, strict=True)
    ]
    price = [p.quantize(Decimal("0.000001")) for p in price]
    invest = [Decimal(round(float(x) * 3 / 2000 * 300)) for x in area]  # 300 万元/亩
    c: dict[str, list[object]] = {
        "contract_id": [f"{pid}-HT" for pid in parcel_ids[idx]],
        "parcel_id": list(parcel_ids[idx]),
        "credit_code": list(owner_codes[idx]),
        "mode": ["grant"] * n,
        "signed": list(signed),
        "term_years": [CLEAN_TERM_YEARS] * n,
        "price_wan": [p for p in price],  # a list[object] for the column dict
        "area_m2": list(area),
        "start_deadline": [_months(s, 6) for s in signed],
        "completion_deadline": [_months(s, 24) for s in signed],
        "investment_commitment_wan": [v for v in invest],
        "tax_per_mu_commitment_wan": [None] * n,
        "far_min": [1.0] * n,
        "far_max": [3.0] * n,
        "idle_cause": [None] * n,
        "installment_special": [False] * n,
        "is_synthetic": [True] * n,
    }
    ev: dict[str, list[object]] = {k: [] for k in ENTITIES["contract_events"].columns}

    def add(
        cid: str,
        event: str,
        day: np.datetime64,
        amount: Decimal | None = None,
        developed: float | None = None,
        invested: Decimal | None = None,
    ) -> None:
        for k, v in (
            ("contract_id", cid),
            ("event", event),
            ("date", day),
            ("amount_wan", amount),
            ("developed_area_m2", developed),
            ("invested_wan", invested),
            ("note", None),
            ("is_synthetic", True),
        ):
            ev[k].append(v)

    k = min(len(PLANTS), n)
    planted = np.sort(rng.choice(n, size=k, replace=False)) if k else np.zeros(0, "int64")
    case_of = {int(j): PLANTS[i][0] for i, j in enumerate(planted)}
    showcase = _showcase(np.asarray(c["credit_code"], dtype=object),
                         None if owner_tpm is None else owner_tpm[idx])
    if k == len(PLANTS) and len(showcase):
        # the showcase firm's contracts take the SHOWCASE cases; the contracts that had them
        # take the cases the showcase contracts had (each case still planted exactly once)
        for plant, j in zip(SHOWCASE, showcase, strict=False):
            was = case_of.get(j)
            holder = next(i for i, v in case_of.items() if v == plant)
            case_of.pop(holder)
            if was is not None:
                case_of[holder] = was
            case_of[j] = plant
    rows: list[tuple[str, str, str, str]] = []
    for j in range(n):
        cid = str(c["contract_id"][j])
        s = signed[j]
        full = price[j]
        commit = invest[j]
        case = case_of.get(j)

        def clean(
            s: np.datetime64 = s,
            cid: str = cid,
            j: int = j,
            full: Decimal = full,
            commit: Decimal = commit,
            accepted: Decimal | None = None,
            pay: bool = True,
        ) -> None:
            if pay:
                add(cid, "payment", s + 10 * _DAY, amount=full)
            add(cid, "start", _months(s, 3))
            add(cid, "completion", _months(s, 18), developed=float(area[j]), invested=commit)
            add(
                cid,
                "acceptance",
                _months(s, 24),
                developed=float(area[j]),
                invested=commit if accepted is None else accepted,
            )

        def restate(s: np.datetime64, start_in: int, done_in: int, j: int = j) -> None:
            c["signed"][j] = s
            c["start_deadline"][j] = _months(a, start_in)
            c["completion_deadline"][j] = _months(a, done_in)

        if case is None:
            clean()
            continue
        rows += [
            ("contract_breach", "contracts", cid, f"{rule}: planted {case}")
            for rule in dict(PLANTS)[case]
        ]
        if case in ("idle_1y", "idle_1y_government"):
            s = _months(a, -20)
            restate(s, -14, 12)
            add(cid, "payment", s + 10 * _DAY, amount=full)
            if case == "idle_1y_government":
                c["idle_cause"][j] = "government"
        elif case == "idle_2y":
            s = _months(a, -36)
            restate(s, -30, 12)
            add(cid, "payment", s + 10 * _DAY, amount=full)
        elif case == "stalled_1y":
            s = _months(a, -36)
            restate(s, -30, 12)
            add(cid, "payment", s + 10 * _DAY, amount=full)
            add(cid, "start", _months(a, -32))
            add(
                cid,
                "stop",
                _months(a, -14),
                developed=float(area[j]) * 0.1,
                invested=(commit / 10).quantize(Decimal("0.01")),
            )
        elif case == "late_completion":
            s = _months(a, -36)
            restate(s, -30, -3)
            add(cid, "payment", s + 10 * _DAY, amount=full)
            add(cid, "start", _months(a, -31))
        elif case == "installment_overdue":
            s = _months(a, -14)
            restate(s, -8, 12)
            add(cid, "payment", s + 10 * _DAY, amount=(full / 2).quantize(Decimal("0.000001")))
            add(cid, "start", _months(a, -9))
        elif case == "acceptance_shortfall":
            clean(accepted=(commit * Decimal("0.6")).quantize(Decimal("0.01")))
        elif case == "transfer_blocked":
            clean()
            add(cid, "transfer", s + 20 * _DAY)
        elif case == "lease_conversion_due":
            s = _months(a, -62)
            c["signed"][j] = s
            c["mode"][j] = "lease_then_grant"
            c["term_years"][j] = 5
            c["start_deadline"][j] = _months(s, 6)
            c["completion_deadline"][j] = _months(s, 24)
            clean(s=s, pay=False)
        elif case == "renewal_window":
            s = _months(a, -(20 * 12 - 10))  # expiry 10 months after as_of
            c["signed"][j] = s
            c["term_years"][j] = 20
            c["start_deadline"][j] = _months(s, 6)
            c["completion_deadline"][j] = _months(s, 24)
            clean(s=s)
    return dict(c), dict(ev), rows


def _showcase(codes: np.ndarray, tpm: np.ndarray | None) -> list[int]:
    """Positions of the showcase firm's contracts (first ``len(SHOWCASE)``): the firm with
    at least two contracts and the lowest known tax per mu (ties: the lowest code)."""
    if tpm is None or len(codes) == 0:
        return []
    _, inv, counts = np.unique(codes.astype(str), return_inverse=True, return_counts=True)
    ok = (counts[inv] >= 2) & np.isfinite(tpm)
    if not ok.any():
        return []
    cand = np.flatnonzero(ok)
    best = cand[np.lexsort((codes[cand].astype(str), tpm[cand]))[0]]
    mine = np.flatnonzero(inv == inv[best])
    return [int(j) for j in mine[: len(SHOWCASE)]]
