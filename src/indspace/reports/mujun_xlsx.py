"""亩均效益综合评价 results as the Excel workbook 经信局 staff work with.

Layout
------
* ``汇总`` (first sheet): the run (评价年度, 策略配置, version, content hash, … from ``meta``),
  then per grading group the number of graded firms and of A/B/C/D (with vetoes and
  review flags) and a 合计 row, then the number of firms by 评价状态.
* one sheet per grading group (the ``group`` column of the results), in the order of the
  method's populations, named "<population label>-<rest of the group>" (≤ 31 characters,
  unique, without ``[]:*?/\\``). Rows sorted by 排名; Chinese headers; indicator columns are
  the indicators of that group's population, labelled from the method.
* ``未分组企业``: firms outside every grading group (不定等级, 并入宗地主, 不参评…), if any.

Every data sheet has a frozen, filterable header row. Formats: values 2 decimals (ratios
with unit "1" as a percentage with 2 decimals), scores ``0.00``, ranks and counts integers.

The file is byte-identical for identical inputs: the workbook's created date is
``meta["year"]``-12-31 and XlsxWriter stamps its zip members with a fixed date.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from typing import IO, Any

import pandas as pd
import xlsxwriter

from indspace.core.engines.mujun import REASON_LABELS, STATUS_LABELS
from indspace.core.policy.evaluation import EvaluationMethod, Population

SUMMARY_SHEET = "汇总"
UNGROUPED_SHEET = "未分组企业"
META_LABELS = {
    "year": "评价年度", "jurisdiction": "评价区域", "profile_id": "策略配置",
    "profile_version": "策略配置版本", "profile_hash": "策略配置内容哈希",
    "method_date": "评价办法生效日期", "source": "评价办法依据", "run_id": "评价批次",
    "inputs_hash": "输入数据哈希"}
SCALE_LABELS = {"above": "规上", "below": "规下"}
_MAX_SHEET = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 40


@dataclass(frozen=True)
class _Col:
    header: str
    key: str                      # column of the results frame
    kind: str                     # text | value | percent | score | int
    convert: Callable[[Any], Any] | None = None


def write_evaluation_xlsx(path: str | PathLike[str] | IO[bytes], results: pd.DataFrame,
                          method: EvaluationMethod, meta: Mapping[str, Any]) -> None:
    """Write the evaluation workbook; see the module docstring for the layout.

    ``results`` is :attr:`EvaluationResult.results` (extra columns such as ``name`` or
    ``policy_money_yuan`` are shown when present); ``meta`` must give ``year`` unless the
    results carry a single ``year``.
    """
    year = _year(results, meta)
    wb = xlsxwriter.Workbook(path, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False})
    wb.set_properties({
        "title": f"{year} 年度亩均效益综合评价结果", "author": "indspace",
        "comments": f"profile {meta.get('profile_id', '')} {meta.get('profile_version', '')}",
        "created": datetime(year, 12, 31)})
    fmt = _formats(wb)
    groups = _ordered_groups(results, method)
    names = _sheet_names([_group_title(g, method) for g in groups])

    _write_summary(wb.add_worksheet(SUMMARY_SHEET), fmt, results, method, meta, year,
                   dict(zip(groups, names, strict=True)))
    for group, name in zip(groups, names, strict=True):
        rows = results[results["group"].astype("string").eq(group).fillna(False)]
        rows = rows.sort_values(["rank", "credit_code"], na_position="last")
        _write_table(wb.add_worksheet(name), fmt, rows, _group_columns(rows, method))
    rest = results[results["group"].isna()] if "group" in results else results
    if len(rest):
        order = {s: i for i, s in enumerate(STATUS_LABELS)}
        rest = rest.assign(_o=rest["status"].map(order)).sort_values(["_o", "credit_code"])
        _write_table(wb.add_worksheet(UNGROUPED_SHEET), fmt, rest, _ungrouped_columns(rest))
    wb.close()


# ------------------------------------------------------------------ structure
def _year(results: pd.DataFrame, meta: Mapping[str, Any]) -> int:
    if meta.get("year") is not None:
        return int(meta["year"])
    years = results["year"].dropna().unique() if "year" in results else []
    if len(years) != 1:
        raise ValueError("meta['year'] is required when results do not carry one year")
    return int(years[0])


def _populations(method: EvaluationMethod) -> dict[str, Population]:
    return {p.name: p for p in method.populations}


def _ordered_groups(results: pd.DataFrame, method: EvaluationMethod) -> list[str]:
    if "group" not in results or results["group"].isna().all():
        return []
    rank = {name: i for i, name in enumerate(_populations(method))}
    labels = results["group"].dropna().astype(str).unique().tolist()
    return sorted(labels, key=lambda g: (rank.get(g.split("/", 1)[0], len(rank)), g))


def _group_title(group: str, method: EvaluationMethod) -> str:
    pop, _, rest = group.partition("/")
    p = _populations(method).get(pop)
    label = p.label if p is not None else pop
    return f"{label}-{rest.replace('/', '-')}" if rest else label


def _sheet_names(titles: list[str]) -> list[str]:
    """Excel-safe, unique (case-insensitively, also against the fixed sheets) names."""
    taken = {SUMMARY_SHEET.lower(), UNGROUPED_SHEET.lower(), "history"}
    out = []
    for title in titles:
        base = _FORBIDDEN.sub("_", title).strip("'") or "分组"
        name, n = base[:_MAX_SHEET], 1
        while name.lower() in taken:
            n += 1
            suffix = f"~{n}"
            name = base[:_MAX_SHEET - len(suffix)] + suffix
        taken.add(name.lower())
        out.append(name)
    return out


def _indicator_columns(method: EvaluationMethod, pop_names: list[str],
                       have: pd.Index) -> list[_Col]:
    pops = _populations(method)
    seen: dict[str, _Col] = {}
    points: dict[str, _Col] = {}
    for pop in pop_names:
        if pop not in pops:
            continue
        for ind in method.indicator_sets[pops[pop].indicator_set].indicators:
            if ind.name in seen or ind.name not in have:
                continue
            pct = ind.unit == "1"
            unit = "" if pct else f"({ind.unit})"
            seen[ind.name] = _Col(f"{ind.label}{unit}", ind.name, "percent" if pct else "value")
            if f"{ind.name}_points" in have:
                points[ind.name] = _Col(f"{ind.label}得分", f"{ind.name}_points", "score")
    return [c for name, col in seen.items() for c in (col, points.get(name)) if c is not None]


def _group_columns(rows: pd.DataFrame, method: EvaluationMethod) -> list[_Col]:
    pops = _populations(method)
    pop_label = {name: p.label for name, p in pops.items()}
    cols = [_Col("排名", "rank", "int"), _Col("统一社会信用代码", "credit_code", "text")]
    if "name" in rows:
        cols.append(_Col("企业名称", "name", "text"))
    cols += [_Col("区县", "district", "text"),
             _Col("规模", "scale", "text", lambda s: SCALE_LABELS.get(s, s)),
             _Col("评价对象类别", "population", "text", lambda s: pop_label.get(s, s)),
             _Col("用地面积(亩)", "land_area_mu", "value")]
    cols += _indicator_columns(method, rows["population"].dropna().unique().tolist(),
                               rows.columns)
    cols += [_Col("加分", "bonus_points", "score"), _Col("减分", "penalty_points", "score"),
             _Col("综合得分", "score", "score"), _Col("组内企业数", "group_size", "int"),
             _Col("等级", "grade", "text"),
             _Col("评价状态", "status", "text", lambda s: STATUS_LABELS.get(s, s)),
             _Col("说明", "reason", "text", lambda s: REASON_LABELS.get(s, s)),
             _Col("需复核", "review", "text", lambda b: "是" if b is True else "")]
    if "policy_money_yuan" in rows:
        cols.append(_Col("差别化政策金额(元/年)", "policy_money_yuan", "value"))
    return [c for c in cols if c.key in rows]


def _ungrouped_columns(rows: pd.DataFrame) -> list[_Col]:
    cols = [_Col("统一社会信用代码", "credit_code", "text")]
    if "name" in rows:
        cols.append(_Col("企业名称", "name", "text"))
    cols += [_Col("区县", "district", "text"),
             _Col("规模", "scale", "text", lambda s: SCALE_LABELS.get(s, s)),
             _Col("用地面积(亩)", "land_area_mu", "value"),
             _Col("评价状态", "status", "text", lambda s: STATUS_LABELS.get(s, s)),
             _Col("说明", "reason", "text", lambda s: REASON_LABELS.get(s, s)),
             _Col("综合得分", "score", "score"),
             _Col("等级", "grade", "text"), _Col("政策参照等级", "policy_grade", "text"),
             _Col("宗地主", "landlord", "text")]
    return [c for c in cols if c.key in rows]


# ------------------------------------------------------------------ writing
def _formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "宋体", "font_size": 10}
    return {
        "header": wb.add_format({**base, "bold": True, "text_wrap": True, "align": "center",
                                 "valign": "vcenter", "border": 1, "bg_color": "#DDEBF7"}),
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "label": wb.add_format({**base, "bold": True}),
        "text": wb.add_format(base),
        "value": wb.add_format({**base, "num_format": "#,##0.00"}),
        "percent": wb.add_format({**base, "num_format": "0.00%"}),
        "score": wb.add_format({**base, "num_format": "0.00"}),
        "int": wb.add_format({**base, "num_format": "0"}),
        "int_bold": wb.add_format({**base, "num_format": "0", "bold": True}),
    }


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(v: Any, kind: str) -> str:
    if _missing(v):
        return ""
    if kind == "value":
        return f"{float(v):,.2f}"
    if kind == "percent":
        return f"{float(v) * 100:.2f}%"
    if kind == "score":
        return f"{float(v):.2f}"
    if kind == "int":
        return str(round(float(v)))
    return str(v)


def _write_cell(ws: Any, r: int, c: int, v: Any, kind: str, fmt: dict[str, Any]) -> str:
    f = fmt[kind]
    if _missing(v):
        ws.write_blank(r, c, None, f)
        return ""
    if kind == "text":
        ws.write_string(r, c, str(v), f)
    elif kind == "int":
        ws.write_number(r, c, round(float(v)), f)
    else:
        ws.write_number(r, c, float(v), f)
    return _shown(v, kind)


def _write_table(ws: Any, fmt: dict[str, Any], rows: pd.DataFrame, cols: list[_Col]) -> None:
    widths = [_display_width(c.header) for c in cols]
    for j, col in enumerate(cols):
        ws.write_string(0, j, col.header, fmt["header"])
    for i, rec in enumerate(rows[[c.key for c in cols]].itertuples(index=False), start=1):
        for j, (col, v) in enumerate(zip(cols, rec, strict=True)):
            if col.convert is not None and not _missing(v):
                v = col.convert(v)
            widths[j] = max(widths[j], _display_width(_write_cell(ws, i, j, v, col.kind, fmt)))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(max(w, 6), _MAX_WIDTH) + 2)
    ws.freeze_panes(1, 0)
    if cols:
        ws.autofilter(0, 0, len(rows), len(cols) - 1)


def _write_summary(ws: Any, fmt: dict[str, Any], results: pd.DataFrame,
                   method: EvaluationMethod, meta: Mapping[str, Any], year: int,
                   groups: dict[str, str]) -> None:
    """``groups`` maps each grading group label to its sheet name, in sheet order."""
    ws.write_string(0, 0, f"{year} 年度亩均效益综合评价结果汇总", fmt["title"])
    r = 2
    shown_meta = {"year": year, **{k: v for k, v in meta.items() if k != "year"}}
    for key, value in shown_meta.items():
        ws.write_string(r, 0, META_LABELS.get(key, key), fmt["label"])
        ws.write_string(r, 1, "" if value is None else str(value), fmt["text"])
        r += 1

    r += 1
    scale = method.grading.scale
    header = ["评价分组", "评价对象类别", "参评企业数", *(c.label for c in scale.classes),
              "其中一票否决", "需复核企业数"]
    for j, h in enumerate(header):
        ws.write_string(r, j, h, fmt["header"])
    pops = _populations(method)
    grade = results["grade"].astype("string") if "grade" in results else None
    totals = [0] * (len(header) - 2)
    for g, sheet in groups.items():
        r += 1
        in_g = results["group"].astype("string").eq(g).fillna(False)
        pop = pops.get(g.split("/", 1)[0])
        ws.write_string(r, 0, sheet, fmt["text"])
        ws.write_string(r, 1, pop.label if pop is not None else "", fmt["text"])
        counts = [int(in_g.sum())]
        counts += [int((in_g & grade.eq(x).fillna(False)).sum()) if grade is not None else 0
                   for x in scale.codes]
        counts.append(int((in_g & results["status"].eq("vetoed")).sum()))
        counts.append(int((in_g & results["review"].eq(True)).sum())
                      if "review" in results else 0)
        for j, n in enumerate(counts):
            ws.write_number(r, 2 + j, n, fmt["int"])
            totals[j] += n
    r += 1
    ws.write_string(r, 0, "合计", fmt["label"])
    for j, n in enumerate(totals):
        ws.write_number(r, 2 + j, n, fmt["int_bold"])

    r += 2
    ws.write_string(r, 0, "评价状态", fmt["header"])
    ws.write_string(r, 1, "企业数", fmt["header"])
    for status, label in STATUS_LABELS.items():
        r += 1
        ws.write_string(r, 0, label, fmt["text"])
        ws.write_number(r, 1, int(results["status"].eq(status).sum()), fmt["int"])
    r += 1
    ws.write_string(r, 0, "合计", fmt["label"])
    ws.write_number(r, 1, len(results), fmt["int_bold"])
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 30)
    ws.set_column(2, len(header) - 1, 12)
