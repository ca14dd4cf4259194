"""indspace 命令行 / command line. Every command calls a service; nothing here touches SQL."""

from __future__ import annotations

import json
import time
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from indspace.cli_common import console, fail
from indspace.cli_land import land_typer
from indspace.cli_words import App
from indspace.core.errors import IndspaceError, ValidationError
from indspace.settings import DEFAULT_TIME_ZONE, ApiSettings, StoreSettings, deployment

app = App(
    help="产业空间治理平台 indspace — 工业用地、亩均效益与低效用地治理 / "
         "industrial-space governance platform (industrial land, per-mu evaluation, "
         "low-efficiency land).",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
)
_STORE = StoreSettings()  # type: ignore[call-arg]  # defaults come from the fields
_API = ApiSettings()  # type: ignore[call-arg]  # defaults come from the fields
_DEPLOY = deployment()   # the deployment context, read once here at the edge

DbOpt = Annotated[str, typer.Option(
    "--db", envvar="INDSPACE_DB",
    help="数据库：GeoPackage 文件路径或 postgresql+psycopg:// 地址 / "
         "store: a GeoPackage path or a postgresql+psycopg:// URL")]


class Scale(StrEnum):
    small = "small"
    city = "city"
    province = "province"


_fail = fail


def _progress(*, transient: bool = False) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,.0f}"), TimeElapsedColumn(), console=console,
                    transient=transient)


@app.command()
def init(
    db: DbOpt = _STORE.db,
    crs: Annotated[int, typer.Option(
        help="部署坐标系 EPSG 代码 / deployment CRS (EPSG code)")] = _DEPLOY.srid,
    time_zone: Annotated[str, typer.Option(
        "--time-zone", help="部署时区（IANA），某日即该时区的那一天 / deployment time zone "
                            "(IANA): a day means that day there")] = _DEPLOY.time_zone,
    overwrite: Annotated[bool, typer.Option(help="已存在时重建 / recreate if it exists")] = False,
) -> None:
    """初始化空数据库并迁移到最新结构 / create an empty store at the newest schema."""
    from indspace.store import Store

    try:
        store = Store.create(db, srid=crs, time_zone=time_zone, overwrite=overwrite)
    except IndspaceError as e:
        _fail(e)
    except (ValueError, KeyError) as e:   # zoneinfo: an unknown zone name
        _fail(ValidationError(f"未知时区：{time_zone}", f"unknown time zone: {time_zone} ({e})",
                              where="--time-zone",
                              hint_zh=f"使用 IANA 名称，如 {DEFAULT_TIME_ZONE}",
                              hint_en=f"use an IANA name such as {DEFAULT_TIME_ZONE}"))
    console.print(f"已初始化 / initialised: [bold]{store.display_name}[/] (EPSG:{store.srid}, "
                  f"schema {store.revision()})")


