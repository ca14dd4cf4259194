"""Land supply and full-lifecycle supervision (issue #17): the contract monitor as of a day.

Reads contracts, their events, the firms' indicators and 亩均 grades from the store, the
parameters in force on the as-of day from the policy profile, and hands them to the pure
engine :mod:`indspace.core.engines.supply_monitor`. The result is one row per finding with
the columns of the issue: ``contract_id, parcel_id, credit_code, rule, status, since, due,
amount_wan, basis`` — ``amount_wan`` exact decimal text, dates ISO 8601; the same inputs and
profile give byte-identical CSV/XLSX/JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from indspace.core.access import Principal
from indspace.core.engines.supply_monitor import ALERT_COLUMNS, SupplyParams, monitor
from indspace.core.errors import ForbiddenError, ValidationError
from indspace.core.model.installments import InstallmentRules
from indspace.core.model.money import (
    MISSING,
    display_wan,
    format_wan,
    fraction,
    micro_wan,
    micro_wan_text,
)
from indspace.core.periods import WorkCalendar
from indspace.core.policy import PolicyProfile
from indspace.core.policy.clauses import supply_clauses
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.services.profiles import resolve_profile
from indspace.settings import deployment
from indspace.store import Store

MU_PER_M2 = 3 / 2000
"""亩 per m² (1 亩 = 2000/3 m²)."""


def _profile(profile: PolicyProfile | str | None) -> PolicyProfile:
    if isinstance(profile, PolicyProfile):
        return profile
    return resolve_profile(profile or deployment().default_profile)


def _source(p: PolicyProfile, name: str, on: date) -> str:
    param = p.parameters[name]
    days = sorted(d for d in param.values if d <= on)
    return param.values[days[-1]].source if days else ""


def installment_rules(on: date, profile: PolicyProfile | str | None = None) -> InstallmentRules:
    """The profile's installment rules (财综〔2009〕74号) in force on ``on``."""
    p = _profile(profile)
    return InstallmentRules.from_profile(
        p.value("installment_rules", on),
        p.value("installment_modes", on),
        _source(p, "installment_rules", on),
    )


def supply_params(on: date, profile: PolicyProfile | str | None = None) -> SupplyParams:
    """Every supervision parameter in force on ``on``, with its source."""
    p = _profile(profile)
    stall = p.value("stall_rules", on)
    renewal = p.value("renewal_rules", on)
    return SupplyParams(
        idle_fee_rate=fraction(p.value("idle_fee_rate", on)),
        idle_years=int(p.value("idle_fee_after_years", on)),
        recovery_years=int(p.value("idle_recovery_after_years", on)),
        waiving_causes=tuple(p.value("idle_fee_waiving_causes", on)),
        stall_area_share=fraction(stall["area_share"]),
        stall_investment_share=fraction(stall["investment_share"]),
        stall_years=int(stall["stopped_years"]),
        installments=installment_rules(on, p),
        transfer_min_investment=fraction(p.value("transfer_min_investment_share", on)),
        renewal_lead_days=int(p.value("renewal_apply_lead_days", on)),
        renewal_excluded_grades=tuple(renewal["excluded_grades"]),
        renewal_requires_performance=bool(renewal["requires_performance"]),
        notice_days=int(p.value("alert_notice_days", on)),
        sources={
            "idle": _source(p, "idle_fee_rate", on),
            "stall": _source(p, "stall_rules", on),
            "transfer": _source(p, "transfer_min_investment_share", on),
            "renewal": _source(p, "renewal_apply_lead_days", on),
            "lease": _source(p, "supply_terms", on),
            "acceptance": supply_clauses().acceptance_basis,
        },
    )


def _days(col: pd.Series) -> np.ndarray:
    """Days (``datetime.date``, ISO text or None) → datetime64[D]."""
    vals = pd.Series(col).to_numpy(dtype=object)
    try:   # Arrow converts date objects in C (numpy's object path is ~20x slower)
        arr = pa.array(vals, type=pa.date32(), from_pandas=True)
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return pd.to_datetime(pd.Series(vals, dtype=object)).to_numpy("datetime64[D]")


