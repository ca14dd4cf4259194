"""Secondary-market supervision (二级市场监管, issue #19): flags on land transfers, strata sales,
subleases and mortgages. Pure and vectorised: no store, no clock, no files.

Rules (land-rules I1–I5; parameters from the profile's ``market_rules``, ``market_benchmarks``,
``market_risk_weights`` and ``transfer_min_investment_share``):

========================== ===================================================================
rule                       fires when
========================== ===================================================================
transfer_before_payment    a transfer (``transfer_kinds``) of a parcel whose latest contract
                           signed on or before the day has payments (dated on or before the
                           day) below its price — 城市房地产管理法 第三十九条
transfer_before_investment the same, with investment done (the largest ``invested`` of an
                           event on or before the day) below ``transfer_min_investment`` × the
                           committed investment (contracts without a commitment are not tested)
price_premium              unit price ÷ benchmark − 1 > ``premium_max_share`` (the benchmark of
                           the kind in the parcel's district, else its default; 元/m²)
flip                       a transfer of an asset (a parcel; a strata unit = parcel, building,
                           floor) transferred before on a day at most ``resale_watch_years``
                           calendar years earlier (民法典 第二百零二条 for the corresponding day)
buyer_industry_not_allowed the buyer's industry code starts with a ``heavy_industry_codes``
                           prefix and the parcel's land use is not a ``heavy_land_use_codes``
                           class, or the parcel lies in a park with lead chains and the buyer's
                           chain is not one of them (land transfers, strata sales, subleases)
strata_share_exceeded      strata sales on a parcel, summed in date order up to this one, exceed
                           ``strata_sale_max_share`` × the parcel's floor area
strata_unit_too_small      a strata sale of less than ``strata_min_unit_m2``
sublease_non_industrial    a sublease whose ``buyer_use`` is not one of ``industrial_uses``
buyer_no_production        a buyer (not of a mortgage) with no indicator year of revenue > 0 in
                           the ``production_record_years`` years up to the transaction's year
========================== ===================================================================

Every limit is strict: a value exactly at the limit is not flagged.

Inputs
------
``transactions``  transaction_id, kind, parcel_id, building_id, floor (Int64 or object),
                  area_m2 (float, m²), price (int64, 10⁻⁶ 万元 = 1 分; ``MISSING`` = -1),
                  date (datetime64[D]), seller_credit_code, buyer_credit_code, buyer_use,
                  district, park_id (None outside parks), land_use_code, parcel_gfa_m2 (float
                  m²: floor area on the parcel), buyer_industry_code, buyer_chain
``contracts``     contract_id, parcel_id, signed (datetime64[D]), price (int64 分),
                  investment_commitment (int64 分, -1 missing)
``events``        contract_id, event, date (datetime64[D]), amount (int64 分, -1 missing),
                  invested (int64 分, -1 missing)
``production``    credit_code, year (int): the firm-years with revenue > 0
``park_chains``   park_id, chain: each park's lead chains (:func:`park_lead_chains`)

Output (:data:`FLAG_COLUMNS`, one row per transaction and rule, sorted by transaction_id and
rule order): transaction_id, kind, parcel_id, district, date, buyer_credit_code, rule,
risk_score (float, 0–100: the rule's weight × how far the limit is passed, at most 100,
rounded to 0.1), reason (Chinese / English with the figures), source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from indspace.core.model.money import MISSING
from indspace.core.periods import add_calendar

RULES = (
    "transfer_before_payment",
    "transfer_before_investment",
    "price_premium",
    "flip",
    "buyer_industry_not_allowed",
    "strata_share_exceeded",
    "strata_unit_too_small",
    "sublease_non_industrial",
    "buyer_no_production",
)
"""The market rules, in output order."""
FLAG_COLUMNS = (
    "transaction_id",
    "kind",
    "parcel_id",
    "district",
    "date",
    "buyer_credit_code",
    "rule",
    "risk_score",
    "reason",
    "source",
)
FEN_PER_YUAN = 100
"""1 unit of the integer money (10⁻⁶ 万元) is 1 分 = 0.01 元."""


@dataclass(frozen=True)
class MarketParams:
    """The market parameters in force on the scan's day (units in the names)."""

    premium_max_share: Fraction
    resale_watch_years: int
    strata_sale_max_share: Fraction
    strata_min_unit_m2: float
    industrial_uses: tuple[str, ...]
    production_record_years: int
    heavy_industry_codes: tuple[str, ...]
    heavy_land_use_codes: tuple[str, ...]
    transfer_kinds: tuple[str, ...]
    transfer_min_investment: Fraction
    benchmarks_yuan_m2: dict[str, dict[str, float]]
    """kind → {district or ``default`` → 元/m²}."""
    weights: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)