@app.command()
def demo(
    db: DbOpt = _STORE.db,
    scale: Annotated[Scale, typer.Option(
        help="规模：small 约 2 千家企业、city 约 3 万家、province 约 60 万家（GeoParquet）/ "
             "size: small (~2k firms), city (~30k), province (~600k, GeoParquet)")
    ] = Scale.city,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 20250429,
    parquet: Annotated[Path | None, typer.Option(
        help="写分区 GeoParquet 到此目录（province 规模默认 indspace-province/）/ write "
             "partitioned GeoParquet here (province scale default: indspace-province/)")] = None,
    serve_: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="构建后启动网页服务 / serve the UI afterwards")] = True,
    host: Annotated[str, typer.Option(help="监听地址 / host")] = _API.host,
    port: Annotated[int, typer.Option(help="端口 / port")] = _API.port,
) -> None:
    """生成演示城市（确定性）并运行现有流水线 / build the deterministic demo city and run the
    pipeline that exists so far."""
    from indspace.services.demo import build_demo_parquet, build_demo_store

    t0 = time.perf_counter()
    try:
        with _progress() as prog:
            task = prog.add_task(f"生成演示城市 / building demo ({scale.value})", total=None)

            def report(step: str, n: int) -> None:
                if step == "generate":  # generation done: now count rows as they are written
                    prog.update(task, total=n, completed=0,
                                description="写入数据库 / writing the store")
                elif step == "evaluate":
                    prog.update(task, description="亩均评价与地企双评 / evaluating")
                else:
                    prog.update(task, description=f"写入 / writing {step}", advance=n)

            to_parquet = parquet is not None or scale is Scale.province
            if to_parquet:
                out = parquet or Path("indspace-province")
                result = build_demo_parquet(out, scale=scale.value, seed=seed, overwrite=True,
                                            progress=report)
            else:
                result = build_demo_store(db, scale=scale.value, seed=seed, progress=report)
    except IndspaceError as e:
        _fail(e)
    console.print(f"演示城市 / demo city → [bold]{escape(result.target)}[/]", soft_wrap=True)
    table = Table()
    table.add_column("表 / table")
    table.add_column("记录 / rows", justify="right")
    for name, n in result.counts.items():
        table.add_row(name, f"{n:,}")
    table.add_row("demo_anomalies", f"{result.anomalies:,}")
    Console().print(table)
    if result.accounts:
        acc = Table(title="演示账户（仅限本机演示）/ demo accounts (local demo only)")
        for col in ("用户名 / user", "密码 / password", "角色 / role", "范围 / scope"):
            acc.add_column(col)
        for a in result.accounts:
            acc.add_row(a["username"], a["password"], a["role"], a["scope"])
        Console().print(acc)
    console.print(f"用时 / took {time.perf_counter() - t0:.1f} s")
    if serve_ and not to_parquet:
        serve(db=db, host=host, port=port)


@app.command()
def serve(
    db: DbOpt = _STORE.db,
    host: Annotated[str, typer.Option(help="监听地址 / host")] = _API.host,
    port: Annotated[int, typer.Option(help="端口 / port")] = _API.port,
) -> None:
    """启动网页服务与 JSON API / serve the web UI and JSON API."""
    import uvicorn

    from indspace.api.app import create_app

    try:
        application = create_app(db)
    except IndspaceError as e:
        _fail(e)
    console.print(f"服务地址 / serving on [bold]http://{host}:{port}/[/]  (Ctrl+C 退出 / to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


KIND_HELP = ("数据类型 / kind: enterprises, indicators, parcels, buildings, occupancy, "
             "control-lines, parks, designations, plans, contracts, contract-events, demands, "
             "transactions")


class ImportMode(Enum):
    """A plain Enum: a ``str`` Enum member named ``replace`` would shadow ``str.replace``."""

    upsert = "upsert"
    replace = "replace"


class ExportFormat(StrEnum):
    gpkg = "gpkg"
    geojson = "geojson"
    csv = "csv"
    xlsx = "xlsx"


def _print_import(result: Any) -> None:
    out = Console()
    colour = "green" if result.status == "committed" else "red"
    out.print(f"[bold]{escape(result.source)}[/] → {result.kind}: [{colour}]{result.status}[/]",
              soft_wrap=True)
    out.print(f"  读取 / read {result.rows_read:,} · 接受 / accepted {result.accepted:,} · "
              f"拒绝 / rejected {result.rejected:,} · 警告 / warnings {result.warnings:,}")
    out.print(f"  新增 / inserted {result.inserted:,} · 更新 / updated {result.updated:,} · "
              f"未变 / unchanged {result.unchanged:,} · 注销 / retired {result.retired:,}")
    out.print(f"  坐标系 / CRS {result.crs or '-'} ({result.crs_source or '-'}) · "
              f"编码 / encoding {result.encoding or '-'}"
              + (" (推断 / assumed)" if result.encoding_assumed else ""))
    for note in result.notes:
        out.print(f"  · {escape(note)}", soft_wrap=True)
    out.print(f"  报告 / report: {escape(str(result.report))}", soft_wrap=True)


def _say_waiting(message: str) -> None:
    console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True, highlight=False)


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    file: Annotated[Path, typer.Argument(help="文件 / file: .shp .gpkg .geojson .csv .xlsx")],
    db: DbOpt = _STORE.db,
    layer: Annotated[str | None, typer.Option(help="图层 / layer (GeoPackage)")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="文本编码（默认自动判断）/ text encoding (detected by default)")] = None,
    crs: Annotated[int | None, typer.Option(
        help="源坐标系 EPSG（默认读取或自动判断）/ source CRS EPSG (read or detected)")] = None,
    year: Annotated[int | None, typer.Option(help="指标年度 / indicator year")] = None,
    mode: Annotated[ImportMode, typer.Option(
        help="upsert：新增与更新；replace：另注销文件中没有的记录 / replace also retires "
             "records absent from the file")] = ImportMode.upsert,
    strict: Annotated[bool, typer.Option(
        help="有任何错误即整体拒绝 / reject the whole file on any error")] = False,
    report_dir: Annotated[Path | None, typer.Option(
        help="导入报告目录 / folder for import reports (default ./import-reports)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON "
                                                         "object")] = False,
) -> None:
    """导入数据文件：校验、隔离错误行、保留历史 / import a data file: validate, quarantine bad
    rows, keep history."""
    from indspace.services.importing import import_file
    from indspace.store import Store

    try:
        with _progress(transient=True) as prog:
            prog.add_task(f"导入 / importing {kind}", total=None)
            result = import_file(Store.open(db, write_wait_s=_STORE.write_wait_s), kind, file,
                                 layer=layer, encoding=encoding, crs=crs, year=year,
                                 mode=mode.value, strict=strict, report_dir=report_dir,
                                 on_wait=_say_waiting)
    except IndspaceError as e:
        _fail(e, as_json)
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True))
    else:
        _print_import(result)
    if result.status == "rejected":
        raise typer.Exit(1)


