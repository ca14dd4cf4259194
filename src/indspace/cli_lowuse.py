"""低效用地命令 / low-efficiency land commands."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError

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
        profile: ProfileOpt = "ningbo-demo",
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
                result = identify_parcels(Store.open(db), year, profile)
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
