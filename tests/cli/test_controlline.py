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


def _project(tmp_path: Path, name: str, geometry: dict, **props: object) -> Path:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_text(json.dumps({"geometry": geometry, **props}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_check_project_inside_and_outside(small_demo: Path, tmp_path: Path) -> None:
    from shapely.geometry import mapping

    from indspace.store import Store

    with Store.open(small_demo) as s:
        block = s.read_frame("control_lines", columns=["block_id", "geometry"]).iloc[0]
    site = block.geometry.representative_point().buffer(20)        # 20 m disc inside it
    inside = _project(tmp_path, "in.json", mapping(site), type="new_land",
                      industry_code="3481", crs="EPSG:4549")
    d = json.loads(run("controlline", "check-project", str(inside), "--db", str(small_demo),
                       "--json").stdout)
    assert d == {**d, "allowed": True, "rule": "inside_line", "status": "inside",
                 "block_id": block["block_id"]}
    from shapely import affinity

    outside = _project(tmp_path, "out.json", mapping(affinity.translate(site, 0, -500_000)),
                       type="expansion", industry_code="3481", crs="EPSG:4549")
    d = json.loads(run("controlline", "check-project", str(outside), "--db", str(small_demo),
                       "--json").stdout)
    assert d["allowed"] is False and d["rule"] == "no_new_land_outside_line"
    assert set(d) >= {"allowed", "rule", "reason"}


def test_check_project_bad_input_is_bilingual(small_demo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = run("controlline", "check-project", str(bad), "--db", str(small_demo), "--json",
            check=False)
    err = json.loads(r.stdout)
    assert r.returncode == 2 and "JSON" in err["message_zh"] and "line 1" in err["message_en"]
    wrong = _project(tmp_path, "t.json", {"type": "Point", "coordinates": [121.5, 29.8]},
                     type="factory")
    err = json.loads(run("controlline", "check-project", str(wrong), "--db", str(small_demo),
                         "--json", check=False).stdout)
    assert "factory" in err["message_en"] and err["where"].endswith("type")


def test_overlay_as_geopackage_for_gis(small_demo: Path, tmp_path: Path, gdal_bin: str) -> None:
    import subprocess

    out = tmp_path / "overlay.gpkg"
    run("controlline", "overlay", "--db", str(small_demo), "--out", str(out))
    info = subprocess.run([gdal_bin, "-so", str(out), "controlline_overlay"],
                          capture_output=True, text=True, check=True).stdout
    n = info_json(small_demo)["counts"]["parcels"]
    assert f"Feature Count: {n}" in info and 'ID["EPSG",4549]' in info
    assert "inside_share: Real" in info
