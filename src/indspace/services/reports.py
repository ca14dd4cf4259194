"""Reports people hand to a meeting (issue #21): the annual 亩均 report, the
low-efficiency redevelopment report and the land-supply report, as PDF, HTML or XLSX.

The supply report is made as of a day (default today in the deployment's time zone) from
the store's contracts and the contract monitor (services/supply.run_monitor); its amounts
are the monitor's exact decimal text and integer sums of them, never floats.

Both are built from what the store holds — a stored evaluation run (published, else the
newest of its year) or a stored low-efficiency plan run — and rendered by
:mod:`indspace.reports.document`. The caller's scope decides what a report covers: a
district officer's report is its own district's (asking for another district is refused),
city administrators and auditors choose the city or any district, enterprise users get
none. The CLI and the web (a background job with progress) both call :func:`make_report`.

Policy numbers come from the run's own profile: the class names (best first) from its
grading method, targets from the optional dated parameters ``mujun_tax_per_mu_target`` and
``mujun_value_added_per_mu_target`` (万元/亩; a number for the city, or
``{city: x, districts: {code: y}}``) — without them the report says the profile sets none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.access import Principal
from indspace.core.clock import today
from indspace.core.engines.mujun import STATUS_LABELS
from indspace.core.engines.policies import apply_policies
from indspace.core.engines.redevelop import (
    MODE_LABELS,
    OUTSIDE_CLASS_LABELS,
    PROJECT_TYPE_LABELS,
    PROJECT_TYPES,
)
from indspace.core.engines.zones import EVALUATED, rollup_zones
from indspace.core.errors import NotFoundError, PolicyError, ValidationError
from indspace.core.policy import PolicyProfile
from indspace.core.policy.evaluation import EvaluationMethod
from indspace.reports import svg
from indspace.reports.document import (
    CJK_FONT_HINT_EN,
    CJK_FONT_HINT_ZH,
    FORMATS,
    Chart,
    Column,
    Figure,
    Report,
    Section,
    Table,
    cjk_fonts,
    render,
)
from indspace.services.evaluation import (
    compute,
    firm_parks,
    history_depth,
    load_years,
    method_date,
    run_profile,
)
from indspace.services.output import atomic
from indspace.services.proforma import PARTY_LABELS, unit_balances
from indspace.store import Store, runs

KINDS = ("annual", "lowuse", "supply")
"""Reports built today: the annual 亩均 report, the low-efficiency plan report and the
land-supply report (contracts, alerts, idle land, collections) as of a day."""
TREND_YEARS = 3
"""The annual report's trend covers this many years (the run's and those before it with
indicators in the store)."""
CITY = "全市"
TAX_TARGET = "mujun_tax_per_mu_target"
VA_TARGET = "mujun_value_added_per_mu_target"
PDF_ROWS = 40
"""Long tables (firms, parks, units) show this many rows in PDF/HTML; XLSX has all."""
SYSTEM = Principal.system()

Progress = Callable[[float, str, str], None]


def _quiet(share: float, zh: str, en: str) -> None:
    return None


# ------------------------------------------------------------------ scope and choices
def check_format(fmt: str) -> str:
    f = fmt.lower().lstrip(".")
    if f not in FORMATS:
        raise ValidationError(
            f"不支持的报告格式：{fmt}（可选：{' / '.join(FORMATS)}）",
            f"unsupported report format: {fmt} (choose {' / '.join(FORMATS)})",
            where="--format",
            hint_zh="用 --format pdf、html 或 xlsx",
            hint_en="pass --format pdf, html or xlsx",
        )
    return f


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(
            f"未知报告：{kind}（可选：{' / '.join(KINDS)}）",
            f"unknown report: {kind} (choose {' / '.join(KINDS)})",
            where="kind",
        )
    return kind


def district_names(store: Store) -> dict[str, str]:
    """admin code → name of the store's districts."""
    d = store.read_frame("districts", columns=["admin_code", "name"])
    return dict(zip(d["admin_code"].astype(str), d["name"].astype(str), strict=True))


def require_report_reader(who: Principal) -> Principal:
    """Reports are for city administrators, auditors and district officers (their own
    district); returns ``who`` (the API asks it before judging the request body)."""
    who.require_role("city_admin", "district_officer", "auditor")
    return who


def report_district(store: Store, who: Principal, district: str | None) -> str | None:
    """The district a report covers (an admin code), or None for the whole city.

    ``district`` is a code or a name. A district officer always gets its own district
    (another one is refused); enterprise users and anonymous callers get no report."""
    require_report_reader(who)
    names = district_names(store)
    code = None
    if district is not None and district != "":
        by_name = {v: k for k, v in names.items()}
        code = district if district in names else by_name.get(district)
        if code is None:
            have = "、".join(f"{k} {v}" for k, v in sorted(names.items()))
            raise ValidationError(
                f"区县 {district} 不存在（现有：{have}）",
                f"district {district} not found (have: {have})",
                where="--district",
                hint_zh="用区县代码或名称",
                hint_en="give a district code or name",
            )
    if who.role == "district_officer":
        if code is not None and code != who.district:
            who.require_see(code, what=f"区县 {district}")
        return who.district
    return code


def choose_run(store: Store, year: int | None, run_id: str | None) -> dict[str, Any]:
    """The evaluation run a report is made from: ``run_id``; else the newest published run
    of ``year``; else that year's newest run."""
    if run_id:
        run = runs.get_run(store, run_id)
        if year is not None and int(run["year"]) != year:
            raise ValidationError(
                f"批次 {run_id} 属于 {run['year']} 年度，不是 {year}",
                f"run {run_id} is of {run['year']}, not {year}",
                where="--run",
            )
        return run
    if year is None:
        raise ValidationError("需要年度或评价批次", "give a year or a run id", where="--year")
    frame = runs.list_runs(store, year)
    if frame.empty:
        raise NotFoundError(
            f"{year} 年度没有评价批次",
            f"no evaluation run for {year}",
            where="evaluation_runs",
            hint_zh=f"先运行 indspace evaluate --year {year}",
            hint_en=f"run `indspace evaluate --year {year}` first",
        )
    frame = frame.sort_values(["created_at", "fid"])
    published = frame[frame["state"] == "published"]
    pick = published if len(published) else frame
    return runs.get_run(store, str(pick.iloc[-1]["run_id"]))


def source_name(store: Store) -> str:
    """The store as a report names it: the file name, or the database name — never a
    server path or a host."""
    if store.path is not None:
        return Path(store.path).name
    return str(store.engine.url.database or "postgis")


def grade_classes(method: EvaluationMethod) -> list[str]:
    """The method's classes, best first (the profile's ``grading.scale``); enterprise and
    land grades of a run are both codes of that scale."""
    return list(method.grading.scale.codes)


def _target(profile: PolicyProfile, name: str, on: date, district: str | None) -> float | None:
    try:
        value = profile.value(name, on)
    except PolicyError:
        return None
    if isinstance(value, dict):
        if district is None:
            value = value.get("city")
        else:
            value = (value.get("districts") or {}).get(district)
    return None if value is None else float(value)


# ------------------------------------------------------------------ the annual report
@dataclass
class _Year:
    year: int
    results: pd.DataFrame  # credit_code, status, grade, policy_grade, land_area_mu
    figures: pd.DataFrame  # credit_code, tax, value_added, land_area_mu


def _firm_frame(store: Store) -> pd.DataFrame:
    return store.read_frame("enterprises", columns=["credit_code", "name", "district", "chain"])


