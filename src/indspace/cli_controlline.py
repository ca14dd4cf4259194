"""控制线调整与占补平衡台账命令 / control-line adjustments and the 占补平衡 ledger.

Registered on the ``controlline`` sub-app by ``indspace.cli``:
``propose``, ``review``, ``approve``, ``enforce``, ``proposals``, ``ledger``, ``constraints``.
"""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError
from indspace.settings import deployment

_PROFILE = deployment().default_profile   # the deployment context, read at the edge

JsonOpt = Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON "
                                                      "object")]
IdArg = Annotated[str, typer.Argument(help="调整方案编号 / proposal id (CL-YYYY-NNNN)")]
ActorOpt = Annotated[str, typer.Option("--actor", help="经办人 / who acts (audit log)")]
ProfileOpt = Annotated[str, typer.Option(
    "--profile", help="策略配置 id 或 YAML 文件 / policy profile id or YAML file")]
DateOpt = Annotated[datetime | None, typer.Option(
    "--date", formats=["%Y-%m-%d"], help="生效日期 / date in force (YYYY-MM-DD; default today)")]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(row, ensure_ascii=False, default=lambda v: v.isoformat()
                                 if isinstance(v, date | datetime) else str(v)))


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    def done(row: dict[str, Any], as_json: bool, what: str) -> None:
        if as_json:
            print(json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True))
            return
        console.print(f"{what}: [bold]{escape(str(row['proposal_id']))}[/] → {row['state']}",
                      soft_wrap=True)

    @group.command()
    def propose(
        proposal: Annotated[Path, typer.Argument(
            help="调整方案 JSON（district、reason、documents、out、in）或 GeoJSON 要素集合"
                 "（direction = out/in）/ proposal JSON or GeoJSON with out/in features")],
        actor: ActorOpt = "cli", profile: ProfileOpt = _PROFILE,
        db: db_opt = default_db, as_json: JsonOpt = False,
    ) -> None:
        """提交控制线调整方案（草稿），记录补划用地核查结果 / file a control-line adjustment
        (draft) and record the replacement-land checks."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            row = svc.propose(Store.open(db), svc.read_proposal_file(proposal), actor=actor,
                              profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True))
            return
        console.print(f"已提交 / proposed [bold]{escape(row['proposal_id'])}[/]：调出 / out "
                      f"{row['area_out_m2']:,.1f} m²，补划 / in {row['area_in_m2']:,.1f} m²",
                      soft_wrap=True)
        for p in row["problems"]:
            console.print(f"[yellow]核查 / check {p['code']}[/]: {escape(p['message_zh'])} / "
                          f"{escape(p['message_en'])}", soft_wrap=True)

    @group.command()
    def review(proposal_id: IdArg, actor: ActorOpt = "cli", profile: ProfileOpt = _PROFILE,
               db: db_opt = default_db, as_json: JsonOpt = False) -> None:
        """审查：补划用地核查通过后 草稿 → 已审查 / review: draft → reviewed once the
        replacement land passes its checks."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            row = svc.review(Store.open(db), proposal_id, actor=actor, profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        done(row, as_json, "已审查 / reviewed")

    @group.command()
    def reject(proposal_id: IdArg,
               note: Annotated[str, typer.Option("--note", help="驳回理由 / why")] = "",
               actor: ActorOpt = "cli", db: db_opt = default_db,
               as_json: JsonOpt = False) -> None:
        """驳回：草稿或已审查 → 已驳回（终态，不记账）/ reject: draft or reviewed →
        rejected (final; nothing is booked)."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            row = svc.reject(Store.open(db), proposal_id, actor=actor, note=note)
        except IndspaceError as e:
            fail(e, as_json)
        done(row, as_json, "已驳回 / rejected")

    @group.command()
    def withdraw(proposal_id: IdArg,
                 note: Annotated[str, typer.Option("--note", help="撤回理由 / why")] = "",
                 actor: ActorOpt = "cli", db: db_opt = default_db,
                 as_json: JsonOpt = False) -> None:
        """撤回：草稿或已审查 → 已撤回（终态，不记账）/ withdraw: draft or reviewed →
        withdrawn (final; nothing is booked)."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            row = svc.withdraw(Store.open(db), proposal_id, actor=actor, note=note)
        except IndspaceError as e:
            fail(e, as_json)
        done(row, as_json, "已撤回 / withdrawn")

    @group.command()
    def approve(proposal_id: IdArg, actor: ActorOpt = "cli", profile: ProfileOpt = _PROFILE,
                db: db_opt = default_db, as_json: JsonOpt = False) -> None:
        """批准并记入占补平衡台账（结余不得为负）/ approve and book the ledger (a district's
        balance may never go negative)."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            row = svc.approve(Store.open(db), proposal_id, actor=actor, profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        done(row, as_json, "已批准 / approved")

    @group.command()
    def enforce(proposal_id: IdArg, on: DateOpt = None, actor: ActorOpt = "cli",
                profile: ProfileOpt = _PROFILE, db: db_opt = default_db,
                as_json: JsonOpt = False) -> None:
        """生效：控制线生成新的日期版本 / put in force: the control line gets a new dated
        version (history kept)."""
        from indspace.services import controlline_ledger as svc
        from indspace.services.controlline import today
        from indspace.store import Store

        try:
            store = Store.open(db)
            day = on.date() if on else today(store)
            row = svc.enforce(store, proposal_id, on=day, actor=actor, profile=profile)
        except IndspaceError as e:
            fail(e, as_json)
        done(row, as_json, f"已生效 / in force {day.isoformat()}")

    @group.command()
    def proposals(
        state: Annotated[str | None, typer.Option(
            "--state", help="只列该状态：draft 草稿、reviewed 已审查、approved 已批准、"
                            "in_force 已生效、rejected 已驳回、withdrawn 已撤回 / only this "
                            "state: draft, reviewed, approved, in_force, rejected, "
                            "withdrawn")] = None,
        db: db_opt = default_db, as_json: JsonOpt = False,
    ) -> None:
        """列出控制线调整方案 / list control-line adjustments."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            frame = svc.proposals(Store.open(db), state)
        except IndspaceError as e:
            fail(e, as_json)
        rows = json.loads(frame.drop(columns=["fid"]).to_json(
            orient="records", date_format="iso", force_ascii=False))
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, sort_keys=True))
            return
        t = Table("方案 / proposal", "区县 / district", "状态 / state", "调出 / out (m²)",
                  "补划 / in (m²)", "理由 / reason")
        for r in rows:
            t.add_row(r["proposal_id"], r["district"], r["state"], f"{r['area_out_m2']:,.1f}",
                      f"{r['area_in_m2']:,.1f}", r["reason"])
        Console().print(t)

    @group.command()
    def ledger(
        district: Annotated[str | None, typer.Option("--district", help="区县 / district")]
        = None,
        as_of: Annotated[datetime | None, typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="截至日期 / up to this date")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="导出 .xlsx（中文表头）或 .csv / export .xlsx or .csv")] = None,
        db: db_opt = default_db, as_json: JsonOpt = False,
    ) -> None:
        """占补平衡台账：各区县调出、补划、结余（m² 与 亩）及按时间的明细 / the equal-area
        replacement ledger: out, in and balance by district (m² and 亩), and by time."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            rep = svc.ledger(Store.open(db), district, as_of.date() if as_of else None)
            if out is not None:
                svc.export_ledger(rep, out)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps({**rep.to_dict(), "out": str(out) if out else None},
                             ensure_ascii=False, sort_keys=True))
            return
        t = Table("区县 / district", "调出 / out (亩)", "应补 / owed (亩)", "补划 / in (亩)",
                  "调剂 / transfers (亩)", "结余 / balance (m²)", "结余 / balance (亩)")
        for r in rep.balances.itertuples(index=False):
            t.add_row(str(r.district), f"{r.out_mu:,.2f}", f"{r.obligation_mu:,.2f}",
                      f"{r.in_mu:,.2f}", f"{r.transfer_in_mu - r.transfer_out_mu:+,.2f}",
                      f"{r.balance_m2:,.2f}", f"{r.balance_mu:,.2f}")
        Console().print(t)
        if out is not None:
            console.print(f"台账 / ledger → {escape(str(out))}", soft_wrap=True)

    @group.command()
    def constraints(
        path: Annotated[Path, typer.Argument(
            help="管控区图层（GeoJSON/GPKG/SHP），字段 area_id、kind、name / constraint layer "
                 "with area_id, kind (ecological_red_line / permanent_basic_farmland), name")],
        replace: Annotated[bool, typer.Option("--replace", help="替换全部已有管控区 / "
                                                                "replace all")] = False,
        actor: ActorOpt = "cli", db: db_opt = default_db, as_json: JsonOpt = False,
    ) -> None:
        """载入管控区（生态保护红线、永久基本农田）/ load constraint areas (ecological red
        line, permanent basic farmland) that replacement land may not overlap."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            n = svc.load_constraint_areas(Store.open(db), path, replace=replace, actor=actor)
        except IndspaceError as e:
            fail(e, as_json)
        if as_json:
            print(json.dumps({"written": n}))
            return
        console.print(f"已载入管控区 / constraint areas written: {n}")

    @group.command()
    def reserve(db: db_opt = default_db, as_json: JsonOpt = False) -> None:
        """小微企业园预留：新增线内用地中用于小微园、调产安置的比例是否达标 / share of new
        in-line land reserved for small-firm and relocation parks, per district."""
        from indspace.services import controlline_ledger as svc
        from indspace.store import Store

        try:
            frame = svc.small_firm_reserve(Store.open(db))
        except IndspaceError as e:
            fail(e, as_json)
        rows = json.loads(frame.to_json(orient="records", force_ascii=False))
        if as_json:
            print(json.dumps(rows, ensure_ascii=False))
            return
        t = Table("区县 / district", "新增线内 / land in (m²)", "预留 / reserved (m²)",
                  "比例 / share", "要求 / required", "达标 / meets")
        for r in rows:
            t.add_row(r["district"], f"{r['area_in_m2']:,.0f}", f"{r['reserved_m2']:,.0f}",
                      f"{r['reserved_share']:.1%}" if r["reserved_share"] is not None else "—",
                      f"{r['required_share']:.0%}", "是 / yes" if r["meets"] else "否 / no")
        Console().print(t)
