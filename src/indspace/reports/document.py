"""A report as data (sections of tables and SVG figures) and its three renderings: HTML
(Jinja2), PDF (WeasyPrint from that HTML) and XLSX (XlsxWriter, native charts).

The services (``indspace.services.reports``) build a :class:`Report` from the store; this
module only lays it out. Every rendering is byte-identical for the same report:

* HTML: no clock, no random ids;
* PDF: WeasyPrint with fixed metadata (the created/modified dates are the report's
  ``as_of`` day) and the fonts found by fontconfig;
* XLSX: the workbook's created date is ``as_of`` and XlsxWriter stamps zip members with a
  fixed date.

Every PDF page carries, in its footer, the source data, the run id and the profile
version (``Report.footer``) and ``第 n / N 页``; page 1 is followed by a table of
contents whose entries carry page numbers (CSS ``target-counter``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import IO, Any, Literal

import pandas as pd
import xlsxwriter
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

Kind = Literal["text", "int", "num", "num1", "pct", "money"]
FORMATS = ("pdf", "html", "xlsx")
_MAX_SHEET = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: Kind = "text"


@dataclass
class Chart:
    """A native XLSX chart over a table: ``kind`` bar (horizontal) | column | line | pie,
    categories from column ``category``, one series per key of ``values``."""

    kind: Literal["bar", "column", "line", "pie"]
    category: str
    values: Sequence[str]
    title: str
    stacked: bool = False


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    sheet: str | None = None  # its own XLSX sheet (else on the section's sheet)
    chart: Chart | None = None
    pdf_rows: int | None = None  # the PDF/HTML shows at most this many rows
    note: str = ""


@dataclass
class Figure:
    title: str
    svg: str


@dataclass
class Section:
    anchor: str
    title: str
    lines: Sequence[str] = ()
    items: list[Table | Figure] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    as_of: date  # the date stamped into the files' metadata
    meta: Sequence[tuple[str, str]]  # (label, value) shown on page 1 and sheet 1
    footer: str  # every page: source, run id, profile version
    sections: list[Section]


# ------------------------------------------------------------------ formatting
def shown(v: Any, kind: Kind) -> str:
    """A cell as printed in HTML/PDF."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "—"
    if kind == "text":
        return str(v)
    f = float(v)
    if kind == "int":
        return f"{round(f):,}"
    if kind == "num1":
        return f"{f:,.1f}"
    if kind == "pct":
        return f"{f * 100:.1f}%"
    if isinstance(v, Decimal):  # exact money prints as kept, never through a float
        return f"{v:,.2f}"
    return f"{f:,.2f}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("indspace.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["shown"] = shown
    env.filters["cssstr"] = _css_string
    env.tests["figure"] = lambda item: isinstance(item, Figure)
    return env


def _template(name: str) -> str:
    return (
        resources.files("indspace.reports").joinpath("templates", name).read_text(encoding="utf-8")
    )


