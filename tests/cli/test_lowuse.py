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


def test_planted_clusters_come_out_as_units(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "units.csv"
    s = json.loads(run("lowuse", "units", "--year", "2025", "--gap", "5", "--db",
                       str(small_demo), "--out", str(out), "--json").stdout)
    with out.open(encoding="utf-8") as f:
        units = list(csv.DictReader(f))
    assert len(units) == s["units"] > 0
    assert list(units[0])[:4] == ["unit_id", "parcel_count", "area_m2", "area_mu"]
    unit_of = {pid: u["unit_id"] for u in units for pid in u["parcel_ids"].split(";")}
    for u in units:
        ids = u["parcel_ids"].split(";")
        assert ids == sorted(ids) and int(u["parcel_count"]) == len(ids)
    with Store.open(small_demo) as st:
        a = st.anomalies()
    clusters = a.loc[a["kind"] == "low_efficiency_cluster", "record_key"]
    assert len(clusters) > 0
    for key in clusters:                       # every planted cluster sits in one unit
        assert len({unit_of[pid] for pid in key.split(";")}) == 1, key


def test_plan_stores_a_run_and_exports_layers(small_demo: Path, tmp_path: Path,
                                              gdal_bin: str) -> None:
    import shutil
    import subprocess

    db = tmp_path / "demo.gpkg"
    shutil.copy(small_demo, db)
    out = tmp_path / "plan.gpkg"
    s = json.loads(run("lowuse", "plan", "--year", "2025", "--db", str(db), "--out", str(out),
                       "--json").stdout)
    assert s["run_id"] == "lowuse-2025-v2"            # the demo pipeline stored v1
    assert sum(s["project_types"].values()) == sum(s["modes"].values()) == s["units"] > 0
    assert set(s["project_types"]) <= {"upgrade_in_place", "renewal_transformation",
                                       "relocation_transfer"}
    assert set(s["outside_firms"]) <= {"retain", "relocate", "exit"}
    city = s["ledger_city"][0]
    assert city["district"] == "全市" and city["units"] == s["units"]
    layers = subprocess.run([gdal_bin, "-so", str(out)], capture_output=True, text=True,
                            check=True).stdout
    for layer in ("lowuse_parcels", "lowuse_units", "outside_line_firms", "space_ledger"):
        assert layer in layers
    units = subprocess.run([gdal_bin, "-so", str(out), "lowuse_units"], capture_output=True,
                           text=True, check=True).stdout
    assert f"Feature Count: {s['units']}" in units and "mode_reasons" in units
    with Store.open(db) as st:
        from indspace.store.lowuse_runs import list_lowuse_runs, read_lowuse_units

        assert list(list_lowuse_runs(st)["run_id"]) == ["lowuse-2025-v1", "lowuse-2025-v2"]
        stored = read_lowuse_units(st, "lowuse-2025-v2")
        assert len(stored) == s["units"] and stored["detail"].iloc[0]["mode_reasons"]
