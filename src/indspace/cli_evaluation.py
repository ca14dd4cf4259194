"""亩均评价命令 / commands of the annual per-mu evaluation (registered on the main app)."""


import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError
from indspace.settings import deployment

_PROFILE = deployment().default_profile   # the deployment context, read at the edge

YearOpt = Annotated[int, typer.Option("--year", help="评价年度 / evaluated year")]
ProfileOpt = Annotated[str, typer.Option(
    "--profile", help=f"策略配置：内置 id（默认 {_PROFILE}）或 YAML 文件路径 / policy "
                      f"profile: a bundled id (default {_PROFILE}) or a YAML file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON "
                                                      "object")]
MethodDateOpt = Annotated[datetime | None, typer.Option(
    "--method-date", formats=["%Y-%m-%d"],
    help="取值日期：按该日生效的办法与参数计算（默认运行当天，部署时区）/ method date: the "
         "values in force on this day are used (default: the day of the run, deployment "
         "time zone)")]
RunOpt = Annotated[str | None, typer.Option(
    "--run", help="评价批次：用该批次的年度、保存的策略配置和取值日期 / evaluation run: use its "
                  "year, stored profile and method date")]


def day_of(value: datetime | None) -> date | None:
    """The calendar day typed for ``--method-date`` (None when not given)."""
    return None if value is None else value.date()


def register(app: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    _register_zones(app, db_opt, default_db, fail)

    @app.command()
    def evaluate(
        year: YearOpt,
        profile: ProfileOpt = _PROFILE,
        out: Annotated[Path | None, typer.Option(
            "--out", help="结果文件 .csv / .json / .xlsx / result file")] = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
        method_date: MethodDateOpt = None,
    ) -> None:
        """亩均效益综合评价：计算并保存一个不可修改的评价批次 / run the annual evaluation
        and store it as an immutable, versioned run."""
        from indspace.services.evaluation import run_evaluation
        from indspace.store import Store

        try:
            with console.status("评价中 / evaluating …"):
                outcome = run_evaluation(Store.open(db), year, profile, out=out,
                                         method_on=day_of(method_date))
        except IndspaceError as e:
            fail(e, as_json)
        s = outcome.summary()
        if as_json:
            print(json.dumps(s, ensure_ascii=False, sort_keys=True))
            return
        _print_summary(s)

    @app.command()
    def explain(
        credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 / credit code")],
        year: Annotated[int | None, typer.Option(
            "--year", help="评价年度（或用 --run）/ evaluated year (or --run)")] = None,
        profile: ProfileOpt = _PROFILE,
        run: RunOpt = None,
        method_date: MethodDateOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """解释一家企业的等级：各项得分、组内排名、同比、距上一档的差距 / explain a grade."""
        from indspace.services.evaluation import explain as explain_firm
        from indspace.store import Store

        try:
            data = explain_firm(Store.open(db), credit_code, year, profile, run_id=run,
                                method_on=day_of(method_date))
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(data, ensure_ascii=False, sort_keys=True))
            return
        _print_explanation(data)

    @app.command("runs")
    def list_runs(
        year: Annotated[int | None, typer.Option("--year", help="年度 / year")] = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """列出评价批次 / list evaluation runs."""
        from indspace.services.evaluation import runs_list
        from indspace.store import Store

        try:
            rows = runs_list(Store.open(db), year)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, sort_keys=True))
            return
        t = Table("批次 / run", "状态 / state", "上级 / parent", "输入 / inputs",
                  "配置 / profile", "异议截止 / objection deadline")
        for r in rows:
            t.add_row(r["run_id"], r["state"], r["parent_run_id"] or "", r["inputs_hash"],
                      f"{r['profile_id']} {r['profile_version']} ({r['profile_hash']})",
                      r["objection_deadline"] or "")
        Console().print(t)

    @app.command()
    def publish(
        run_id: Annotated[str, typer.Argument(help="评价批次 / run id")],
        db: db_opt = default_db,
    ) -> None:
        """公示评价批次，开启异议期 / publish a run and open its objection window."""
        from indspace.services.evaluation import publish as publish_run
        from indspace.store import Store

        try:
            run = publish_run(Store.open(db), run_id)
        except IndspaceError as e:
            fail(e)
        console.print(f"已公示 / published {escape(run_id)}；异议截止 / objections until "
                      f"{run['objection_deadline'].isoformat()}", soft_wrap=True)

    @app.command("object")
    def object_(
        run_id: Annotated[str, typer.Argument(help="评价批次 / run id")],
        credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 / credit code")],
        field: Annotated[str, typer.Option(
            help="更正的指标：revenue、tax、value_added、rd_spend（万元）、employees（人）、"
                 "energy_tce（吨标准煤）、electricity_kwh（千瓦时）、emissions（吨）/ the figure "
                 "to correct: revenue, tax, value_added, rd_spend (万元), employees (persons), "
                 "energy_tce (tce), electricity_kwh (kWh), emissions (t)")],
        value: Annotated[float, typer.Option(
            help="企业主张的数值，单位同该指标（如 tax 为万元）/ the value claimed, in the "
                 "figure's unit (tax: 万元)")],
        reason: Annotated[str, typer.Option(help="理由与佐证 / reason and evidence")],
        db: db_opt = default_db,
    ) -> None:
        """企业提出异议（公示期内）/ file an enterprise's objection during publication."""
        from indspace.services.evaluation import file_objection
        from indspace.store import Store

        try:
            row = file_objection(Store.open(db), run_id, credit_code, field, value, reason)
        except IndspaceError as e:
            fail(e)
        print(row["objection_id"])

    @app.command()
    def resolve(
        objection_id: Annotated[str, typer.Argument(help="异议编号 / objection id")],
        accept: Annotated[bool, typer.Option(
            "--accept/--reject", help="核实后采纳或驳回 / accept or reject after checking")],
        note: Annotated[str, typer.Option(help="核实说明 / note")] = "",
        db: db_opt = default_db,
    ) -> None:
        """处理异议：采纳则更正数据并重算为新版本批次 / resolve an objection; accepting
        corrects the figure and recomputes a new run version."""
        from indspace.services.evaluation import resolve_objection
        from indspace.store import Store

        try:
            out = resolve_objection(Store.open(db), objection_id, accept=accept, note=note)
        except IndspaceError as e:
            fail(e)
        print(json.dumps({"objection": out["objection"]["state"],
                          "run": out["run"] and out["run"]["run_id"]}, ensure_ascii=False))


