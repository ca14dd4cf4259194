"""The import report: every issue of an import as CSV (UTF-8 with BOM) and XLSX.

Both files are meant for the bureau that supplied the data: Chinese first, one line per issue,
sorted by source row, with the rule code, what is wrong and how to fix it. The XLSX has a
summary sheet (汇总: file, encoding, CRS, accepted / rejected / warning counts, counts per
rule) and the issue sheet (问题清单: Chinese header row, English header row, frozen, filter).

Output is deterministic: the same issues and summary give byte-identical files (the XLSX's
document properties carry a fixed creation time, zip members a fixed time stamp).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from indspace.core.model.entities import ENTITIES
from indspace.ingest.aliases import table_for
from indspace.ingest.rules import RULES, SEVERITY_ZH

if TYPE_CHECKING:
    from indspace.ingest.validate import ValidationResult

FIXED_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""Creation time written into every XLSX report (reproducible output)."""

HEADERS_ZH = ("行号", "字段", "规则代码", "级别", "问题说明", "修改建议", "原始值",
              "问题说明（英文）", "修改建议（英文）")
HEADERS_EN = ("Row", "Field", "Rule", "Severity", "Problem", "How to fix", "Value as read",
              "Problem (English)", "How to fix (English)")
WIDTHS = (8, 22, 9, 11, 60, 44, 24, 60, 44)

SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "file": ("文件", "File"),
    "source": ("文件", "Source"),
    "sha256": ("文件校验值", "SHA-256"),
    "kind": ("数据类型", "Kind"),
    "format": ("格式", "Format"),
    "encoding": ("编码", "Encoding"),
    "encoding_assumed": ("编码为推断", "Encoding assumed"),
    "crs": ("坐标系", "CRS"),
    "crs_source": ("坐标系来源", "CRS source"),
    "year": ("年度", "Year"),
    "mode": ("导入方式", "Mode"),
    "strict": ("严格模式", "Strict"),
    "status": ("结果", "Status"),
    "rows": ("读取行数", "Rows read"),
    "rows_read": ("读取行数", "Rows read"),
    "lines": ("文件物理行数", "Physical lines"),
    "blank_lines": ("空行数", "Blank lines"),
    "rejected_lines": ("被拒记录所占行数", "Lines of rejected records"),
    "accepted": ("接受行数", "Rows accepted"),
    "rejected": ("拒绝行数", "Rows rejected"),
    "errors": ("错误数", "Errors"),
    "warnings": ("警告数", "Warnings"),
    "infos": ("提示数", "Information"),
    "import_id": ("导入编号", "Import id"),
}
"""Known summary keys in display order (others follow, sorted by key)."""

_MAX_CELL = 32_000           # Excel's cell limit is 32 767 characters
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _label(field: str, kind: str | None) -> str:
    if not field:
        return ""
    if kind is not None:
        try:
            e = ENTITIES[table_for(kind)]
        except Exception:
            return field
        if field == "geometry":
            return f"{e.geometry_label_zh}（geometry）"
        if field in e.columns:
            return f"{e.field(field).label_zh}（{field}）"
    return field


def _safe(text: Any) -> str:
    """Cell text without control characters that a spreadsheet will not run as a formula
    (CSV injection)."""
    s = _CONTROL.sub("", "" if text is None else str(text))
    if s.startswith(_FORMULA_START):
        try:
            float(s)
        except ValueError:
            return "'" + s
    return s


def _rows(issues: pd.DataFrame, kind: str | None) -> list[list[Any]]:
    order = {"error": 0, "warning": 1, "info": 2}
    df = issues.assign(_sev=issues["severity"].map(order)).sort_values(
        ["source_row", "_sev", "code", "field"], kind="stable")
    out = []
    for r in df.itertuples(index=False):
        sev = str(r.severity)
        out.append([int(r.source_row), _label(str(r.field), kind), str(r.code),
                    f"{SEVERITY_ZH.get(sev, sev)} {sev}", str(r.message_zh), str(r.hint_zh),
                    str(r.value), str(r.message_en), str(r.hint_en)])
    return out


def summarize(result: ValidationResult, **details: Any) -> dict[str, Any]:
    """Summary for :func:`write_report` from a ``ValidationResult`` and file details.

    >>> import numpy as np
    >>> from indspace.ingest.validate import ValidationResult
    >>> r = ValidationResult(pd.DataFrame({"source_row": [2]}),
    ...     pd.DataFrame({"severity": ["error", "warning"]}), rows=np.array([2, 3]))
    >>> summarize(r, file="a.csv")["rejected"]
    1
    """
    return {**details, **result.counts()}


