"""`indspace land far`: the file tool of issue #13, run as a user would (no store).

Two parcels side by side in EPSG:4549 near 鄞州 (100 m × 50 m = 5 000 m² each) and three
buildings in cadastral field codes (ZRZH 自然幢号, DSCS 地上层数, JZWGD 建筑高度), no parcel code:

* F1 40 m × 20 m = 800 m², 3 storeys, 12 m (4 m storeys)   → P1: 2 400 m² of floor;
* F2 20 m × 10 m = 200 m² across the boundary, 1 storey 9 m (> 8 m: counts twice)
  → 100 m² on each parcel: floor 100, FAR floor 200;
* F3 10 m × 10 m = 100 m², 2 storeys 8 m, half in the road south of P2 → 50 m² on P2:
  floor 100.

P1: footprint 900, floor 2 500, FAR floor 2 600 → FAR 0.52, coverage 0.18, 2 buildings.
P2: footprint 150, floor 200, FAR floor 300 → FAR 0.06, coverage 0.03, 2 buildings.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from tests.cli.conftest import run

X, Y = 649_700.0, 3_306_700.0
COLUMNS = [
    "parcel_id",
    "area_m2",
    "footprint_m2",
    "floor_area_m2",
    "far_floor_m2",
    "far",
    "coverage",
    "n_buildings",
]


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X + x0, Y + y0, X + x1, Y + y1)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    gpkg = tmp_path / "site.gpkg"
    parcels = gpd.GeoDataFrame(
        {"ZDDM": ["P1", "P2"]}, geometry=[_box(0, 0, 100, 50), _box(100, 0, 200, 50)], crs=4549
    )
    buildings = gpd.GeoDataFrame(
        {"ZRZH": ["F1", "F2", "F3"], "DSCS": [3, 1, 2], "JZWGD": [12.0, 9.0, 8.0]},
        geometry=[_box(10, 10, 50, 30), _box(90, 20, 110, 30), _box(150, -5, 160, 5)],
        crs=4549,
    )
    pyogrio.write_dataframe(parcels, gpkg, layer="parcels", driver="GPKG")
    pyogrio.write_dataframe(buildings, gpkg, layer="buildings", driver="GPKG")
    return gpkg


def test_csv_and_json_from_one_geopackage(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "stats.csv"
    res = run(
        "land", "far", "--parcels", str(site), "--buildings", str(site), "--out", str(out), "--json"
    )
    summary = json.loads(res.stdout)
    assert (summary["parcels"], summary["buildings"]) == (2, 3)
    assert summary["seconds"] >= 0 and summary["crs"] == "EPSG:4549"
    assert summary["issues"] == {
        "outside_parcels": 0,
        "partly_outside": 1,
        "parcel_id_disagrees": 0,
        "attribute_fallback": 0,
        "unplaced": 0,
    }
    table = pd.read_csv(out)
    assert table.columns.tolist() == COLUMNS
    p1, p2 = (table.set_index("parcel_id").loc[p] for p in ("P1", "P2"))
    assert (p1["area_m2"], p1["footprint_m2"], p1["floor_area_m2"]) == (5000, 900, 2500)
    assert (p1["far_floor_m2"], p1["far"], p1["coverage"], p1["n_buildings"]) == (
        2600,
        pytest.approx(0.52),
        pytest.approx(0.18),
        2,
    )
    assert (p2["footprint_m2"], p2["floor_area_m2"], p2["far_floor_m2"]) == (150, 200, 300)
    assert (p2["far"], p2["coverage"], p2["n_buildings"]) == (
        pytest.approx(0.06),
        pytest.approx(0.03),
        2,
    )


def test_same_bytes_every_time(site: Path, tmp_path: Path) -> None:
    outs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for out in outs:
        run("land", "far", "--parcels", str(site), "--buildings", str(site), "--out", str(out))
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_xlsx_and_gpkg_outputs(site: Path, tmp_path: Path) -> None:
    xlsx, gpkg = tmp_path / "stats.xlsx", tmp_path / "stats.gpkg"
    for out in (xlsx, gpkg):
        run(
            "land",
            "far",
            "--parcels",
            str(site),
            "--buildings",
            str(site),
            "--parcels-layer",
            "parcels",
            "--buildings-layer",
            "buildings",
            "--out",
            str(out),
        )
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert sheets["宗地指标"].columns.tolist() == COLUMNS
    assert sheets["数据质量"]["building_id"].tolist() == ["F3"]
    layer = pyogrio.read_dataframe(gpkg, layer="parcel_figures")
    assert layer["far"].round(4).tolist() == [0.52, 0.06]
    assert layer.crs.to_epsg() == 4549
    issues = pyogrio.read_dataframe(gpkg, layer="building_issues")
    assert issues["area_m2"].tolist() == [50.0]  # F3: 10 m × 5 m in the road


def test_errors_are_bilingual_and_name_the_file(site: Path, tmp_path: Path) -> None:
    res = run(
        "land",
        "far",
        "--parcels",
        str(site),
        "--buildings",
        str(site),
        "--buildings-layer",
        "nope",
        "--out",
        str(tmp_path / "x.csv"),
        "--json",
        check=False,
    )
    assert res.returncode == 2
    err = json.loads(res.stdout)
    assert "nope" in err["message_zh"] and "nope" in err["message_en"]
    assert str(site) in err["where"]
    res = run(
        "land",
        "far",
        "--parcels",
        str(site),
        "--buildings",
        str(site),
        "--out",
        str(tmp_path / "x.txt"),
        "--json",
        check=False,
    )
    assert res.returncode == 2 and not (tmp_path / "x.txt").exists()
    res = run(
        "land",
        "far",
        "--parcels",
        str(site),
        "--buildings",
        str(site),
        "--profile",
        "nope",
        "--out",
        str(tmp_path / "y.csv"),
        "--json",
        check=False,
    )
    assert res.returncode == 2 and not (tmp_path / "y.csv").exists()
    assert "未知策略配置" in json.loads(res.stdout)["message_zh"]
