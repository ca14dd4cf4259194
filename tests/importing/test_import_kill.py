"""An importer killed with SIGKILL in the middle of its write leaves the store exactly as it
was, and the same import then succeeds (issue #4)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indspace.store import Store
from tests.cli.conftest import INDSPACE, run

pytestmark = pytest.mark.xdist_group("small_demo")


def _snapshot(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = ["enterprises", "indicators", "indicators_history", "import_runs",
                  "import_quarantine", "audit_log"]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def _big_indicators_file(db: Path, path: Path) -> int:
    with Store.open(db) as s:
        codes = s.read_frame("enterprises", columns=["credit_code"]).credit_code.to_numpy()
    years = np.arange(2000, 2020)  # 20 new years per firm, none in the store yet
    rng = np.random.default_rng(3)
    n = len(codes) * len(years)
    df = pd.DataFrame({
        "credit_code": np.repeat(codes, len(years)), "year": np.tile(years, len(codes)),
        "revenue": rng.uniform(1000, 5000, n).round(2), "tax": rng.uniform(10, 200, n).round(2),
        "value_added": rng.uniform(200, 900, n).round(2), "employees": rng.integers(5, 500, n),
        "energy_tce": rng.uniform(1, 900, n).round(2),
        "electricity_kwh": rng.uniform(1e4, 1e7, n).round(0),
        "emissions": rng.uniform(0.1, 9, n).round(3), "rd_spend": rng.uniform(0, 90, n).round(2)})
    df.to_csv(path, index=False)
    return n


def test_sigkill_mid_write_leaves_store_unchanged(store_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "indicators.csv"
    n = _big_indicators_file(store_path, csv)
    before = _snapshot(store_path)
    journal = Path(str(store_path) + "-journal")
    proc = subprocess.Popen([*INDSPACE, "import", "indicators", str(csv), "--db",
                             str(store_path), "--report-dir", str(tmp_path), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if journal.exists():  # SQLite opened its rollback journal: the write is under way
            time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(store_path) == before  # the hot journal is rolled back on next open
    r = run("import", "indicators", str(csv), "--db", str(store_path), "--report-dir",
            str(tmp_path), "--json")
    assert r.returncode == 0
    after = _snapshot(store_path)
    assert after["indicators"] == before["indicators"] + n
    assert after["import_runs"] == before["import_runs"] + 1