def terms_frame(contracts: pd.DataFrame) -> pd.DataFrame:
    """Stored contracts as the installment rules read them (money in 10⁻⁶ 万元)."""
    return pd.DataFrame(
        {
            "contract_id": contracts["contract_id"].to_numpy(dtype=object),
            "mode": contracts["mode"].to_numpy(dtype=object),
            "signed": _days(contracts["signed"]),
            "price": micro_wan(contracts["price_wan"]),
            "special": contracts["installment_special"].fillna(False).to_numpy(bool),
        }
    )


def payment_frame(events: pd.DataFrame) -> pd.DataFrame:
    """Stored payment events: ``contract_id``, ``date``, ``amount`` (10⁻⁶ 万元)."""
    pay = events[events["event"] == "payment"]
    return pd.DataFrame(
        {
            "contract_id": pay["contract_id"].to_numpy(dtype=object),
            "date": _days(pay["date"]),
            "amount": micro_wan(pay["amount_wan"]),
        }
    )


def _text(values: Any) -> pd.Series:
    """A text column kept as Python objects (pandas would otherwise convert every cell to
    its string dtype, ~0.3 s per 450 000 cells, for nothing the engine needs)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def exact_contracts(contracts: pd.DataFrame) -> pd.DataFrame:
    """Stored contracts as :meth:`Store.read_frame` gives them (Decimal money, ``date``
    days) → the exact form :func:`indspace.store.contract_reads.read_contracts_exact` reads
    directly: money int64 10⁻⁶ 万元, days datetime64[D]."""
    return pd.DataFrame(
        {
            **{c: _text(contracts[c]) for c in ("contract_id", "parcel_id", "credit_code", "mode")},
            "signed": _days(contracts["signed"]),
            "term_years": pd.to_numeric(contracts["term_years"]).to_numpy(np.int64),
            "price_wan": micro_wan(contracts["price_wan"]),
            "area_m2": contracts["area_m2"].to_numpy(np.float64),
            "start_deadline": _days(contracts["start_deadline"]),
            "completion_deadline": _days(contracts["completion_deadline"]),
            "investment_commitment_wan": micro_wan(contracts["investment_commitment_wan"]),
            "tax_per_mu_commitment_wan": micro_wan(contracts["tax_per_mu_commitment_wan"]),
            "idle_cause": _text(contracts["idle_cause"]),
            "installment_special": contracts["installment_special"].fillna(False).to_numpy(bool),
        }
    )


def exact_events(events: pd.DataFrame) -> pd.DataFrame:
    """Stored events (Decimal money, ``date`` days) → the exact form (see
    :func:`exact_contracts`)."""
    return pd.DataFrame(
        {
            "contract_id": _text(events["contract_id"]),
            "event": _text(events["event"]),
            "date": _days(events["date"]),
            "amount_wan": micro_wan(events["amount_wan"]),
            "developed_area_m2": pd.to_numeric(events["developed_area_m2"]).to_numpy(np.float64),
            "invested_wan": micro_wan(events["invested_wan"]),
        }
    )


def engine_inputs(
    contracts: pd.DataFrame,
    events: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
    grades: pd.DataFrame | None = None,
    *,
    exact: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Store frames → the engine's columns. ``exact``: the frames are already in the exact
    form (money int64 10⁻⁶ 万元, days datetime64[D]; :mod:`indspace.store.contract_reads`),
    else they are as :meth:`Store.read_frame` gives them. ``indicators``: ``credit_code,
    year, tax`` (the latest year per firm is taken); ``grades``: ``credit_code, grade``."""
    if not exact:
        contracts, events = exact_contracts(contracts), exact_events(events)
    n = len(contracts)
    tax_commit = contracts["tax_per_mu_commitment_wan"].to_numpy(np.int64)
    c = pd.DataFrame(
        {
            **{k: _text(contracts[k]) for k in ("contract_id", "parcel_id", "credit_code", "mode")},
            "signed": contracts["signed"].to_numpy("datetime64[D]"),
            "term_years": contracts["term_years"].to_numpy(np.int64),
            "price": contracts["price_wan"].to_numpy(np.int64),
            "area_m2": contracts["area_m2"].to_numpy(np.float64),
            "start_deadline": contracts["start_deadline"].to_numpy("datetime64[D]"),
            "completion_deadline": contracts["completion_deadline"].to_numpy("datetime64[D]"),
            "investment_commitment": contracts["investment_commitment_wan"].to_numpy(np.int64),
            # 万元/亩 as float for the comparison with the evaluated tax (exact for the
            # stored decimals: an integer ÷ 10⁶ is rounded once, as float(Decimal) is)
            "tax_per_mu_commitment": np.where(tax_commit == MISSING, np.nan, tax_commit / 1e6),
            "idle_cause": _text(contracts["idle_cause"]),
            "special": contracts["installment_special"].to_numpy(bool),
        }
    )
    # the firm's evaluated tax on the contract's land (latest year with indicators)
    achieved = np.full(n, np.nan)
    if indicators is not None and len(indicators):
        last = (
            indicators.dropna(subset=["tax"])
            .sort_values(["credit_code", "year"])
            .drop_duplicates("credit_code", keep="last")
            .set_index("credit_code")["tax"]
        )
        tax = c["credit_code"].map(last).to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            achieved = tax / (c["area_m2"].to_numpy(np.float64) * MU_PER_M2)
    c["achieved_tax_per_mu"] = achieved
    grade = (
        c["credit_code"].map(grades.set_index("credit_code")["grade"])
        if grades is not None and len(grades)
        else pd.Series([None] * n)
    )
    c["grade"] = grade.astype(object).where(grade.notna(), None).to_numpy(dtype=object)
    # a lease-then-grant is converted once a grant for the same parcel and firm was signed
    # (only leases need the look-up: the few of them, and the grants on their parcels)
    mode = c["mode"].to_numpy(dtype=object)
    lease = np.flatnonzero(mode == "lease_then_grant")
    converted = np.zeros(n, dtype=bool)
    if len(lease):
        parcel = c["parcel_id"].to_numpy(dtype=object)
        on_lease = (mode == "grant") & pd.Index(parcel[lease]).get_indexer(parcel).__ge__(0)
        grants = c.loc[on_lease, ["parcel_id", "credit_code", "signed"]]
        first_grant = grants.groupby(["parcel_id", "credit_code"])["signed"].min()
        key = pd.MultiIndex.from_frame(c.loc[lease, ["parcel_id", "credit_code"]])
        later = first_grant.reindex(key).to_numpy("datetime64[D]")
        converted[lease] = ~np.isnat(later) & (
            later >= c["signed"].to_numpy("datetime64[D]")[lease]
        )
    c["converted"] = converted
    ids = pd.Index(c["contract_id"].to_numpy(dtype=object))
    # each event's contract: looked up once per run of equal ids (events come grouped by
    # contract from the store, so ~100 000 look-ups instead of ~450 000)
    ev_ids = events["contract_id"].to_numpy(dtype=object)
    if len(ev_ids):
        starts = np.flatnonzero(np.r_[True, ev_ids[1:] != ev_ids[:-1]])
        pos = np.repeat(ids.get_indexer(ev_ids[starts]), np.diff(np.r_[starts, len(ev_ids)]))
    else:
        pos = np.zeros(0, dtype=np.int64)
    e = pd.DataFrame(
        {
            "contract_id": _text(events["contract_id"]),
            "contract_pos": pos,
            "event": _text(events["event"]),
            "date": events["date"].to_numpy("datetime64[D]"),
            "amount": events["amount_wan"].to_numpy(np.int64),
            "developed_area_m2": events["developed_area_m2"].to_numpy(np.float64),
            "invested": events["invested_wan"].to_numpy(np.int64),
        }
    )
    return c, e