def _years(
    store: Store, run: dict[str, Any], profile: PolicyProfile, progress: Progress
) -> list[_Year]:
    """The run's year from the stored rows and up to TREND_YEARS − 1 earlier years
    evaluated in memory with the run's profile (each under the method of its year end),
    oldest first."""
    year = int(run["year"])
    method = profile.evaluation_method(run["method_date"])
    depth = max(TREND_YEARS - 1, history_depth(method))
    indicators = store.read_frame(
        "indicators",
        columns=[
            "credit_code",
            "year",
            "tax",
            "value_added",
            "electricity_kwh",
            "water_t",
            "energy_tce",
            "emissions",
        ]
        if "water_t" in store.table("indicators").c
        else [
            "credit_code",
            "year",
            "tax",
            "value_added",
            "electricity_kwh",
            "energy_tce",
            "emissions",
        ],
    )
    stored = runs.read_results(store, run["run_id"])
    out: list[_Year] = []
    before = [y for y in range(year - depth, year) if indicators["year"].eq(y).any()]
    kept = {y: _stored_run(store, y, str(run["profile_id"])) for y in before}
    missing = [y for y in before if kept[y] is None]
    progress(0.1, "读取往年数据", "loading earlier years")
    loaded = load_years(store, missing, profile=profile) if missing else {}
    for k, y in enumerate(before):
        progress(0.1 + 0.5 * k / max(len(before), 1), f"计算 {y} 年度", f"evaluating {y}")
        prior = kept[y]
        if prior is not None:  # a stored run of that year: its rows
            r = runs.read_results(store, str(prior["run_id"]))
        elif y in loaded:
            try:
                m = profile.evaluation_method(method_date(y))
            except PolicyError:
                continue
            r = compute(loaded[y], m, dual=False).results
        else:
            continue
        res = r[["credit_code", "status", "grade", "policy_grade", "land_area_mu"]]
        out.append(_Year(y, res, _figures(res, indicators, y)))
    res = stored[["credit_code", "status", "grade", "policy_grade", "land_area_mu"]]
    out.append(_Year(year, res, _figures(res, indicators, year)))
    return out


def _stored_run(store: Store, year: int, profile_id: str) -> dict[str, Any] | None:
    """The stored run of an earlier year made with the same profile id (newest published,
    else newest), or None: then that year is evaluated in memory."""
    frame = runs.list_runs(store, year)
    if frame.empty:
        return None
    frame = frame[frame["profile_id"] == profile_id].sort_values(["created_at", "fid"])
    if frame.empty:
        return None
    published = frame[frame["state"] == "published"]
    return dict((published if len(published) else frame).iloc[-1])


def _figures(results: pd.DataFrame, indicators: pd.DataFrame, year: int) -> pd.DataFrame:
    ind = indicators[indicators["year"] == year].drop(columns="year")
    return ind.merge(results[["credit_code", "land_area_mu"]], on="credit_code", how="left")


