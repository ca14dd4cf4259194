"""Synthetic secondary-market transactions with planted speculation (issue #19).

Per district, on parcels outside the "2070" parks (so that no park lead-chain test applies)
and away from every other planted case: clean land transfers, strata sales, subleases and a
mortgage — priced below every benchmark of the ``ningbo-demo`` profile (land 1 000, floor
4 000, rent 500 元/m²; the profile's lowest benchmarks are 1 200, 5 000 and 600), sold by the
parcel's owner to a firm of a light industry with revenue in the scan year and two years
before — and one planted case per flag rule of :mod:`indspace.core.engines.market`
(``PLANTS``), dated relative to ``as_of`` so that, as of ``as_of``, the scan reports exactly
the listed rules. The two transfer-before-payment cases come with a fresh contract
(``<parcel_id>-ZR``, signed 60 days before ``as_of``: half paid, or fully paid, nothing yet
invested) that raises no finding of the supply monitor as of ``as_of``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

import numpy as np

from indspace.core.model.entities import ENTITIES
from indspace.demo._firms import credit_codes

PLANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("transfer_before_payment", ("transfer_before_payment", "transfer_before_investment")),
    ("transfer_before_investment", ("transfer_before_investment",)),
    ("price_premium", ("price_premium",)),
    ("flip", ("flip",)),
    ("buyer_industry_not_allowed", ("buyer_industry_not_allowed",)),
    ("strata_share_exceeded", ("strata_share_exceeded",)),
    ("strata_unit_too_small", ("strata_unit_too_small",)),
    ("sublease_non_industrial", ("sublease_non_industrial",)),
    ("buyer_no_production", ("buyer_no_production",)),
)
"""Planted case → the rules the scan must report for it."""
HEAVY_PREFIXES = ("25", "26", "28", "1713", "1752")
"""The profile's ``market_rules.heavy_industry_codes`` (industries needing class-3 land)."""
CLEAN_YUAN_M2 = {"land_transfer": 1000, "strata_sale": 4000, "sublease": 500, "mortgage": 800}
PREMIUM_YUAN_M2 = 4000
"""Above 1.3 × the highest land benchmark of the profile (2 400 元/m²)."""


def _wan(yuan_m2: int, area: float) -> Decimal:
    return (Decimal(repr(float(area))) * yuan_m2 / Decimal(10_000)).quantize(Decimal("0.01"))