def _grades(store: Store, as_of: date, profile: PolicyProfile) -> pd.DataFrame | None:
    """The latest stored 亩均 grade of each firm (the last evaluated year before ``as_of``)."""
    from indspace.store.runs import latest_run, read_results

    for year in range(as_of.year - 1, as_of.year - 4, -1):
        run = latest_run(store, year, profile.id)
        if run is not None:
            r = read_results(store, run["run_id"])
            col = "policy_grade" if "policy_grade" in r.columns else "grade"
            return pd.DataFrame({"credit_code": r["credit_code"], "grade": r[col]})
    return None


@dataclass
class MonitorResult:
    as_of: date
    profile: str
    alerts: pd.DataFrame
    """:data:`ALERT_COLUMNS`, every cell text (amounts exact, dates ISO)."""

    def summary(self) -> dict[str, Any]:
        a = self.alerts
        return {
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "findings": len(a),
            "contracts": int(a["contract_id"].nunique()),
            "by_rule": {k: int(v) for k, v in sorted(a["rule"].value_counts().items())},
            "by_status": {k: int(v) for k, v in sorted(a["status"].value_counts().items())},
        }


def run_monitor(
    store: Store,
    as_of: date,
    *,
    profile: PolicyProfile | str | None = None,
    notice_days: int | None = None,
    district: str | None = None,
    credit_code: str | None = None,
) -> MonitorResult:
    """Findings on every contract as of ``as_of`` (contracts and events as recorded now).
    ``district``: only contracts on that district's parcels; ``credit_code``: one firm's."""
    from indspace.store.contract_reads import read_contracts_exact, read_events_exact

    p = _profile(profile)
    # money as exact integers and days as datetime64 straight from the store (no Decimal or
    # date object per cell: 100 000 contracts are read in well under a second)
    contracts = read_contracts_exact(store, credit_code=credit_code, district=district)
    events = read_events_exact(store, credit_code=credit_code, district=district)
    indicators = store.read_frame("indicators", columns=["credit_code", "year", "tax"])
    indicators = indicators[indicators["year"] <= as_of.year]
    c, e = engine_inputs(contracts, events, indicators, _grades(store, as_of, p), exact=True)
    alerts = monitor_frame(c, e, as_of, supply_params(as_of, p), notice_days=notice_days)
    return MonitorResult(as_of, p.id, alerts)