def _zones(firms: pd.DataFrame, parks: pd.DataFrame, district: str | None) -> pd.DataFrame:
    """Long firm → zone map: the city (or the district) and every district over all firms;
    parks and chains over the report's firms."""
    mine = firms if district is None else firms[firms["district"] == district]
    parts = [
        pd.DataFrame({"credit_code": firms["credit_code"], "zone_kind": "city", "zone": CITY}),
        pd.DataFrame(
            {
                "credit_code": firms["credit_code"],
                "zone_kind": "district",
                "zone": firms["district"],
            }
        ),
        pd.DataFrame(
            {"credit_code": mine["credit_code"], "zone_kind": "chain", "zone": mine["chain"]}
        ),
        parks[parks["credit_code"].isin(mine["credit_code"])]
        .assign(zone_kind="park")
        .rename(columns={"park": "zone"})[["credit_code", "zone_kind", "zone"]],
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[out["zone"].notna() & out["zone"].astype(str).ne("")]


def _class_counts(
    results: pd.DataFrame, classes: Sequence[str], by: pd.Series | None
) -> pd.DataFrame:
    """Evaluated firms per class (and per ``by``): counts, graded total, shares."""
    r = results[results["status"].isin(EVALUATED)]
    key = by.reindex(r.index) if by is not None else pd.Series(CITY, index=r.index)
    g = pd.crosstab(key, r["grade"].astype("string").fillna("")) if len(r) else pd.DataFrame()
    g = g.reindex(columns=list(classes), fill_value=0)
    out = g.reset_index().rename(columns={g.index.name or "index": "zone"})
    out.columns = ["zone", *classes]
    out["graded"] = out[list(classes)].sum(axis=1)
    out["evaluated"] = key.value_counts().reindex(out["zone"]).fillna(0).to_numpy()
    for c in classes:
        out[f"share_{c}"] = out[c] / out["graded"].where(out["graded"] > 0)
    return out


def _yoy(this: float, last: float) -> float:
    if last is None or this is None or not (last > 0) or math.isnan(this):
        return float("nan")
    return this / last - 1


def annual_report(
    store: Store,
    year: int | None = None,
    *,
    district: str | None = None,
    run_id: str | None = None,
    who: Principal = SYSTEM,
    progress: Progress = _quiet,
) -> Report:
    """The annual 亩均 report of a stored run for the city or one district."""
    code = report_district(store, who, district)
    run = choose_run(store, year, run_id)
    year = int(run["year"])
    profile = run_profile(run)
    method = profile.evaluation_method(run["method_date"])
    names = district_names(store)
    firms = _firm_frame(store)
    progress(0.05, "读取评价批次", "reading the run")
    years = _years(store, run, profile, progress)
    this = years[-1]
    classes = grade_classes(method)
    progress(0.65, "汇总区县、园区、产业链", "rolling up districts, parks and chains")
    parks = firm_parks(store)
    zones = _zones(firms, parks, code)
    rolled: dict[int, pd.DataFrame] = {}
    previous = None
    for y in years:
        rolled[y.year] = previous = rollup_zones(
            y.results, y.figures, zones, method.grading.scale, previous
        )
    now = rolled[year]
    scope_name = names.get(code, code) if code else CITY
    scope_kind, scope_zone = ("district", code) if code else ("city", CITY)

    def zone_row(frame: pd.DataFrame, kind: str, zone: str) -> pd.Series | None:
        hit = frame[(frame["zone_kind"] == kind) & (frame["zone"] == zone)]
        return None if hit.empty else hit.iloc[0]

    on = run["method_date"]
    meta = [
        ("评价年度 / year", str(year)),
        ("范围 / scope", f"{scope_name}" + (f"（{code}）" if code else "")),
        ("评价批次 / run", str(run["run_id"])),
        ("批次状态 / state", str(run["state"])),
        (
            "策略配置 / profile",
            f"{run['profile_id']} {run['profile_version']}（{run['profile_hash']}）",
        ),
        ("评价办法日期 / method date", str(on)),
        ("输入数据哈希 / inputs hash", str(run["inputs_hash"])),
        ("等级 / classes", "、".join(classes)),
    ]
    footer = (
        f"数据来源：indspace 库 {source_name(store)} · 评价批次 {run['run_id']} · "
        f"策略配置 {run['profile_id']} {run['profile_version']}"
    )

    # ---------------------------------------------------------------- headline
    progress(0.75, "排版", "laying out")
    head_rows = []
    zones_for_head = [(scope_kind, scope_zone, scope_name)]
    if code is None:
        zones_for_head += [
            ("district", d, names.get(d, d))
            for d in sorted(now.loc[now["zone_kind"] == "district", "zone"])
        ]
    last = rolled.get(year - 1)
    for kind, zone, label in zones_for_head:
        r = zone_row(now, kind, zone)
        p = zone_row(last, kind, zone) if last is not None else None
        if r is None:
            continue
        t_last = float(p["tax_per_mu"]) if p is not None else float("nan")
        v_last = float(p["value_added_per_mu"]) if p is not None else float("nan")
        tz = zone if kind == "district" else None
        head_rows.append(
            {
                "zone": label,
                "tax_per_mu": float(r["tax_per_mu"]),
                "tax_last": t_last,
                "tax_yoy": _yoy(float(r["tax_per_mu"]), t_last),
                "tax_target": _target(profile, TAX_TARGET, on, tz),
                "va_per_mu": float(r["value_added_per_mu"]),
                "va_last": v_last,
                "va_yoy": _yoy(float(r["value_added_per_mu"]), v_last),
                "va_target": _target(profile, VA_TARGET, on, tz),
                "land_area_mu": float(r["land_area_mu"]),
                "tax": float(r["tax"]),
                "value_added": float(r["value_added"]),
                "firms_evaluated": int(r["firms_evaluated"]),
            }
        )
    head = pd.DataFrame(head_rows)
    has_target = head[["tax_target", "va_target"]].notna().any().any() if len(head) else False
    head_cols = [
        Column("范围", "zone"),
        Column("亩均税收(万元/亩)", "tax_per_mu", "num"),
        Column(f"{year - 1}年", "tax_last", "num"),
        Column("同比", "tax_yoy", "pct"),
        Column("目标", "tax_target", "num"),
        Column("亩均增加值(万元/亩)", "va_per_mu", "num"),
        Column(f"{year - 1}年", "va_last", "num"),
        Column("同比", "va_yoy", "pct"),
        Column("目标", "va_target", "num"),
    ]
    totals_cols = [
        Column("范围", "zone"),
        Column("参评企业", "firms_evaluated", "int"),
        Column("用地(亩)", "land_area_mu", "num"),
        Column("税收(万元)", "tax", "num"),
        Column("增加值(万元)", "value_added", "num"),
    ]
    first = head.iloc[0] if len(head) else None
    lines = []
    if first is not None:
        lines.append(
            f"{year} 年度{scope_name}亩均税收 {first['tax_per_mu']:,.2f} 万元/亩"
            f"（{year - 1} 年 {_txt(first['tax_last'])}，同比 "
            f"{_pct(first['tax_yoy'])}），亩均增加值 {first['va_per_mu']:,.2f} 万元/亩"
            f"（同比 {_pct(first['va_yoy'])}）；参评企业 {first['firms_evaluated']:,} 家，"
            f"用地 {first['land_area_mu']:,.2f} 亩。"
        )
    if not has_target:
        lines.append(
            f"策略配置 {run['profile_id']} 未设亩均目标（参数 {TAX_TARGET}、"
            f"{VA_TARGET}），目标栏留空。"
        )
    headline = Section(
        "headline",
        "核心指标 / Headline figures",
        lines,
        [
            Table(
                "亩均税收与亩均增加值 / per-mu tax and value added",
                head_cols,
                head,
                sheet="核心指标",
                chart=Chart("bar", "zone", ["tax_per_mu"], "亩均税收（万元/亩）"),
            ),
            Table("参评规模 / what was evaluated", totals_cols, head),
        ],
    )

    # ---------------------------------------------------------------- trend
    trend = pd.DataFrame(
        [
            {
                "year": y,
                "tax_per_mu": float(r["tax_per_mu"]),
                "va_per_mu": float(r["value_added_per_mu"]),
            }
            for y, f in rolled.items()
            if (r := zone_row(f, scope_kind, scope_zone)) is not None
        ]
    )
    trend["year_label"] = trend["year"].astype(str)
    trend_sec = Section(
        "trend",
        "历年走势 / Trend",
        [
            f"{scope_name}近 {len(trend)} 年亩均效益；{year} 年取自评价批次，往年按本批次策略配置"
            f"各年年末的评价办法在内存中重算。"
        ],
        [
            Figure(
                "亩均税收、亩均增加值走势（万元/亩）",
                svg.line_chart(
                    trend["year"].tolist(),
                    {
                        "亩均税收": trend["tax_per_mu"].tolist(),
                        "亩均增加值": trend["va_per_mu"].tolist(),
                    },
                    title=f"{scope_name}亩均效益走势",
                    unit="万元/亩",
                ),
            ),
            Table(
                "历年亩均效益 / by year",
                [
                    Column("年度", "year_label"),
                    Column("亩均税收(万元/亩)", "tax_per_mu", "num"),
                    Column("亩均增加值(万元/亩)", "va_per_mu", "num"),
                ],
                trend,
                chart=Chart(
                    "line", "year_label", ["tax_per_mu", "va_per_mu"], "亩均效益走势（万元/亩）"
                ),
            ),
        ],
    )

    # ---------------------------------------------------------------- classes
    res = this.results.merge(firms, on="credit_code", how="left")
    mine = res if code is None else res[res["district"] == code]
    counts = _class_counts(mine, classes, None)
    count_rows = pd.DataFrame(
        {
            "grade": [f"{c} 类" for c in classes],
            "n": [int(counts[c].iloc[0]) if len(counts) else 0 for c in classes],
            "share": [
                float(counts[f"share_{c}"].iloc[0]) if len(counts) else float("nan")
                for c in classes
            ],
        }
    )
    by_d = _class_counts(res, classes, res["district"])
    by_d["name"] = by_d["zone"].map(lambda z: names.get(z, z))
    by_d = by_d.sort_values("zone", ignore_index=True)
    status = mine["status"].value_counts()
    class_lines = [
        f"参评企业 {int(counts['evaluated'].iloc[0]) if len(counts) else 0:,} 家，"
        f"定等 {int(counts['graded'].iloc[0]) if len(counts) else 0:,} 家；"
        + "，".join(
            f"{c} 类 {n:,} 家（{_share(s)}）"
            for c, n, s in zip(classes, count_rows["n"], count_rows["share"], strict=True)
        )
        + "。",
        "评价状态："
        + "，".join(f"{STATUS_LABELS.get(k, k)} {int(v):,} 家" for k, v in sorted(status.items()))
        + "。",
    ]
    dist_cols = [
        Column("区县", "name"),
        Column("代码", "zone"),
        Column("定等企业", "graded", "int"),
        *[Column(f"{c} 类", c, "int") for c in classes],
        *[Column(f"{c} 类占比", f"share_{c}", "pct") for c in classes],
    ]
    classes_sec = Section(
        "classes",
        "企业分类 / Classes",
        class_lines,
        [
            Table(
                "分类统计 / firms by class",
                [
                    Column("等级", "grade"),
                    Column("企业数", "n", "int"),
                    Column("占比", "share", "pct"),
                ],
                count_rows,
                chart=Chart("pie", "grade", ["n"], "企业分类占比"),
            ),
            Figure(
                "各区县分类结构",
                svg.stacked_share_chart(
                    by_d["name"].tolist(),
                    by_d[list(classes)].to_numpy().tolist(),
                    classes,
                    title="各区县企业分类占比",
                ),
            ),
            Table(
                "各区县分类 / classes by district",
                dist_cols,
                by_d,
                sheet="区县分类",
                chart=Chart("bar", "name", list(classes), "各区县分类企业数", stacked=True),
            ),
        ],
    )

    # ---------------------------------------------------------------- rankings
    def ranking(kind: str, label: Callable[[str], str]) -> pd.DataFrame:
        f = now[now["zone_kind"] == kind].copy()
        f["name"] = f["zone"].map(label)
        return f.reset_index(drop=True)

    rank_cols = [
        Column("排名", "rank", "int"),
        Column("名称", "name"),
        Column("亩均税收(万元/亩)", "tax_per_mu", "num"),
        Column("亩均增加值(万元/亩)", "value_added_per_mu", "num"),
        Column("同比", "tax_per_mu_yoy", "pct"),
        Column("名次变化", "rank_change", "int"),
        Column("参评企业", "firms_evaluated", "int"),
        Column("用地(亩)", "land_area_mu", "num"),
        Column(f"{'+'.join(classes[:2])} 类用地占比", "ab_land_share", "pct"),
    ]
    park_names = store.read_frame("parks", columns=["park_id", "name"])
    park_label = dict(zip(park_names["park_id"], park_names["name"], strict=True))
    dist_rank = ranking("district", lambda z: names.get(z, z))
    park_rank = ranking("park", lambda z: park_label.get(z, z))
    chain_rank = ranking("chain", str)
    city_tax = zone_row(now, "city", CITY)
    rank_sec = Section(
        "rankings",
        "排名 / Rankings",
        [
            "按亩均税收（Σ税收 ÷ Σ用地）由高到低排名；名次变化为正表示上升。"
            + ("园区、产业链仅含本区县企业。" if code else "")
        ],
        [
            Figure(
                "各区县亩均税收",
                svg.hbar_chart(
                    dist_rank["name"].tolist(),
                    dist_rank["tax_per_mu"].tolist(),
                    title="各区县亩均税收",
                    unit="万元/亩",
                    highlight=names.get(code) if code else None,
                    reference=float(city_tax["tax_per_mu"]) if city_tax is not None else None,
                    reference_label="全市",
                ),
            ),
            Table("区县排名 / districts", rank_cols, dist_rank, sheet="区县排名"),
            Figure(
                "园区亩均税收（前 20）",
                svg.hbar_chart(
                    park_rank["name"].head(20).tolist(),
                    park_rank["tax_per_mu"].head(20).tolist(),
                    title="园区亩均税收前 20",
                    unit="万元/亩",
                ),
            ),
            Table(
                "园区排名 / parks",
                rank_cols,
                park_rank,
                sheet="园区排名",
                pdf_rows=PDF_ROWS,
                chart=Chart("bar", "name", ["tax_per_mu"], "园区亩均税收（万元/亩）"),
            ),
            Table(
                "产业链排名 / chains",
                rank_cols,
                chain_rank,
                sheet="产业链排名",
                chart=Chart("bar", "name", ["tax_per_mu"], "产业链亩均税收（万元/亩）"),
            ),
        ],
    )

    # ---------------------------------------------------------------- changed class
    prev_year = next((y for y in years if y.year == year - 1), None)
    changed = pd.DataFrame(
        columns=["credit_code", "name", "district_name", "grade_last", "grade", "move"]
    )
    if prev_year is not None:
        order = {c: i for i, c in enumerate(classes)}
        both = mine[["credit_code", "name", "district", "grade"]].merge(
            prev_year.results[["credit_code", "grade"]].rename(columns={"grade": "grade_last"}),
            on="credit_code",
            how="inner",
        )
        both = both[
            both["grade"].notna()
            & both["grade_last"].notna()
            & (both["grade"] != both["grade_last"])
        ].copy()
        steps = both["grade_last"].map(order) - both["grade"].map(order)
        both["move"] = np.where(steps > 0, "升", "降")
        both["steps"] = steps
        both["district_name"] = both["district"].map(lambda z: names.get(z, z))
        changed = both.sort_values(
            ["steps", "credit_code"], ascending=[True, True], ignore_index=True
        )
    ups = int((changed["move"] == "升").sum())
    downs = int((changed["move"] == "降").sum())
    changed_sec = Section(
        "changed",
        "等级变化企业 / Firms that changed class",
        [
            f"与 {year - 1} 年相比：升级 {ups:,} 家，降级 {downs:,} 家（按降级幅度排序）。"
            if prev_year is not None
            else f"库中没有 {year - 1} 年度数据，无法比较。"
        ],
        [
            Table(
                "等级变化企业 / firms that changed class",
                [
                    Column("统一社会信用代码", "credit_code"),
                    Column("企业名称", "name"),
                    Column("区县", "district_name"),
                    Column(f"{year - 1}年等级", "grade_last"),
                    Column(f"{year}年等级", "grade"),
                    Column("变化", "move"),
                ],
                changed,
                sheet="等级变化企业",
                pdf_rows=PDF_ROWS,
            )
        ],
    )

    # ---------------------------------------------------------------- policies
    progress(0.8, "差别化政策", "differentiated policies")
    depth = history_depth(method)
    hist = [
        y.results[["credit_code", "policy_grade"]].assign(year=y.year)
        for y in years
        if year - depth <= y.year < year
    ]
    history = (
        pd.concat(hist, ignore_index=True)
        if hist
        else pd.DataFrame(columns=["credit_code", "year", "policy_grade"])
    )
    pol = apply_policies(this.results, this.figures, history, method.policies, year)
    pol = pol[pol["credit_code"].isin(mine["credit_code"])]
    pol_tot = (
        (
            pol.groupby(["grade", "measure_type", "label", "unit"], dropna=False, sort=True)
            .agg(
                firms=("credit_code", "nunique"),
                basis=("basis_value", "sum"),
                money=("money_yuan", "sum"),
            )
            .reset_index()
        )
        if len(pol)
        else pd.DataFrame(
            columns=["grade", "measure_type", "label", "unit", "firms", "basis", "money"]
        )
    )
    if len(pol_tot):
        pol_tot["_o"] = pol_tot["grade"].map({c: i for i, c in enumerate(classes)})
        pol_tot = pol_tot.sort_values(["_o", "measure_type"], ignore_index=True)
    money = float(pol_tot["money"].sum()) if len(pol_tot) else 0.0
    pol_sec = Section(
        "policies",
        "差别化政策 / Differentiated policies",
        [
            f"按本批次策略配置的差别化政策：涉及企业 {pol['credit_code'].nunique():,} 家，"
            f"金额合计 {money:,.2f} 元/年（正为加价或收费，负为奖励）。"
        ],
        [
            Table(
                "差别化政策合计 / totals",
                [
                    Column("等级", "grade"),
                    Column("措施", "label"),
                    Column("代码", "measure_type"),
                    Column("单位", "unit"),
                    Column("企业数", "firms", "int"),
                    Column("计价基数合计", "basis", "num"),
                    Column("金额(元/年)", "money", "money"),
                ],
                pol_tot,
                chart=Chart("column", "label", ["money"], "差别化政策金额（元/年）"),
            )
        ],
    )

    # ---------------------------------------------------------------- distributions
    own = mine[mine["status"].isin(EVALUATED)].merge(
        this.figures[["credit_code", "tax", "value_added"]], on="credit_code", how="left"
    )
    own = own[own["land_area_mu"] > 0]
    per_mu = (own["tax"] / own["land_area_mu"]).to_numpy(dtype="float64")
    dist_sec = Section(
        "distribution",
        "分布 / Distributions",
        [
            f"参评企业（有用地）{len(own):,} 家的亩均税收分布；中位数 "
            f"{_txt(float(np.nanmedian(per_mu)) if len(per_mu) else float('nan'))} 万元/亩。"
        ],
        [
            Figure(
                "企业亩均税收分布", svg.histogram(per_mu, title="企业亩均税收分布", unit="万元/亩")
            )
        ],
    )

    # ---------------------------------------------------------------- maps
    progress(0.85, "绘制地图", "drawing maps")
    dgeo = store.read_frame("districts", columns=["admin_code", "name", "geometry"])
    dvals = dgeo["admin_code"].map(
        now[now["zone_kind"] == "district"].set_index("zone")["tax_per_mu"]
    )
    pe = runs.read_parcel_evaluations(store, run["run_id"])
    if code is not None:
        pe = pe[pe["district"] == code]
    pgeo = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    pgeo = pgeo[pgeo["parcel_id"].isin(pe["parcel_id"])].merge(
        pe[["parcel_id", "land_grade"]], on="parcel_id", how="left"
    )
    outlines = dgeo if code is None else dgeo[dgeo["admin_code"] == code]
    land_classes = grade_classes(method)
    map_sec = Section(
        "maps",
        "地图 / Maps",
        ["区县按亩均税收分级设色；宗地按地企双评的用地等级设色（本批次）。"],
        [
            Figure(
                "各区县亩均税收",
                svg.choropleth(
                    dgeo.geometry.tolist(),
                    dgeo["name"].tolist(),
                    dvals.tolist(),
                    title="各区县亩均税收",
                    unit="万元/亩",
                    highlight=names.get(code) if code else None,
                ),
            ),
            Figure(
                "宗地用地等级",
                svg.class_map(
                    outlines.geometry.tolist(),
                    outlines["name"].tolist(),
                    pgeo.geometry.tolist(),
                    [None if pd.isna(g) else str(g) for g in pgeo["land_grade"]],
                    land_classes,
                    title=f"{scope_name}宗地用地等级（{len(pgeo):,} 宗）",
                ),
            ),
        ],
    )

    progress(0.9, "生成文件", "writing the file")
    return Report(
        title=f"{year} 年度{scope_name}亩均效益评价报告",
        subtitle=f"Annual mu-average efficiency report {year} · {scope_name}",
        as_of=run["created_at"].date()
        if hasattr(run["created_at"], "date")
        else date(year, 12, 31),
        meta=meta,
        footer=footer,
        sections=[
            headline,
            trend_sec,
            classes_sec,
            rank_sec,
            changed_sec,
            pol_sec,
            dist_sec,
            map_sec,
        ],
    )


def _txt(v: float) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.2f}"


