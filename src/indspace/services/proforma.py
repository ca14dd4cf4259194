"""Use cases of the redevelopment pro forma (issue #18): appraise the units of a stored
low-efficiency plan under the four 工改工 modes, store the results with the plan run, export
them, and reproduce UrbanSim's square-foot developer model.

The profile is the plan run's own stored copy, with the values in force on the run's method
date, so the same run always gives the same pro forma. The engine computes in float64 万元;
every amount leaving this module is rounded half-even to 0.01 万元 (``Decimal``, or its text
in files and the store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.access import Principal
from indspace.core.engines.proforma import (
    COST_FLOWS,
    MODES,
    PARAMETERS,
    PARTIES,
    REVENUE_FLOWS,
    ProformaParams,
    Result,
    Units,
    appraise,
    best_far,
    tornado,
    wan_decimals,
    wan_text,
)
from indspace.core.engines.redevelop import MODE_LABELS
from indspace.core.engines.sqft_proforma import OUTPUT_COLUMNS, USES, SqftConfig, sqft_proforma
from indspace.core.errors import NotFoundError, PolicyError, ValidationError
from indspace.core.policy import PolicyProfile
from indspace.services.evaluation import resolve_profile, run_profile
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.store import Store
from indspace.store.lowuse_runs import list_lowuse_runs, read_lowuse_units
from indspace.store.proforma_runs import (
    list_proforma_runs,
    read_proforma_results,
    save_proforma_run,
)

PARTY_LABELS = {
    "government": "政府",
    "operator": "运营商",
    "owners": "原权利人",
    "collective": "村集体",
}
MONEY = ("npv_wan", *(f"balance_{p}_wan" for p in PARTIES), "best_far_npv_wan")
SUMMARY_COLUMNS = (
    "unit_id",
    "mode",
    "far",
    "npv_wan",
    "irr",
    "payback_years",
    *(f"balance_{p}_wan" for p in PARTIES),
    "funding_ratio",
    "best_far",
    "best_far_npv_wan",
)


def plan_run(store: Store, run_id: str | None = None) -> dict[str, Any]:
    """The stored low-efficiency plan run ``run_id``, or the latest one."""
    runs = list_lowuse_runs(store)
    if runs.empty:
        raise NotFoundError(
            "尚无低效用地改造方案批次：先运行 indspace lowuse plan",
            "no low-efficiency plan run yet: run `indspace lowuse plan` first",
            where="lowuse_runs",
        )
    if run_id is None:
        return dict(runs.iloc[-1])
    hit = runs[runs["run_id"] == run_id]
    if hit.empty:
        stored = ", ".join(runs["run_id"])
        raise NotFoundError(
            f"低效用地方案批次 {run_id} 不存在（现有：{stored}）",
            f"low-efficiency plan run {run_id} not found (stored: {', '.join(runs['run_id'])})",
            where="--run",
        )
    return dict(hit.iloc[0])


def profile_of_run(run: dict[str, Any]) -> PolicyProfile:
    """The profile the pro forma of a plan run uses: the run's stored copy when it has the
    pro forma parameters, else the deployment's profile of the same id (plan runs stored
    before the pro forma existed carry no pro forma parameters)."""
    prof = run_profile(run)
    if all(p in prof.parameters for p in PARAMETERS):
        return prof
    return resolve_profile(str(run["profile_id"]))


def params_of_run(run: dict[str, Any]) -> ProformaParams:
    """The pro forma parameters in force on the run's method date."""
    prof = profile_of_run(run)
    on = run["method_date"]
    missing = [p for p in PARAMETERS if p not in prof.parameters]
    if missing:
        raise PolicyError(
            f"策略配置 {prof.id} 缺少资金平衡参数：{', '.join(missing)}",
            f"profile {prof.id} lacks the pro forma parameters {', '.join(missing)}",
            where=f"{prof.id}",
            hint_zh="在配置中加入 proforma_* 参数（见 docs/proforma.md）",
            hint_en="add the proforma_* parameters (docs/proforma.md)",
        )
    return ProformaParams.from_values({p: prof.value(p, on) for p in PARAMETERS})


