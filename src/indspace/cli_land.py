"""土地指标命令 / land-figure commands: ``indspace land far`` (no store needed).

``indspace land far`` is timed whole-process against single scripts (issue #13), so on its
own (``indspace land …``, see :mod:`indspace._entry`) it starts light: a plain call is parsed
by :func:`quick_far_args` without importing typer, rich or pydantic (typer builds a pydantic
validator per option: ≈ 0.2 s), and this module imports neither pandas nor the settings (the
deployment's default profile is read while the files are read). Anything else — ``--help``,
a misspelt or repeated option, a missing value — goes to the typer command, which parses the
same options and answers as every other command does.
"""

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from indspace.core.errors import IndspaceError

if TYPE_CHECKING:
    import typer
    from rich.console import Console

    from indspace.services.land import FarResult

LAND_HELP = (
    "土地指标：按图形叠加计算容积率、建筑系数 / land figures: FAR and building "
    "coefficient from geometry"
)
FAR_OPTIONS = {
    "--parcels": "parcels",
    "--buildings": "buildings",
    "--out": "out",
    "--parcels-layer": "parcels_layer",
    "--buildings-layer": "buildings_layer",
    "--crs": "crs",
    "--profile": "profile",
}
"""The options of ``land far`` that take a value → parameter name (as the typer command)."""
FAR_FLAGS = {"--json": "as_json"}
FAR_REQUIRED = ("parcels", "buildings", "out")


def land_typer() -> "typer.Typer":
    """The ``indspace land`` group (empty; :func:`register` adds the commands)."""
    from indspace.cli_words import App

    group = App(
        help=LAND_HELP, no_args_is_help=True, add_completion=False, rich_markup_mode="rich"
    )

    @group.callback()
    def land() -> None:  # a group even with one command: ``indspace land far``
        pass

    return group


def quick_far_args(args: list[str]) -> dict[str, Any] | None:
    """The parameters of a plain ``far …`` call (every required option, each option at most
    once, ``--opt value`` or ``--opt=value``), or None when typer should parse ``args``."""
    if args[:1] != ["far"]:
        return None
    found: dict[str, Any] = {}
    rest = iter(args[1:])
    for arg in rest:
        if arg in FAR_FLAGS:
            name = FAR_FLAGS[arg]
            if name in found:
                return None
            found[name] = True
            continue
        option, eq, value = arg.partition("=")
        if option not in FAR_OPTIONS or FAR_OPTIONS[option] in found:
            return None
        if not eq:
            value = next(rest, "")
        if not value or value.startswith("-"):
            return None
        found[FAR_OPTIONS[option]] = value
    if not all(name in found for name in FAR_REQUIRED):
        return None
    for name in FAR_REQUIRED:
        found[name] = Path(found[name])
    return found


def standalone(args: list[str]) -> None:
    """``indspace land …`` on its own, without the store-backed commands (``_entry``).

    The process ends with ``os._exit`` once the command has written and closed its files
    and the output is flushed: freeing the parsed geometries of a city one by one at exit
    takes ≈ 0.1 s (40 000 parcels) to 0.4 s (200 000), and there is nothing else to clean up
    (no store, no temporary files: outputs are renamed into place before this point). For
    the same reason the cyclic collector stays off in this short process: re-enabled after
    the overlay, its first collection would walk every geometry once more (≈ 0.1 s) only
    to find nothing to free.
    """
    gc.disable()
    try:
        quick = quick_far_args(args)
        if quick is not None:
            from indspace.services.land import prepare_short_process

            # this process ends after the command: with GeoPackage inputs and a CSV output,
            # pyogrio need not load pandas and GeoPandas (≈ 0.35 s)
            prepare_short_process(quick["parcels"], quick["buildings"], quick["out"])
            # the result (and the geometries it holds) stays referenced until os._exit
            result = far(**quick, fail=_fail_quick)  # noqa: F841
        else:
            from indspace.cli_common import console, fail

            group = land_typer()
            register(group, fail, console)
            group(args=args, prog_name="indspace land")
        code = 0
    except SystemExit as e:  # click ends every run with sys.exit
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail_quick(err: IndspaceError, as_json: bool = False) -> None:
    """:func:`indspace.cli_common.fail` outside typer: its exit becomes ``SystemExit``."""
    import typer

    from indspace.cli_common import fail

    try:
        fail(err, as_json)
    except typer.Exit as e:
        raise SystemExit(e.exit_code) from None


def register(group: "typer.Typer", fail: Any, console: "Console") -> None:
    import typer

    @group.command("far")
    def far_command(
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
                help="两个文件的坐标系，如 EPSG:4490（默认自动识别）/ CRS of both files, "
                "e.g. EPSG:4490 (default: detected)",
            ),
        ] = None,
        profile: Annotated[
            str | None,
            typer.Option(
                "--profile",
                help="策略配置（8 米层高规则；默认为部署的默认配置 INDSPACE_DEFAULT_PROFILE）/ "
                "policy profile (8 m storey rule; default: the deployment's default profile, "
                "INDSPACE_DEFAULT_PROFILE)",
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="输出 JSON 汇总 / print a JSON summary")
        ] = False,
    ) -> None:
        """按图形叠加计算每宗地的基底面积、建筑面积、容积率、建筑系数（无需数据库）/
        per-parcel footprint, floor area, FAR and building coefficient from the geometry
        of two files (no store needed)."""
        far(
            parcels,
            buildings,
            out,
            parcels_layer=parcels_layer,
            buildings_layer=buildings_layer,
            crs=crs,
            profile=profile,
            as_json=as_json,
            fail=fail,
        )


def far(
    parcels: Path,
    buildings: Path,
    out: Path,
    *,
    parcels_layer: str | None = None,
    buildings_layer: str | None = None,
    crs: str | None = None,
    profile: str | None = None,
    as_json: bool = False,
    fail: Any,
) -> "FarResult":
    """The body of ``indspace land far`` (the typer command and the quick path); returns
    the result, so that the caller decides when it is freed."""
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
                hint_zh="如 EPSG:4490",
                hint_en="e.g. EPSG:4490",
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
        return result
    from rich.console import Console
    from rich.table import Table

    from indspace.core.engines.land_figures import ISSUE_KINDS

    t = Table("数据质量 / data quality", "建筑 / buildings")
    for kind, n in result.counts.items():
        t.add_row(f"{ISSUE_KINDS[kind][0]} / {kind}", f"{n:,}")
    Console().print(t)
    Console().print(
        f"宗地 / parcels {result.parcels:,}，建筑 / buildings "
        f"{result.buildings:,}，{result.seconds:.2f} s"
    )
    from rich.markup import escape

    from indspace.cli_common import console

    console.print(f"结果 / result → {escape(str(out))}")
    return result
