"""工业区块控制线命令：叠加分析 / control-line commands: the parcel overlay."""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError, ValidationError

RecordedAtOpt = Annotated[str | None, typer.Option(
    "--recorded-at", help="按库在某时所知（日期即该日结束，或 ISO 时刻）/ as the store knew it "
                          "at this time (a day: its end; or an ISO 8601 instant)")]


def recorded_moment(store: Any, text: str | None) -> datetime | None:
    """``--recorded-at`` → an instant in the store's time zone (core.clock.parse_moment)."""
    from indspace.core.clock import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text, store.tz)
    except ValueError as e:
        raise ValidationError(f"--recorded-at 无效：{text}", f"invalid --recorded-at: {text}",
                              where="--recorded-at", hint_zh="如 2026-03-01 或 "
                              "2026-03-01T09:30:00+08:00", hint_en="e.g. 2026-03-01 or "
                              "2026-03-01T09:30:00+08:00") from e


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    @group.command()
    def overlay(
        out: Annotated[Path | None, typer.Option(
            "--out", help="逐宗地结果 .csv / .xlsx / .gpkg / per-parcel result file")] = None,
        as_of: Annotated[datetime | None, typer.Option(
            "--as-of", formats=["%Y-%m-%d"],
            help="按某日（部署时区）生效的控制线，默认今天 / the line in force on this day "
                 "(deployment time zone; default today)")] = None,
        recorded_at: RecordedAtOpt = None,
        db: db_opt = default_db,
        as_json: Annotated[bool, typer.Option("--json", help="输出汇总 JSON / print the "
                                                             "summary as JSON")] = False,
    ) -> None:
        """宗地与控制线叠加：线内 / 线外 / 部分在线内及线内比例 / parcels inside, outside or
        partly inside the control line, with the inside share."""
        from indspace.services.controlline import overlay_summary, parcel_overlay, write_overlay
        from indspace.store import Store

        day: date | None = as_of.date() if as_of else None
        try:
            store = Store.open(db)
            result = parcel_overlay(store, as_of=day,
                                    recorded_at=recorded_moment(store, recorded_at))
            if out is not None:
                write_overlay(out, result)
        except IndspaceError as e:
            fail(e, as_json)
        summary = overlay_summary(result)
        counts = result["status"].value_counts().reindex(
            ["inside", "partial", "outside"], fill_value=0)
        if as_json:
            print(json.dumps({"parcels": len(result), "as_of": day.isoformat() if day else None,
                              "recorded_at": recorded_at,
                              "blocks": sorted(result["block_id"].dropna().unique().tolist()),
                              "status": {k: int(v) for k, v in counts.items()},
                              "out": str(out) if out else None,
                              "districts": json.loads(summary.to_json(orient="records"))},
                             ensure_ascii=False))
            return
        t = Table("区县 / district", "线内 / inside", "部分 / partial", "线外 / outside",
                  "线内用地 / land inside (亩)", "比例 / share")
        for r in summary.itertuples(index=False):
            t.add_row(str(r.district), f"{r.n_inside:,}", f"{r.n_partial:,}",
                      f"{r.n_outside:,}", f"{r.inside_mu:,.1f}", f"{r.inside_land_share:.1%}")
        Console().print(t)
        if out is not None:
            console.print(f"结果 / result → {escape(str(out))}")

    @group.command("check-project")
    def check_project(
        project: Annotated[Path, typer.Argument(help="项目 JSON 文件 / project JSON file")],
        as_of: Annotated[datetime | None, typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="按某日的控制线与政策 / line and rules in "
                                                  "force on this date")] = None,
        recorded_at: RecordedAtOpt = None,
        db: db_opt = default_db,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    ) -> None:
        """项目准入审查：线内/线外、零土地技改、正负面清单 / may this project go here?
        JSON: {"type": new_land|expansion|zero_land_renovation|relocation, "industry_code",
        "geometry" (GeoJSON), "crs"?, "credit_code"?, "special_case"?}"""
        from indspace.services.controlline import check_project as check
        from indspace.services.controlline import read_project_file
        from indspace.store import Store

        try:
            data = read_project_file(project)
            store = Store.open(db)
            decision = check(store, data, as_of=as_of.date() if as_of else None,
                             recorded_at=recorded_moment(store, recorded_at),
                             source=project.name)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(decision, ensure_ascii=False, sort_keys=True))
            return
        verdict = "[green]允许 / allowed[/]" if decision["allowed"] else \
            "[red]不允许 / refused[/]"
        Console().print(f"{verdict}  规则 / rule: {decision['rule']}")
        Console().print(escape(decision["reason"]))
