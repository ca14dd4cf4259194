"""供需匹配命令 / supply–demand matching: ``indspace match`` (issue #19)."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError
from indspace.settings import deployment

_PROFILE = deployment().default_profile  # the deployment context, read at the edge


def register(app: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    @app.command()
    def match(
        demands: Annotated[
            Path | None,
            typer.Option(
                "--demands",
                help="需求文件（导入格式 demands，不入库；缺省用库中的需求）/ demand file (the "
                "import format of demands, not stored; default: the store's demands)",
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="每个需求一行 .csv / .xlsx / one row per demand"),
        ] = None,
        supply: Annotated[
            Path | None,
            typer.Option(
                "--supply",
                help="供给清单 CSV（缺省由库推算）/ inventory CSV (default: derived from the "
                "store)",
            ),
        ] = None,
        objective: Annotated[
            str,
            typer.Option(
                "--objective",
                help="count-then-rent（先最多满足、再总租金最低）或 weighted（加权得分）/ "
                "count-then-rent (most demands served, then lowest total rent) or weighted",
            ),
        ] = "count-then-rent",
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="基准日 YYYY-MM-DD（缺省今天）/ the day (default today)"),
        ] = None,
        supply_out: Annotated[
            Path | None,
            typer.Option("--supply-out", help="写出所用供给清单 .csv / write the inventory used"),
        ] = None,
        save: Annotated[
            bool,
            typer.Option(
                "--save", help="保存为匹配批次（网页读取）/ keep as a run (the web page reads it)"
            ),
        ] = False,
        profile: Annotated[str, typer.Option("--profile", help="策略配置 / policy profile")] = (
            _PROFILE
        ),
        db: db_opt = default_db,
        as_json: Annotated[
            bool, typer.Option("--json", help="输出 JSON 汇总 / print JSON")
        ] = False,
    ) -> None:
        """供需精准匹配：空间需求画像与可供空间（空置厂房楼层、线内空地、改造单元）的最优指派，
        硬约束为面积区间、荷载、净高、用电、污染类别、区县与时间，附每项匹配的理由，并与先到先得
        对比 / exact assignment of space demands to the supply (vacant factory floors, vacant
        in-line land, redevelopment units) under hard constraints (area window, load, clear
        height, power, pollution class, district, timing), each match explained, beside a
        first-come greedy baseline."""
        from indspace.services import matching as svc
        from indspace.services.controlline import today
        from indspace.services.supply import check_as_of
        from indspace.store import Store

        try:
            store = Store.open(db)
            day = check_as_of(as_of) if as_of else today(store)
            dem = svc.read_demands(store, demands)
            spaces = svc.read_spaces(supply) if supply is not None else None
            result = svc.run(
                store, demands=dem, spaces=spaces, on=day, objective=objective, profile=profile
            )
            if out is not None:
                svc.write_matches(out, result.result.matches)
            if supply_out is not None:
                svc.write_spaces(supply_out, result.spaces)
            if save:
                saved = svc.save_run(store, result, objective=objective, on=day, profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(svc.summary_json(result))
            return
        s = result.summary()
        t = Table("", "最优 / optimum", "先到先得 / greedy")
        for k in ("served", "rent_yuan_month", "score"):
            t.add_row(k, str(s["objective"][k]), str(s["greedy_objective"][k]))
        Console().print(t)
        console.print(
            f"{s['objective_name']}: {s['demands']:,} 个需求 / demands, {s['spaces']:,} 个空间 / "
            f"spaces, {s['candidate_pairs']:,} 个可行配对 / feasible pairs; gap {s['gap']}, "
            f"greedy gap {s['greedy_gap']}, {s['seconds']} s"
        )
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")
        if save:
            console.print(f"已保存批次 / saved run {saved['run_id']}")