def monitor_frame(
    c: pd.DataFrame,
    e: pd.DataFrame,
    as_of: date,
    params: SupplyParams,
    *,
    notice_days: int | None = None,
) -> pd.DataFrame:
    """Run the engine on prepared inputs and format the result as text columns."""
    days = np.concatenate(
        [
            c["signed"].to_numpy("datetime64[D]"),
            c["start_deadline"].to_numpy("datetime64[D]"),
            c["completion_deadline"].to_numpy("datetime64[D]"),
            np.array([as_of], dtype="datetime64[D]"),
        ]
    )
    years = c["term_years"].to_numpy(np.int64)
    if len(years):  # leases end term years after signing: cover them too
        days = np.concatenate(
            [days, c["signed"].to_numpy("datetime64[D]") + (years * 366).astype("timedelta64[D]")]
        )
    cal = WorkCalendar.for_days(deployment().holiday_calendar, days)
    raw = monitor(c, e, as_of, params, cal, notice_days)
    out = raw.copy()
    out["since"] = raw["since"].to_numpy("datetime64[D]").astype(str)
    out["due"] = raw["due"].to_numpy("datetime64[D]").astype(str)
    out["amount_wan"] = [
        format_wan(v) if v != MISSING else "" for v in raw["amount_wan"].to_numpy(np.int64)
    ]
    for col in ("since", "due"):
        out[col] = out[col].replace("NaT", "")
    return out[list(ALERT_COLUMNS)].astype(object)


def displayed(alerts: pd.DataFrame) -> pd.DataFrame:
    """The alerts with ``amount_wan`` as people read it (:func:`display_wan`: 万元 to 2
    decimals, 4 below 1 万元) instead of the exact text."""
    out = alerts.copy()
    out["amount_wan"] = _display(alerts["amount_wan"])
    return out


def _display(amounts: pd.Series) -> list[str]:
    """Exact amount texts ('' for none) as :func:`display_wan` shows them, parsed at once."""
    return [display_wan(int(m)) for m in micro_wan_text([v or None for v in amounts])]


def amount_totals(alerts: pd.DataFrame) -> dict[str, str]:
    """Per rule, the exact sum of the findings' amounts, displayed (rules without amounts
    left out)."""
    micro = micro_wan_text([v if v else None for v in alerts["amount_wan"]])
    out = {}
    for rule in dict.fromkeys(alerts["rule"]):
        m = micro[(alerts["rule"] == rule).to_numpy() & (micro >= 0)]
        if len(m):
            out[str(rule)] = display_wan(int(m.sum()))
    return out


