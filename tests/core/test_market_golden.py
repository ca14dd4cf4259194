"""Golden tests of the secondary-market engine (issue #19): each flag rule just at and just
past its limit, numbers worked by hand in the comments."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from indspace.core.engines.market import (
    MarketParams,
    indicators,
    park_lead_chains,
    scan,
    watch_list,
)
from indspace.core.model.money import MISSING

P = MarketParams(
    premium_max_share=Fraction(3, 10),
    resale_watch_years=3,
    strata_sale_max_share=Fraction(1, 2),
    strata_min_unit_m2=500.0,
    industrial_uses=("production", "rd", "storage"),
    production_record_years=2,
    heavy_industry_codes=("25", "26", "28", "1713"),
    heavy_land_use_codes=("100103",),
    transfer_kinds=("land_transfer", "strata_sale"),
    transfer_min_investment=Fraction(1, 4),
    benchmarks_yuan_m2={
        "land_transfer": {"default": 1200.0, "D2": 2000.0},
        "strata_sale": {"default": 5000.0},
    },
    weights={"price_premium": 50.0, "flip": 60.0, "strata_share_exceeded": 60.0},
)
BUYER = "B1"
WAN = 1_000_000  # units of 10⁻⁶ 万元 per 万元


def tx(**kw: object) -> dict[str, object]:
    """A clean land transfer: 1 000 m² at the benchmark 1 200 元/m² = 120 万元."""
    row: dict[str, object] = {
        "transaction_id": "T1",
        "kind": "land_transfer",
        "parcel_id": "P1",
        "building_id": None,
        "floor": None,
        "area_m2": 1000.0,
        "price": 120 * WAN,
        "date": np.datetime64("2025-06-30"),
        "seller_credit_code": "S1",
        "buyer_credit_code": BUYER,
        "buyer_use": "production",
        "district": "D1",
        "park_id": None,
        "land_use_code": "100101",
        "parcel_gfa_m2": 4000.0,
        "buyer_industry_code": "3484",
        "buyer_chain": "c1",
    }
    row.update(kw)
    return row


def run(
    rows: list[dict[str, object]],
    contracts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    park_chains: pd.DataFrame | None = None,
    production: pd.DataFrame | None = None,
) -> pd.DataFrame:
    t = pd.DataFrame(rows)
    t["date"] = t["date"].to_numpy("datetime64[D]")
    c = (
        contracts
        if contracts is not None
        else pd.DataFrame(
            {
                "contract_id": [],
                "parcel_id": [],
                "signed": np.array([], "datetime64[D]"),
                "price": np.array([], np.int64),
                "investment_commitment": np.array([], np.int64),
            }
        )
    )
    e = (
        events
        if events is not None
        else pd.DataFrame(
            {
                "contract_id": [],
                "event": [],
                "date": np.array([], "datetime64[D]"),
                "amount": np.array([], np.int64),
                "invested": np.array([], np.int64),
            }
        )
    )
    pc = park_chains if park_chains is not None else pd.DataFrame({"park_id": [], "chain": []})
    prod = (
        production
        if production is not None
        else pd.DataFrame({"credit_code": [BUYER], "year": [2024]})
    )
    return scan(t, c, e, prod, pc, P)


def rules(flags: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(flags["transaction_id"], flags["rule"], strict=True))


def test_clean_transaction_has_no_flag() -> None:
    assert run([tx()]).empty


def test_price_premium_boundary() -> None:
    # benchmark 1 200 元/m² × (1 + 0.30) = 1 560 元/m²; × 1 000 m² = 156 万元 → not above
    assert run([tx(price=156 * WAN)]).empty
    # 156.01 万元 = 1 560.1 元/m² → premium 0.300083 > 0.30 → flagged;
    # risk = 50 × 0.300083 / 0.30 = 50.01 → 50.0
    f = run([tx(price=15601 * WAN // 100)])
    assert rules(f) == [("T1", "price_premium")]
    assert f["risk_score"].tolist() == [50.0]
    assert "1560 元/m²" in f["reason"].iloc[0] and "1200" in f["reason"].iloc[0]
    # the district's own benchmark: D2 2 000 元/m² × 1.3 × 1 000 m² = 260 万元
    assert run([tx(district="D2", price=260 * WAN)]).empty
    assert rules(run([tx(district="D2", price=261 * WAN)])) == [("T1", "price_premium")]
    # no price (a mortgage with the amount missing) → no premium test
    assert run([tx(price=MISSING)]).empty


def test_flip_within_three_calendar_years() -> None:
    # first transfer 2022-06-30; 3 calendar years later is 2025-06-30 (第二百零二条)
    first = tx(transaction_id="T0", date=np.datetime64("2022-06-30"))
    f = run(
        [first, tx(date=np.datetime64("2025-06-30"))],
        production=pd.DataFrame({"credit_code": [BUYER] * 2, "year": [2022, 2024]}),
    )
    assert rules(f) == [("T1", "flip")]
    assert "2022-06-30" in f["reason"].iloc[0]
    # one day later: outside the window
    g = run(
        [first, tx(date=np.datetime64("2025-07-01"))],
        production=pd.DataFrame({"credit_code": [BUYER] * 2, "year": [2022, 2024]}),
    )
    assert g.empty
    # strata units: another floor of the same building is another asset
    s0 = tx(
        transaction_id="S0",
        kind="strata_sale",
        building_id="B",
        floor=1,
        area_m2=600.0,
        price=300 * WAN,
        date=np.datetime64("2024-01-01"),
        parcel_gfa_m2=10_000.0,
    )
    s1 = dict(s0, transaction_id="S1", floor=2, date=np.datetime64("2024-02-01"))
    assert run([s0, s1]).empty
    s2 = dict(s0, transaction_id="S2", date=np.datetime64("2024-03-01"))
    assert rules(run([s0, s2])) == [("S2", "flip")]


def test_transfer_before_payment_and_investment() -> None:
    contracts = pd.DataFrame(
        {
            "contract_id": ["C1"],
            "parcel_id": ["P1"],
            "signed": np.array(["2024-01-10"], "datetime64[D]"),
            "price": np.array([100 * WAN], np.int64),
            "investment_commitment": np.array([400 * WAN], np.int64),
        }
    )

    def events(paid_wan: int, invested_wan: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "contract_id": ["C1", "C1", "C1"],
                "event": ["payment", "start", "payment"],
                "date": np.array(["2024-01-20", "2024-06-01", "2025-07-01"], "datetime64[D]"),
                "amount": np.array([paid_wan * WAN, MISSING, 1 * WAN], np.int64),
                "invested": np.array([MISSING, invested_wan * WAN, MISSING], np.int64),
            }
        )

    # paid 100 of 100 万元; invested 100 of 400 = 25 % exactly → clean (the 2025-07-01
    # payment lies after the day and does not count)
    assert run([tx()], contracts, events(100, 100)).empty
    # paid 99.99…: 99 万元 < 100 → before full payment
    f = run([tx()], contracts, events(99, 100))
    assert rules(f) == [("T1", "transfer_before_payment")]
    assert "99.00" in f["reason"].iloc[0]
    # invested 99 of 400 = 24.75 % < 25 %
    f = run([tx()], contracts, events(100, 99))
    assert rules(f) == [("T1", "transfer_before_investment")]
    assert "24.8%" in f["reason"].iloc[0]
    # a transfer before the contract was signed is not tested against it
    assert run([tx(date=np.datetime64("2024-01-09"))], contracts, events(0, 0)).empty


def test_buyer_industry_not_allowed() -> None:
    # heavy industry (2614 starts with 26) on class-2 land 100102 → not allowed
    f = run([tx(buyer_industry_code="2614", land_use_code="100102")])
    assert rules(f) == [("T1", "buyer_industry_not_allowed")]
    assert run([tx(buyer_industry_code="2614", land_use_code="100103")]).empty
    # park K with lead chain c2 only: a c1 buyer is not allowed, a c2 buyer is
    pc = pd.DataFrame({"park_id": ["K"], "chain": ["c2"]})
    assert rules(run([tx(park_id="K")], park_chains=pc)) == [("T1", "buyer_industry_not_allowed")]
    assert run([tx(park_id="K", buyer_chain="c2")], park_chains=pc).empty
    # a park without lead chains allows any buyer; a mortgage is not an occupant
    assert run([tx(park_id="L")], park_chains=pc).empty
    assert run([tx(park_id="K", kind="mortgage")], park_chains=pc).empty


def test_strata_share_and_unit() -> None:
    base = {
        "kind": "strata_sale",
        "building_id": "B",
        "parcel_gfa_m2": 4000.0,
        "price": 300 * WAN,
    }  # 600 m² × 5 000 元/m² = 300 万元: at the benchmark
    a = tx(transaction_id="A", floor=1, area_m2=600.0, date=np.datetime64("2025-01-01"), **base)
    b = tx(transaction_id="B", floor=2, area_m2=600.0, date=np.datetime64("2025-02-01"), **base)
    c = tx(
        transaction_id="C",
        floor=3,
        area_m2=800.0,
        date=np.datetime64("2025-03-01"),
        **{**base, "price": 400 * WAN},
    )
    d = tx(transaction_id="D", floor=4, area_m2=600.0, date=np.datetime64("2025-04-01"), **base)
    # cumulative 600, 1 200, 2 000 m² of 4 000 → 15 %, 30 %, 50 % (= the limit: not beyond)
    assert run([a, b, c]).empty
    # + 600 = 2 600 m² = 65 % > 50 % → D flagged; risk 60 × 0.65 / 0.5 = 78.0
    f = run([a, b, c, d])
    assert rules(f) == [("D", "strata_share_exceeded")]
    assert f["risk_score"].tolist() == [78.0]
    # a unit of exactly 500 m² is allowed; 499 m² is not
    assert run(
        [tx(kind="strata_sale", area_m2=500.0, price=250 * WAN, building_id="B", floor=1)]
    ).empty
    assert rules(
        run(
            [
                tx(
                    kind="strata_sale",
                    area_m2=499.0,
                    price=2495 * WAN // 10,
                    building_id="B",
                    floor=1,
                )
            ]
        )
    ) == [("T1", "strata_unit_too_small")]


def test_sublease_use_and_buyer_production() -> None:
    assert run([tx(kind="sublease", buyer_use="rd", price=MISSING)]).empty
    f = run([tx(kind="sublease", buyer_use="commercial", price=MISSING)])
    assert rules(f) == [("T1", "sublease_non_industrial")]
    # production window for a 2025 transaction: 2023–2025; revenue only in 2022 → flagged
    old = pd.DataFrame({"credit_code": [BUYER], "year": [2022]})
    assert rules(run([tx()], production=old)) == [("T1", "buyer_no_production")]
    ok = pd.DataFrame({"credit_code": [BUYER], "year": [2023]})
    assert run([tx()], production=ok).empty
    # a mortgagee (a bank) is never asked for production
    assert run([tx(kind="mortgage")], production=old).empty


def test_park_lead_chains_and_summaries() -> None:
    fp = pd.DataFrame({"credit_code": list("abcde"), "park": ["K"] * 4 + ["L"]})
    fc = pd.DataFrame({"credit_code": list("abcde"), "chain": ["x", "x", "y", None, "z"]})
    # K: x 2/4 = 50 %, y 1/4 = 25 % (= the share: lead); L: z 1/1
    assert park_lead_chains(fp, fc, Fraction(1, 4)).values.tolist() == [
        ["K", "x"],
        ["K", "y"],
        ["L", "z"],
    ]
    f = run(
        [
            tx(price=200 * WAN, kind="land_transfer", buyer_use="production"),
            tx(transaction_id="T2", kind="sublease", buyer_use="office", price=MISSING),
        ]
    )
    w = watch_list(f)
    # T1 premium: 2 000 元/m² ÷ 1 200 − 1 = 0.6667 → 50 × 0.6667/0.3 = 111 → capped 100
    assert w[["district", "buyer_credit_code", "flags", "transactions"]].values.tolist() == [
        ["D1", BUYER, 2, 2]
    ]
    assert w["risk_total"].tolist() == [pytest.approx(150.0)]  # 100 + 50 (default weight)
    t = pd.DataFrame(
        [tx(), tx(transaction_id="T2", price=180 * WAN), tx(transaction_id="T3", price=MISSING)]
    )
    ind = indicators(t)
    # three transfers, 3 000 m²; median of 1 200 and 1 800 元/m² = 1 500
    assert ind[["transactions", "area_m2", "median_price_yuan_m2"]].values.tolist() == [
        [3, 3000.0, 1500.0]
    ]