def _share(v: float) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v * 100:.1f}%"


def _pct(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v * 100:+.1f}%"


# ------------------------------------------------------------------ the low-efficiency report
def pro_forma_totals(store: Store, lowuse_run_id: str, units: pd.DataFrame) -> pd.DataFrame | None:
    """The stored pro forma of the plan run: each unit's project NPV and party balances
    (万元, exact decimals) under its recommended mode, or None while no pro forma is kept
    (``indspace proforma --all --all-modes``). The low-efficiency report shows a 资金平衡
    section only when this returns rows."""
    frame = unit_balances(store, lowuse_run_id)
    if frame is None or len(frame) == 0:
        return None
    frame = frame[frame["unit_id"].isin(units["unit_id"])].copy()
    frame["mode_label"] = [MODE_LABELS.get(m, m) for m in frame["mode"]]
    return frame


def choose_lowuse_run(store: Store, run_id: str | None, year: int | None) -> dict[str, Any]:
    from indspace.store.lowuse_runs import list_lowuse_runs

    frame = list_lowuse_runs(store)
    if run_id:
        frame = frame[frame["run_id"] == run_id]
    elif year is not None:
        frame = frame[frame["year"] == year]
    if frame.empty:
        what = run_id or (f"{year} 年度" if year else "")
        raise NotFoundError(
            f"没有低效用地改造方案批次 {what}".strip(),
            f"no low-efficiency plan run {run_id or year or ''}".strip(),
            where="lowuse_runs",
            hint_zh="先运行 indspace lowuse plan --year Y",
            hint_en="run `indspace lowuse plan --year Y` first",
        )
    return dict(frame.sort_values(["created_at", "fid"]).iloc[-1])