def write_alerts(path: Path, alerts: pd.DataFrame) -> None:
    """Alerts as ``.csv`` (UTF-8 with BOM, for Excel; ``amount_wan`` exact, for machines) or
    ``.xlsx`` (``amount_wan`` displayed, for people: :func:`displayed`); refuses other
    suffixes."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise unsupported_format(path, [".csv", ".xlsx"])
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(alerts).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            write_sheets(tmp, {"alerts": displayed(alerts)})


def alerts_json(result: MonitorResult) -> str:
    return json.dumps(
        {**result.summary(), "alerts": result.alerts.to_dict("records")},
        ensure_ascii=False,
        sort_keys=True,
    )


def check_as_of(text: str, where: str = "--as-of") -> date:
    """``--as-of`` text → a day, with a bilingual error."""
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise ValidationError(
            f"日期无效：{text!r}",
            f"invalid date {text!r}",
            where=where,
            hint_zh="写成 YYYY-MM-DD，如 2025-06-30",
            hint_en="write YYYY-MM-DD, e.g. 2025-06-30",
        ) from e


# --- supply planning ------------------------------------------------------------------------
PROJECT_KEYS = ("credit_code", "industry_code", "mode", "term_years", "land_intensive",
                "provincial_priority_industry", "land_cost_yuan_m2", "scattered_parcel",
                "co_bidders", "chain_361", "little_giant", "single_champion",
                "investment_commitment_wan", "output_per_mu_wan", "tax_per_mu_commitment_wan",
                "start_deadline", "completion_deadline", "far_max")
"""Keys a project file (``--project P.json``) may hold; docs/supply.md explains each."""


def read_project(path: Path) -> dict[str, Any]:
    """A project file: a JSON object with keys of :data:`PROJECT_KEYS` (bilingual errors)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValidationError(f"无法读取项目文件：{e}", f"cannot read the project file: {e}",
                              where=str(path)) from e
    except json.JSONDecodeError as e:
        raise ValidationError(f"项目文件不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列",
                              f"the project file is not valid JSON: line {e.lineno}, "
                              f"column {e.colno}", where=str(path),
                              hint_zh="检查引号与逗号", hint_en="check quotes and commas") from e
    if not isinstance(data, dict):
        raise ValidationError("项目文件须为 JSON 对象", "the project file must be a JSON object",
                              where=str(path))
    unknown = sorted(set(data) - set(PROJECT_KEYS))
    if unknown:
        raise ValidationError(f"项目文件含未知字段：{', '.join(unknown)}",
                              f"unknown key(s) in the project file: {', '.join(unknown)}",
                              where=f"{path}: {unknown[0]}",
                              hint_zh=f"可用字段：{', '.join(PROJECT_KEYS)}",
                              hint_en=f"known keys: {', '.join(PROJECT_KEYS)}")
    return data


def plan_params(p: PolicyProfile, on: date, district: str | None, industry: str | None
                ) -> Any:
    from indspace.core.engines.supply_plan import PlanParams

    by_district = p.value("min_plot_ratio_new_supply_by_district", on)
    urban = p.value("urban_districts", on)
    far: tuple[float | None, str]
    if district in by_district:
        far = (float(by_district[district]), _source(p, "min_plot_ratio_new_supply_by_district",
                                                     on))
    elif district in urban:
        far = (float(p.value("min_plot_ratio_new_supply_urban", on)),
               _source(p, "min_plot_ratio_new_supply_urban", on))
    else:
        table = p.value("min_plot_ratio_by_industry", on)
        v = table.get((industry or "")[:2])
        far = (None if v is None else float(v), _source(p, "min_plot_ratio_by_industry", on))
    return PlanParams(
        terms=(p.value("supply_terms", on), _source(p, "supply_terms", on)),
        min_price_by_grade=(p.value("min_land_price_yuan_m2_by_grade", on),
                            _source(p, "min_land_price_yuan_m2_by_grade", on)),
        priority=(p.value("priority_supply", on), _source(p, "priority_supply", on)),
        agreement=(p.value("agreement_transfer_rules", on),
                   _source(p, "agreement_transfer_rules", on)),
        far_floor=far,
        clauses=supply_clauses())


