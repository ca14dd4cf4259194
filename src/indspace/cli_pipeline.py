"""``indspace pipeline``: the annual run over partitioned GeoParquet, on this machine or on
a Dask cluster (issue #20)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from indspace.core.errors import IndspaceError

STEPS = {
    "read": "读取输入 / reading the input",
    "overlay": "建筑宗地叠加 / overlay",
    "evaluate": "亩均评价与地企双评 / evaluating",
    "controlline": "控制线叠加 / control line",
    "lowuse": "低效用地认定 / low-efficiency land",
    "units": "连片单元 / units",
    "supply": "合同履约监管 / contract monitoring",
    "write": "写出结果 / writing",
}


class Engine(StrEnum):
    local = "local"
    dask = "dask"


def register(app: typer.Typer, fail: Any, console: Console) -> None:
    @app.command()
    def pipeline(
        input_dir: Annotated[
            Path,
            typer.Option(
                "--input",
                help="分区 GeoParquet 目录（<表>/district=<代码>/part-0.parquet，如 "
                "demo --scale province 的输出）/ partitioned GeoParquet folder",
            ),
        ],
        year: Annotated[int, typer.Option(help="评价年度 / evaluated year")],
        out: Annotated[Path, typer.Option(help="结果目录 / output folder")],
        profile: Annotated[
            str | None,
            typer.Option(
                help="策略配置（内置 id 或 YAML 路径；默认部署的默认配置）/ "
                "policy profile (bundled id or YAML path; default: the deployment's)"
            ),
        ] = None,
        engine: Annotated[
            Engine,
            typer.Option(help="引擎：local 单机，dask 集群 / engine: local (one machine) or dask"),
        ] = Engine.dask,
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="Dask 调度器地址，如 tcp://HOST:8786（默认本机 LocalCluster）/ Dask scheduler "
                "address (default: a LocalCluster)"
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                help="LocalCluster 进程数（默认按核数，至多 2）/ LocalCluster workers (default: "
                "from the cores, at most 2)"
            ),
        ] = None,
        memory_limit: Annotated[
            str, typer.Option(help="LocalCluster 每进程内存上限 / memory limit per worker")
        ] = "3GiB",
        threads: Annotated[
            bool,
            typer.Option(
                "--threads/--processes",
                help="LocalCluster 用本进程内的线程（无进程启动与分区传送）"
                "或多进程（默认，可限内存）/ LocalCluster of threads in this process "
                "(no worker start-up, no partition moved) or of processes (default; the "
                "memory limit applies)",
            ),
        ] = False,
        method_date: Annotated[
            datetime | None,
            typer.Option(
                "--method-date",
                formats=["%Y-%m-%d"],
                help="取值日期（默认今天，部署时区）/ method date: the values in force on this "
                "day (default: today, deployment time zone)",
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="在标准输出打印摘要 JSON / print the summary as JSON")
        ] = False,
    ) -> None:
        """年度流水线：分区 GeoParquet 上的叠加、亩均评价、地企双评、差别化政策、低效用地、
        连片单元、控制线与合同监管 / the annual pipeline over partitioned GeoParquet."""
        from indspace.core.clock import today
        from indspace.services.profiles import resolve_profile
        from indspace.settings import deployment

        t0 = time.perf_counter()
        try:
            ctx = deployment()
            prof = resolve_profile(profile or ctx.default_profile)
            on = method_date.date() if method_date else today(ctx.tz)
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=as_json,
            ) as prog:
                task = prog.add_task(STEPS["read"], total=len(STEPS))
                tiles = prog.add_task(
                    "分区任务 / partition tasks", total=None, visible=engine is Engine.dask
                )

                def step(name: str) -> None:
                    prog.update(task, description=STEPS[name], completed=list(STEPS).index(name))

                def dashboard(link: str) -> None:
                    prog.console.print(f"Dask 仪表板 / dashboard: [bold]{escape(link)}[/]")

                if engine is Engine.local:
                    from indspace.services.pipeline import run_local

                    result = run_local(input_dir, year, prof, on, out, progress=step)
                else:
                    from indspace.services.pipeline_dask import run_dask

                    result = run_dask(
                        input_dir,
                        year,
                        prof,
                        on,
                        out,
                        scheduler=scheduler,
                        n_workers=workers,
                        memory_limit=memory_limit,
                        threads=threads,
                        progress=step,
                        on_dashboard=dashboard,
                        on_tasks=lambda d, n: prog.update(tiles, completed=d, total=n),
                    )
                prog.update(task, completed=len(STEPS))
        except IndspaceError as e:
            fail(e, as_json)
        seconds = time.perf_counter() - t0
        if as_json:
            print(
                json.dumps(
                    {
                        **result.summary,
                        "engine": result.engine,
                        "out": str(out),
                        "dashboard": result.dashboard,
                        "seconds": round(seconds, 1),
                    },
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
            return
        console.print(f"结果 / results → [bold]{escape(str(out))}[/] ({result.engine})")
        for name, n in result.counts.items():
            console.print(f"  {name}: {n:,}")
        s = result.summary
        console.print(
            f"等级 / grades: {s['grades']}  低效用地 / low-efficiency parcels: "
            f"{s['low_efficiency_parcels']:,}  单元 / units: {s['units']:,}"
        )
        pol = s["policies"]
        money = "—" if pol["money_yuan"] is None else f"{pol['money_yuan']:,.2f}"
        console.print(
            f"差别化政策 / policy measures: {pol['enterprises']:,} 家企业 / firms，"
            f"{money} 元/年 / yuan a year"
        )
        console.print(f"用时 / took {seconds:.1f} s")