def lowuse_report(
    store: Store,
    year: int | None = None,
    *,
    district: str | None = None,
    run_id: str | None = None,
    who: Principal = SYSTEM,
    progress: Progress = _quiet,
) -> Report:
    """The low-efficiency redevelopment report of a stored plan run: units, project types,
    modes, space gained (and the pro forma balances once they exist)."""
    from indspace.store.lowuse_runs import read_lowuse_parcel_units, read_lowuse_units

    code = report_district(store, who, district)
    run = choose_lowuse_run(store, run_id, year)
    names = district_names(store)
    progress(0.2, "读取改造方案", "reading the plan")
    units = read_lowuse_units(store, run["run_id"]).drop(columns=["fid", "detail", "detail_json"])
    if code is not None:
        units = units[units["district"] == code]
    units = units.sort_values(["district", "unit_id"], ignore_index=True)
    units["district_name"] = units["district"].map(lambda z: names.get(z, z))
    units["type_label"] = units["project_type"].map(lambda t: PROJECT_TYPE_LABELS.get(t, t))
    units["mode_label"] = units["mode"].map(lambda t: MODE_LABELS.get(t, t))
    summary = json.loads(run["summary_json"])
    scope_name = names.get(code, code) if code else CITY
    year = int(run["year"])
    try:
        profile = run_profile(run)
        target = float(profile.value("low_efficiency_target_mu", run["method_date"]))
    except (PolicyError, KeyError, TypeError, ValueError):
        target = float("nan")
    meta = [
        ("年度 / year", str(year)),
        ("范围 / scope", scope_name),
        ("改造方案批次 / plan run", str(run["run_id"])),
        ("评价批次 / evaluation run", str(run.get("evaluation_run_id") or "—")),
        ("策略配置 / profile", f"{run['profile_id']}（{run['profile_hash']}）"),
        ("办法日期 / method date", str(run["method_date"])),
    ]
    footer = (
        f"数据来源：indspace 库 {source_name(store)} · 改造方案批次 {run['run_id']} · "
        f"策略配置 {run['profile_id']} {run['profile_hash']}"
    )

    def by(col: str, label_col: str) -> pd.DataFrame:
        g = (
            units.groupby(label_col, sort=True)
            .agg(
                units=("unit_id", "count"),
                parcels=("parcel_count", "sum"),
                area_mu=("area_mu", "sum"),
                gfa=("potential_gfa_m2", "sum"),
            )
            .reset_index()
        )
        return g.rename(columns={label_col: "label"})

    types = by("project_type", "type_label")
    modes = by("mode", "mode_label")
    dist = by("district", "district_name")
    total_area = float(units["area_mu"].sum())
    total_gfa = float(units["potential_gfa_m2"].sum())
    agg_cols = [
        Column("类别", "label"),
        Column("单元数", "units", "int"),
        Column("宗地数", "parcels", "int"),
        Column("面积(亩)", "area_mu", "num"),
        Column("潜在新增建筑面积(m²)", "gfa", "num"),
    ]
    lines = [
        f"{scope_name}连片改造单元 {len(units):,} 个，涉及宗地 "
        f"{int(units['parcel_count'].sum()):,} 宗，面积 {total_area:,.2f} 亩，"
        f"潜在新增建筑面积 {total_gfa:,.2f} m²。"
    ]
    if code is None and not math.isnan(target):
        lines.append(
            f"盘活目标（策略配置 low_efficiency_target_mu）{target:,.0f} 亩，"
            f"单元面积占目标 {100 * total_area / target:.1f}%。"
        )
    head = pd.DataFrame(
        [
            {
                "label": scope_name,
                "units": len(units),
                "parcels": int(units["parcel_count"].sum()),
                "area_mu": total_area,
                "gfa": total_gfa,
            }
        ]
    )
    sections = [
        Section("summary", "概况 / Summary", lines, [Table("合计 / totals", agg_cols, head)]),
        Section(
            "types",
            "改造类型与模式 / Project types and modes",
            [],
            [
                Table(
                    "按改造类型 / by project type",
                    agg_cols,
                    types,
                    chart=Chart("pie", "label", ["area_mu"], "改造类型（面积）"),
                ),
                Figure(
                    "改造类型面积",
                    svg.hbar_chart(
                        types["label"].tolist(),
                        types["area_mu"].tolist(),
                        title="按改造类型面积",
                        unit="亩",
                    ),
                ),
                Table(
                    "按改造模式 / by mode",
                    agg_cols,
                    modes,
                    chart=Chart("bar", "label", ["area_mu"], "改造模式（面积，亩）"),
                ),
                Figure(
                    "改造模式面积",
                    svg.hbar_chart(
                        modes["label"].tolist(),
                        modes["area_mu"].tolist(),
                        title="按改造模式面积",
                        unit="亩",
                    ),
                ),
            ],
        ),
        Section(
            "space",
            "新增空间 / Space gained",
            ["潜在新增建筑面积 = 单元目标容积率下的建筑面积 − 现状建筑面积（改造方案批次）。"],
            [
                Table(
                    "按区县 / by district",
                    agg_cols,
                    dist,
                    chart=Chart("bar", "label", ["gfa"], "潜在新增建筑面积（m²）"),
                ),
                Figure(
                    "各区县潜在新增建筑面积",
                    svg.hbar_chart(
                        dist["label"].tolist(),
                        dist["gfa"].tolist(),
                        title="各区县潜在新增建筑面积",
                        unit="m²",
                        digits=0,
                    ),
                ),
            ],
        ),
    ]
    balances = pro_forma_totals(store, str(run["run_id"]), units)
    if balances is not None:
        sections.append(
            Section(
                "proforma",
                "资金平衡 / Pro forma balances",
                [],
                [
                    Table(
                        "单元资金平衡 / balances per unit",
                        [
                            Column("单元", "unit_id"),
                            Column("推荐模式", "mode_label"),
                            Column("项目净现值(万元)", "npv_wan", "money"),
                            *(
                                Column(f"{label}平衡(万元)", f"balance_{party}_wan", "money")
                                for party, label in PARTY_LABELS.items()
                            ),
                        ],
                        balances,
                        sheet="资金平衡",
                        pdf_rows=PDF_ROWS,
                    )
                ],
            )
        )
    progress(0.6, "绘制地图", "drawing the map")
    dgeo = store.read_frame("districts", columns=["admin_code", "name", "geometry"])
    outlines = dgeo if code is None else dgeo[dgeo["admin_code"] == code]
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    members = read_lowuse_parcel_units(store, str(run["run_id"]))
    members = members[members["unit_id"].isin(units["unit_id"])]
    members = members.merge(units[["unit_id", "type_label"]], on="unit_id", how="left")
    pg = parcels.merge(members, on="parcel_id", how="inner")
    type_names = [PROJECT_TYPE_LABELS.get(t, t) for t in PROJECT_TYPES]
    sections.append(
        Section(
            "map",
            "地图 / Map",
            [],
            [
                Figure(
                    "改造单元宗地",
                    svg.class_map(
                        outlines.geometry.tolist(),
                        outlines["name"].tolist(),
                        pg.geometry.tolist(),
                        pg["type_label"].tolist(),
                        type_names,
                        suffix="",
                        title=f"{scope_name}改造单元宗地（按改造类型）",
                    ),
                )
            ],
        )
    )
    unit_cols = [
        Column("单元", "unit_id"),
        Column("区县", "district_name"),
        Column("宗地数", "parcel_count", "int"),
        Column("面积(亩)", "area_mu", "num"),
        Column("潜在新增建筑面积(m²)", "potential_gfa_m2", "num"),
        Column("改造类型", "type_label"),
        Column("推荐模式", "mode_label"),
    ]
    sections.append(
        Section(
            "units",
            "改造单元清单 / Units",
            [],
            [
                Table(
                    "改造单元 / units",
                    unit_cols,
                    units.sort_values(
                        ["area_mu", "unit_id"], ascending=[False, True], ignore_index=True
                    ),
                    sheet="改造单元",
                    pdf_rows=PDF_ROWS,
                )
            ],
        )
    )
    if summary.get("outside_firms"):
        of = pd.DataFrame(
            [
                (OUTSIDE_CLASS_LABELS.get(k, k), v)
                for k, v in sorted(summary["outside_firms"].items())
            ],
            columns=["label", "n"],
        )
        sections[0].items.append(
            Table(
                "线外企业分类 / outside-line firms (city)",
                [Column("分类", "label"), Column("企业数", "n", "int")],
                of,
            )
        )
    created = run["created_at"]
    return Report(
        title=f"{year} 年度{scope_name}低效工业用地改造方案报告",
        subtitle=f"Low-efficiency land redevelopment report {year} · {scope_name}",
        as_of=created.date() if hasattr(created, "date") else date(year, 12, 31),
        meta=meta,
        footer=footer,
        sections=sections,
    )