def park_lead_chains(
    firm_parks: pd.DataFrame, firm_chains: pd.DataFrame, min_share: Fraction
) -> pd.DataFrame:
    """A park's lead chains (主导产业链): the chains of at least ``min_share`` of its firms
    (firms without a chain count in the denominator).

    ``firm_parks``: credit_code, park; ``firm_chains``: credit_code, chain.

    >>> fp = pd.DataFrame({"credit_code": ["a", "b", "c", "d"], "park": ["P"] * 4})
    >>> fc = pd.DataFrame({"credit_code": ["a", "b", "c", "d"], "chain": ["x", "x", "y", None]})
    >>> park_lead_chains(fp, fc, Fraction(1, 4)).values.tolist()
    [['P', 'x'], ['P', 'y']]
    >>> park_lead_chains(fp, fc, Fraction(3, 10)).values.tolist()
    [['P', 'x']]
    """
    m = (
        firm_parks[["credit_code", "park"]]
        .drop_duplicates()
        .merge(firm_chains[["credit_code", "chain"]], on="credit_code", how="left")
    )
    total = m.groupby("park")["credit_code"].transform("size").to_numpy(np.int64)
    m = m.assign(total=total).dropna(subset=["chain"])
    g = m.groupby(["park", "chain"], as_index=False).agg(
        n=("credit_code", "size"), total=("total", "first")
    )
    keep = (
        g["n"].to_numpy(np.int64) * min_share.denominator
        >= g["total"].to_numpy(np.int64) * min_share.numerator
    )
    out = g.loc[keep, ["park", "chain"]].rename(columns={"park": "park_id"})
    return out.sort_values(["park_id", "chain"], ignore_index=True)


def _fmt(x: np.ndarray, digits: int = 2) -> np.ndarray:
    return np.array([f"{v:.{digits}f}" for v in x], dtype=object)


def _text(values: np.ndarray, missing: str) -> np.ndarray:
    """Values as text per row (``missing`` where there is none)."""
    return pd.Series(values, dtype=object).fillna(missing).astype(str).to_numpy(object)


_NOT_ALLOWED_WORDS = {
    "zh": (
        ("受让方行业 ", " 须三类工业用地，宗地用途为 "),
        ("受让方产业链 ", " 不属园区 ", " 的主导产业链"),
        "无",
    ),
    "en": (
        ("buyer industry ", " needs class-3 industrial land; the parcel is "),
        ("buyer chain ", " is not a lead chain of park ", ""),
        "none",
    ),
}
"""The words of rule ``buyer_industry_not_allowed``'s reason, per language: around the
buyer's industry and the parcel's land use (class-3 land), around the buyer's chain and the
park (not a lead chain), and for a buyer without a chain."""