def make_transactions(
    code: str,
    parcel_ids: np.ndarray,
    owner_codes: np.ndarray,
    area_m2: np.ndarray,
    land_use: np.ndarray,
    parcel_gfa: np.ndarray,
    first_building: np.ndarray,
    building_ids: np.ndarray,
    eligible: np.ndarray,
    firm_codes: np.ndarray,
    firm_industry: np.ndarray,
    producing: np.ndarray,
    as_of: date,
    rng: np.random.Generator,
) -> tuple[
    dict[str, list[object]],
    dict[str, list[object]],
    dict[str, list[object]],
    list[tuple[str, str, str, str]],
]:
    """Transaction columns, extra contract and event columns, and anomaly rows of one district.

    ``eligible``: parcels that may carry a transaction (outside parks, no other planted
    case, no planted contract); ``first_building``: index of the parcel's first building
    (-1 none); ``producing``: firms with revenue in ``as_of.year`` and two years before."""
    a = np.datetime64(as_of, "D")
    heavy = np.zeros(len(firm_codes), bool)
    for p in HEAVY_PREFIXES:
        heavy |= np.char.startswith(firm_industry.astype(str), p)
    light = np.flatnonzero(producing & ~heavy)
    heavy_ok = np.flatnonzero(producing & heavy)
    tx: dict[str, list[object]] = {k: [] for k in ENTITIES["transactions"].columns}
    con: dict[str, list[object]] = {k: [] for k in ENTITIES["contracts"].columns}
    ev: dict[str, list[object]] = {k: [] for k in ENTITIES["contract_events"].columns}
    rows: list[tuple[str, str, str, str]] = []
    if len(light) < 2:
        return tx, con, ev, rows
    seq = iter(range(1, 10_000))
    cand = np.flatnonzero(eligible)
    cand = cand[rng.permutation(len(cand))]
    with_floor = cand[(parcel_gfa[cand] >= 2500) & (first_building[cand] >= 0)]
    taken: set[int] = set()

    def parcel(floor_space: bool = False, class3: bool | None = None) -> int | None:
        pool = with_floor if floor_space else cand
        for k in pool:
            if int(k) in taken:
                continue
            if class3 is not None and (land_use[k] == "100103") != class3:
                continue
            taken.add(int(k))
            return int(k)
        return None

    def buyer(seller: str) -> str:
        while True:
            b = str(firm_codes[light[rng.integers(len(light))]])
            if b != seller:
                return b

    def add(
        kind: str,
        k: int,
        area: float,
        yuan_m2: int | None,
        day: np.datetime64,
        seller: str,
        buyer_code: str,
        use: str = "production",
    ) -> str:
        tid = f"JY-{code}-{next(seq):05d}"
        floor_space = kind in ("strata_sale", "sublease")
        for col, v in (
            ("transaction_id", tid),
            ("kind", kind),
            ("parcel_id", str(parcel_ids[k])),
            ("building_id", str(building_ids[first_building[k]]) if floor_space else None),
            ("floor", 1 if floor_space else None),
            ("area_m2", float(area)),
            ("price_wan", None if yuan_m2 is None else _wan(yuan_m2, area)),
            ("date", day),
            ("seller_credit_code", seller),
            ("buyer_credit_code", buyer_code),
            ("buyer_use", use),
            ("is_synthetic", True),
        ):
            tx[col].append(v)
        return tid

    def day(lo: int, hi: int) -> np.datetime64:
        return a - np.timedelta64(int(rng.integers(lo, hi)), "D")

    # clean transactions ---------------------------------------------------------------------
    for kind, n in (("land_transfer", 3), ("strata_sale", 2), ("sublease", 2), ("mortgage", 1)):
        for _ in range(n):
            k = parcel(floor_space=kind in ("strata_sale", "sublease"), class3=False)
            if k is None:
                continue
            s = str(owner_codes[k])
            area = (
                float(area_m2[k])
                if kind in ("land_transfer", "mortgage")
                else float(np.floor(parcel_gfa[k] * 0.2))
            )
            bank = str(credit_codes(code, 1, rng)[0]) if kind == "mortgage" else buyer(s)
            add(kind, k, area, CLEAN_YUAN_M2[kind], day(20, 300), s, bank)

    # planted cases --------------------------------------------------------------------------
    def plant(case: str, tid: str) -> None:
        rules = dict(PLANTS)[case]
        rows.extend(("market_flag", "transactions", tid, f"{r}: planted {case}") for r in rules)

    for case, _ in PLANTS:
        floor_space = case in (
            "strata_share_exceeded",
            "strata_unit_too_small",
            "sublease_non_industrial",
        )
        k = parcel(floor_space=floor_space, class3=False)
        if k is None:
            continue
        s = str(owner_codes[k])
        land = float(area_m2[k])
        if case in ("transfer_before_payment", "transfer_before_investment"):
            cid = f"{parcel_ids[k]}-ZR"
            signed = a - np.timedelta64(60, "D")
            price = _wan(600, land)
            # the first installment: at least half of the price, rounded up to the 分
            half = (price / 2).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            paid = half if case == "transfer_before_payment" else price
            for col, v in (
                ("contract_id", cid),
                ("parcel_id", str(parcel_ids[k])),
                ("credit_code", s),
                ("mode", "grant"),
                ("signed", signed),
                ("term_years", 50),
                ("price_wan", price),
                ("area_m2", land),
                ("start_deadline", signed + np.timedelta64(180, "D")),
                ("completion_deadline", signed + np.timedelta64(730, "D")),
                ("investment_commitment_wan", Decimal(round(land * 3 / 2000 * 300))),
                ("tax_per_mu_commitment_wan", None),
                ("far_min", 1.0),
                ("far_max", 3.0),
                ("idle_cause", None),
                ("installment_special", False),
                ("is_synthetic", True),
            ):
                con[col].append(v)
            for col, v in (
                ("contract_id", cid),
                ("event", "payment"),
                ("date", signed + np.timedelta64(10, "D")),
                ("amount_wan", paid),
                ("developed_area_m2", None),
                ("invested_wan", None),
                ("note", None),
                ("is_synthetic", True),
            ):
                ev[col].append(v)
            tid = add(
                "land_transfer",
                k,
                land,
                CLEAN_YUAN_M2["land_transfer"],
                a - np.timedelta64(20, "D"),
                s,
                buyer(s),
            )
        elif case == "price_premium":
            tid = add("land_transfer", k, land, PREMIUM_YUAN_M2, day(20, 300), s, buyer(s))
        elif case == "flip":
            b1 = buyer(s)
            add(
                "land_transfer",
                k,
                land,
                CLEAN_YUAN_M2["land_transfer"],
                a - np.timedelta64(800, "D"),
                s,
                b1,
            )
            tid = add(
                "land_transfer",
                k,
                land,
                CLEAN_YUAN_M2["land_transfer"],
                a - np.timedelta64(100, "D"),
                b1,
                buyer(b1),
            )
        elif case == "buyer_industry_not_allowed":
            if not len(heavy_ok):
                taken.discard(k)
                continue
            hb = str(firm_codes[heavy_ok[rng.integers(len(heavy_ok))]])
            tid = add("land_transfer", k, land, CLEAN_YUAN_M2["land_transfer"], day(20, 300), s, hb)
        elif case == "strata_share_exceeded":
            tid = add(
                "strata_sale",
                k,
                float(np.floor(parcel_gfa[k] * 0.6)),
                CLEAN_YUAN_M2["strata_sale"],
                day(20, 300),
                s,
                buyer(s),
            )
        elif case == "strata_unit_too_small":
            tid = add(
                "strata_sale", k, 300.0, CLEAN_YUAN_M2["strata_sale"], day(20, 300), s, buyer(s)
            )
        elif case == "sublease_non_industrial":
            tid = add(
                "sublease",
                k,
                float(np.floor(parcel_gfa[k] * 0.2)),
                CLEAN_YUAN_M2["sublease"],
                day(20, 300),
                s,
                buyer(s),
                use="commercial",
            )
        else:  # buyer_no_production: a firm registered nowhere in the city's records
            tid = add(
                "land_transfer",
                k,
                land,
                CLEAN_YUAN_M2["land_transfer"],
                day(20, 300),
                s,
                str(credit_codes(code, 1, rng)[0]),
            )
        plant(case, tid)
    return tx, con, ev, rows