def plan_supply(store: Store, parcel_id: str, project: dict[str, Any], on: date, *,
                profile: PolicyProfile | str | None = None) -> dict[str, Any]:
    """The supply plan of one stored parcel for ``project`` on day ``on``."""
    from indspace.core.engines.supply_plan import plan
    from indspace.core.errors import NotFoundError

    p = _profile(profile)
    parcels = store.read_frame("parcels", columns=["parcel_id", "area_m2", "district",
                                                   "owner_credit_code", "geometry"])
    hit = parcels[parcels["parcel_id"] == parcel_id]
    if hit.empty:
        raise NotFoundError(f"宗地 {parcel_id} 不存在", f"parcel {parcel_id} does not exist",
                            where="PARCEL_ID")
    row = hit.iloc[0]
    gap = float(p.value("agreement_transfer_rules", on).get("neighbour_max_gap_m") or 0)
    others = parcels[parcels["parcel_id"] != parcel_id]
    near = others[others.geometry.distance(row.geometry) <= gap]
    grades = p.value("land_grade_by_district", on)
    district = None if pd.isna(row["district"]) else str(row["district"])
    parcel = {"parcel_id": parcel_id, "area_m2": float(row["area_m2"]), "district": district,
              "land_grade": grades.get(district),
              "neighbour_owners": sorted(near["owner_credit_code"].dropna().astype(str))}
    code = project.get("credit_code")
    designations: list[str] = []
    chain = False
    industry = project.get("industry_code")
    if code:
        d = store.read_frame("designations", where={"credit_code": code})
        valid = d[(d["start"] <= on) & (d["end"].isna() | (d["end"] >= on))]
        designations = sorted(set(valid["designation"]))
        firm = store.read_frame("enterprises", where={"credit_code": code})
        if len(firm):
            chain = bool(pd.notna(firm["chain"].iloc[0]) and str(firm["chain"].iloc[0]))
            industry = industry or firm["industry_code"].iloc[0]
    out = plan(parcel, project, plan_params(p, on, district, industry),
               designations=designations, chain_361=chain)
    return {"as_of": on.isoformat(), "profile": p.id, **out}


# --- alerts for a caller (API and web) ------------------------------------------------------
ALERT_EXPORT_COLUMNS = (
    ("contract_id", "合同编号", "contract id"),
    ("parcel_id", "宗地代码", "parcel id"),
    ("credit_code", "统一社会信用代码", "credit code"),
    ("rule_label", "规则", "rule"),
    ("status_label", "状态", "status"),
    ("since", "起始日", "since"),
    ("due", "期限日", "due"),
    ("amount_display", "金额（万元）", "amount (10k yuan)"),
    ("basis", "依据", "basis"),
)
"""(column, 中文表头含单位, English header) of the alerts export, in order."""


def _check_choice(value: str | None, allowed: tuple[str, ...], name: str) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(
            f"{name} 取值无效：{value[:40]!r}",
            f"invalid {name}: {value[:40]!r}",
            where=name,
            hint_zh=f"可选：{', '.join(allowed)}",
            hint_en=f"one of: {', '.join(allowed)}",
        )


def scoped_alerts(
    store: Store,
    as_of: str | date | None,
    *,
    who: Principal,
    within: int | None = None,
    district: str | None = None,
    rule: str | None = None,
    status: str | None = None,
    profile: PolicyProfile | str | None = None,
    lang: str = "zh",
) -> MonitorResult:
    """The monitor's findings the caller may see, filtered: city-wide roles see every
    contract, a district officer only contracts on parcels of its district (403 naming the
    district when another is asked for), an enterprise account only its own contracts.
    Adds ``rule_label`` and ``status_label`` in ``lang``."""
    from indspace.core import vocabulary
    from indspace.core.engines.supply_monitor import RULES, STATUSES

    who.require_login()
    if as_of is None:  # today in the deployment's time zone (the one clock)
        from indspace.services.controlline import today

        day = today(store)
    else:
        day = as_of if isinstance(as_of, date) else check_as_of(str(as_of)[:40], "as_of")
    _check_choice(rule, RULES, "rule")
    _check_choice(status, STATUSES, "status")
    if within is not None and within < 0:
        raise ValidationError(f"within 不能为负：{within}", f"within must be >= 0: {within}",
                              where="within", hint_zh="填写 0 或正整数天数",
                              hint_en="give 0 or a positive number of days")
    district, credit_code = _caller_scope(who, district)
    result = run_monitor(
        store, day, profile=profile, notice_days=within, district=district, credit_code=credit_code
    )
    a = result.alerts
    if rule is not None:
        a = a[a["rule"] == rule]
    if status is not None:
        a = a[a["status"] == status]
    a = a.reset_index(drop=True).copy()
    rules = vocabulary.label_map("supply_rule", lang)
    statuses = vocabulary.label_map("supply_status", lang)
    a["rule_label"] = [rules.get(r, r) for r in a["rule"]]
    a["status_label"] = [statuses.get(s, s) for s in a["status"]]
    # for the page and the export: 万元 to 2 decimals (4 below 1 万元); amount_wan stays exact
    a["amount_display"] = _display(a["amount_wan"])
    return MonitorResult(result.as_of, result.profile, a)


