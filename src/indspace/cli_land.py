"""土地指标命令 / land-figure commands: ``indspace land far`` (no store needed)."""

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError

LAND_HELP = (
    "土地指标：按图形叠加计算容积率、建筑系数 / land figures: FAR and building "
    "coefficient from geometry"
)


def land_typer() -> typer.Typer:
    """The ``indspace land`` group (empty; :func:`register` adds the commands)."""
    group = typer.Typer(
        help=LAND_HELP, no_args_is_help=True, add_completion=False, rich_markup_mode="rich"
    )

    @group.callback()
    def land() -> None:  # a group even with one command: ``indspace land far``
        pass

    return group


def standalone(args: list[str]) -> None:
    """``indspace land …`` on its own, without the store-backed commands (``_entry``)."""
    from indspace.cli_common import console, fail

    group = land_typer()
    register(group, fail, console)
    group(args=args, prog_name="indspace land")


def register(group: typer.Typer, fail: Any, console: Console) -> None:
    @group.command()
    def far(
        parcels: Annotated[
            Path,
            typer.Option("--parcels", help="宗地文件 (.gpkg/.shp/.zip/.geojson) / parcels file"),
        ],
        buildings: Annotated[
            Path,
            typer.Option(
                "--buildings", help="建筑文件 (.gpkg/.shp/.zip/.geojson) / buildings file"
            ),
        ],
        out: Annotated[
            Path,
            typer.Option(
                "--out", help="结果 .csv / .xlsx / .gpkg，每宗地一行 / result, one row per parcel"
            ),
        ],
        parcels_layer: Annotated[
            str | None,
            typer.Option(
                "--parcels-layer",
                help="宗地图层（同一 GeoPackage 时默认 parcels）/ parcels "
                "layer (default parcels when both name one GeoPackage)",
            ),
        ] = None,
        buildings_layer: Annotated[
            str | None,
            typer.Option(
                "--buildings-layer",
                help="建筑图层（同一 GeoPackage 时默认 buildings）/ buildings layer",
            ),
        ] = None,
        crs: Annotated[
            str | None,
            typer.Option(
                "--crs",
                help="两个文件的坐标系，如 EPSG:4549（默认自动识别）/ CRS of both files, "
                "e.g. EPSG:4549 (default: detected)",
            ),
        ] = None,
        profile: Annotated[
            str,
            typer.Option(
                "--profile", help="策略配置（8 米层高规则）/ policy profile (8 m storey rule)"
            ),
        ] = "ningbo-demo",
        as_json: Annotated[
            bool, typer.Option("--json", help="输出 JSON 汇总 / print a JSON summary")
        ] = False,
    ) -> None:
        """按图形叠加计算每宗地的基底面积、建筑面积、容积率、建筑系数（无需数据库）/
        per-parcel footprint, floor area, FAR and building coefficient from the geometry
        of two files (no store needed)."""
        started = time.perf_counter()
        from indspace.services.land import land_far

        try:
            epsg = None if crs is None else int(crs.upper().removeprefix("EPSG:"))
        except ValueError:
            from indspace.core.errors import ValidationError

            fail(
                ValidationError(
                    f"无法识别的坐标系：{crs}",
                    f"unrecognised CRS: {crs}",
                    where="--crs",
                    hint_zh="如 EPSG:4549",
                    hint_en="e.g. EPSG:4549",
                ),
                as_json,
            )
        try:
            result = land_far(
                parcels,
                buildings,
                out,
                parcels_layer=parcels_layer,
                buildings_layer=buildings_layer,
                crs=epsg,
                profile=profile,
                threads=min(2, os.cpu_count() or 1),
                started=started,
            )
        except IndspaceError as e:
            fail(e, as_json)
        summary = result.summary()
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        from indspace.core.engines.land_figures import ISSUE_KINDS

        t = Table("数据质量 / data quality", "建筑 / buildings")
        for kind, n in result.counts.items():
            t.add_row(f"{ISSUE_KINDS[kind][0]} / {kind}", f"{n:,}")
        Console().print(t)
        Console().print(
            f"宗地 / parcels {result.parcels:,}，建筑 / buildings "
            f"{result.buildings:,}，{result.seconds:.2f} s"
        )
        console.print(f"结果 / result → {escape(str(out))}")
