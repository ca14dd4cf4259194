"""`indspace lowuse identify` on the small demo: every planted low-efficiency parcel is found."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from indspace.store import Store
from tests.cli.conftest import run

pytestmark = pytest.mark.xdist_group("small_demo")


def planted(db: Path, kind: str) -> set[str]:
    with Store.open(db) as s:
        a = s.anomalies()
    keys = a.loc[(a["kind"] == kind) & (a["table_name"] == "parcels"), "record_key"]
    return {pid for key in keys for pid in key.split(";")}


def test_identify_finds_every_planted_parcel(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "lowuse.csv"
    s = json.loads(run("lowuse", "identify", "--year", "2025", "--db", str(small_demo),
                       "--out", str(out), "--json").stdout)
    with out.open(encoding="utf-8") as f:
        rows = {r["parcel_id"]: r for r in csv.DictReader(f)}
    assert len(rows) == s["low_efficiency"] > 0
    for kind in ("low_efficiency", "low_efficiency_cluster", "idle_land"):
        missing = planted(small_demo, kind) - set(rows)
        assert not missing, (kind, sorted(missing)[:5])
    idle = planted(small_demo, "idle_land")
    assert all("idle" in rows[p]["criteria"].split(";") for p in idle)
    first = next(iter(rows.values()))
    assert first["criteria"] and set(first["criteria"].split(";")) <= set(s["criteria"])