def write_report(issues: pd.DataFrame, summary: dict[str, Any], out_base: Path
                 ) -> tuple[Path, Path]:
    """Write ``<out_base>.csv`` and ``<out_base>.xlsx``.

    Parameters
    ----------
    issues
        ``ValidationResult.issues`` (source_row, field, code, severity, message_zh,
        message_en, hint_zh, hint_en, value).
    summary
        Counts and file details (see :data:`SUMMARY_LABELS`; e.g. from :func:`summarize`).
        ``kind`` is used to show Chinese field labels.
    out_base
        Path without suffix; parent directories are created.

    Returns
    -------
    tuple[Path, Path]
        The CSV (UTF-8 with BOM, CRLF, for Excel) and the XLSX path.
    """
    out_base = Path(out_base)
    out_base.parent.mkdir(parents=True, exist_ok=True)
    kind = summary.get("kind")
    rows = _rows(issues, str(kind) if kind is not None else None)
    csv_path = out_base.with_name(out_base.name + ".csv")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADERS_ZH)
    for r in rows:
        w.writerow([r[0], *(_safe(v) for v in r[1:])])
    csv_path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    xlsx_path = out_base.with_name(out_base.name + ".xlsx")
    _write_xlsx(xlsx_path, rows, summary, issues)
    return csv_path, xlsx_path


def _summary_items(summary: dict[str, Any]) -> list[tuple[str, str, Any]]:
    keys = [k for k in SUMMARY_LABELS if k in summary]
    keys += sorted(k for k in summary if k not in SUMMARY_LABELS)
    return [(*SUMMARY_LABELS.get(k, (k, k)), summary[k]) for k in keys]


def _write_xlsx(path: Path, rows: list[list[Any]], summary: dict[str, Any],
                issues: pd.DataFrame) -> None:
    import xlsxwriter  # an optional heavy import: only when a report is written

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": "导入检查报告 / Import report", "author": "indspace",
                       "company": "indspace", "created": FIXED_TIME.replace(tzinfo=None)})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                          "text_wrap": True, "valign": "top"})
    sub = wb.add_format({"italic": True, "bg_color": "#F2F2F2", "border": 1,
                         "font_color": "#595959"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    sev_fmt = {"error": wb.add_format({"font_color": "#C00000", "bold": True, "valign": "top"}),
               "warning": wb.add_format({"font_color": "#9C5700", "valign": "top"}),
               "info": wb.add_format({"font_color": "#1F4E78", "valign": "top"})}

    ws = wb.add_worksheet("汇总 Summary")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 48)
    ws.set_column(3, 4, 12)
    ws.write_row(0, 0, ["项目", "Item", "值 Value"], bold)
    r = 1
    for zh, en, value in _summary_items(summary):
        ws.write_string(r, 0, zh)
        ws.write_string(r, 1, en)
        if isinstance(value, bool) or value is None:
            ws.write_string(r, 2, "" if value is None else str(value).lower())
        elif isinstance(value, int | float):
            ws.write_number(r, 2, value)
        else:
            ws.write_string(r, 2, _safe(value)[:_MAX_CELL])
        r += 1
    r += 1
    ws.write_row(r, 0, ["规则代码", "规则 Rule", "级别 Severity", "条数 Count", "涉及行数 Rows"],
                 bold)
    r += 1
    if len(issues):
        grouped = issues.groupby("code", sort=True)["source_row"].agg(["size", "nunique"])
        for code, g in grouped.iterrows():
            rule = RULES.get(str(code))
            ws.write_string(r, 0, str(code))
            ws.write_string(r, 1, rule.name if rule else "")
            ws.write_string(r, 2, f"{SEVERITY_ZH[rule.severity]} {rule.severity}" if rule else "")
            ws.write_number(r, 3, int(g["size"]))
            ws.write_number(r, 4, int(g["nunique"]))
            r += 1

    wi = wb.add_worksheet("问题清单 Issues")
    for c, width in enumerate(WIDTHS):
        wi.set_column(c, c, width, wrap if width >= 40 else top)
    wi.write_row(0, 0, HEADERS_ZH, bold)
    wi.write_row(1, 0, HEADERS_EN, sub)
    wi.freeze_panes(2, 1)
    for i, row in enumerate(rows, start=2):
        wi.write_number(i, 0, row[0], top)
        for c in range(1, len(row)):
            text = _safe(row[c])[:_MAX_CELL]
            fmt = sev_fmt.get(row[3].split()[-1]) if c == 3 else None
            wi.write_string(i, c, text, fmt if fmt is not None else (wrap if WIDTHS[c] >= 40
                                                                   else top))
    wi.autofilter(1, 0, max(1, len(rows) + 1), len(HEADERS_ZH) - 1)
    wb.close()