def unit_frame(store: Store, run_id: str, unit_ids: list[str] | None = None) -> pd.DataFrame:
    """The run's units with what the pro forma reads (site, existing floor, collective
    share, target FAR, project type, recommended mode)."""
    units = read_lowuse_units(store, run_id)
    if unit_ids is not None:
        unknown = sorted(set(unit_ids) - set(units["unit_id"]))
        if unknown:
            raise NotFoundError(
                f"方案批次 {run_id} 中没有单元 {', '.join(unknown)}",
                f"plan run {run_id} has no unit {', '.join(unknown)}",
                where="UNIT_ID",
                hint_zh="单元编号见 indspace lowuse plan 的输出",
                hint_en="unit ids are listed by `indspace lowuse plan`",
            )
        units = units[units["unit_id"].isin(unit_ids)]
    detail = pd.DataFrame(list(units["detail"]), index=units.index)
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "district": units["district"].to_numpy(),
            "area_m2": detail["area_m2"].astype("float64").to_numpy(),
            "floor_area_m2": detail["floor_area_m2"].astype("float64").to_numpy(),
            "collective_share": detail["collective_share"].astype("float64").to_numpy(),
            "target_far": detail["target_far"].astype("float64").to_numpy(),
            "project_type": units["project_type"].to_numpy(),
            "recommended_mode": units["mode"].to_numpy(),
        }
    ).reset_index(drop=True)


