"""方案检查命令 / ``indspace check-plan PLAN.json``: a 工业上楼 plan against the control
indicators in force on its approval date (issue #18). No store needed.

Exit status: 0 the plan complies, 1 a judged check fails, 2 bad input (a bilingual error
naming the field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError
from indspace.settings import deployment

VERDICT = {
    True: ("[green]通过 / pass[/]", "[bold green]符合 / complies[/]"),
    False: ("[bold red]不通过 / FAIL[/]", "[bold red]不符合 / does not comply[/]"),
    None: ("[yellow]未判定 / not judged[/]", ""),
}


def register(app: typer.Typer, fail: Any, console: Console) -> None:
    @app.command("check-plan")
    def check_plan(
        plan: Annotated[
            Path,
            typer.Argument(
                help="方案 JSON 文件（字段见 docs/plan-check.md）/ the plan, a JSON file "
                "(fields in docs/plan-check.md)"
            ),
        ],
        profile: Annotated[
            str,
            typer.Option(
                "--profile",
                help="策略配置 id 或 YAML 文件 / policy profile id or YAML file",
            ),
        ] = deployment().default_profile,
        as_json: Annotated[
            bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON object")
        ] = False,
    ) -> None:
        """工业上楼方案检查：容积率、建筑系数、行政办公及生活服务设施用地比重、研发用房比重、
        绿地率、投资强度，按批准日生效的规则 / check a 工业上楼 plan against the control
        indicators in force on its approval date."""
        from indspace.services.plan_check import check_plan as run
        from indspace.services.plan_check import read_plan_file, today
        from indspace.services.profiles import resolve_profile

        try:
            result = run(
                read_plan_file(plan),
                resolve_profile(profile),
                today=today(deployment().tz),
            )
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        else:
            show(result)
        if not result["pass"]:
            raise typer.Exit(1)


def _n(x: float | None, unit: str = "1") -> str:
    if x is None:
        return "—"
    return f"{x:,.2f}" if unit != "1" else f"{x:.6g}"


def _limit(c: dict[str, Any]) -> str:
    parts = []
    if c["limit"] is not None:
        parts.append(f"{'≥' if c['comparison'] == '>=' else '≤'} {_n(c['limit'], c['unit'])}")
    if c["limit_max"] is not None:
        parts.append(f"≤ {_n(c['limit_max'], c['unit'])}")
    return ", ".join(parts) or "—"


def show(r: dict[str, Any]) -> None:
    """The answer as Rich tables, Chinese first."""
    out = Console()
    given = "方案给出 / from the plan" if r["approved_given"] else "默认今天 / today by default"
    p = r["profile"]
    out.print(f"[bold]方案检查 / plan check: {escape(r['plan_id'])}[/]")
    out.print(
        f"批准日期 / approved {r['approved']}（{given}）· 策略配置 / profile {p['id']} "
        f"{p['version']} ({p['hash']})",
        soft_wrap=True,
    )
    t = Table("检查项 / check", "数值 / value", "限值 / limit", "结论 / result")
    t.add_column("依据 / clause", overflow="fold")
    for c in r["checks"]:
        clause = c["clause"] or "—"
        if c["clause_max"]:
            clause += f"；上限 / cap: {c['clause_max']}"
        note = f"\n[dim]{escape(c['note_zh'])} / {escape(c['note_en'])}[/]" if c["note_zh"] else ""
        t.add_row(
            f"{c['label_zh']} / {c['rule']}",
            _n(c["value"], c["unit"]) + ("" if c["unit"] == "1" else f" {c['unit']}"),
            _limit(c),
            VERDICT[c["pass"]][0],
            escape(clause) + note,
        )
    out.print(t)
    f = r["figures"]
    out.print(
        f"建筑面积 / floor area {_n(f['total_floor_m2'], 'm2')} m² · 计容建筑面积 / FAR floor "
        f"area {_n(f['far_floor_m2'], 'm2')} m²（层高 > {f['storey_limit_m']} m 加倍 / "
        f"storeys above {f['storey_limit_m']} m count twice: {_n(f['doubled_m2'], 'm2')} m²）"
        f" · 地下 / underground {_n(f['underground_m2'], 'm2')} m²",
        soft_wrap=True,
    )
    rng = r["floor_area_range"]
    if rng["min_m2"] is None:
        out.print("[red]没有符合要求的建筑面积 / no floor area complies[/]")
    else:
        high = _n(rng["max_m2"], "m2") + " m²" if rng["max_m2"] is not None else "不设上限 / no cap"
        out.print(
            f"符合要求的计容建筑面积 / compliant FAR floor area: {_n(rng['min_m2'], 'm2')} m² – "
            f"{high}（下限由 / minimum set by {rng['binding_min']}）",
            soft_wrap=True,
        )
    mix = r["production_mix"]
    if mix is not None:
        storeys = (
            f"，基底上约 {mix['storeys_on_footprint']} 层 / about "
            f"{mix['storeys_on_footprint']} storeys on the footprint"
            if mix["storeys_on_footprint"]
            else ""
        )
        out.print(
            f"生产空间最大的组合 / production-maximising mix（{mix['basis']}，各层 ≤ "
            f"{mix['max_storey_height_m']} m）: 生产 / production {_n(mix['production_m2'], 'm2')}"
            f" m²，研发 / R&D {_n(mix['rnd_m2'], 'm2')}，行政生活 / admin-living "
            f"{_n(mix['admin_living_m2'], 'm2')}，仓储 / warehouse {_n(mix['warehouse_m2'], 'm2')}"
            f"（比方案多 / more than planned {_n(mix['production_gain_m2'], 'm2')} m²）{storeys}",
            soft_wrap=True,
        )
    out.print("结论 / verdict: " + VERDICT[bool(r["pass"])][1])
