"""报告命令 / report commands: documents people hand to a meeting (PDF, HTML, XLSX)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from indspace.core.errors import IndspaceError

YearOpt = Annotated[
    int | None,
    typer.Option("--year", help="年度（默认取 --run 的年度）/ year (default: the run's)"),
]
DistrictOpt = Annotated[
    str | None,
    typer.Option(
        "--district", help="区县代码或名称（默认全市）/ district code or name (default: the city)"
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", help="pdf | html | xlsx（默认取 --out 的扩展名）/ default: the suffix of --out"
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="输出文件 / output file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 汇总 / print a JSON summary")]


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    def _make(
        kind: str,
        out: Path,
        fmt: str | None,
        year: int | None,
        district: str | None,
        run: str | None,
        db: str,
        as_json: bool,
        as_of: str | None = None,
    ) -> None:
        from indspace.services.reports import make_report
        from indspace.store import Store

        chosen = fmt or out.suffix.lstrip(".") or "pdf"
        try:
            day = None
            if as_of is not None:
                from indspace.services.supply import check_as_of

                day = check_as_of(as_of)
            with console.status("生成报告 / building the report …"):
                summary = make_report(
                    Store.open(db),
                    kind,
                    chosen,
                    out,
                    year=year,
                    district=district,
                    run_id=run,
                    as_of=day,
                )
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        console.print(
            f"{escape(summary['title'])} → {escape(str(out))} （{summary['bytes']:,} 字节 / bytes）"
        )
        for w in summary["warnings"]:
            console.print(
                f"[yellow]提示 / note:[/] {escape(w['message_zh'])} / {escape(w['message_en'])}"
            )

    @group.command()
    def annual(
        out: OutOpt,
        year: YearOpt = None,
        district: DistrictOpt = None,
        run: Annotated[
            str | None,
            typer.Option(
                "--run",
                help="评价批次（默认该年度已公示的最新批次，否则最新批次）/ evaluation "
                "run (default: the year's newest published run, else its newest)",
            ),
        ] = None,
        fmt: FormatOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """年度亩均效益评价报告：核心指标、分类、排名、等级变化、差别化政策、图表与地图 /
        the annual per-mu report: headline figures, classes, rankings, class changes,
        differentiated policies, charts and maps."""
        _make("annual", out, fmt, year, district, run, db, as_json)

    @group.command()
    def lowuse(
        out: OutOpt,
        year: YearOpt = None,
        district: DistrictOpt = None,
        run: Annotated[
            str | None,
            typer.Option(
                "--run",
                help="低效用地改造方案批次（默认该年度最新）/ low-efficiency plan run "
                "(default: the year's newest)",
            ),
        ] = None,
        fmt: FormatOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """低效用地改造方案报告：改造单元、类型、模式、新增空间 / the low-efficiency
        redevelopment report: units, project types, modes, space gained."""
        _make("lowuse", out, fmt, year, district, run, db, as_json)

    @group.command()
    def supply(
        out: OutOpt,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="监管基准日 YYYY-MM-DD（默认部署时区的今日）/ the day to report as of "
                "(default: today in the deployment's time zone)",
            ),
        ] = None,
        district: DistrictOpt = None,
        fmt: FormatOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """土地供应与履约监管报告：合同、监管发现（按规则与状态）、闲置土地、价款征收 /
        the land-supply report: contracts, findings by rule and status, idle land,
        collections."""
        _make("supply", out, fmt, None, district, None, db, as_json, as_of)