def check_modes(modes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ValidationError(
            f"改造模式 {', '.join(bad) or '（空）'} 无效",
            f"unknown redevelopment mode {', '.join(bad) or '(none)'}",
            where="--mode",
            hint_zh=f"可选：{', '.join(MODES)}",
            hint_en=f"one of {', '.join(MODES)}",
        )
    return tuple(m for m in MODES if m in modes)  # canonical order


@dataclass
class Proforma:
    """A pro forma on a plan run: the headline rows (exact, rounded), and the engine's float
    figures from which the yearly flows and the tornado are built when an output asks for them
    (a unit's page, ``--out .xlsx/.json``): the headline rows of every unit are cheap, the
    per-unit detail of 24 000 rows is not (issue #18: < 5 s for the city's units × 4 modes)."""

    lowuse_run_id: str
    modes: tuple[str, ...]
    summary: pd.DataFrame  # SUMMARY_COLUMNS, money as Decimal
    result: Result  # the engine's float figures (yearly flows)
    units: Units
    params: ProformaParams
    run: dict[str, Any] | None = None
    _torn: pd.DataFrame | None = field(default=None, repr=False)

    def tornado_raw(self) -> pd.DataFrame:
        """The engine's tornado (float 万元), computed once, on first use."""
        if self._torn is None:
            self._torn = tornado(self.units, self.params, self.modes)
        return self._torn

    @property
    def tornado(self) -> pd.DataFrame:
        """``unit_id, mode, parameter, npv_low_wan, npv_high_wan, swing_wan`` (Decimal)."""
        torn = self.tornado_raw()
        out = torn[["unit_id", "mode", "parameter"]].copy()
        for c in ("npv_low_wan", "npv_high_wan", "swing_wan"):
            out[c] = wan_decimals(torn[c].to_numpy(dtype="float64"))
        return out

    @property
    def detail(self) -> list[str]:
        """Per summary row: JSON of the yearly flows and tornado (see :func:`detail_json`)."""
        return detail_json(self.result, self.tornado_raw())

    def cash_flows(self) -> pd.DataFrame:
        """One row per unit × mode × year (built on demand: 15 rows per unit × mode)."""
        return cash_flow_frame(self.result)


def compute(
    store: Store,
    unit_ids: list[str] | None,
    modes: tuple[str, ...] = MODES,
    lowuse_run_id: str | None = None,
) -> Proforma:
    """Appraise ``unit_ids`` (None: all units) of the plan run under ``modes``."""
    modes = check_modes(modes)
    run = plan_run(store, lowuse_run_id)
    params = params_of_run(run)
    frame = unit_frame(store, run["run_id"], unit_ids)
    return assemble(run["run_id"], frame, params, modes)


def assemble(
    run_id: str, frame: pd.DataFrame, params: ProformaParams, modes: tuple[str, ...]
) -> Proforma:
    """The engine on ``frame`` (see :func:`unit_frame`): headline figures rounded to 0.01 万元
    now; yearly detail and tornado when asked for (:class:`Proforma`)."""
    units = Units.from_frame(frame)
    result = appraise(units, params, modes)
    best = best_far(units, params, modes)
    with np.errstate(invalid="ignore", divide="ignore"):
        funding = np.where(result.pv_cost > 0, result.pv_revenue / result.pv_cost, np.nan)
    summary = pd.DataFrame(
        {
            "unit_id": result.unit_id,
            "mode": result.mode,
            "far": result.far,
            "npv_wan": wan_decimals(result.npv),
            "irr": np.round(result.irr, 6),
            "payback_years": np.round(result.payback_years, 4),
            **{f"balance_{p}_wan": wan_decimals(result.balances[p]) for p in PARTIES},
            "funding_ratio": np.round(funding, 6),
            "best_far": best["best_far"].to_numpy(),
            "best_far_npv_wan": wan_decimals(best["best_far_npv_wan"].to_numpy("float64")),
        }
    )
    return Proforma(run_id, modes, summary, result, units, params)


def cash_flow_frame(result: Result) -> pd.DataFrame:
    """One row per unit × mode × year: the project's cash flow, each party's and each flow
    (money as 0.01 万元 text)."""
    rows, years = result.cash_flow.shape
    out = pd.DataFrame(
        {
            "unit_id": np.repeat(result.unit_id, years),
            "mode": np.repeat(result.mode, years),
            "year": np.tile(np.arange(years), rows),
        }
    )
    out["project_wan"] = wan_text(result.cash_flow)
    for p in PARTIES:
        out[f"{p}_wan"] = wan_text(result.party_flows[p])
    for name in (*COST_FLOWS, *REVENUE_FLOWS):
        out[f"{name}_wan"] = wan_text(result.flows[name])
    return out


def detail_json(result: Result, torn: pd.DataFrame) -> list[str]:
    """Per row the yearly project and party flows, flow totals and tornado, as JSON with
    money as 0.01 万元 text."""
    rows, years = result.cash_flow.shape
    project = np.array(wan_text(result.cash_flow), dtype=object).reshape(rows, years)
    party = {
        p: np.array(wan_text(result.party_flows[p]), dtype=object).reshape(rows, years)
        for p in PARTIES
    }
    totals = {n: wan_text(result.flows[n].sum(axis=1)) for n in (*COST_FLOWS, *REVENUE_FLOWS)}
    params = list(dict.fromkeys(torn["parameter"]))
    k = len(params)
    low = np.array(wan_text(torn["npv_low_wan"].to_numpy()), dtype=object).reshape(k, rows)
    high = np.array(wan_text(torn["npv_high_wan"].to_numpy()), dtype=object).reshape(k, rows)
    out = []
    for i in range(rows):
        out.append(
            json.dumps(
                {
                    "years": list(range(years)),
                    "project_wan": list(project[i]),
                    "parties_wan": {p: list(party[p][i]) for p in PARTIES},
                    "flow_totals_wan": {n: totals[n][i] for n in totals},
                    "tornado": [
                        {
                            "parameter": params[j],
                            "npv_low_wan": low[j, i],
                            "npv_high_wan": high[j, i],
                        }
                        for j in range(k)
                    ],
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
        )
    return out


def store_proforma(
    store: Store,
    pf: Proforma,
    run: dict[str, Any],
    *,
    actor: str = "cli",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Keep the pro forma with its plan run (a new immutable pro forma run)."""
    at = now or datetime.now(UTC)
    rows = pf.summary.copy()
    for c in MONEY:
        rows[c] = [None if v is None else str(v) for v in rows[c]]
    # the yearly detail is not kept: it is recomputed from the plan run when a unit asks for
    # it (:func:`stored_unit_detail`, the unit page) — same inputs, same figures
    rows["detail_json"] = ""
    summary = summarize(pf)
    prof = profile_of_run(run)
    return save_proforma_run(
        store,
        {
            "lowuse_run_id": pf.lowuse_run_id,
            "profile_id": prof.id,
            "profile_hash": prof.content_hash,
            "method_date": run["method_date"],
            "modes": ";".join(pf.modes),
            "created_at": at,
            "actor": actor,
            "summary_json": json.dumps(summary, ensure_ascii=False, sort_keys=True),
        },
        rows,
    )


def run_proforma(
    store: Store,
    unit_ids: list[str] | None,
    modes: tuple[str, ...] = MODES,
    lowuse_run_id: str | None = None,
    *,
    actor: str = "cli",
    now: datetime | None = None,
) -> Proforma:
    """Compute and store (the CLI's use case)."""
    run = plan_run(store, lowuse_run_id)
    pf = compute(store, unit_ids, modes, run["run_id"])
    pf.run = store_proforma(store, pf, run, actor=actor, now=now)
    return pf


def summarize(pf: Proforma) -> dict[str, Any]:
    """Per mode: units appraised, units that balance (NPV ≥ 0), total NPV and party totals."""
    s = pf.summary
    by_mode = {}
    for m in pf.modes:
        part = s[s["mode"] == m]
        by_mode[m] = {
            "units": len(part),
            "balanced": int(sum(1 for v in part["npv_wan"] if v is not None and v >= 0)),
            "npv_wan": str(_total(part["npv_wan"])),
            **{f"balance_{p}_wan": str(_total(part[f"balance_{p}_wan"])) for p in PARTIES},
        }
    return {
        "lowuse_run_id": pf.lowuse_run_id,
        "units": int(s["unit_id"].nunique()),
        "modes": by_mode,
    }


def _total(values: pd.Series) -> Decimal:
    """The exact sum of rounded amounts (None skipped)."""
    total = Decimal("0.00")
    for v in values:
        if v is not None:
            total += v
    return total


def write_proforma(path: Path, pf: Proforma) -> Path:
    """CSV (one row per unit × mode), XLSX (sheets 资金平衡, 逐年现金流, 敏感性) or JSON."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".json"):
        raise unsupported_format(path, (".csv", ".xlsx", ".json"))
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(pf.summary).to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".xlsx":
            write_sheets(
                tmp,
                {
                    "资金平衡": text_money(pf.summary),
                    "逐年现金流": pf.cash_flows(),
                    "敏感性": text_money(pf.tornado),
                },
            )
        else:
            tmp.write_text(
                json.dumps(as_json(pf), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
    return path


def text_money(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if c.endswith("_wan"):
            out[c] = [None if v is None else str(v) for v in out[c]]
    return out


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return str(v) if not isinstance(v, (int, float, str)) else v


def _plain_column(col: pd.Series) -> list[Any]:
    """:func:`_plain` of every cell, column-wise (floats: NaN/inf → None)."""
    if col.dtype.kind == "f":
        arr = col.to_numpy(dtype="float64")
        out: list[Any] = arr.tolist()
        for i in np.flatnonzero(~np.isfinite(arr)).tolist():
            out[i] = None
        return out
    return [_plain(v) for v in col.tolist()]


def as_json(pf: Proforma, *, detail: bool = True) -> dict[str, Any]:
    """The pro forma as JSON: money as decimal text (0.01 万元); each row with its yearly
    flows and tornado (``detail=False``: the headline figures only)."""
    s = pf.summary
    cols = [_plain_column(s[c]) for c in s.columns]
    keys = [*s.columns, "mode_label"]
    labels = [MODE_LABELS.get(m, m) for m in cols[list(s.columns).index("mode")]]
    rows = [dict(zip(keys, vals, strict=True)) for vals in zip(*cols, labels, strict=True)]
    if detail:
        for row, extra in zip(rows, pf.detail, strict=True):
            row.update(json.loads(extra))
    return {
        "lowuse_run_id": pf.lowuse_run_id,
        "proforma_run_id": pf.run["run_id"] if pf.run else None,
        "modes": list(pf.modes),
        "summary": summarize(pf),
        "rows": rows,
    }


# ------------------------------------------------------------------ API (web unit page)
def unit_proforma(
    store: Store, run_id: str, unit_id: str, *, who: Principal, modes: tuple[str, ...] = MODES
) -> dict[str, Any]:
    """One unit's pro forma on plan run ``run_id`` under ``modes`` (computed from the stored
    plan and its stored profile: the same answer as the CLI stores), with the latest stored
    pro forma run that covers the unit, if any."""
    who.require_role("city_admin", "district_officer", "auditor")
    frame = unit_frame(store, plan_run(store, run_id)["run_id"], [unit_id])
    if who.role == "district_officer":
        who.require_see(str(frame["district"].iloc[0]), what=f"单元 {unit_id}")
    pf = assemble(run_id, frame, params_of_run(plan_run(store, run_id)), check_modes(modes))
    out = as_json(pf)
    stored = None
    for rid in reversed(list(list_proforma_runs(store, run_id)["run_id"])):
        try:
            read_proforma_results(store, rid, unit_id)
        except NotFoundError:
            continue
        stored = rid
        break
    out["stored_proforma_run_id"] = stored
    out["unit_id"] = unit_id
    out["recommended_mode"] = frame["recommended_mode"].iloc[0]
    return out


def stored_unit_detail(store: Store, proforma_run_id: str, unit_id: str) -> dict[str, Any]:
    """One unit's yearly flows and tornado for a stored pro forma run, recomputed from the
    run's plan run with the profile the run used (the stored run keeps the headline figures
    only). Deterministic: the headline figures equal the stored ones; a profile that changed
    since the run (another hash) is refused rather than silently giving other figures."""
    runs = list_proforma_runs(store)
    hit = runs[runs["run_id"] == proforma_run_id]
    if hit.empty:
        raise NotFoundError(
            f"资金平衡测算批次 {proforma_run_id} 不存在",
            f"pro forma run {proforma_run_id} not found",
            where="proforma_run_id",
        )
    pf_run = dict(hit.iloc[0])
    run = plan_run(store, str(pf_run["lowuse_run_id"]))
    prof = profile_of_run(run)
    if prof.content_hash != pf_run["profile_hash"]:
        raise PolicyError(
            f"策略配置 {prof.id} 自测算批次 {proforma_run_id} 以来已修改，无法重算其逐年明细",
            f"profile {prof.id} changed since pro forma run {proforma_run_id}: its yearly "
            "detail cannot be recomputed",
            where=proforma_run_id,
            hint_zh="对方案批次重新运行 indspace proforma",
            hint_en="run `indspace proforma` on the plan run again",
        )
    modes = tuple(str(pf_run["modes"]).split(";"))
    frame = unit_frame(store, run["run_id"], [unit_id])
    pf = assemble(run["run_id"], frame, params_of_run(run), modes)
    pf.run = pf_run
    out = as_json(pf)
    out["unit_id"] = unit_id
    return out


def unit_balances(store: Store, lowuse_run_id: str) -> pd.DataFrame | None:
    """Each unit's stored pro forma under its recommended mode, for the low-efficiency report:
    ``unit_id, mode, npv_wan, balance_<party>_wan`` (exact decimals, 万元) from the latest
    pro forma run kept with plan run ``lowuse_run_id``; None when none is kept."""
    runs = list_proforma_runs(store, lowuse_run_id)
    if runs.empty:
        return None
    rows = read_proforma_results(store, str(runs["run_id"].iloc[-1]))
    units = read_lowuse_units(store, lowuse_run_id)[["unit_id", "mode"]]
    chosen = rows.merge(units, on=["unit_id", "mode"], how="inner")
    cols = ["unit_id", "mode", "npv_wan", *(f"balance_{p}_wan" for p in PARTIES)]
    out = chosen[cols].sort_values("unit_id", kind="stable").reset_index(drop=True)
    for c in cols[2:]:
        out[c] = [None if v is None or v != v else Decimal(str(v)) for v in out[c]]
    return out


# ------------------------------------------------------------------ UrbanSim parity
SQFT_INPUT = ("parcel_id", "parcel_size", "land_cost", "max_far", "max_height", *USES)


def read_sqft_parcels(path: Path) -> pd.DataFrame:
    """The parcels CSV of ``indspace proforma sqft``, checked: every column present, numbers
    numeric (the first bad cell is named by row and column)."""
    if not path.exists():
        raise NotFoundError(
            f"找不到输入文件 {path}", f"input file {path} not found", where="--input"
        )
    frame = pd.read_csv(path, dtype={"parcel_id": str})
    missing = [c for c in SQFT_INPUT if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{path.name} 缺少列 {', '.join(missing)}",
            f"{path.name} lacks the columns {', '.join(missing)}",
            where=f"{path.name}",
            hint_zh=f"需要的列：{', '.join(SQFT_INPUT)}",
            hint_en=f"required columns: {', '.join(SQFT_INPUT)}",
        )
    for c in SQFT_INPUT[1:]:
        num = pd.to_numeric(frame[c], errors="coerce")
        bad = num.isna() & frame[c].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValidationError(
                f"{path.name} 第 {i + 2} 行 {c} 不是数字：{frame[c].iloc[i]!r}",
                f"{path.name} row {i + 2}, column {c} is not a number: {frame[c].iloc[i]!r}",
                where=f"{path.name}:{i + 2}:{c}",
                hint_zh="填写数字或留空",
                hint_en="write a number or leave it empty",
            )
        frame[c] = num.astype("float64")
    if frame["parcel_id"].duplicated().any():
        dup = frame.loc[frame["parcel_id"].duplicated(), "parcel_id"].iloc[0]
        raise ValidationError(
            f"{path.name} 宗地编号重复：{dup}",
            f"{path.name} has a duplicate parcel_id: {dup}",
            where=f"{path.name}:parcel_id",
        )
    return frame


def sqft(input_path: Path, form: str, out: Path) -> pd.DataFrame:
    """UrbanSim's sqftproforma on the parcels CSV for ``form``; writes
    ``parcel_id, max_profit, max_profit_far, building_sqft`` (parcels where a building of
    positive profit fits, as UrbanSim's ``only_built``)."""
    forms = sorted(SqftConfig().forms)
    if form not in forms:
        raise ValidationError(
            f"建筑形态 {form} 无效",
            f"unknown form {form}",
            where="--form",
            hint_zh=f"可选：{', '.join(forms)}",
            hint_en=f"one of {', '.join(forms)}",
        )
    if out.suffix.lower() != ".csv":
        raise unsupported_format(out, (".csv",))
    result = sqft_proforma(read_sqft_parcels(input_path), form)[list(OUTPUT_COLUMNS)]
    with atomic(out) as tmp:
        result.to_csv(tmp, index=False, lineterminator="\n")
    return result
