"""Import report: CSV with BOM for Excel, XLSX with summary and issue sheets, byte-stable."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indspace.ingest.aliases import resolve_headers
from indspace.ingest.report import HEADERS_EN, HEADERS_ZH, summarize, write_report
from indspace.ingest.validate import ValidationContext, ValidationResult, validate


def _result() -> ValidationResult:
    frame = pd.DataFrame({
        "统一社会信用代码": ["91310110666007217T", "91310110666007217Y", "914403001922038216", ""],
        "年度": ["2024", "2024", "2023", "2024"],
        "税收（单位：元）": ["123456", "abc", "=cmd|' /C calc'!A0", "5"],
        "营业收入(万元)": ["100", "1", "1", "1"],
        "备注": ["", "", "", "说明"],
    })
    res = resolve_headers("indicators", list(frame.columns))
    return validate("indicators", frame, res, np.arange(2, 6), ValidationContext(year=2024),
                    source="指标.csv")


def _summary(res: ValidationResult) -> dict[str, object]:
    return summarize(res, file="指标.csv", kind="indicators", encoding="GB18030",
                     crs=None, import_id="imp-1")


def test_csv_has_a_bom_chinese_headers_and_one_line_per_issue(tmp_path: Path) -> None:
    res = _result()
    csv_path, _ = write_report(res.issues, _summary(res), tmp_path / "out" / "report")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS_ZH
    assert rows[0][:7] == ["行号", "字段", "规则代码", "级别", "问题说明", "修改建议", "原始值"]
    assert len(rows) == 1 + len(res.issues)
    body = rows[1:]
    assert [int(r[0]) for r in body] == sorted(int(r[0]) for r in body)
    assert body[0][0] == "0" and body[0][2] == "I120"                # header issues first
    e104 = {r[0]: r for r in body if r[2] == "E104"}
    assert e104["3"][1] == "税收（tax）" and e104["3"][3] == "错误 error"
    assert e104["3"][6] == "abc"
    assert "税收（单位：元）" in e104["3"][4] and "not a valid number" in e104["3"][7]
    assert e104["3"][5].startswith("只填数字")
    assert e104["4"][6] == "'=cmd|' /C calc'!A0"     # a would-be formula is defused


def test_csv_is_byte_identical_for_the_same_input(tmp_path: Path) -> None:
    res = _result()
    a, _ = write_report(res.issues, _summary(res), tmp_path / "a" / "r")
    b, _ = write_report(res.issues.sample(frac=1.0, random_state=3), _summary(res),
                        tmp_path / "b" / "r")
    assert a.read_bytes() == b.read_bytes()


def test_empty_issues_still_write_both_files(tmp_path: Path) -> None:
    pytest.importorskip("xlsxwriter")
    empty = _result().issues.iloc[0:0]
    c, x = write_report(empty, {"file": "x.csv", "rows": 0}, tmp_path / "r")
    assert c.read_bytes() == "\ufeff".encode() + ",".join(HEADERS_ZH).encode() + b"\r\n"
    assert x.stat().st_size > 0


def test_xlsx_is_byte_identical_for_the_same_input(tmp_path: Path) -> None:
    pytest.importorskip("xlsxwriter")
    res = _result()
    _, a = write_report(res.issues, _summary(res), tmp_path / "a" / "r")
    _, b = write_report(res.issues, _summary(res), tmp_path / "b" / "r")
    assert a.read_bytes() == b.read_bytes()


def test_xlsx_has_summary_and_issue_sheets(tmp_path: Path) -> None:
    pytest.importorskip("xlsxwriter")
    openpyxl = pytest.importorskip("openpyxl")
    res = _result()
    _, path = write_report(res.issues, _summary(res), tmp_path / "r")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总 Summary", "问题清单 Issues"]
    rows = {r[0]: r for r in wb["汇总 Summary"].iter_rows(values_only=True) if r[0]}
    summary = {k: r[2] for k, r in rows.items()}
    assert summary["文件"] == "指标.csv" and summary["编码"] == "GB18030"
    counts = res.counts()
    assert summary["读取行数"] == 4 and summary["接受行数"] == counts["accepted"] == 1
    assert summary["拒绝行数"] == 3 and summary["警告数"] == counts["warnings"]
    assert rows["E104"][1:] == ("bad_number", "错误 error", 2, 2)     # counts per rule
    ws = wb["问题清单 Issues"]
    assert [c.value for c in ws[1]] == list(HEADERS_ZH)
    assert [c.value for c in ws[2]] == list(HEADERS_EN)
    assert ws.freeze_panes == "B3"
    assert ws.max_row == 2 + len(res.issues)
    assert ws.column_dimensions["E"].width > 40
    assert wb.properties.creator == "indspace"
    assert wb.properties.created.year == 2000


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    issues = _result().issues.iloc[:1].assign(value="a\x00b\x07c\td")
    c, _ = write_report(issues, {"kind": "indicators"}, tmp_path / "r")
    text = c.read_text(encoding="utf-8-sig")
    assert "abc\td" in text and "\x00" not in text
