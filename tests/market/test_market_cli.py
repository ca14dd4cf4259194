"""``indspace market scan`` and ``indspace clusters`` as a user runs them on the small demo
(issue #19): files written, byte-identical on a second run, JSON summaries, bilingual errors,
Chinese-first help."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run


def test_market_scan_files_json_and_errors(small_demo: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        run("market", "scan", "--as-of", "2025-12-31", "--out", str(out), "--db", str(small_demo))
    assert a.read_bytes() == b.read_bytes()  # same inputs → byte-identical
    header = a.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == (
        "transaction_id,kind,parcel_id,district,date,buyer_credit_code,rule,"
        "risk_score,reason,source"
    )
    js = json.loads(
        run("market", "scan", "--as-of", "2025-12-31", "--json", "--db", str(small_demo)).stdout
    )
    assert (
        js["flags"]
        and js["flag_count"]
        == len(js["flags"])
        == len(a.read_text(encoding="utf-8-sig").splitlines()) - 1
    )
    xlsx = tmp_path / "flags.xlsx"
    run("market", "scan", "--as-of", "2025-12-31", "--out", str(xlsx), "--db", str(small_demo))
    assert xlsx.stat().st_size > 0
    bad = run("market", "scan", "--as-of", "2025-13-01", "--db", str(small_demo), check=False)
    assert bad.returncode != 0
    assert "日期无效" in bad.stderr + bad.stdout and "invalid date" in bad.stderr + bad.stdout
    help_text = run("market", "scan", "--help").stdout
    assert help_text.index("二级市场监管") < help_text.index("secondary-market")


def test_clusters_files(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "clusters.csv"
    run("clusters", "--year", "2025", "--out", str(out), "--db", str(small_demo))
    for name in (
        "clusters.csv",
        "clusters_lq.csv",
        "clusters_links.csv",
        "clusters_leaders.csv",
        "clusters_targets.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0
    first = out.read_bytes()
    run("clusters", "--year", "2025", "--out", str(out), "--db", str(small_demo))
    assert out.read_bytes() == first
    js = json.loads(run("clusters", "--year", "2025", "--json", "--db", str(small_demo)).stdout)
    assert js["chains"] == 10 and js["parks"] > 0 and js["leader_count"] == len(js["leaders"]) > 0
    bad = run("clusters", "--year", "1990", "--db", str(small_demo), check=False)
    assert bad.returncode != 0 and "no indicators for 1990" in bad.stderr + bad.stdout