# ------------------------------------------------------------------ the supply report
RULE_LABELS = {
    "idle_1y": "闲置满一年",
    "idle_2y": "闲置满两年",
    "stalled_1y": "停工满一年",
    "late_completion": "逾期竣工",
    "installment_overdue": "逾期欠缴",
    "acceptance_shortfall": "达产验收不达标",
    "transfer_blocked": "违规转让",
    "lease_conversion_due": "先租后让到期",
    "renewal_window": "续期申请",
}
"""Chinese names of the monitor's rules (core/engines/supply_monitor.RULES)."""
STATUS_NAMES = {"overdue": "已逾期", "upcoming": "即将到期", "breach": "违约"}
SUPPLY_MODE_LABELS = {"grant": "出让", "lease": "租赁", "lease_then_grant": "先租后让"}


def _wan_sum(texts: Sequence[Any]) -> str:
    """Σ of exact 万元 texts (blank = none) as exact decimal text; never a float."""
    from indspace.core.model.money import format_wan, micro_wan

    vals = [t for t in texts if t is not None and str(t) != ""]
    return format_wan(int(micro_wan(vals).sum())) if vals else "0"


def supply_report(
    store: Store,
    year: int | None = None,
    *,
    district: str | None = None,
    run_id: str | None = None,
    as_of: date | None = None,
    who: Principal = SYSTEM,
    progress: Progress = _quiet,
) -> Report:
    """The land-supply report as of a day: contracts, the monitor's findings by rule and
    status, idle land and its fees, collections, for the city or one district."""
    from indspace.core.engines.supply_monitor import RULES, STATUSES
    from indspace.core.model.money import format_wan, micro_wan
    from indspace.services.profiles import resolve_profile
    from indspace.services.supply import run_monitor, supply_params
    from indspace.settings import deployment

    code = report_district(store, who, district)
    day = as_of or today(store.tz)
    names = district_names(store)
    scope_name = names.get(code, code) if code else CITY
    progress(0.1, "读取合同", "reading contracts")
    contracts = store.read_frame("contracts")
    parcels = store.read_frame("parcels", columns=["parcel_id", "district"])
    contracts = contracts.merge(parcels, on="parcel_id", how="left")
    contracts = contracts[_day_series(contracts["signed"]) <= np.datetime64(day, "D")]
    if code is not None:
        contracts = contracts[contracts["district"] == code]
    contracts = contracts.sort_values("contract_id", ignore_index=True)
    contracts["district_name"] = contracts["district"].map(lambda z: names.get(z, z))
    contracts["mode_label"] = contracts["mode"].map(lambda m: SUPPLY_MODE_LABELS.get(m, m))
    contracts["micro"] = micro_wan(contracts["price_wan"])
    contracts["area_mu"] = contracts["area_m2"].astype(float) * 3 / 2000
    progress(0.3, "合同监管", "monitoring contracts")
    profile = resolve_profile(deployment().default_profile)
    version = f"{profile.id} {profile.version}（{profile.content_hash[:12]}）"
    result = run_monitor(store, day, profile=profile, district=code)
    idle_source = supply_params(day, profile).sources.get("idle", "") or "—"
    alerts = result.alerts.copy()
    alerts["micro"] = [
        int(micro_wan([a])[0]) if a != "" else 0 for a in alerts["amount_wan"].tolist()
    ]
    alerts["rule_label"] = alerts["rule"].map(lambda r: RULE_LABELS.get(r, r))
    alerts["status_label"] = alerts["status"].map(lambda s: STATUS_NAMES.get(s, s))

    def contract_rollup(col: str) -> pd.DataFrame:
        g = (
            contracts.groupby(col, sort=True)
            .agg(n=("contract_id", "count"), area_mu=("area_mu", "sum"), micro=("micro", "sum"))
            .reset_index()
            .rename(columns={col: "label"})
        )
        g["price"] = [format_wan(int(v)) for v in g["micro"]]
        return g

    by_mode = contract_rollup("mode_label")
    by_district = contract_rollup("district_name")
    price_total = format_wan(int(contracts["micro"].sum()))
    c_cols = [
        Column("类别", "label"),
        Column("合同数", "n", "int"),
        Column("面积(亩)", "area_mu", "num"),
        Column("成交价款(万元)", "price"),
    ]
    # findings: rule × status counts and exact amounts
    grid = pd.crosstab(alerts["rule"], alerts["status"]) if len(alerts) else pd.DataFrame()
    grid = grid.reindex(index=list(RULES), columns=list(STATUSES), fill_value=0)
    per_rule = pd.DataFrame(
        {
            "rule": list(RULES),
            "label": [f"{RULE_LABELS[r]} {r}" for r in RULES],
            **{s: grid[s].to_numpy() for s in STATUSES},
        }
    )
    per_rule["n"] = per_rule[list(STATUSES)].sum(axis=1)
    per_rule["amount"] = [
        format_wan(int(alerts.loc[alerts["rule"] == r, "micro"].sum())) for r in RULES
    ]
    rule_cols = [
        Column("规则 / rule", "label"),
        Column("已逾期 overdue", "overdue", "int"),
        Column("即将到期 upcoming", "upcoming", "int"),
        Column("违约 breach", "breach", "int"),
        Column("合计 / findings", "n", "int"),
        Column("金额(万元)", "amount"),
    ]
    # idle land: idle_1y (fee) and idle_2y (recovery)
    idle = alerts[alerts["rule"].isin(["idle_1y", "idle_2y", "stalled_1y"])]
    idle = idle.merge(
        contracts[["contract_id", "area_mu", "district_name"]], on="contract_id", how="left"
    )
    idle_rows = (
        idle.groupby(["rule", "status"], sort=True)
        .agg(n=("contract_id", "count"), area_mu=("area_mu", "sum"), micro=("micro", "sum"))
        .reset_index()
    )
    idle_rows["label"] = [
        f"{RULE_LABELS.get(r, r)}（{STATUS_NAMES.get(s, s)}）"
        for r, s in zip(idle_rows["rule"], idle_rows["status"], strict=True)
    ]
    idle_rows["fee"] = [format_wan(int(v)) for v in idle_rows["micro"]]
    # collections: payments recorded by the day against the price; overdue installments
    events = store.read_frame("contract_events")
    pay = events[
        (events["event"] == "payment")
        & events["contract_id"].isin(set(contracts["contract_id"]))
        & (_day_series(events["date"]) <= np.datetime64(day, "D"))
    ]
    paid = int(micro_wan(pay["amount_wan"]).sum()) if len(pay) else 0
    price = int(contracts["micro"].sum())
    inst = alerts[alerts["rule"] == "installment_overdue"]
    coll = pd.DataFrame(
        [
            {"label": "成交价款 / price", "n": len(contracts), "amount": format_wan(price)},
            {
                "label": "已缴（截至基准日）/ paid by the day",
                "n": len(pay),
                "amount": format_wan(paid),
            },
            {"label": "未缴 / unpaid", "n": len(contracts), "amount": format_wan(price - paid)},
            *(
                {
                    "label": f"欠缴{STATUS_NAMES[s]} / installments {s}",
                    "n": int((inst["status"] == s).sum()),
                    "amount": format_wan(int(inst.loc[inst["status"] == s, "micro"].sum())),
                }
                for s in ("overdue", "upcoming")
            ),
        ]
    )
    footer = (
        f"数据来源：indspace 库 {source_name(store)} · 监管基准日 {day.isoformat()} · "
        f"策略配置 {version}"
    )
    meta = [
        ("基准日 / as of", day.isoformat()),
        ("范围 / scope", scope_name + (f"（{code}）" if code else "")),
        ("策略配置 / profile", version),
        ("合同数 / contracts", f"{len(contracts):,}"),
        ("发现 / findings", f"{len(alerts):,}"),
    ]
    lines = [
        f"截至 {day.isoformat()}，{scope_name}土地供应合同 {len(contracts):,} 份，面积 "
        f"{float(contracts['area_mu'].sum()):,.2f} 亩，成交价款 {price_total} 万元；"
        f"监管发现 {len(alerts):,} 条，涉及合同 {alerts['contract_id'].nunique():,} 份。",
        "各规则发现数 / findings per rule: "
        + "；".join(f"{r} {int(n)}" for r, n in zip(per_rule["rule"], per_rule["n"], strict=True)),
    ]
    found = per_rule[per_rule["n"] > 0]
    findings = alerts.merge(
        contracts[["contract_id", "district_name"]], on="contract_id", how="left"
    ).sort_values(["rule", "status", "contract_id"], ignore_index=True)
    progress(0.7, "排版", "laying out")
    sections = [
        Section(
            "summary",
            "概况 / Summary",
            lines,
            [
                Table(
                    "按供地方式 / contracts by mode",
                    c_cols,
                    by_mode,
                    chart=Chart("pie", "label", ["area_mu"], "供地方式（面积）"),
                ),
                Table(
                    "按区县 / contracts by district",
                    c_cols,
                    by_district,
                    chart=Chart("bar", "label", ["area_mu"], "各区县供地面积（亩）"),
                ),
            ],
        ),
        Section(
            "alerts",
            "监管发现 / Findings by rule and status",
            [
                "状态：已逾期（期限已过）、即将到期（在提醒期内）、违约（违约行为已发生）。"
                " / overdue: the period ended; upcoming: due within the notice window; "
                "breach: an act broke the contract."
            ],
            [
                Table(
                    "按规则与状态 / by rule and status",
                    rule_cols,
                    per_rule,
                    sheet="监管发现汇总",
                    chart=Chart(
                        "bar",
                        "label",
                        list(STATUSES),
                        "各规则发现数",
                        stacked=True,
                    ),
                ),
                Figure(
                    "各规则发现数",
                    svg.hbar_chart(
                        [RULE_LABELS[r] for r in found["rule"]],
                        [float(v) for v in found["n"]],
                        title="各规则发现数",
                        unit="条",
                        digits=0,
                    ),
                ),
            ],
        ),
        Section(
            "idle",
            "闲置土地 / Idle land",
            [f"土地闲置费与无偿收回的依据（取自策略配置）/ basis from the profile: {idle_source}"],
            [
                Table(
                    "闲置与停工 / idle and stalled",
                    [
                        Column("类别", "label"),
                        Column("宗数", "n", "int"),
                        Column("面积(亩)", "area_mu", "num"),
                        Column("土地闲置费(万元)", "fee"),
                    ],
                    idle_rows,
                )
            ],
        ),
        Section(
            "collections",
            "价款征收 / Collections",
            [],
            [
                Table(
                    "价款与分期缴款 / price and installments",
                    [
                        Column("项目", "label"),
                        Column("笔数", "n", "int"),
                        Column("金额(万元)", "amount"),
                    ],
                    coll,
                    chart=None,
                )
            ],
        ),
        Section(
            "findings",
            "发现清单 / Findings",
            [],
            [
                Table(
                    "监管发现 / findings",
                    [
                        Column("合同", "contract_id"),
                        Column("宗地", "parcel_id"),
                        Column("区县", "district_name"),
                        Column("企业", "credit_code"),
                        Column("规则", "rule_label"),
                        Column("状态", "status_label"),
                        Column("起", "since"),
                        Column("期限", "due"),
                        Column("金额(万元)", "amount_wan"),
                    ],
                    findings,
                    sheet="监管发现",
                    pdf_rows=PDF_ROWS,
                )
            ],
        ),
    ]
    return Report(
        title=f"{scope_name}土地供应与履约监管报告（截至 {day.isoformat()}）",
        subtitle=f"Land supply and contract supervision · {scope_name} · as of {day.isoformat()}",
        as_of=day,
        meta=meta,
        footer=footer,
        sections=sections,
    )