def _register_zones(app: typer.Typer, db_opt: Any, default_db: str, fail: Any) -> None:
    @app.command()
    def zones(
        year: Annotated[int | None, typer.Option(
            "--year", help="评价年度（或用 --run）/ evaluated year (or --run)")] = None,
        profile: ProfileOpt = _PROFILE,
        run: RunOpt = None,
        kind: Annotated[str, typer.Option(
            help="区域类型：district 区县、park 2070 园区、chain 361 产业链 / zone kind: "
                 "district, park (2070 parks) or chain (361 chains)")] = "district",
        out: Annotated[Path | None, typer.Option(
            "--out", help="全部区域结果 .csv / all zones as CSV")] = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """区域/园区/产业链亩均评价：汇总、排名与同比 / roll-up per district, park or chain
        with rankings and year-on-year change."""
        from indspace.services.evaluation import write_zones, zone_rollup, zone_rows
        from indspace.store import Store

        try:
            frame = zone_rollup(Store.open(db), year, profile, run_id=run)
            if out is not None:
                write_zones(out, frame)
        except IndspaceError as e:
            fail(e, as_json)
        part = frame[frame["zone_kind"] == kind]
        if as_json:
            print(json.dumps(zone_rows(frame, kind), ensure_ascii=False))
            return
        # one count column per class of the profile's grade scale (n_a … n_d for A–D)
        per_class = [c for c in frame.columns if c.startswith("n_")]
        t = Table("排名 / rank", "区域 / zone", "亩均税收 / tax per mu", "同比 / y-o-y",
                  *(c[2:].upper() for c in per_class), "优等用地占比 / good-class land share")
        for r in part.to_dict("records"):
            yoy = ("—" if r["tax_per_mu_yoy"] != r["tax_per_mu_yoy"]
                   else f"{r['tax_per_mu_yoy']:+.1%}")
            t.add_row(_fmt(r["rank"], 0) if r["rank"] == r["rank"] else "—", str(r["zone"]),
                      _fmt(float(r["tax_per_mu"]), 2), yoy, *(str(r[c]) for c in per_class),
                      f"{r['ab_land_share']:.1%}")
        Console().print(t)


def _print_summary(s: dict[str, Any]) -> None:
    out = Console()
    reused = "（已存在，未重复保存 / existing run reused）" if s["reused"] else ""
    out.print(f"[bold]{s['run_id']}[/] {reused}")
    out.print(f"配置 / profile {s['profile']} {s['profile_version']} ({s['profile_hash']}), "
              f"输入 / inputs {s['inputs_hash']}")
    own = s.get("grades_evaluated")
    if own is not None:   # firms graded in their own right, as the overview counts them
        out.print(f"参评企业 / firms evaluated: {s['evaluated']:,}"
                  f"（全部企业 / all firms {s['enterprises']:,}）")
        t = Table("等级 / grade", "参评企业 / evaluated firms",
                  "含沿用宗地主等级的承租企业 / with tenants sharing a landlord's grade")
        for g, n in own.items():
            t.add_row(g, f"{n:,}", f"{s['grades'][g]:,}")
    else:
        t = Table("等级 / grade", "企业数 / firms")
        for g, n in s["grades"].items():
            t.add_row(g, f"{n:,}")
    out.print(t)
    st = Table("状态 / status", "企业数 / firms")
    for k, n in s["status"].items():
        st.add_row(k, f"{n:,}")
    out.print(st)
    if s["review_groups"]:
        out.print("[yellow]小于最小分组、需复核 / groups below the minimum size:[/] "
                  + ", ".join(s["review_groups"]))
    if s.get("out"):
        out.print(f"结果 / results → {escape(s['out'])}")


def _fmt(v: Any, digits: int = 4) -> str:
    return "—" if v is None else (f"{v:,.{digits}f}" if isinstance(v, float) else str(v))


def _print_explanation(d: dict[str, Any]) -> None:
    out = Console()
    out.print(f"[bold]{d['name']}[/] {d['credit_code']} — {d['year']} 年度 / year, "
              f"{d['profile']} {d['profile_version']}")
    line = f"等级 / grade [bold]{d['grade'] or '—'}[/]  ({d['status_label']}"
    line += f"：{d['reason_label']})" if d["reason_label"] else ")"
    if d["rank"] is not None:
        line += f"  组内排名 / rank {int(d['rank'])}/{int(d['group_size'])} ({d['group']})"
    out.print(line)
    out.print(f"用地 / land {_fmt(d['land_area_mu'], 3)} 亩  综合得分 / score {_fmt(d['score'])}")
    t = Table("指标 / indicator", "数值 / value", "上年 / last year", "基准 / benchmark",
              "权重 / weight", "得分 / points")
    for b in d["breakdown"]:
        t.add_row(f"{b['label']} ({b['unit']})" + (" *缺失" if b["missing"] else ""),
                  _fmt(b["value"]), _fmt(b["previous_value"]), _fmt(b["benchmark"]),
                  _fmt(b["weight"], 0), _fmt(b["points"], 2))
    out.print(t)
    if d["previous"]:
        p = d["previous"]
        out.print(f"上年 / {p['year']}: 等级 / grade {p['grade'] or '—'}, 得分 / score "
                  f"{_fmt(p['score'])}")
    n = d["next_grade"]
    if n["target"]:
        parts = []
        if n["extra_tax_wan"] is not None:
            parts.append(f"多缴税 / more tax {n['extra_tax_wan']:,.2f} 万元 "
                         f"(每亩 / per mu {n['extra_tax_per_mu']:,.2f})")
        if n["land_reduction_mu"] is not None:
            parts.append(f"或少用地 / or less land {n['land_reduction_mu']:,.3f} 亩")
        out.print(f"升至 {n['target']} 类 / to reach {n['target']}: " + "；".join(parts))
    elif n["note"]:
        out.print(n["note"])
    for p in d["policies"]:
        money = "" if p["money_yuan"] is None else f" → {p['money_yuan']:,.2f} 元/年"
        out.print(f"政策 / policy: {p['label']} {_fmt(p['amount'], 2)} {p['unit']}{money}")
