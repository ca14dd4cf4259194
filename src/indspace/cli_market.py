"""二级市场监管与产业集群命令 / secondary-market supervision and cluster commands:
``indspace market scan`` and ``indspace clusters`` (issue #19)."""

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


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    @group.command()
    def scan(
        as_of: Annotated[
            str,
            typer.Option(
                "--as-of",
                help="监管基准日 YYYY-MM-DD（含当日及以前的交易）/ scan the "
                "transactions dated on or before this day",
            ),
        ],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="每条风险一行 .csv / .xlsx（另含关注名单与市场指标）/ one "
                "row per flag (.xlsx adds the watch list and the indicators)",
            ),
        ] = None,
        district: Annotated[
            str | None,
            typer.Option("--district", help="只看该区县（行政区划代码）/ only this district"),
        ] = None,
        profile: ProfileOpt = _PROFILE,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """二级市场监管：未付清价款或投资不足 25% 即转让、溢价过高、短期炒卖、受让方行业不符、
        超比例或过小单元分割销售、转租非工业用途、受让方无生产记录 / secondary-market scan:
        transfers before full payment or 25 % of the investment, price premiums, flips,
        buyers of a disallowed industry, strata sales beyond the share or below the minimum
        unit, subleases to non-industrial use, buyers without production."""
        from indspace.services.market import check_as_of, run_scan, scan_json, write_flags
        from indspace.store import Store

        try:
            day = check_as_of(as_of)
            result = run_scan(Store.open(db), day, profile=profile, district=district)
            if out is not None:
                write_flags(out, result)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(scan_json(result))
            return
        s = result.summary()
        t = Table("规则 / rule", "风险 / flags")
        for k, v in s["by_rule"].items():
            t.add_row(k, f"{v:,}")
        Console().print(t)
        Console().print(
            f"截至 / as of {s['as_of']}: {s['flag_count']:,} 条风险 / flags on "
            f"{s['flagged_transactions']:,} / {s['transactions']:,} 笔交易 / transactions"
        )
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")


def register_clusters(
    app: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console
) -> None:
    @app.command()
    def clusters(
        year: Annotated[int, typer.Option("--year", help="年度 / year of the figures")],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="结果文件 .xlsx（每表一页）/ .csv（园区与产业链一览，其余表"
                "另存为 <名>_<表>.csv）/ .json / the result file: .xlsx (a sheet per "
                "table), .csv (zones; the other tables beside it), .json",
            ),
        ] = None,
        profile: ProfileOpt = _PROFILE,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """产业集群与产业链：各"2070"园区与"361"产业链的企业、用地、产值、亩均、区位熵、集中度
        （HHI）、链条完整度与缺失环节、链主及其配套企业分布、补链招商目标 / clusters and chains:
        per park and chain the firms, land, output, per-mu figures, location quotients,
        concentration (HHI), completeness and missing links, chain leaders and their
        suppliers, and investment-promotion targets."""
        from indspace.services.clusters import clusters_json, run_clusters, write_clusters
        from indspace.store import Store

        try:
            result = run_clusters(Store.open(db), year, profile=profile)
            files = write_clusters(out, result) if out is not None else []
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(clusters_json(result))
            return
        s = result.summary()
        t = Table(
            "产业链 / chain",
            "企业 / firms",
            "完整度 / completeness",
            "缺失 / missing",
            "链主 / leaders",
        )
        z = result.tables["zones"]
        for r in z[z["zone_kind"] == "chain"].itertuples(index=False):
            t.add_row(
                str(r.zone),
                f"{r.firms:,}",
                f"{r.completeness:.0%}",
                str(r.missing_links),
                str(r.leaders),
            )
        Console().print(t)
        Console().print(
            f"{s['year']}: {s['parks']} 个园区 / parks, {s['chains']} 条产业链 / "
            f"chains, {s['leader_count']} 家链主 / leaders, {s['target_count']} 个招商目标 / "
            "targets"
        )
        for f in files:
            console.print(f"结果 / result → {escape(str(f))}")