def _contract_state(
    tx: pd.DataFrame, contracts: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """Per transaction (by position ``pos``): the parcel's latest contract signed on or before
    the day, its price and commitment, and the payments and investment on or before the day."""
    t = pd.DataFrame(
        {
            "pos": np.arange(len(tx)),
            "parcel_id": tx["parcel_id"].to_numpy(object),
            "day": tx["date"].to_numpy("datetime64[D]"),
        }
    )
    m = t.merge(
        contracts.astype({"parcel_id": object, "contract_id": object}), on="parcel_id", how="inner"
    )
    m = m[m["signed"].to_numpy("datetime64[D]") <= m["day"].to_numpy("datetime64[D]")]
    m = m.sort_values(["pos", "signed", "contract_id"]).drop_duplicates("pos", keep="last")
    if m.empty:
        return pd.DataFrame({"pos": [], "price": [], "commitment": [], "paid": [], "invested": []})
    e = m[["pos", "contract_id", "day"]].merge(
        events.astype({"contract_id": object}), on="contract_id", how="inner"
    )
    e = e[e["date"].to_numpy("datetime64[D]") <= e["day"].to_numpy("datetime64[D]")]
    pay = e[(e["event"] == "payment") & (e["amount"] != MISSING)]
    paid = pay.groupby("pos")["amount"].sum()
    inv = e[e["invested"] != MISSING].groupby("pos")["invested"].max()
    pos = m["pos"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "pos": pos,
            "price": m["price"].to_numpy(np.int64),
            "commitment": m["investment_commitment"].to_numpy(np.int64),
            "paid": paid.reindex(pos, fill_value=0).to_numpy(np.int64),
            "invested": inv.reindex(pos, fill_value=0).to_numpy(np.int64),
        }
    )


