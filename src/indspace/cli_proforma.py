"""资金平衡测算命令 / the redevelopment pro forma command (issue #18).

``indspace proforma UNIT_ID|--all --mode M|--all-modes [--run PLAN_RUN] [--out F] [--json]``
appraises units of the stored low-efficiency plan; ``indspace proforma sqft --input
parcels.csv --form F --out out.csv`` runs UrbanSim's square-foot developer model.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indspace.core.errors import IndspaceError, ValidationError

SQFT = "sqft"


def register(app: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    @app.command()
    def proforma(
        target: Annotated[
            str | None,
            typer.Argument(
                metavar="UNIT_ID|sqft",
                help="改造单元编号，或 sqft（UrbanSim 开发商模型）/ a unit id, or sqft (UrbanSim's "
                "developer model)",
            ),
        ] = None,
        all_units: Annotated[
            bool, typer.Option("--all", help="方案中的全部单元 / every unit of the plan")
        ] = False,
        mode: Annotated[
            str | None,
            typer.Option(
                "--mode",
                help="改造模式 / mode: gov_led_contiguous, enterprise_led, "
                "village_enterprise_coop, operator_led",
            ),
        ] = None,
        all_modes: Annotated[
            bool, typer.Option("--all-modes", help="四种工改工模式 / all four modes")
        ] = False,
        run: Annotated[
            str | None,
            typer.Option(
                "--run", help="低效用地方案批次（默认最新）/ plan run (default: the latest)"
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="结果 .csv / .xlsx / .json（sqft：.csv）/ result file"),
        ] = None,
        input_: Annotated[
            Path | None, typer.Option("--input", help="sqft：宗地 CSV / sqft: the parcels CSV")
        ] = None,
        form: Annotated[
            str | None,
            typer.Option(
                "--form",
                help="sqft：建筑形态（UrbanSim 名称）/ sqft: building form, as UrbanSim names it",
            ),
        ] = None,
        db: db_opt = default_db,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    ) -> None:
        """资金平衡测算：成本、收入、扶持，逐年现金流，净现值、内部收益率、回收期与各方资金平衡
        （政府、运营商、原权利人、村集体），敏感性与资金平衡最大的容积率；结果随方案批次保存 /
        redevelopment pro forma of the plan's units: yearly cash flows, NPV, IRR, payback and
        each party's balance, tornado and the balance-maximising FAR; stored with the plan run.
        `indspace proforma sqft --input parcels.csv --form F --out out.csv` runs UrbanSim's
        sqftproforma developer model."""
        try:
            if target == SQFT:
                _sqft(input_, form, out, as_json, console)
                return
            _units(target, all_units, mode, all_modes, run, out, db, as_json, console)
        except IndspaceError as e:
            fail(e, as_json)


def _sqft(
    input_: Path | None, form: str | None, out: Path | None, as_json: bool, console: Console
) -> None:
    from indspace.services.proforma import sqft

    for name, value in (("--input", input_), ("--form", form), ("--out", out)):
        if value is None:
            raise ValidationError(
                f"proforma sqft 需要 {name}",
                f"proforma sqft needs {name}",
                where=name,
                hint_zh="例：indspace proforma sqft --input "
                "parcels.csv --form office --out out.csv",
                hint_en="e.g. indspace proforma sqft --input parcels.csv "
                "--form office --out out.csv",
            )
    assert input_ is not None and form is not None and out is not None
    result = sqft(input_, form, out)
    summary = {
        "form": form,
        "parcels_built": len(result),
        "max_profit_total": float(result["max_profit"].sum()),
        "out": str(out),
    }
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    console.print(
        f"可开发宗地 / parcels with a profitable building: {len(result):,}；"
        f"结果 / result → {escape(str(out))}"
    )


def _units(
    target: str | None,
    all_units: bool,
    mode: str | None,
    all_modes: bool,
    run: str | None,
    out: Path | None,
    db: str,
    as_json: bool,
    console: Console,
) -> None:
    from indspace.services.proforma import MODE_LABELS, MODES, run_proforma, write_proforma
    from indspace.services.proforma import as_json as to_json
    from indspace.store import Store

    if (target is None) == (not all_units):
        raise ValidationError(
            "请给出一个单元编号或 --all（二者选一）",
            "give one UNIT_ID or --all (not both, not neither)",
            where="UNIT_ID|--all",
        )
    if (mode is None) == (not all_modes):
        raise ValidationError(
            "请给出 --mode 或 --all-modes（二者选一）",
            "give --mode M or --all-modes (not both, not neither)",
            where="--mode|--all-modes",
            hint_zh=f"模式：{', '.join(MODES)}",
            hint_en=f"modes: {', '.join(MODES)}",
        )
    modes = MODES if all_modes else (str(mode),)
    with console.status("测算中 / appraising …"):
        pf = run_proforma(Store.open(db), None if all_units else [str(target)], modes, run)
        if out is not None:
            write_proforma(out, pf)
    if as_json:
        data = to_json(pf, detail=not all_units)  # --all: headline rows; yearly flows in --out
        data["out"] = str(out) if out else None
        print(json.dumps(data, ensure_ascii=False))
        return
    s = pf.summary
    t = Table(
        "单元 / unit",
        "模式 / mode",
        "容积率 / FAR",
        "净现值 / NPV (万元)",
        "IRR",
        "回收期 / payback (年)",
        "政府 / gov",
        "运营商 / operator",
        "原权利人 / owners",
        "村集体 / collective",
        "最优容积率 / best FAR",
    )
    for r in s.head(40).itertuples(index=False):
        t.add_row(
            str(r.unit_id),
            f"{MODE_LABELS[r.mode]} / {r.mode}",
            f"{r.far:.2f}",
            _money(r.npv_wan),
            _pct(r.irr),
            _num(r.payback_years),
            _money(r.balance_government_wan),
            _money(r.balance_operator_wan),
            _money(r.balance_owners_wan),
            _money(r.balance_collective_wan),
            _num(r.best_far),
        )
    Console().print(t)
    if len(s) > 40:
        Console().print(f"… 共 / total {len(s):,} 行 / rows（全部见 --out / all in --out）")
    assert pf.run is not None
    console.print(f"已保存 / stored: {pf.run['run_id']}（方案 / plan {pf.lowuse_run_id}）")
    if out is not None:
        console.print(f"结果 / result → {escape(str(out))}")


def _money(v: Any) -> str:
    return "—" if v is None else f"{v:,}"


def _pct(v: float) -> str:
    return "—" if v != v else f"{v:.2%}"


def _num(v: float) -> str:
    return "—" if v != v else f"{v:.2f}"
