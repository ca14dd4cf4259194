"""``indspace supply monitor`` and ``indspace supply plan`` on the small demo city, as a user
runs them: the exact alert columns, CSV/XLSX/JSON, byte-identical reruns, bilingual errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from tests.cli.conftest import run

COLUMNS = ["contract_id", "parcel_id", "credit_code", "rule", "status", "since", "due",
           "amount_wan", "basis"]


def test_monitor_csv_xlsx_json(small_demo: Path, tmp_path: Path) -> None:
    a, b, x = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "alerts.xlsx"
    out = run("supply", "monitor", "--as-of", "2025-12-31", "--out", str(a), "--json",
              "--db", str(small_demo))
    summary = json.loads(out.stdout)
    run("supply", "monitor", "--as-of", "2025-12-31", "--out", str(b), "--db", str(small_demo))
    assert a.read_bytes() == b.read_bytes()                       # same inputs, same bytes
    with a.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == COLUMNS
    assert len(rows) - 1 == summary["findings"] == len(summary["alerts"])
    assert set(summary["by_rule"]) == {"idle_1y", "idle_2y", "stalled_1y", "late_completion",
                                       "installment_overdue", "acceptance_shortfall",
                                       "transfer_blocked", "lease_conversion_due",
                                       "renewal_window"}
    run("supply", "monitor", "--as-of", "2025-12-31", "--out", str(x), "--db", str(small_demo))
    sheet = pd.read_excel(x, dtype=str, keep_default_na=False)
    assert list(sheet.columns) == COLUMNS and len(sheet) == summary["findings"]
    # one district only
    one = json.loads(run("supply", "monitor", "--as-of", "2025-12-31", "--district", "330203",
                         "--json", "--db", str(small_demo)).stdout)
    assert 0 < one["findings"] < summary["findings"]
    assert all(r["parcel_id"].startswith("330203") for r in one["alerts"])


def test_monitor_errors_are_bilingual(small_demo: Path, tmp_path: Path) -> None:
    bad = run("supply", "monitor", "--as-of", "2025-13-01", "--db", str(small_demo),
              check=False)
    assert bad.returncode != 0
    text = bad.stdout + bad.stderr
    assert "日期无效" in text and "invalid date" in text and "--as-of" in text
    wrong = run("supply", "monitor", "--as-of", "2025-12-31", "--out", str(tmp_path / "a.txt"),
                "--db", str(small_demo), check=False)
    assert wrong.returncode != 0 and "不支持的输出格式" in wrong.stdout + wrong.stderr


def test_plan_json(small_demo: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.json"
    project.write_text(json.dumps({"mode": "grant", "term_years": 50,
                                   "investment_commitment_wan": 9000}), encoding="utf-8")
    parcel = json.loads(run("supply", "monitor", "--as-of", "2025-12-31", "--json", "--db",
                            str(small_demo)).stdout)["alerts"][0]["parcel_id"]
    r = json.loads(run("supply", "plan", parcel, "--project", str(project), "--as-of",
                       "2025-06-30", "--json", "--db", str(small_demo)).stdout)
    assert r["parcel_id"] == parcel and r["requested"]["term_allowed"] is True
    assert r["reserve_price"]["min_price_yuan_m2"] is not None
    project.write_text(json.dumps({"investment": 1}), encoding="utf-8")
    bad = run("supply", "plan", parcel, "--project", str(project), "--db", str(small_demo),
              check=False)
    assert bad.returncode != 0
    assert "未知字段" in bad.stdout + bad.stderr and "unknown key" in bad.stdout + bad.stderr