def _css_string(text: str) -> Markup:
    """``text`` as the inside of a double-quoted CSS string within a ``<style>`` element:
    backslash, quote, newline and ``<`` escaped as CSS hex escapes."""
    out = []
    for ch in str(text):
        if ch in '\\"<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup("".join(out))


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG)."""
    css = _template("report.css")
    return _env().get_template("report.html.j2").render(report=report, css=css, records=_records)


def _records(table: Table, limit: int | None) -> list[list[str]]:
    rows = table.rows if limit is None else table.rows.head(limit)
    keys = [c.key for c in table.columns]
    return [
        [shown(v, c.kind) for v, c in zip(rec, table.columns, strict=True)]
        for rec in rows[keys].itertuples(index=False)
    ]


# ------------------------------------------------------------------ fonts
CJK_FONT_HINT_ZH = "安装 Noto CJK 字体：sudo apt-get install fonts-noto-cjk"
CJK_FONT_HINT_EN = "install the Noto CJK fonts: sudo apt-get install fonts-noto-cjk"


@lru_cache(maxsize=1)
def cjk_fonts() -> tuple[str, ...]:
    """The Noto CJK font families fontconfig knows (empty without them or fontconfig)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return ()
    out = subprocess.run(
        [exe, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    fams = {f.strip() for line in out.splitlines() for f in line.split(",")}
    return tuple(sorted(f for f in fams if "Noto" in f and "CJK" in f))


# ------------------------------------------------------------------ PDF
def write_pdf(report: Report, target: str | PathLike[str] | IO[bytes]) -> None:
    """The HTML rendering typeset by WeasyPrint (fonts: Noto CJK via fontconfig)."""
    from weasyprint import HTML

    html = render_html(report)
    stamp = datetime(report.as_of.year, report.as_of.month, report.as_of.day).isoformat() + "Z"
    doc = HTML(string=html, base_url=".").render()
    doc.metadata.created = stamp
    doc.metadata.modified = stamp
    doc.metadata.generator = "indspace"
    doc.write_pdf(target, uncompressed_pdf=False)


def write_html(report: Report, target: Path) -> None:
    target.write_text(render_html(report), encoding="utf-8")


# ------------------------------------------------------------------ XLSX
def _sheet_name(title: str, taken: set[str]) -> str:
    base = _FORBIDDEN.sub("_", title).strip("'") or "表"
    name, n = base[:_MAX_SHEET], 1
    while name.lower() in taken:
        n += 1
        suffix = f"~{n}"
        name = base[: _MAX_SHEET - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _xformats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "宋体", "font_size": 10}
    return {
        "header": wb.add_format(
            {
                **base,
                "bold": True,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "bg_color": "#DDEBF7",
            }
        ),
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "subtitle": wb.add_format({**base, "bold": True, "font_size": 11}),
        "label": wb.add_format({**base, "bold": True}),
        "text": wb.add_format(base),
        "int": wb.add_format({**base, "num_format": "#,##0"}),
        "num": wb.add_format({**base, "num_format": "#,##0.00"}),
        "num1": wb.add_format({**base, "num_format": "#,##0.0"}),
        "money": wb.add_format({**base, "num_format": "#,##0.00"}),
        "pct": wb.add_format({**base, "num_format": "0.0%"}),
    }


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_rows(ws: Any, fmt: dict[str, Any], table: Table, r0: int, widths: dict[int, int]) -> int:
    """The table's header at row ``r0`` and its rows below; returns the last row."""
    for j, col in enumerate(table.columns):
        ws.write_string(r0, j, col.header, fmt["header"])
        widths[j] = max(widths.get(j, 6), _width(col.header))
    keys = [c.key for c in table.columns]
    for i, rec in enumerate(table.rows[keys].itertuples(index=False), start=r0 + 1):
        for j, (col, v) in enumerate(zip(table.columns, rec, strict=True)):
            missing = v is None or v is pd.NA or (isinstance(v, float) and v != v)
            if missing:
                ws.write_blank(i, j, None, fmt["text"])
            elif col.kind == "text":
                ws.write_string(i, j, str(v), fmt["text"])
                widths[j] = max(widths[j], _width(str(v)))
            else:
                ws.write_number(i, j, float(v), fmt[col.kind])
                widths[j] = max(widths[j], len(shown(v, col.kind)))
    return r0 + len(table.rows)


def _add_chart(
    wb: xlsxwriter.Workbook, ws: Any, sheet: str, table: Table, r0: int, r1: int, anchor: str
) -> None:
    spec = table.chart
    if spec is None or r1 <= r0:
        return
    sub = "stacked" if spec.stacked else None
    chart = wb.add_chart({"type": spec.kind, **({"subtype": sub} if sub else {})})
    keys = [c.key for c in table.columns]
    cat = keys.index(spec.category)
    for key in spec.values:
        j = keys.index(key)
        chart.add_series(
            {
                "name": [sheet, r0, j],
                "categories": [sheet, r0 + 1, cat, r1, cat],
                "values": [sheet, r0 + 1, j, r1, j],
                **({"data_labels": {"percentage": True}} if spec.kind == "pie" else {}),
            }
        )
    chart.set_title({"name": spec.title, "name_font": {"name": "宋体", "size": 11}})
    if spec.kind == "bar":
        chart.set_y_axis({"reverse": True})
    if spec.kind != "pie" and len(spec.values) == 1:
        chart.set_legend({"none": True})
    n = r1 - r0
    chart.set_size(
        {"width": 640, "height": max(300, min(18 * n + 120, 900)) if spec.kind == "bar" else 320}
    )
    ws.insert_chart(anchor, chart)


def write_xlsx(report: Report, target: str | PathLike[str] | IO[bytes]) -> None:
    """``概况`` (meta and every small table, one under the other, with their charts), then
    one sheet per table that asks for its own (``Table.sheet``): frozen header, filter."""
    wb = xlsxwriter.Workbook(
        target,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": report.title,
            "subject": report.subtitle,
            "author": "indspace",
            "comments": report.footer,
            "created": datetime(report.as_of.year, report.as_of.month, report.as_of.day),
        }
    )
    fmt = _xformats(wb)
    taken: set[str] = set()
    main_name = _sheet_name("概况", taken)
    ws = wb.add_worksheet(main_name)
    ws.write_string(0, 0, report.title, fmt["title"])
    ws.write_string(1, 0, report.subtitle, fmt["text"])
    r = 3
    for label, value in report.meta:
        ws.write_string(r, 0, label, fmt["label"])
        ws.write_string(r, 1, value, fmt["text"])
        r += 1
    ws.write_string(r, 0, "来源 / source", fmt["label"])
    ws.write_string(r, 1, report.footer, fmt["text"])
    r += 2
    widths: dict[int, int] = {0: 16, 1: 16}
    own: list[Table] = []
    for section in report.sections:
        for item in section.items:
            if not isinstance(item, Table):
                continue
            if item.sheet:
                own.append(item)
                continue
            ws.write_string(r, 0, f"{section.title} — {item.title}", fmt["subtitle"])
            r0 = r + 1
            r1 = _write_rows(ws, fmt, item, r0, widths)
            if item.chart is not None:
                anchor_col = len(item.columns) + 1
                _add_chart(
                    wb,
                    ws,
                    main_name,
                    item,
                    r0,
                    r1,
                    xlsxwriter.utility.xl_rowcol_to_cell(r0, anchor_col),
                )
                r1 = max(
                    r1,
                    r0
                    + (
                        max(300, min(18 * (r1 - r0) + 120, 900))
                        if item.chart.kind == "bar"
                        else 320
                    )
                    // 20
                    + 1,
                )
            r = r1 + 2
    for j, w in widths.items():
        ws.set_column(j, j, min(w, 40) + 2)
    for table in own:
        name = _sheet_name(str(table.sheet), taken)
        sh = wb.add_worksheet(name)
        w2: dict[int, int] = {}
        r1 = _write_rows(sh, fmt, table, 0, w2)
        for j, w in w2.items():
            sh.set_column(j, j, min(w, 40) + 2)
        sh.freeze_panes(1, 0)
        if table.columns:
            sh.autofilter(0, 0, max(r1, 0), len(table.columns) - 1)
        if table.chart is not None:
            _add_chart(
                wb,
                sh,
                name,
                table,
                0,
                r1,
                xlsxwriter.utility.xl_rowcol_to_cell(1, len(table.columns) + 1),
            )
    ws.freeze_panes(3, 0)
    wb.close()


def render(report: Report, fmt: str, target: Path) -> None:
    """Write ``report`` as ``fmt`` (pdf | html | xlsx) to ``target``."""
    if fmt == "pdf":
        write_pdf(report, str(target))
    elif fmt == "html":
        write_html(report, target)
    elif fmt == "xlsx":
        write_xlsx(report, str(target))
    else:  # the service checks first
        raise ValueError(f"unknown report format {fmt}")