@app.command("import-bundle")
def import_bundle(
    folder: Annotated[Path, typer.Argument(help="目录，文件以类型命名（parcels.gpkg 等）/ "
                                                "folder of files named after their kind")],
    db: DbOpt = _STORE.db,
    strict: Annotated[bool, typer.Option(help="有任何错误即拒绝该文件 / reject a file on any "
                                              "error")] = False,
    report_dir: Annotated[Path | None, typer.Option(help="导入报告目录 / report folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """按依赖顺序导入目录中的全部文件 / import every file of a folder in dependency order."""
    from indspace.services.importing import import_bundle as run_bundle
    from indspace.store import Store

    try:
        results = run_bundle(Store.open(db, write_wait_s=_STORE.write_wait_s), folder,
                             strict=strict, report_dir=report_dir, on_wait=_say_waiting)
    except IndspaceError as e:
        _fail(e, as_json)
    if as_json:
        print(json.dumps([r.to_json() for r in results], ensure_ascii=False, sort_keys=True))
    else:
        for r in results:
            _print_import(r)
    if any(r.status == "rejected" for r in results):
        raise typer.Exit(1)


@app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="格式 / format")
                   ] = ExportFormat.gpkg,
    out: Annotated[Path | None, typer.Option(help="输出文件 / output file")] = None,
    db: DbOpt = _STORE.db,
) -> None:
    """按交换格式导出（可再导入）/ export in the exchange format (re-importable)."""
    from indspace.services.exporting import export_kind
    from indspace.store import Store

    target = out or Path(f"{kind}.{fmt.value}")
    try:
        path, n = export_kind(Store.open(db), kind, fmt.value, target)
    except IndspaceError as e:
        _fail(e)
    console.print(f"已导出 / exported {n:,} → {escape(str(path))}", soft_wrap=True)


@app.command()
def info(
    db: DbOpt = _STORE.db,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON "
                                                         "object")] = False,
) -> None:
    """数据库概况：记录数、坐标系、结构版本、策略配置 / counts, CRS, schema and profiles."""
    from indspace.services.info import store_info
    from indspace.store import Store

    try:
        data = store_info(Store.open(db))
    except IndspaceError as e:
        _fail(e, as_json)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, sort_keys=True))
        return
    _print_info(data)


def _print_info(data: dict[str, Any]) -> None:
    out = Console()
    out.print(f"[bold]{data['store']}[/] ({data['backend']}), 坐标系 / CRS {data['crs']}, "
              f"结构 / schema {data['schema_revision']}")
    t = Table("表 / table", "记录 / rows")
    for k, v in data["counts"].items():
        t.add_row(k, f"{v:,}")
    out.print(t)
    p = Table("策略配置 / profile", "版本 / version", "哈希 / hash")
    for k, v in data["profiles"].items():
        p.add_row(k, v["version"], v["hash"])
    out.print(p)
    if data["demo"]:
        out.print("演示 / demo: " + ", ".join(f"{k}={v}" for k, v in data["demo"].items()))


controlline_app = App(
    help="工业区块控制线：叠加、调整、占补平衡、项目审查 / industrial control lines: overlay, "
         "adjustments, balance ledger, project checks", no_args_is_help=True)
app.add_typer(controlline_app, name="controlline")
lowuse_app = App(
    help="低效用地：认定、连片单元、改造方案 / low-efficiency land: identify, units, plans",
    no_args_is_help=True)
app.add_typer(lowuse_app, name="lowuse")
land_app = land_typer()
app.add_typer(land_app, name="land")
users_app = App(help="平台账户 / platform accounts", no_args_is_help=True)
app.add_typer(users_app, name="users")
audit_app = App(help="审计日志 / the audit log", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
report_app = App(
    help="报告：年度亩均评价、低效用地改造、土地供应监管（PDF / HTML / XLSX）/ reports for "
         "meetings: the annual per-mu report, the low-efficiency redevelopment report, the "
         "land-supply report", no_args_is_help=True)
app.add_typer(report_app, name="report")
supply_app = App(
    help="土地供应与全周期监管：供地方案、合同履约监管 / land supply and lifecycle "
         "supervision: supply plans, contract monitoring", no_args_is_help=True)
app.add_typer(supply_app, name="supply")
market_app = App(
    help="二级市场监管：转让、分割销售、转租、抵押的风险扫描 / secondary-market supervision: "
         "risk scan of transfers, strata sales, subleases and mortgages", no_args_is_help=True)
app.add_typer(market_app, name="market")


def _register_subcommands() -> None:
    from indspace import (
        cli_audit,
        cli_controlline,
        cli_evaluation,
        cli_land,
        cli_lines,
        cli_lowuse,
        cli_market,
        cli_match,
        cli_pipeline,
        cli_plans,
        cli_proforma,
        cli_reports,
        cli_supply,
        cli_tiles,
        cli_users,
    )

    cli_evaluation.register(app, DbOpt, _STORE.db, _fail, console)
    cli_lines.register(controlline_app, DbOpt, _STORE.db, _fail, console)
    cli_lowuse.register(lowuse_app, DbOpt, _STORE.db, _fail, console)
    cli_proforma.register(app, DbOpt, _STORE.db, _fail, console)
    cli_land.register(land_app, _fail, console)
    cli_controlline.register(controlline_app, DbOpt, _STORE.db, _fail, console)
    cli_users.register(users_app, DbOpt, _STORE.db, _fail, console)
    cli_tiles.register(app, DbOpt, _STORE.db, _fail, console)
    cli_audit.register(audit_app, DbOpt, _STORE.db, _fail, console)
    cli_plans.register(app, _fail, console)
    cli_pipeline.register(app, _fail, console)
    cli_reports.register(report_app, DbOpt, _STORE.db, _fail, console)
    cli_supply.register(supply_app, DbOpt, _STORE.db, _fail, console)
    cli_match.register(app, DbOpt, _STORE.db, _fail, console)
    cli_market.register(market_app, DbOpt, _STORE.db, _fail, console)
    cli_market.register_clusters(app, DbOpt, _STORE.db, _fail, console)


_register_subcommands()
