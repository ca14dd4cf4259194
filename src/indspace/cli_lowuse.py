"""低效用地命令 / low-efficiency land commands."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.cli_evaluation import MethodDateOpt, RunOpt, day_of
from indspace.core.errors import IndspaceError
from indspace.settings import deployment

_PROFILE = deployment().default_profile   # the deployment context, read at the edge

YearOpt = Annotated[int, typer.Option("--year", help="年度 / year")]
ProfileOpt = Annotated[str, typer.Option("--profile", help="策略配置 / policy profile")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 汇总 / print a JSON summary")]


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    @group.command()
    def identify(
        year: YearOpt,
        out: Annotated[Path | None, typer.Option(
            "--out", help="每宗低效用地一行 .csv / .xlsx / one row per low-efficiency parcel")
        ] = None,
        profile: ProfileOpt = _PROFILE,
        method_date: MethodDateOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """认定低效用地：逐宗地列出满足的指标及数值 / identify low-efficiency parcels and the
        criteria each meets, with the numbers."""
        from indspace.core.engines.lowuse import CRITERIA, CRITERION_LABELS
        from indspace.services.lowuse import identify_parcels, write_lowuse
        from indspace.store import Store

        try:
            with console.status("认定中 / identifying …"):
                result = identify_parcels(Store.open(db), year, profile,
                                          method_on=day_of(method_date))
            if out is not None:
                write_lowuse(out, result)
        except IndspaceError as e:
            fail(e, as_json)
        low = result[result["low_efficiency"]]
        counts = {c: int(result[c].sum()) for c in CRITERIA}
        summary: dict[str, Any] = {"year": year, "parcels": len(result), "low_efficiency": len(low),
                   "area_mu": round(float(low["area_m2"].sum()) * 3 / 2000, 3),
                   "criteria": counts,
                   "out": str(out) if out else None}
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        t = Table("指标 / criterion", "宗地 / parcels")
        for c in CRITERIA:
            t.add_row(f"{CRITERION_LABELS[c]} / {c}", f"{counts[c]:,}")
        Console().print(t)
        Console().print(f"低效用地 / low-efficiency: {len(low):,} 宗 / parcels, "
                        f"{summary['area_mu']:,.1f} 亩")
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")

    @group.command()
    def units(
        year: YearOpt,
        gap: Annotated[float | None, typer.Option(
            "--gap", help="连片间距（米），默认取配置 / gap in metres (default: profile)")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="每个单元一行 .csv / .xlsx / one row per unit")] = None,
        profile: ProfileOpt = _PROFILE,
        method_date: MethodDateOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """低效用地连片改造单元：面积、权利人、容积率、潜在新增建筑面积 / contiguous
        redevelopment units of low-efficiency parcels with area, owners, FAR and the floor
        area gained at the target FAR."""
        from indspace.services.lowuse import delineate_units, write_units
        from indspace.store import Store

        try:
            with console.status("划定单元 / delineating units …"):
                _, table = delineate_units(Store.open(db), year, gap_m=gap, profile=profile,
                                           method_on=day_of(method_date))
            if out is not None:
                write_units(out, table)
        except IndspaceError as e:
            fail(e, as_json)
        summary: dict[str, Any] = {
            "year": year, "units": len(table),
            "multi_parcel_units": int((table["parcel_count"] > 1).sum()),
            "parcels": int(table["parcel_count"].sum()),
            "area_mu": round(float(table["area_mu"].sum()), 3),
            "potential_gfa_m2": round(float(table["potential_gfa_m2"].sum()), 1),
            "out": str(out) if out else None}
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        biggest = table.sort_values("area_m2", ascending=False).head(10)
        t = Table("单元 / unit", "宗地 / parcels", "面积 / 亩", "容积率 / FAR",
                  "潜在新增建筑面积 / potential GFA (m²)")
        for r in biggest.itertuples(index=False):
            t.add_row(str(r.unit_id), str(r.parcel_count), f"{r.area_mu:,.1f}",
                      f"{r.far:.2f}", f"{r.potential_gfa_m2:,.0f}")
        Console().print(t)
        Console().print(f"单元 / units {summary['units']:,}（多宗连片 / multi-parcel "
                        f"{summary['multi_parcel_units']:,}），{summary['area_mu']:,.1f} 亩，"
                        f"潜在新增 / potential {summary['potential_gfa_m2']:,.0f} m²")
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")

    @group.command()
    def plan(
        year: Annotated[int | None, typer.Option(
            "--year", help="年度（或用 --run）/ year (or --run)")] = None,
        gap: Annotated[float | None, typer.Option(
            "--gap", help="连片间距（米），默认取配置 / gap in metres (default: profile)")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="方案 .xlsx（4 张表）/ .gpkg（单元与宗地图层）/ plan file")] = None,
        profile: ProfileOpt = _PROFILE,
        run: RunOpt = None,
        method_date: MethodDateOpt = None,
        db: db_opt = default_db,
        as_json: JsonOpt = False,
    ) -> None:
        """改造方案：单元的项目类型（改造提升/更新转型/腾挪流转）与推荐模式、线外企业分类、
        空间台账，保存为一个批次 / the redevelopment plan: project type and mode per unit,
        outside-line firm classes, the space ledger, stored as a run."""
        from indspace.services.lowuse import plan as make_plan
        from indspace.services.lowuse import write_plan
        from indspace.store import Store

        try:
            store = Store.open(db)
            with console.status("编制方案 / planning …"):
                result = make_plan(store, year, gap_m=gap, profile=profile,
                                   method_on=day_of(method_date), evaluation_run_id=run)
            if out is not None:
                write_plan(out, result, store)
        except IndspaceError as e:
            fail(e, as_json)
        summary = {"run_id": result.run["run_id"], **json.loads(result.run["summary_json"]),
                   "out": str(out) if out else None}
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        t = Table("区县 / district", "低效宗地 / parcels", "低效用地 / 亩", "单元 / units",
                  "潜在新增建筑面积 / potential GFA (m²)")
        for r in result.ledger.itertuples(index=False):
            t.add_row(str(r.district), f"{r.low_efficiency_parcels:,}",
                      f"{r.low_efficiency_mu:,.1f}", f"{r.units:,}",
                      f"{r.potential_gfa_m2:,.0f}")
        Console().print(t)
        Console().print("项目类型 / project types: " + ", ".join(
            f"{k} {v:,}" for k, v in summary["project_types"].items()))
        Console().print("推荐模式 / modes: " + ", ".join(
            f"{k} {v:,}" for k, v in summary["modes"].items()))
        Console().print("线外企业 / outside-line firms: " + ", ".join(
            f"{k} {v:,}" for k, v in summary["outside_firms"].items()))
        console.print(f"批次 / run {escape(summary['run_id'])}"
                      + (f" → {escape(str(out))}" if out else ""))