def scan(
    transactions: pd.DataFrame,
    contracts: pd.DataFrame,
    events: pd.DataFrame,
    production: pd.DataFrame,
    park_chains: pd.DataFrame,
    params: MarketParams,
) -> pd.DataFrame:
    """Every flag of every transaction (see the module docstring for the columns)."""
    tx = transactions.reset_index(drop=True)
    n = len(tx)
    kind = tx["kind"].to_numpy(object)
    day = tx["date"].to_numpy("datetime64[D]")
    area = tx["area_m2"].to_numpy(np.float64)
    price = tx["price"].to_numpy(np.int64)
    is_transfer = np.isin(kind, params.transfer_kinds)
    occupant = np.isin(kind, ("land_transfer", "strata_sale", "sublease"))
    parts: list[pd.DataFrame] = []

    def add(
        rule: str,
        mask: np.ndarray,
        severity: np.ndarray | float,
        zh: np.ndarray | str,
        en: np.ndarray | str,
        source: str,
    ) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        sev = np.broadcast_to(np.asarray(severity, dtype=np.float64), (n,))[idx]
        score = np.minimum(100.0, np.round(params.weights.get(rule, 50.0) * sev, 1))
        zh_a = np.broadcast_to(np.asarray(zh, dtype=object), (n,))[idx]
        en_a = np.broadcast_to(np.asarray(en, dtype=object), (n,))[idx]
        parts.append(
            pd.DataFrame(
                {
                    "pos": idx,
                    "rule_no": RULES.index(rule),
                    "rule": rule,
                    "risk_score": score,
                    "reason": zh_a + " / " + en_a,
                    "source": source,
                }
            )
        )

    # 1-2. transfer before full payment / 25 % of the investment (Art. 39) -------------------
    st = _contract_state(tx[is_transfer], contracts, events)
    if len(st):
        pos = np.flatnonzero(is_transfer)[st["pos"].to_numpy(np.int64)]
        price_c, paid = st["price"].to_numpy(np.int64), st["paid"].to_numpy(np.int64)
        unpaid = np.zeros(n, bool)
        unpaid[pos] = paid < price_c
        zh = np.full(n, "", object)
        en = np.full(n, "", object)
        zh[pos] = [
            "转让前出让价款未付清：已缴 "
            + f"{a / 1e6:.2f}"
            + " 万元，应缴 "
            + f"{b / 1e6:.2f}"
            + " 万元"
            for a, b in zip(paid, price_c, strict=True)
        ]
        en[pos] = [
            f"transferred before the land price was paid: {a / 1e6:.2f} of {b / 1e6:.2f} 万元 paid"
            for a, b in zip(paid, price_c, strict=True)
        ]
        add("transfer_before_payment", unpaid, 1.0, zh, en, params.sources.get("transfer", ""))
        commit, inv = st["commitment"].to_numpy(np.int64), st["invested"].to_numpy(np.int64)
        share = params.transfer_min_investment
        low = np.zeros(n, bool)
        low[pos] = (commit > 0) & (inv * share.denominator < commit * share.numerator)
        ratio = np.full(n, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[pos] = inv / commit
        zh2 = np.full(n, "", object)
        en2 = np.full(n, "", object)
        zh2[pos] = [
            f"转让前开发投资仅完成 {r:.1%}（应不少于 {float(share):.0%}）" for r in ratio[pos]
        ]
        en2[pos] = [
            f"transferred with {r:.1%} of the committed investment done (at least "
            f"{float(share):.0%} required)"
            for r in ratio[pos]
        ]
        add("transfer_before_investment", low, 1.0, zh2, en2, params.sources.get("transfer", ""))

    # 3. price premium over the benchmark ----------------------------------------------------
    district = tx["district"].to_numpy(object)
    bench = np.full(n, np.nan)
    for k, table in params.benchmarks_yuan_m2.items():
        on = kind == k
        if on.any():
            d = pd.Series(district[on], dtype=object)
            bench[on] = d.map(lambda x, t=table: t.get(x, t.get("default", np.nan))).to_numpy(
                np.float64
            )
    has = (price != MISSING) & ~np.isnan(bench) & (area > 0)
    s = params.premium_max_share
    limit_fen = (s.denominator + s.numerator) * bench * FEN_PER_YUAN * area
    over = has & (price.astype(np.float64) * s.denominator > limit_fen)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = price / FEN_PER_YUAN / area
        prem = unit / bench - 1
    add(
        "price_premium",
        over,
        prem / float(s),
        "成交单价 "
        + _fmt(unit, 0)
        + " 元/m²，高于基准 "
        + _fmt(bench, 0)
        + " 元/m² 的 "
        + _fmt(prem * 100, 1)
        + "%（上限 "
        + f"{float(s):.0%}"
        + "）",
        "unit price "
        + _fmt(unit, 0)
        + " 元/m² is "
        + _fmt(prem * 100, 1)
        + "% above the benchmark "
        + _fmt(bench, 0)
        + " 元/m² (limit "
        + f"{float(s):.0%}"
        + ")",
        params.sources.get("benchmark", ""),
    )

    # 4. flipped within N years -----------------------------------------------------------------
    floor = pd.Series(tx["floor"], dtype=object).map(lambda v: "" if pd.isna(v) else str(v))
    bld = pd.Series(tx["building_id"], dtype=object).fillna("")
    asset = np.where(
        kind == "strata_sale",
        tx["parcel_id"].astype(str) + "|" + bld + "|" + floor,
        tx["parcel_id"].astype(str),
    ).astype(object)
    order = np.lexsort((tx["transaction_id"].to_numpy(str), day, asset))
    order = order[is_transfer[order]]
    a_s, d_s = asset[order], day[order]
    same = np.zeros(len(order), bool)
    same[1:] = a_s[1:] == a_s[:-1]
    prev = np.full(len(order), np.datetime64("NaT"), "datetime64[D]")
    prev[1:] = d_s[:-1]
    window_end = add_calendar(prev, years=params.resale_watch_years)
    flip_s = same & (d_s <= window_end)
    flip = np.zeros(n, bool)
    flip[order] = flip_s
    prev_all = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    prev_all[order] = np.where(same, prev, np.datetime64("NaT"))
    add(
        "flip",
        flip,
        1.0,
        "同一资产上次转让于 "
        + prev_all.astype(str).astype(object)
        + "，"
        + str(params.resale_watch_years)
        + " 年内再次转让",
        "the same asset was transferred on "
        + prev_all.astype(str).astype(object)
        + ", again within "
        + str(params.resale_watch_years)
        + " years",
        params.sources.get("market", ""),
    )

    # 5. buyer's industry not allowed by the parcel or the park's chain ------------------------
    ind = pd.Series(tx["buyer_industry_code"], dtype=object).fillna("").astype(str)
    heavy = np.zeros(n, bool)
    for code in params.heavy_industry_codes:
        heavy |= ind.str.startswith(code).to_numpy(bool)
    land_ok = np.isin(tx["land_use_code"].to_numpy(object), params.heavy_land_use_codes)
    bad_land = occupant & heavy & ~land_ok
    park = tx["park_id"].to_numpy(object)
    chain = tx["buyer_chain"].to_numpy(object)
    has_lead = np.isin(park, park_chains["park_id"].to_numpy(object))
    pair = pd.MultiIndex.from_arrays([park, chain])
    allowed = pair.isin(pd.MultiIndex.from_frame(park_chains[["park_id", "chain"]]))
    known = pd.notna(tx["buyer_industry_code"]).to_numpy(bool) | pd.notna(chain)
    bad_park = occupant & known & has_lead & ~allowed & ~bad_land
    ind_t, use = ind.to_numpy(object), tx["land_use_code"].astype(str).to_numpy(object)
    zh, en = (
        np.where(
            bad_land,
            land[0] + ind_t + land[1] + use,
            lead[0] + _text(chain, no_chain) + lead[1] + _text(park, "") + lead[2],
        )
        for land, lead, no_chain in _NOT_ALLOWED_WORDS.values()
    )
    add(
        "buyer_industry_not_allowed",
        bad_land | bad_park,
        1.0,
        zh,
        en,
        params.sources.get("market", ""),
    )

    # 6-7. strata sales: share of the parcel's floor area, minimum unit ------------------------
    strata = kind == "strata_sale"
    gfa = tx["parcel_gfa_m2"].to_numpy(np.float64)
    so = np.lexsort((tx["transaction_id"].to_numpy(str), day, tx["parcel_id"].to_numpy(str)))
    so = so[strata[so]]
    cum = pd.Series(area[so]).groupby(tx["parcel_id"].to_numpy(object)[so]).cumsum().to_numpy()
    cum_all = np.full(n, np.nan)
    cum_all[so] = cum
    ms = params.strata_sale_max_share
    beyond = strata & (gfa > 0) & (cum_all * ms.denominator > gfa * ms.numerator)
    with np.errstate(divide="ignore", invalid="ignore"):
        shr = cum_all / gfa
    add(
        "strata_share_exceeded",
        beyond,
        shr / float(ms),
        "累计分割销售 "
        + _fmt(cum_all, 0)
        + " m²，占宗地建筑面积 "
        + _fmt(shr * 100, 1)
        + "%（上限 "
        + f"{float(ms):.0%}"
        + "）",
        "strata sales reach "
        + _fmt(cum_all, 0)
        + " m², "
        + _fmt(shr * 100, 1)
        + "% of the parcel's floor area (limit "
        + f"{float(ms):.0%}"
        + ")",
        params.sources.get("market", ""),
    )
    small = strata & (area < params.strata_min_unit_m2)
    with np.errstate(divide="ignore"):
        sev_small = params.strata_min_unit_m2 / area
    add(
        "strata_unit_too_small",
        small,
        np.minimum(sev_small, 2.0),
        "分割单元 " + _fmt(area, 0) + " m²，小于最小单元 " + f"{params.strata_min_unit_m2:.0f} m²",
        "strata unit of "
        + _fmt(area, 0)
        + " m² is below the minimum "
        + f"{params.strata_min_unit_m2:.0f} m²",
        params.sources.get("market", ""),
    )

    # 8. sublease to a non-industrial use -------------------------------------------------------
    use = pd.Series(tx["buyer_use"], dtype=object)
    non_ind = (kind == "sublease") & ~use.isin(params.industrial_uses).to_numpy(bool)
    add(
        "sublease_non_industrial",
        non_ind,
        1.0,
        "转租用途为 " + use.fillna("未填").astype(str).to_numpy(object) + "，非工业用途",
        "sublet for "
        + use.fillna("unstated").astype(str).to_numpy(object)
        + ", not an industrial use",
        params.sources.get("market", ""),
    )

    # 9. buyer without a production record -----------------------------------------------------
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    buyer = tx["buyer_credit_code"].to_numpy(object)
    prod = production[["credit_code", "year"]].astype({"credit_code": object})
    q = pd.DataFrame({"pos": np.arange(n), "credit_code": buyer, "ty": year})
    hit = q.merge(prod, on="credit_code", how="inner")
    yrs = hit["year"].to_numpy(np.int64)
    ok_rows = (yrs <= hit["ty"].to_numpy(np.int64)) & (
        yrs >= hit["ty"].to_numpy(np.int64) - params.production_record_years
    )
    has_prod = np.zeros(n, bool)
    has_prod[hit.loc[ok_rows, "pos"].to_numpy(np.int64)] = True
    y0 = (year - params.production_record_years).astype(str).astype(object)
    y1 = year.astype(str).astype(object)
    add(
        "buyer_no_production",
        (kind != "mortgage") & ~has_prod,
        1.0,
        "受让方在 " + y0 + "–" + y1 + " 年无营业收入记录",
        "the buyer has no year with revenue in " + y0 + "–" + y1,
        params.sources.get("market", ""),
    )

    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    f = pd.concat(parts, ignore_index=True)
    pos = f["pos"].to_numpy(np.int64)
    out = pd.DataFrame(
        {
            "transaction_id": tx["transaction_id"].to_numpy(object)[pos],
            "kind": kind[pos],
            "parcel_id": tx["parcel_id"].to_numpy(object)[pos],
            "district": district[pos],
            "date": day[pos],
            "buyer_credit_code": buyer[pos],
            "rule": f["rule"].to_numpy(object),
            "risk_score": f["risk_score"].to_numpy(np.float64),
            "reason": f["reason"].to_numpy(object),
            "source": f["source"].to_numpy(object),
            "_rule_no": f["rule_no"].to_numpy(np.int64),
        }
    )
    out = out.sort_values(["transaction_id", "_rule_no"], kind="stable", ignore_index=True)
    return out[list(FLAG_COLUMNS)]


def watch_list(flags: pd.DataFrame) -> pd.DataFrame:
    """Watch list per district (重点关注名单): one row per district and buyer with flags —
    flags, rules (``;``-joined, rule order), the transactions' summed and maximum risk score;
    sorted by district, summed score descending, buyer."""
    if flags.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=object)
                for c in (
                    "district",
                    "buyer_credit_code",
                    "flags",
                    "rules",
                    "transactions",
                    "risk_total",
                    "risk_max",
                )
            }
        )
    f = flags.assign(_no=flags["rule"].map({r: i for i, r in enumerate(RULES)}))
    g = f.sort_values("_no").groupby(["district", "buyer_credit_code"], dropna=False)
    out = g.agg(
        flags=("rule", "size"),
        rules=("rule", lambda s: ";".join(dict.fromkeys(s))),
        transactions=("transaction_id", "nunique"),
        risk_total=("risk_score", "sum"),
        risk_max=("risk_score", "max"),
    ).reset_index()
    out["risk_total"] = out["risk_total"].round(1)
    return out.sort_values(
        ["district", "risk_total", "buyer_credit_code"],
        ascending=[True, False, True],
        ignore_index=True,
    )


def indicators(transactions: pd.DataFrame) -> pd.DataFrame:
    """Market indicators by district, kind and year: transactions, area (m²), the median unit
    price (元/m², transactions with a price) — ``transactions`` as for :func:`scan`."""
    tx = transactions
    day = tx["date"].to_numpy("datetime64[D]")
    price = tx["price"].to_numpy(np.int64)
    area = tx["area_m2"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where((price != MISSING) & (area > 0), price / FEN_PER_YUAN / area, np.nan)
    f = pd.DataFrame(
        {
            "district": tx["district"].to_numpy(object),
            "kind": tx["kind"].to_numpy(object),
            "year": day.astype("datetime64[Y]").astype(np.int64) + 1970,
            "area_m2": area,
            "unit": unit,
        }
    )
    g = f.groupby(["district", "kind", "year"], dropna=False)
    out = g.agg(
        transactions=("area_m2", "size"),
        area_m2=("area_m2", "sum"),
        median_price_yuan_m2=("unit", "median"),
    ).reset_index()
    out["area_m2"] = out["area_m2"].round(2)
    out["median_price_yuan_m2"] = out["median_price_yuan_m2"].round(2)
    return out.sort_values(["district", "kind", "year"], ignore_index=True)
