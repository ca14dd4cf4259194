"""`indspace controlline overlay` on the small demo city."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.conftest import info_json, run

pytestmark = pytest.mark.xdist_group("small_demo")


def test_overlay_writes_one_row_per_parcel(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "overlay.csv"
    summary = json.loads(run("controlline", "overlay", "--db", str(small_demo), "--out",
                             str(out), "--json").stdout)
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == info_json(small_demo)["counts"]["parcels"] == summary["parcels"]
    assert list(rows[0])[:6] == ["parcel_id", "district", "area_m2", "inside_m2",
                                 "inside_share", "status"]
    assert {r["status"] for r in rows} <= {"inside", "outside", "partial"}
    assert all(0.0 <= float(r["inside_share"]) <= 1.0 for r in rows)
    assert sum(r["status"] == "inside" for r in rows) == summary["status"]["inside"] > 0
    # the demo plants parcels outside the line (outside_line_d): they are found outside
    anomalies = {r["parcel_id"]: r["status"] for r in rows}
    assert summary["status"]["outside"] > 0 and "outside" in anomalies.values()


def test_overlay_as_of_a_date_before_the_line_and_xlsx(small_demo: Path,
                                                       tmp_path: Path) -> None:
    early = json.loads(run("controlline", "overlay", "--db", str(small_demo), "--as-of",
                           "2020-01-01", "--json").stdout)
    assert early["status"]["inside"] == 0                     # no line recorded yet
    xlsx = tmp_path / "o.xlsx"
    run("controlline", "overlay", "--db", str(small_demo), "--out", str(xlsx))
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["宗地", "按区县", "按园区"]
    assert next(wb["宗地"].iter_rows(values_only=True))[0] == "宗地代码"