def _day_series(col: pd.Series) -> np.ndarray:
    """Days (date objects or ISO text) → datetime64[D]."""
    return pd.to_datetime(pd.Series(col, dtype=object).astype(str)).to_numpy("datetime64[D]")


# ------------------------------------------------------------------ one entry point
BUILDERS: dict[str, Callable[..., Report]] = {
    "annual": annual_report,
    "lowuse": lowuse_report,
    "supply": supply_report,
}


def make_report(
    store: Store,
    kind: str,
    fmt: str,
    out: Path,
    *,
    year: int | None = None,
    district: str | None = None,
    run_id: str | None = None,
    as_of: date | None = None,
    who: Principal = SYSTEM,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Build report ``kind`` and write it as ``fmt`` to ``out`` (atomically); a summary.
    ``as_of`` is the supply report's day (default today in the deployment's time zone)."""
    check_kind(kind)
    fmt = check_format(fmt)
    extra = {"as_of": as_of} if kind == "supply" else {}
    report = BUILDERS[kind](
        store, year, district=district, run_id=run_id, who=who, progress=progress, **extra
    )
    with atomic(out) as tmp:
        render(report, fmt, tmp)
    progress(1.0, "完成", "done")
    meta = dict(report.meta)
    warnings = []
    if fmt == "pdf" and not cjk_fonts():
        warnings.append(
            {
                "message_zh": "未找到 Noto CJK 字体，PDF 中文可能无法显示；" + CJK_FONT_HINT_ZH,
                "message_en": "no Noto CJK font found: the PDF's Chinese may not "
                "show; " + CJK_FONT_HINT_EN,
            }
        )
    return {
        "kind": kind,
        "format": fmt,
        "title": report.title,
        "out": str(out),
        "bytes": out.stat().st_size,
        "footer": report.footer,
        "run_id": next((v for k, v in meta.items() if "批次" in k), None),
        "warnings": warnings,
    }


# ------------------------------------------------------------------ the web: background jobs
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KEEP_SECONDS = 3600.0
"""A generated file can be downloaded for an hour (as long as its job is remembered)."""


@dataclass
class ReportFile:
    report_id: str
    owner: str
    path: Path
    filename: str
    media_type: str
    ended: float


class ReportFiles:
    """Files the web generated, each downloadable by the account that asked for it only;
    kept in a private temporary folder and forgotten (deleted) after ``KEEP_SECONDS``."""

    def __init__(self, folder: Path | None = None) -> None:
        import tempfile
        import threading

        self.folder = folder or Path(tempfile.mkdtemp(prefix="indspace-reports-"))
        self._files: dict[str, ReportFile] = {}
        self._lock = threading.Lock()

    def new_path(self, report_id: str, fmt: str) -> Path:
        return self.folder / f"{report_id}.{fmt}"

    def add(self, item: ReportFile) -> None:
        import time

        with self._lock:
            now = time.monotonic()
            for rid in [r for r, f in self._files.items() if now - f.ended > KEEP_SECONDS]:
                self._files.pop(rid).path.unlink(missing_ok=True)
            self._files[item.report_id] = item

    def get(self, report_id: str, who: Principal) -> ReportFile:
        """The file if ``who`` asked for it; 404 otherwise (as for an unknown id)."""
        who.require_login()
        with self._lock:
            item = self._files.get(report_id)
        if item is None or item.owner != who.username or not item.path.exists():
            raise NotFoundError(
                f"报告 {report_id[:64]} 不存在或已过期",
                f"report {report_id[:64]} not found or expired",
                where="report_id",
                hint_zh="报告只对生成它的账户可见，生成一小时后删除",
                hint_en="a report is visible to the account that asked for it and kept for an hour",
            )
        return item


def start_report(
    store: Store,
    files: ReportFiles,
    kind: str,
    fmt: str,
    *,
    year: int | None,
    district: str | None,
    run_id: str | None,
    who: Principal,
    as_of: date | None = None,
) -> Callable[[Progress], dict[str, Any]]:
    """Check now what can be refused at once (kind, format, the caller's scope, the run);
    the returned work builds the file in the background and registers it for download."""
    import time
    import uuid

    check_kind(kind)
    fmt = check_format(fmt)
    code = report_district(store, who, district)
    day: date | None = None
    if kind == "annual":
        chosen = str(choose_run(store, year, run_id)["run_id"])
    elif kind == "supply":  # no run: the report is as of a day (default today)
        day = as_of or today(store.tz)
        chosen = day.isoformat()
    else:
        chosen = str(choose_lowuse_run(store, run_id, year)["run_id"])
    report_id = uuid.uuid4().hex

    def work(progress: Progress) -> dict[str, Any]:
        out = files.new_path(report_id, fmt)
        summary = make_report(
            store,
            kind,
            fmt,
            out,
            district=code,
            run_id=None if kind == "supply" else chosen,
            as_of=day,
            who=who,
            progress=progress,
        )
        name = f"{kind}-{chosen}-{code or 'city'}.{fmt}"
        files.add(
            ReportFile(report_id, who.username, out, name, MEDIA_TYPES[fmt], time.monotonic())
        )
        return {
            "report_id": report_id,
            "kind": kind,
            "format": fmt,
            "title": summary["title"],
            "filename": name,
            "bytes": summary["bytes"],
            "run_id": chosen,
            "district": code,
            "warnings": summary["warnings"],
            "href": f"/api/reports/{report_id}/file",
        }

    return work