def _caller_scope(who: Principal, district: str | None) -> tuple[str | None, str | None]:
    """(district, credit_code) the caller's view is narrowed to: an officer's own district
    (403 naming another one asked for), an enterprise's own contracts, city-wide roles as
    asked."""
    credit_code: str | None = None
    if who.role == "district_officer":
        if district is not None and district != who.district:
            raise ForbiddenError(f"无权查看区县 {district[:20]}",
                                 f"district {district[:20]} is outside this account's scope",
                                 where="district")
        district = who.district
    elif who.role == "enterprise":
        credit_code = who.credit_code or ""
    elif not who.city_wide:
        raise ForbiddenError("无权查看供地监管预警", "supply alerts are outside this "
                             "account's scope", where="supply alerts")
    return district, credit_code


CONTRACT_STATUSES = ("breach", "warning", "normal", "none")
"""A parcel's contract status on the map (vocabulary group ``contract_status``): ``breach``
— a contract on it has an overdue or breach finding; ``warning`` — only findings due within
the notice window; ``normal`` — contracts without findings; ``none`` — no contract (within
the caller's scope)."""


def parcel_contract_status(
    store: Store,
    as_of: str | date | None,
    *,
    who: Principal,
    within: int | None = None,
    profile: PolicyProfile | str | None = None,
    lang: str = "zh",
) -> dict[str, Any]:
    """Per parcel, its contracts' status as of a day (:data:`CONTRACT_STATUSES`), for the
    map's colouring, within the caller's scope (as :func:`scoped_alerts`): the parcel ids of
    each status except ``none`` (every parcel not listed), sorted, with the labels."""
    from indspace.core import vocabulary
    from indspace.store.contract_reads import read_contracts_exact

    result = scoped_alerts(store, as_of, who=who, within=within, profile=profile, lang=lang)
    district, credit_code = _caller_scope(who, None)
    contracts = read_contracts_exact(store, credit_code=credit_code, district=district)
    a = result.alerts
    breach = set(a.loc[a["status"].isin(["overdue", "breach"]), "parcel_id"])
    warning = set(a.loc[a["status"] == "upcoming", "parcel_id"]) - breach
    normal = set(contracts["parcel_id"]) - breach - warning
    labels = vocabulary.label_map("contract_status", lang)
    ids = {"breach": breach, "warning": warning, "normal": normal}
    return {
        "as_of": result.as_of.isoformat(),
        "profile": result.profile,
        "parcels": {k: sorted(v) for k, v in ids.items()},
        "counts": {k: len(v) for k, v in ids.items()},
        "labels": {k: labels.get(k, k) for k in CONTRACT_STATUSES},
    }


def alerts_payload(result: MonitorResult) -> dict[str, Any]:
    """The JSON answer: the summary and every row (cells are text)."""
    return {**result.summary(), "alerts": result.alerts.to_dict("records")}


def alerts_xlsx(result: MonitorResult, lang: str = "zh") -> bytes:
    """Exactly the rows of ``result`` as XLSX bytes: headers in ``lang`` with units, every
    cell a string cell (formula-looking text stays text), the same bytes for the same rows."""
    import io
    from datetime import datetime

    from indspace.services.output import excel_writer

    i = 2 if lang == "en" else 1
    out = result.alerts[[c[0] for c in ALERT_EXPORT_COLUMNS]].copy()
    out.columns = [c[i] for c in ALERT_EXPORT_COLUMNS]
    buf = io.BytesIO()
    with excel_writer(buf) as xw:
        xw.book.set_properties({"created": datetime(2000, 1, 1)})
        out.to_excel(xw, sheet_name="alerts" if lang == "en" else "供地监管预警", index=False,
                     freeze_panes=(1, 0))
    return buf.getvalue()
