"""Secondary-market supervision (二级市场监管, issue #19): ``indspace market scan``.

Reads the transactions dated on or before the as-of day, their parcels (district, land use,
park, floor area), the buyers (industry, chain, indicator years with revenue), the contracts
and their events, and the parameters in force on the day; hands them to the pure engine
:mod:`indspace.core.engines.market`. Same inputs and profile → byte-identical CSV/JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.engines import market as engine
from indspace.core.engines.market import MarketParams
from indspace.core.model.money import fraction, micro_wan
from indspace.core.policy import PolicyProfile
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.services.profiles import resolve_profile
from indspace.services.supply import _days, _source, check_as_of
from indspace.settings import deployment
from indspace.store import Store

__all__ = ["MarketResult", "check_as_of", "market_params", "run_scan", "scan_json", "write_flags"]


def _profile(profile: PolicyProfile | str | None) -> PolicyProfile:
    if isinstance(profile, PolicyProfile):
        return profile
    return resolve_profile(profile or deployment().default_profile)


def market_params(on: date, profile: PolicyProfile | str | None = None) -> MarketParams:
    """The market parameters in force on ``on``, with their sources."""
    p = _profile(profile)
    r = p.value("market_rules", on)
    bench = p.value("market_benchmarks", on)
    return MarketParams(
        premium_max_share=fraction(r["premium_max_share"]),
        resale_watch_years=int(r["resale_watch_years"]),
        strata_sale_max_share=fraction(r["strata_sale_max_share"]),
        strata_min_unit_m2=float(r["strata_min_unit_m2"]),
        industrial_uses=tuple(r["industrial_uses"]),
        production_record_years=int(r["production_record_years"]),
        heavy_industry_codes=tuple(str(c) for c in r["heavy_industry_codes"]),
        heavy_land_use_codes=tuple(str(c) for c in r["heavy_land_use_codes"]),
        transfer_kinds=tuple(r["transfer_kinds"]),
        transfer_min_investment=fraction(p.value("transfer_min_investment_share", on)),
        benchmarks_yuan_m2={k: {str(d): float(v) for d, v in t.items()} for k, t in bench.items()},
        weights={k: float(v) for k, v in p.value("market_risk_weights", on).items()},
        sources={
            "transfer": _source(p, "transfer_min_investment_share", on),
            "benchmark": _source(p, "market_benchmarks", on),
            "market": _source(p, "market_rules", on),
        },
    )


def lead_min_share(on: date, profile: PolicyProfile | str | None = None) -> Any:
    return fraction(_profile(profile).value("market_rules", on)["park_lead_chain_min_share"])


def _parcel_parks(store: Store) -> pd.DataFrame:
    """parcel_id → park_id: the park holding a point inside the parcel."""
    import geopandas as gpd

    parks = store.read_frame("parks", columns=["park_id", "geometry"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    if parks.empty or parcels.empty:
        return pd.DataFrame(
            {"parcel_id": pd.Series(dtype=object), "park_id": pd.Series(dtype=object)}
        )
    pts = gpd.GeoDataFrame(
        parcels.drop(columns="geometry"),
        geometry=parcels.geometry.representative_point(),
        crs=parcels.crs,
    )
    hit = gpd.sjoin(pts, parks, predicate="within", how="inner")
    return (
        hit[["parcel_id", "park_id"]]
        .sort_values(["parcel_id", "park_id"])
        .drop_duplicates("parcel_id", ignore_index=True)
    )


def _parcel_floor_area(store: Store) -> pd.Series:
    """parcel_id → floor area (m²) of the buildings standing on it, by geometry (the
    building's representative point; its ``parcel_id`` attribute is only a cross-check)."""
    import geopandas as gpd

    b = store.read_frame("buildings", columns=["gfa_m2", "geometry"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    if b.empty or parcels.empty:
        return pd.Series(dtype=np.float64)
    pts = gpd.GeoDataFrame(
        {"gfa_m2": pd.to_numeric(b["gfa_m2"]).fillna(0.0).to_numpy()},
        geometry=b.geometry.representative_point(),
        crs=b.crs,
    )
    hit = gpd.sjoin(pts, parcels, predicate="within", how="inner")
    hit = hit[~hit.index.duplicated(keep="first")]
    return hit.groupby("parcel_id")["gfa_m2"].sum()


def engine_frames(store: Store, as_of: date, min_share: Any) -> dict[str, pd.DataFrame]:
    """The engine's inputs from the store (transactions dated on or before ``as_of``)."""
    from indspace.services.evaluation import firm_parks

    tx = store.read_frame("transactions")
    day = _days(tx["date"])
    tx = tx[day <= np.datetime64(as_of, "D")].reset_index(drop=True)
    parcels = store.read_frame("parcels", columns=["parcel_id", "district", "land_use_code"])
    parcels = pd.DataFrame(parcels).drop(columns="geometry", errors="ignore")
    gfa = _parcel_floor_area(store)
    parks = _parcel_parks(store).set_index("parcel_id")["park_id"]
    firms = pd.DataFrame(
        store.read_frame("enterprises", columns=["credit_code", "industry_code", "chain"])
    )
    pid = tx["parcel_id"].to_numpy(object)
    pinfo = parcels.set_index("parcel_id")
    buyer = tx["buyer_credit_code"].to_numpy(object)
    finfo = firms.set_index("credit_code")
    t = pd.DataFrame(
        {
            "transaction_id": tx["transaction_id"].to_numpy(object),
            "kind": tx["kind"].to_numpy(object),
            "parcel_id": pid,
            "building_id": tx["building_id"].to_numpy(object),
            "floor": tx["floor"].astype(object).to_numpy(object),
            "area_m2": tx["area_m2"].to_numpy(np.float64),
            "price": micro_wan(tx["price_wan"]),
            "date": _days(tx["date"]),
            "seller_credit_code": tx["seller_credit_code"].to_numpy(object),
            "buyer_credit_code": buyer,
            "buyer_use": tx["buyer_use"].to_numpy(object),
            "district": pinfo["district"].reindex(pid).to_numpy(object),
            "park_id": parks.reindex(pid).to_numpy(object),
            "land_use_code": pinfo["land_use_code"].reindex(pid).to_numpy(object),
            "parcel_gfa_m2": gfa.reindex(pid).fillna(0.0).to_numpy(np.float64),
            "buyer_industry_code": finfo["industry_code"].reindex(buyer).to_numpy(object),
            "buyer_chain": finfo["chain"].reindex(buyer).to_numpy(object),
        }
    )
    for col in ("district", "park_id", "land_use_code", "buyer_industry_code", "buyer_chain"):
        t[col] = t[col].where(pd.notna(t[col]), None)
    c = store.read_frame(
        "contracts",
        columns=["contract_id", "parcel_id", "signed", "price_wan", "investment_commitment_wan"],
    )
    contracts = pd.DataFrame(
        {
            "contract_id": c["contract_id"].to_numpy(object),
            "parcel_id": c["parcel_id"].to_numpy(object),
            "signed": _days(c["signed"]),
            "price": micro_wan(c["price_wan"]),
            "investment_commitment": micro_wan(c["investment_commitment_wan"]),
        }
    )
    e = store.read_frame(
        "contract_events", columns=["contract_id", "event", "date", "amount_wan", "invested_wan"]
    )
    e = e[e["contract_id"].isin(set(contracts["contract_id"]))]
    events = pd.DataFrame(
        {
            "contract_id": e["contract_id"].to_numpy(object),
            "event": e["event"].to_numpy(object),
            "date": _days(e["date"]),
            "amount": micro_wan(e["amount_wan"]),
            "invested": micro_wan(e["invested_wan"]),
        }
    )
    ind = store.read_frame("indicators", columns=["credit_code", "year", "revenue"])
    ind = ind[pd.to_numeric(ind["revenue"]).fillna(0).to_numpy(np.float64) > 0]
    production = pd.DataFrame(
        {
            "credit_code": ind["credit_code"].to_numpy(object),
            "year": pd.to_numeric(ind["year"]).to_numpy(np.int64),
        }
    )
    park_chains = engine.park_lead_chains(firm_parks(store), firms, min_share)
    return {
        "transactions": t,
        "contracts": contracts,
        "events": events,
        "production": production,
        "park_chains": park_chains,
    }


@dataclass
class MarketResult:
    as_of: date
    profile: str
    flags: pd.DataFrame
    """:data:`indspace.core.engines.market.FLAG_COLUMNS`, dates ISO text."""
    watch: pd.DataFrame
    indicators: pd.DataFrame
    transactions: int

    def summary(self) -> dict[str, Any]:
        f = self.flags
        return {
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "transactions": self.transactions,
            "flag_count": len(f),
            "flagged_transactions": int(f["transaction_id"].nunique()),
            "by_rule": {
                r: int((f["rule"] == r).sum()) for r in engine.RULES if (f["rule"] == r).any()
            },
            "by_district": {
                str(k): int(v) for k, v in sorted(f["district"].fillna("").value_counts().items())
            },
        }


def run_scan(
    store: Store,
    as_of: date,
    *,
    profile: PolicyProfile | str | None = None,
    district: str | None = None,
) -> MarketResult:
    """Flags on every transaction dated on or before ``as_of`` (``district``: only that
    district's parcels), the watch list per district and the market indicators."""
    p = _profile(profile)
    frames = engine_frames(store, as_of, lead_min_share(as_of, p))
    tx = frames["transactions"]
    if district is not None:
        tx = tx[tx["district"] == district].reset_index(drop=True)
    flags = engine.scan(
        tx,
        frames["contracts"],
        frames["events"],
        frames["production"],
        frames["park_chains"],
        market_params(as_of, p),
    )
    flags = flags.assign(date=flags["date"].to_numpy("datetime64[D]").astype(str))
    return MarketResult(
        as_of,
        p.id,
        flags.reset_index(drop=True),
        engine.watch_list(flags),
        engine.indicators(tx),
        len(tx),
    )


def write_flags(path: Path, result: MarketResult) -> None:
    """Flags as ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx`` (with the watch list and
    the indicators as further sheets); refuses other suffixes."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise unsupported_format(path, [".csv", ".xlsx"])
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(result.flags).to_csv(
                tmp, index=False, encoding="utf-8-sig", lineterminator="\n"
            )
        else:
            write_sheets(
                tmp, {"flags": result.flags, "watch": result.watch, "indicators": result.indicators}
            )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return rows


def scan_json(result: MarketResult) -> str:
    return json.dumps(
        {
            **result.summary(),
            "flags": _records(result.flags),
            "watch": _records(result.watch),
            "indicators": _records(result.indicators),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def scoped_scan(
    store: Store,
    as_of: str | date | None,
    *,
    who: Any,
    district: str | None = None,
    rule: str | None = None,
    profile: PolicyProfile | str | None = None,
) -> dict[str, Any]:
    """The scan as the caller may see it (the web page and ``GET /api/market/scan``):
    city-wide roles every district, a district officer its own (403 for another), an
    enterprise account only the flags on its own purchases (``flags`` is the list of rows,
    ``flag_count`` its length); the market indicators (volumes
    and median prices, aggregates) for any logged-in role. ``as_of`` defaults to today in the
    deployment's time zone."""
    from indspace.core.errors import ForbiddenError, ValidationError

    who.require_login()
    if as_of is None:
        from indspace.services.controlline import today

        day = today(store)
    else:
        day = as_of if isinstance(as_of, date) else check_as_of(str(as_of)[:40], "as_of")
    if rule is not None and rule not in engine.RULES:
        raise ValidationError(
            f"未知规则：{rule[:40]}",
            f"unknown rule {rule[:40]}",
            where="rule",
            hint_zh="可选：" + "、".join(engine.RULES),
            hint_en="one of " + ", ".join(engine.RULES),
        )
    buyer: str | None = None
    if who.role == "district_officer":
        if district is not None and district != who.district:
            raise ForbiddenError(
                f"无权查看区县 {district[:20]}",
                f"district {district[:20]} is outside this account's scope",
                where="district",
            )
        district = who.district
    elif who.role == "enterprise":
        buyer = who.credit_code or ""
    elif not who.city_wide:
        raise ForbiddenError(
            "无权查看二级市场监管",
            "market supervision is outside this account's scope",
            where="market",
        )
    all_districts = run_scan(store, day, profile=profile)
    result = all_districts
    flags = result.flags
    if district is not None:
        flags = flags[flags["district"] == district]
    if buyer is not None:
        flags = flags[flags["buyer_credit_code"] == buyer]
    if rule is not None:
        flags = flags[flags["rule"] == rule]
    watch = engine.watch_list(flags)
    return {
        **MarketResult(
            day,
            result.profile,
            flags.reset_index(drop=True),
            watch,
            result.indicators,
            result.transactions,
        ).summary(),
        "flag_count": len(flags),
        "flags": _records(flags),
        "watch": _records(watch),
        "indicators": _records(result.indicators),
        "rules": list(engine.RULES),
    }
