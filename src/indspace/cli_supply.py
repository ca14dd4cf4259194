"""土地供应与全周期监管命令 / land supply and lifecycle supervision: ``indspace supply
monitor`` and ``indspace supply plan`` (issue #17)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError
from indspace.settings import deployment

_PROFILE = deployment().default_profile  # the deployment context, read at the edge

ProfileOpt = Annotated[str, typer.Option("--profile", help="策略配置 / policy profile")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]
AsOfOpt = Annotated[
    str, typer.Option("--as-of", help="监管基准日 YYYY-MM-DD（部署时区）/ the day to monitor as of")
]


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    @group.command()
    def monitor(
        as_of: AsOfOpt,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="每条发现一行 .csv / .xlsx / one row per finding"),
        ] = None,
        within: Annotated[
            int | None,
            typer.Option(
                "--within",
                min=0,
                help="提前 N 天列为即将到期（缺省取策略配置 alert_notice_days）/ list deadlines "
                "within N days as upcoming (default: the profile's alert_notice_days)",
            ),
        ] = None,
        district: Annotated[
            str | None,
            typer.Option(
                "--district", help="只看该区县（行政区划代码）/ only this district (admin code)"
            ),
        ] = None,
        credit_code: Annotated[
            str | None,
            typer.Option("--credit-code", help="只看该企业的合同 / only this firm's contracts"),
        ] = None,
        profile: ProfileOpt = _PROFILE,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """合同履约监管：截至某日的闲置、停工、逾期竣工、欠缴、验收不达标、违规转让、先租后让
        转换与续期提醒 / contract supervision as of a day: idle land, stalled works, late
        completion, overdue installments, acceptance shortfalls, blocked transfers,
        lease-then-grant conversions and renewal windows."""
        from indspace.services.supply import (
            alerts_json,
            amount_totals,
            check_as_of,
            run_monitor,
            write_alerts,
        )
        from indspace.store import Store

        try:
            day = check_as_of(as_of)
            result = run_monitor(
                Store.open(db),
                day,
                profile=profile,
                notice_days=within,
                district=district,
                credit_code=credit_code,
            )
            if out is not None:
                write_alerts(out, result.alerts)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(alerts_json(result))
            return
        s = result.summary()
        totals = amount_totals(result.alerts)
        t = Table("规则 / rule", "发现 / findings", "金额合计 / amount (万元)")
        for k, v in s["by_rule"].items():
            t.add_row(k, f"{v:,}", totals.get(k, ""))
        Console().print(t)
        Console().print(
            f"截至 / as of {s['as_of']}: {s['findings']:,} 条发现 / findings, "
            f"{s['contracts']:,} 份合同 / contracts "
            f"({', '.join(f'{k} {v}' for k, v in s['by_status'].items())})"
        )
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")

    @group.command()
    def plan(
        parcel_id: Annotated[str, typer.Argument(help="宗地代码 / parcel id")],
        project: Annotated[
            Path,
            typer.Option(
                "--project",
                help="项目 JSON（见 docs/supply.md）/ project file (see docs/supply.md)",
            ),
        ],
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="按该日生效的政策（缺省今天）/ policy in force on this day (default today)",
            ),
        ] = None,
        profile: ProfileOpt = _PROFILE,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """供地方案：可用供地方式与年限、底价（最低价标准、优先供地 70%）、零星地块协议出让与
        联合竞买资格、合同应载条件，逐项附条款 / supply plan of a parcel: modes and terms,
        reserve price, negotiated-grant and joint-bidding eligibility, contract conditions,
        each with its clause."""
        from indspace.core.clock import today
        from indspace.services.supply import check_as_of, plan_supply, read_project
        from indspace.store import Store

        try:
            store = Store.open(db)
            day = check_as_of(as_of) if as_of is not None else today(store.tz)
            result = plan_supply(store, parcel_id, read_project(project), day, profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(result, ensure_ascii=False, sort_keys=True))
            return
        _print_plan(result)


def _print_plan(r: dict[str, Any]) -> None:
    out = Console()
    out.print(
        f"[bold]{escape(r['parcel_id'])}[/] {r['area_mu']} 亩, 区县 / district "
        f"{r['district']}, 政策日 / as of {r['as_of']}"
    )
    t = Table("方式 / mode", "最长年限 / max years", "条款 / clause")
    for m in r["modes"]:
        extra = (
            f" (租 {m['lease_years']} + 让 ≤ {m['grant_years_max']})" if "lease_years" in m else ""
        )
        t.add_row(m["mode"], f"{m['max_years']}{extra}", escape(m["clause"]))
    out.print(t)
    p = r["reserve_price"]
    out.print(
        f"底价 / reserve floor: {p['reserve_floor_yuan_m2']} 元/㎡ = "
        f"{p['reserve_floor_total_wan']} 万元 (等别 / grade {p['land_grade']}, 最低价 / "
        f"minimum {p['min_price_yuan_m2']} 元/㎡; 优先 / priority {p['priority']})"
    )
    out.print(
        f"零星地块协议出让 / negotiated grant: {r['negotiated_grant']['eligible']}; "
        f"联合竞买 / joint bidding: {r['joint_bidding']['eligible']}"
    )
    c = Table("条件 / condition", "值 / value", "条款 / clause")
    for x in r["conditions"]:
        c.add_row(x["label"], escape(x["value"]), escape(x["clause"]))
    out.print(c)
