"""The site of issue #13, through the real import, on GeoPackage and PostGIS.

A hand-drawn site of 19 parcels (60 m × 60 m = 3 600 m², 5.4 亩, 10 m roads between them,
rights since 2010, one owner each) and 20 buildings whose layer carries **no parcel code**
(as survey and topographic layers come):

* parcels 0–9: one five-storey factory each, 30 m × 40 m = 1 200 m², 20 m high (4 m storeys)
  → FAR = 5 × 1 200 ÷ 3 600 = 1.6667;
* parcels 10–14: a two-storey block 20 m × 20 m (8 m high) and a one-storey shed
  15 m × 20 m (6 m high) → FAR = (2 × 400 + 1 × 300) ÷ 3 600 = 0.3056;
* parcels 15–18: no building — the only idle parcels.

Before the overlay every parcel had FAR 0 and all 19 were idle.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indspace.core.model.credit_code import synthetic_credit_codes
from indspace.services.importing import import_file
from indspace.services.lowuse import identify_parcels
from indspace.store import Store

D = "330212"
X0, Y0, SIDE, STEP = 649_700.0, 3_306_700.0, 60.0, 70.0
N_PARCELS = 19
CODES = synthetic_credit_codes(np.array([D] * N_PARCELS), np.random.default_rng(13))
PIDS = [f"330212001001GB{i + 1:05d}" for i in range(N_PARCELS)]


def _origin(i: int) -> tuple[float, float]:
    return X0 + (i % 5) * STEP, Y0 + (i // 5) * STEP


def _box(x0: float, y0: float, w: float, h: float) -> str:
    return f"POLYGON (({x0} {y0}, {x0} {y0 + h}, {x0 + w} {y0 + h}, {x0 + w} {y0}, {x0} {y0}))"


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def site_files(folder: Path) -> dict[str, Path]:
    ent = _write(
        folder / "enterprises.csv",
        ["credit_code", "name", "district", "industry_code", "scale", "founded"],
        [
            [c, f"示例制造{i}有限公司", D, "3481", "above", "2009-01-01"]
            for i, c in enumerate(CODES)
        ],
    )
    par = _write(
        folder / "parcels.csv",
        [
            "parcel_id",
            "land_use_code",
            "area_m2",
            "right_type",
            "right_start",
            "right_end",
            "owner_credit_code",
            "district",
            "wkt",
        ],
        [
            [
                p,
                "100101",
                SIDE * SIDE,
                "grant",
                "2010-01-01",
                "2060-01-01",
                c,
                D,
                _box(*_origin(i), SIDE, SIDE),
            ]
            for i, (p, c) in enumerate(zip(PIDS, CODES, strict=True))
        ],
    )
    rows: list[list[object]] = []
    for i in range(10):
        x, y = _origin(i)
        rows.append([f"ZRZ-{i:02d}-1", 5, 20.0, "工业厂房", 2012, D, _box(x + 10, y + 10, 30, 40)])
    for i in range(10, 15):
        x, y = _origin(i)
        rows.append([f"ZRZ-{i:02d}-1", 2, 8.0, "工业厂房", 2012, D, _box(x + 5, y + 5, 20, 20)])
        rows.append([f"ZRZ-{i:02d}-2", 1, 6.0, "仓库", 2012, D, _box(x + 30, y + 30, 15, 20)])
    bld = _write(
        folder / "buildings.csv",  # no parcel code column at all
        ["building_id", "floors", "height_m", "use", "year_built", "district", "wkt"],
        rows,
    )
    occ = _write(
        folder / "occupancy.csv",
        ["credit_code", "parcel_id", "role", "land_area_m2", "start", "end"],
        [
            [c, p, "owner", SIDE * SIDE, "2010-01-01", "2060-01-01"]
            for p, c in zip(PIDS, CODES, strict=True)
        ],
    )
    ind = _write(
        folder / "indicators.csv",
        [
            "credit_code",
            "year",
            "revenue",
            "tax",
            "value_added",
            "employees",
            "energy_tce",
            "electricity_kwh",
            "emissions",
            "rd_spend",
        ],
        [
            [
                c,
                2024,
                20_000 + 100 * i,
                500 + 10 * i,
                4_000 + 50 * i,
                100 + i,
                800 + 5 * i,
                5_000_000,
                3.0,
                300,
            ]
            for i, c in enumerate(CODES)
        ],
    )
    return {
        "enterprises": ent,
        "parcels": par,
        "buildings": bld,
        "occupancy": occ,
        "indicators": ind,
    }


@pytest.fixture(params=["gpkg", "postgis"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        str(tmp_path / "site.gpkg")
        if request.param == "gpkg"
        else request.getfixturevalue("pg_url")
    )
    s = Store.create(url, overwrite=True)
    for kind, path in site_files(tmp_path).items():
        r = import_file(s, kind, path, report_dir=tmp_path / "reports")
        assert r.rejected == 0, (kind, r.report)
        if kind == "buildings":
            assert r.accepted == 20 and r.warnings == 0  # all inside, no codes to contradict
    yield s
    s.close()


def test_only_parcels_without_a_building_are_idle(site: Store) -> None:
    result = identify_parcels(site, 2024, "ningbo-demo").set_index("parcel_id")
    idle = set(result.index[result["idle"]])
    assert idle == set(PIDS[15:])


def test_far_is_floors_times_footprint_over_area(site: Store) -> None:
    result = identify_parcels(site, 2024, "ningbo-demo").set_index("parcel_id")
    far = result["far"]
    for i in range(10):
        assert far[PIDS[i]] == pytest.approx(5 * 1_200 / 3_600)
    for i in range(10, 15):
        assert far[PIDS[i]] == pytest.approx((2 * 400 + 1 * 300) / 3_600)
    for i in range(15, N_PARCELS):
        assert far[PIDS[i]] == 0


def test_import_warns_about_buildings_off_their_parcels(site: Store, tmp_path: Path) -> None:
    x, y = _origin(0)
    more = _write(
        tmp_path / "more.csv",
        ["building_id", "parcel_id", "floors", "height_m", "wkt"],
        [
            ["ROAD-1", "", 1, 5.0, _box(x + 62, y + 10, 6, 10)],  # in the road
            ["WRONG-1", PIDS[3], 1, 5.0, _box(x + 45, y + 45, 10, 10)],  # in parcel 0
            ["HALF-1", "", 1, 5.0, _box(x + 50, y + 20, 15, 10)],
        ],
    )  # 10×10 in, 5×10 out
    r = import_file(site, "buildings", more, report_dir=tmp_path / "reports")
    assert (r.accepted, r.rejected, r.warnings) == (3, 0, 3)
    assert any("1 栋建筑的宗地代码与图形不符" in n and "2 buildings lie" in n for n in r.notes)
    report = pd.read_csv(r.report, dtype=str, encoding="utf-8-sig")
    report = report[report["规则代码"].str.startswith("W")]
    assert set(report["规则代码"]) == {"W133", "W134"}
    w128 = report.loc[report["规则代码"] == "W134", "问题说明（英文）"].tolist()
    assert w128 == [
        f"parcel_id {PIDS[3]} disagrees with the geometry: most of the footprint "
        f"lies in parcel {PIDS[0]}; the geometry decides"
    ]
    w127 = report.loc[report["规则代码"] == "W133", "问题说明（英文）"].tolist()
    assert any(m.startswith("60 m² of the building (100%") for m in w127)  # 6 × 10
    assert any(m.startswith("50 m² of the building (33.3%") for m in w127)  # 5 × 10
