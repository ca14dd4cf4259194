"""The enterprise table of the web (issue #16): each firm in the caller's scope with its grade
in the newest evaluation run, filtered by grade, district, industry and chain, sorted, paged —
and the same rows as an XLSX with Chinese headers (units in the header) and labels instead of
codes.

Grade classes come from the run's own policy profile (its grading table and differentiated
policies), never from literals here.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pandas as pd

from indspace.core import vocabulary as vocab
from indspace.core.access import Principal
from indspace.core.errors import ValidationError
from indspace.services.evaluation import run_profile
from indspace.services.output import excel_writer
from indspace.store import Store, runs

SYSTEM = Principal.system()

SORTABLE = (
    "credit_code",
    "name",
    "district",
    "industry_code",
    "chain",
    "scale",
    "grade",
    "score",
    "land_area_mu",
)
"""Columns the table sorts on."""

EXPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("credit_code", "统一社会信用代码", "credit code"),
    ("name", "企业名称", "name"),
    ("district_name", "所在区县", "district"),
    ("industry_code", "行业代码（GB/T 4754）", "industry code (GB/T 4754)"),
    ("chain_label", "产业链", "industry chain"),
    ("scale_label", "规模", "scale"),
    ("grade", "亩均效益等级", "grade"),
    ("score", "综合得分（分）", "score (points)"),
    ("land_area_mu", "用地面积（亩）", "land area (mu)"),
    ("status_label", "评价状态", "status"),
)
"""(column, 中文表头, English header) of the export, in order; units in the header."""


def current_run(store: Store, run_id: str | None = None) -> dict[str, Any] | None:
    """The run the table shows: ``run_id``, or the newest year's newest version that has
    not been superseded (None when the store has no run)."""
    if run_id:
        return runs.get_run(store, run_id)
    frame = runs.list_runs(store)
    if frame.empty:
        return None
    live = frame[frame["state"] != "superseded"]
    pick = (
        (live if not live.empty else frame)
        .sort_values(["year", "version", "created_at"], kind="stable")
        .iloc[-1]
    )
    return runs.get_run(store, str(pick["run_id"]))


def grade_classes(run: dict[str, Any], results: pd.DataFrame) -> list[str]:
    """The grade classes of ``run`` in its profile's order (best first, ``grading.scale``),
    then any other value the results hold (none, for a run of that profile)."""
    method = run_profile(run).evaluation_method(run["method_date"])
    out = list(method.grading.scale.codes)
    seen = sorted(str(g) for g in results["grade"].dropna().unique() if str(g) not in out)
    return out + seen


def _frame(
    store: Store, who: Principal, run: dict[str, Any] | None, lang: str
) -> tuple[pd.DataFrame, list[str]]:
    who.require_login()
    firms = store.read_frame(
        "enterprises",
        columns=["credit_code", "name", "district", "industry_code", "chain", "scale"],
    )
    firms = firms[who.mask(firms)]
    classes: list[str] = []
    if run is not None:
        res = runs.read_results(store, run["run_id"])
        classes = grade_classes(run, res)
        firms = firms.merge(
            res[["credit_code", "grade", "score", "land_area_mu", "status"]],
            on="credit_code",
            how="left",
            validate="1:1",
        )
    else:
        for c in ("grade", "score", "land_area_mu", "status"):
            firms[c] = None
    names = store.read_frame("districts", columns=["admin_code", "name", "name_en"])
    col = "name_en" if lang == "en" else "name"
    dist = dict(zip(names["admin_code"], names[col].fillna(names["name"]), strict=True))
    firms["district_name"] = firms["district"].map(dist).fillna(firms["district"])
    for src, group in (("chain", "chain"), ("scale", "scale"), ("status", "status")):
        firms[f"{src}_label"] = firms[src].map(vocab.label_map(group, lang)).fillna(firms[src])
    return firms, classes


def _filtered(
    frame: pd.DataFrame,
    who: Principal,
    *,
    grade: str | None,
    district: str | None,
    industry: str | None,
    chain: str | None,
    sort: str,
    desc: bool,
) -> pd.DataFrame:
    if district and who.role == "district_officer" and district != who.district:
        who.require_see(district, what=f"区县 {district}")
    if grade:
        frame = frame[frame["grade"] == grade]
    if district:
        frame = frame[frame["district"] == district]
    if industry:
        frame = frame[frame["industry_code"].fillna("").str.startswith(industry)]
    if chain:
        frame = frame[frame["chain"] == chain]
    if sort not in SORTABLE:
        raise ValidationError(
            f"不能按 {sort} 排序",
            f"cannot sort on {sort}",
            where="sort",
            hint_zh=f"可选：{', '.join(SORTABLE)}",
            hint_en=f"one of: {', '.join(SORTABLE)}",
        )
    keys = [sort] if sort == "credit_code" else [sort, "credit_code"]
    order = [not desc] + [True] * (len(keys) - 1)
    return frame.sort_values(keys, ascending=order, kind="stable", na_position="last")


def enterprise_table(
    store: Store,
    *,
    who: Principal = SYSTEM,
    grade: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    chain: str | None = None,
    sort: str = "credit_code",
    desc: bool = False,
    limit: int = 100,
    offset: int = 0,
    run_id: str | None = None,
    lang: str = "zh",
) -> dict[str, Any]:
    """One page of the enterprise table: ``{run_id, year, grades, total, limit, offset,
    items}``; ``grades`` are the run's classes for the grade filter."""
    run = current_run(store, run_id)
    frame, classes = _frame(store, who, run, lang)
    frame = _filtered(
        frame,
        who,
        grade=grade,
        district=district,
        industry=industry,
        chain=chain,
        sort=sort,
        desc=desc,
    )
    page = frame.iloc[offset : offset + limit]
    items = json.loads(page.to_json(orient="records", force_ascii=False))
    return {
        "run_id": run["run_id"] if run else None,
        "year": run["year"] if run else None,
        "grades": classes,
        "total": len(frame),
        "limit": limit,
        "offset": offset,
        "items": items,
    }


def enterprise_table_xlsx(
    store: Store,
    *,
    who: Principal = SYSTEM,
    grade: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    chain: str | None = None,
    sort: str = "credit_code",
    desc: bool = False,
    run_id: str | None = None,
    lang: str = "zh",
) -> bytes:
    """Every row of the filtered, sorted table (all pages) as XLSX bytes: headers in the
    chosen language with units, labels not codes, text written as text."""
    run = current_run(store, run_id)
    frame, _ = _frame(store, who, run, lang)
    frame = _filtered(
        frame,
        who,
        grade=grade,
        district=district,
        industry=industry,
        chain=chain,
        sort=sort,
        desc=desc,
    )
    i = 2 if lang == "en" else 1
    out = frame[[c[0] for c in EXPORT_COLUMNS]].copy()
    out.columns = [c[i] for c in EXPORT_COLUMNS]
    buf = io.BytesIO()
    sheet = "enterprises" if lang == "en" else "企业名录"
    with excel_writer(buf) as xw:
        xw.book.set_properties({"created": datetime(2000, 1, 1)})  # same rows, same bytes
        out.to_excel(xw, sheet_name=sheet, index=False, freeze_panes=(1, 0))
    return buf.getvalue()
