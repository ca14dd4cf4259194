"""Synthetic secondary-market transactions with planted speculation (issue #19,
synthetic-data §6 "Secondary market").

Per district, on parcels outside the "2070" parks (so that no park lead-chain test applies)
and away from every other planted case and every land-supply contract:

* a yearly market over the demo's history (``as_of.year − 4`` … ``as_of.year``): land
  transfers of :data:`LAND_TRANSFER_RATE` and strata sales of :data:`STRATA_RATE` of the
  district's parcels a year (together the 2 % of §6), subleases (:data:`SUBLEASE_RATE`) and
  mortgages (:data:`MORTGAGE_RATE`), each asset at most once (so that no clean sale is a
  flip) — rates scaled down where the eligible parcels would not last (the urban core) —
  sold by the parcel's owner to a firm of a light industry with revenue in every year of
  the history;
* prices on a land-price surface: the primary reference (recent grants) of a parcel in year
  ``y`` is :data:`REFERENCE_SHARE` × the profile's benchmark of the kind in the district ×
  a location factor 0.6 + 0.4·exp(−d / 25 km), ``d`` the distance to the city centre
  (reference-data §3: 121.55° E 29.87° N), × :data:`YEARLY_GROWTH` ^ (y − ``as_of.year``); a
  transaction's ``premium_ratio`` (land-rules I5) is LN(1.3, 0.3) cut at
  :data:`CLEAN_RATIO_MAX`, so that no clean price passes 1.3 × the benchmark (the profile's
  ``premium_max_share`` 0.30) — 2.4 × 0.52 = 1.248;
* :data:`SPECULATION_SHARE` of the land transfers and strata sales as speculation cases:
  a unit price of (1 + ``premium_max_share``) × the benchmark × U(1.15, 1.8), a
  ``premium_ratio`` above 2.5 (= 1.3 ÷ 0.52) everywhere, each listed as a planted
  ``price_premium`` flag;
* one planted case per flag rule of :mod:`indspace.core.engines.market` (``PLANTS``), dated
  relative to ``as_of`` so that, as of ``as_of``, the scan reports exactly the listed rules.
  The two transfer-before-payment cases come with a fresh contract (``<parcel_id>-ZR``,
  signed 60 days before ``as_of``: half paid, or fully paid, nothing yet invested) that
  raises no finding of the supply monitor as of ``as_of``.

The benchmarks, ``premium_max_share`` and the industrial uses are read from the bundled
``ningbo-demo`` profile (in force on ``as_of``), so the market stays consistent with the rules
that scan it; districts without an override take the profile's ``default``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

import numpy as np

from indspace.core.model.entities import ENTITIES
from indspace.core.policy.profile import load_profile
from indspace.demo._firms import credit_codes
from indspace.demo.boundaries import DEMO_PROFILE

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
CLEAN_YUAN_M2 = {"land_transfer": 1000, "strata_sale": 4000, "sublease": 500}
"""Unit prices of the planted cases (below every benchmark of the profile)."""
PREMIUM_YUAN_M2 = 4000
"""Above 1.3 × the highest land benchmark of the profile (2 400 元/m²)."""
LAND_TRANSFER_RATE = 0.016
STRATA_RATE = 0.004
SUBLEASE_RATE = 0.005
MORTGAGE_RATE = 0.01
"""Transactions a year per parcel of the district, by kind [demo]."""
REFERENCE_SHARE = 0.52
"""Primary reference price ÷ the profile's benchmark at the city centre in ``as_of``'s year
[demo]: 1 248 元/m² (≈ 83 万元/亩) in 海曙, 624 元/m² (≈ 42 万元/亩) in a default district."""
YEARLY_GROWTH = 1.03
"""Yearly growth of the primary reference [demo]."""
CLEAN_RATIO_MAX = 2.4
SPECULATION_SHARE = 0.03
CITY_CENTRE_M = (649_758.0, 3_306_712.0)
"""121.55° E 29.87° N in EPSG:4549 (reference-data §3)."""
LOCATION_SCALE_M = 25_000.0


def _wan(yuan_m2: float, area: float) -> Decimal:
    return (Decimal(repr(float(area))) * Decimal(repr(float(yuan_m2)))
            / Decimal(10_000)).quantize(Decimal("0.01"))


@lru_cache(maxsize=4)
def _market_profile(as_of: date) -> tuple[dict[str, dict[str, float]], float, tuple[str, ...]]:
    """The demo profile's benchmarks (kind → district → 元/m²), premium limit and industrial
    uses in force on ``as_of`` (read once per day: a province has 90 districts)."""
    prof = load_profile(DEMO_PROFILE)
    bench = prof.value("market_benchmarks", as_of)
    rules = prof.value("market_rules", as_of)
    return ({k: {str(d): float(v) for d, v in t.items()} for k, t in bench.items()},
            float(rules["premium_max_share"]), tuple(str(u) for u in rules["industrial_uses"]))


def make_transactions(
    code: str,
    parcel_ids: np.ndarray,
    owner_codes: np.ndarray,
    area_m2: np.ndarray,
    land_use: np.ndarray,
    parcel_gfa: np.ndarray,
    first_building: np.ndarray,
    building_ids: np.ndarray,
    centroid_m: np.ndarray,
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
    (-1 none); ``centroid_m``: (p, 2) parcel centres, EPSG:4549 m; ``producing``: firms with
    revenue in every year of the history (``as_of.year − 4`` … ``as_of.year``)."""
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

    start = {False: 0, True: 0}

    def parcel(floor_space: bool = False, class3: bool | None = None) -> int | None:
        pool = with_floor if floor_space else cand
        i = start[floor_space]                    # the pool's taken head is skipped once
        while i < len(pool) and int(pool[i]) in taken:
            i += 1
        start[floor_space] = i
        for k in pool[i:]:
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
        yuan_m2: float | None,
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

    # the yearly market on the land-price surface ----------------------------------------------
    bench, premium_max, uses = _market_profile(as_of)

    def benchmark(kind: str) -> float:
        t = bench.get(kind, bench["land_transfer"])
        return t.get(code, t["default"])

    d = np.hypot(centroid_m[:, 0] - CITY_CENTRE_M[0], centroid_m[:, 1] - CITY_CENTRE_M[1])
    location = 0.6 + 0.4 * np.exp(-d / LOCATION_SCALE_M)
    n_parcels = len(parcel_ids)
    first_year = as_of.year - 4
    # a district with few eligible parcels (the urban core) scales its rates down so that
    # every year keeps its share of the market
    years = as_of.year - first_year + 1
    left = len([k for k in cand if int(k) not in taken])
    left_floor = len([k for k in with_floor if int(k) not in taken])
    need = years * n_parcels * (LAND_TRANSFER_RATE + STRATA_RATE + SUBLEASE_RATE + MORTGAGE_RATE)
    need_floor = years * n_parcels * (STRATA_RATE + SUBLEASE_RATE)
    scale = min(1.0, 0.8 * left / max(need, 1.0), 0.8 * left_floor / max(need_floor, 1.0))
    for year in range(first_year, as_of.year + 1):
        lo = np.datetime64(f"{year}-01-01", "D")
        hi = min(np.datetime64(f"{year}-12-31", "D"), a - np.timedelta64(20, "D"))
        if hi < lo:
            continue
        growth = YEARLY_GROWTH ** (year - as_of.year)
        for kind, rate in (("land_transfer", LAND_TRANSFER_RATE), ("strata_sale", STRATA_RATE),
                           ("sublease", SUBLEASE_RATE), ("mortgage", MORTGAGE_RATE)):
            floor_space = kind in ("strata_sale", "sublease")
            for _ in range(int(rng.binomial(n_parcels, rate * scale))):
                k = parcel(floor_space=floor_space)
                if k is None:
                    break
                s = str(owner_codes[k])
                gfa = float(parcel_gfa[k])
                area = (float(area_m2[k]) if not floor_space
                        else float(max(500.0, np.floor(gfa * rng.uniform(0.1, 0.3)))))
                when = lo + np.timedelta64(int(rng.integers(0, int((hi - lo).astype(int)) + 1)),
                                           "D")
                speculation = (kind in ("land_transfer", "strata_sale")
                               and rng.random() < SPECULATION_SHARE)
                b = benchmark(kind)
                reference = REFERENCE_SHARE * b * location[k] * growth
                if speculation:
                    unit = (1.0 + premium_max) * b * rng.uniform(1.15, 1.8)
                else:
                    unit = reference * min(rng.lognormal(np.log(1.3), 0.3), CLEAN_RATIO_MAX)
                unit = round(unit, 2)
                buyer_code = (str(credit_codes(code, 1, rng)[0]) if kind == "mortgage"
                              else buyer(s))
                use = str(uses[rng.integers(len(uses))]) if kind == "sublease" else "production"
                tid = add(kind, k, area, unit, when, s, buyer_code, use)
                if speculation:
                    rows.append(("market_flag", "transactions", tid,
                                 f"price_premium: planted speculation, {unit:.0f} 元/m², "
                                 f"premium_ratio {unit / reference:.2f}"))
    return tx, con, ev, rows
