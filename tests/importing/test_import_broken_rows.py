"""A 10 000-row indicators file with 5 % broken rows of ten different kinds: every valid row
lands, every broken row is quarantined with its rule code, nothing valid is lost (issue #4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indspace.services.importing import import_file
from indspace.store import Store

pytestmark = pytest.mark.xdist_group("small_demo")

# kind → (rule code, how to break a row); 50 rows each = 500 = 5 % of 10 000
BREAKS = {
    "bad_credit_code": "E102",     # check character changed
    "missing_year": "E101",        # required value empty
    "tax_not_a_number": "E104",    # "abc"
    "negative_employees": "E106",  # -5
    "tax_exceeds_revenue": "E107",
    "unknown_enterprise": "E114",  # a valid code that is not in the register
    "bad_veto_flag": "E116",       # "maybe"
    "revenue_not_a_number": "E104",
    "negative_energy": "E106",
    "duplicate_key": "E103",       # the row repeats another row's (credit_code, year)
}


def test_ten_thousand_rows_five_percent_broken(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as s:
        codes = s.read_frame("enterprises", columns=["credit_code"]).credit_code.to_numpy()
        before = s.counts()["indicators"]
    rng = np.random.default_rng(11)
    years = np.arange(2011, 2016)  # five years the store does not hold yet
    n = len(codes) * len(years)
    assert n == 10_000  # the small demo has 2 000 firms
    df = pd.DataFrame({
        "credit_code": np.repeat(codes, len(years)), "year": np.tile(years, len(codes)),
        "revenue": rng.uniform(2000, 5000, n).round(2), "tax": rng.uniform(10, 200, n).round(2),
        "value_added": rng.uniform(300, 900, n).round(2),
        "employees": rng.integers(5, 500, n).astype(str),
        "energy_tce": rng.uniform(1, 900, n).round(2),
        "electricity_kwh": rng.uniform(1e4, 1e7, n).round(0),
        "emissions": rng.uniform(0.1, 9, n).round(3), "rd_spend": rng.uniform(0, 90, n).round(2),
        "safety_veto": "否"}).astype(str)
    broken = rng.choice(n, size=500, replace=False)
    kind_of = np.repeat(list(BREAKS), 50)
    for row, kind in zip(broken, kind_of, strict=True):
        if kind == "bad_credit_code":
            c = df.at[row, "credit_code"]
            df.at[row, "credit_code"] = c[:-1] + ("0" if c[-1] != "0" else "1")
        elif kind == "missing_year":
            df.at[row, "year"] = ""
        elif kind == "tax_not_a_number":
            df.at[row, "tax"] = "abc"
        elif kind == "negative_employees":
            df.at[row, "employees"] = "-5"
        elif kind == "tax_exceeds_revenue":
            df.at[row, "tax"] = "9999"
        elif kind == "unknown_enterprise":
            df.at[row, "credit_code"] = "91310110666007217T"
        elif kind == "bad_veto_flag":
            df.at[row, "safety_veto"] = "maybe"
        elif kind == "revenue_not_a_number":
            df.at[row, "revenue"] = "12..5"
        elif kind == "negative_energy":
            df.at[row, "energy_tce"] = "-1"
    # duplicates: copy the key of the row before (a good row, not otherwise broken)
    dup_rows = broken[kind_of == "duplicate_key"]
    partners = []
    for row in dup_rows:
        partner = (row + 1) % n
        while partner in set(broken) or partner in partners:
            partner = (partner + 1) % n
        partners.append(partner)
        df.loc[row, ["credit_code", "year"]] = df.loc[partner, ["credit_code", "year"]].values
    path = tmp_path / "indicators.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig")

    with Store.open(store_path) as s:
        res = import_file(s, "indicators", path, report_dir=tmp_path)
        q = pd.read_sql_table("import_quarantine", s.engine)
        after = s.counts()["indicators"]
    # every broken row and each duplicate's partner (both copies are rejected: E103) is out
    rejected_rows = set((broken + 2).tolist()) | {p + 2 for p in partners}  # CSV line numbers
    assert res.rejected == len(rejected_rows) == 550
    assert res.accepted == n - 550
    assert after - before == res.inserted == n - 550
    errors = q[q.severity == "error"]
    assert set(errors.source_row) == rejected_rows
    for row, kind in zip(broken, kind_of, strict=True):
        codes_of_row = set(errors.loc[errors.source_row == row + 2, "code"])
        assert BREAKS[kind] in codes_of_row, (kind, row, codes_of_row)
