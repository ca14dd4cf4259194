"""`indspace import KIND FILE --json` on real files made here, one per format the bureau
receives (issue #4): GBK Shapefile with Chinese field names in EPSG:4528 (zone-prefixed),
GeoJSON in EPSG:4490, UTF-8-BOM CSV and XLSX with Chinese headers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from indspace.store import Store
from tests.cli.conftest import run

pytestmark = pytest.mark.xdist_group("small_demo")


def import_json(store: Path, *args: str, check: bool = True) -> dict:  # type: ignore[type-arg]
    r = run("import", *args, "--db", str(store), "--json", check=False)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def _new_parcels(store: Path, n: int = 20):  # type: ignore[no-untyped-def]
    with Store.open(store) as s:
        p = s.read_frame("parcels").iloc[:n].copy()
    p["parcel_id"] = [f"330212009009GB{i:05d}" for i in range(1, n + 1)]
    return p


def test_gbk_shapefile_with_chinese_fields_in_zone_prefixed_gk(store_path: Path,
                                                                 tmp_path: Path) -> None:
    p = _new_parcels(store_path)
    shp = p.to_crs(4528)  # CGCS2000 3° GK zone 40, eastings carry the 40 prefix
    assert shp.total_bounds[0] > 40_000_000
    right_zh = {"grant": "出让", "allocation": "划拨", "lease": "租赁", "collective": "集体"}
    out = pd.DataFrame({
        "ZDDM": shp.parcel_id, "用途": shp.land_use_code, "ZDMJ": shp.area_m2.round(2),
        "权利类型": shp.right_type.map(right_zh), "权利人": shp.owner_credit_code,
        "所在区县": shp.district})
    path = tmp_path / "宗地.shp"
    pyogrio.write_dataframe(shp[["geometry"]].join(out), path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as files from Chinese offices come
    res = import_json(store_path, "parcels", str(path), "--report-dir", str(tmp_path))
    assert res["crs"] == "EPSG:4528"
    assert res["encoding_assumed"] is True and res["encoding"].upper() in ("GB18030", "GBK")
    assert (res["accepted"], res["rejected"], res["inserted"]) == (20, 0, 20)
    with Store.open(store_path) as s:
        got = s.read_frame("parcels", where={"parcel_id": "330212009009GB00001"})
    assert got.right_type.iloc[0] == p.right_type.iloc[0]
    # 4549 → 4528 → 4549 comes back to within a millimetre
    assert shapely.hausdorff_distance(got.geometry.iloc[0], p.geometry.iloc[0]) < 1e-3
    assert Path(res["report"]).exists()


def test_geojson_in_cgcs2000_geographic(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as s:
        cl = s.read_frame("control_lines").iloc[:5].copy()
    cl["block_id"] = [f"CL-TEST-{i:04d}" for i in range(5)]
    cl["effective_from"] = cl["effective_from"].map(lambda d: d.isoformat())
    path = tmp_path / "lines.geojson"
    pyogrio.write_dataframe(cl.to_crs(4490), path, driver="GeoJSON")
    res = import_json(store_path, "control-lines", str(path), "--report-dir", str(tmp_path))
    assert res["crs"] == "EPSG:4490"
    assert (res["accepted"], res["inserted"]) == (5, 5)


def test_utf8_bom_csv_with_chinese_headers(store_path: Path, tmp_path: Path) -> None:
    codes = ["91310110666007217T", "914403001922038216"]
    df = pd.DataFrame({"统一社会信用代码": codes,
                       "企业名称": ["宁波甲制造有限公司", "宁波乙科技有限公司"],
                       "所在区县": ["鄞州区", "慈溪"], "行业代码": ["3484", "3921"],
                       "企业规模": ["规上", "规下"], "成立日期": ["2003-01-05", "2019/7/1"]})
    path = tmp_path / "企业.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    res = import_json(store_path, "enterprises", str(path), "--report-dir", str(tmp_path))
    assert res["encoding"].upper().replace("_", "-").startswith("UTF-8")
    assert (res["accepted"], res["inserted"]) == (2, 2)
    with Store.open(store_path) as s:
        e = s.read_frame("enterprises", where={"credit_code": codes[1]})
    assert e.scale.iloc[0] == "below" and e.founded.iloc[0].isoformat() == "2019-07-01"
    assert e.district.iloc[0] == "330282"  # "慈溪" written by hand → GB/T 2260 code


def test_xlsx_with_chinese_headers_and_units(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as s:
        code = s.read_frame("enterprises").credit_code.iloc[0]
    df = pd.DataFrame({"统一社会信用代码": [code], "年度": [2019],
                       "营业收入(万元)": [5000], "税收(元)": [1_234_567],
                       "工业增加值(万元)": [1100], "年平均职工人数": [85],
                       "综合能耗(吨标煤)": [420.5], "用电量(千瓦时)": [1_500_000],
                       "主要污染物排放量(吨)": [1.2], "研发经费(万元)": [150]})
    path = tmp_path / "指标.xlsx"
    df.to_excel(path, index=False)
    res = import_json(store_path, "indicators", str(path), "--report-dir", str(tmp_path))
    assert (res["accepted"], res["inserted"]) == (1, 1)
    with Store.open(store_path) as s:
        got = s.read_frame("indicators", where={"credit_code": code, "year": 2019})
    assert got.tax.iloc[0] == pytest.approx(123.4567)  # 1 234 567 元 ÷ 10 000 = 123.4567 万元
    assert got.electricity_kwh.iloc[0] == 1_500_000


def test_reimport_is_idempotent_and_a_change_is_versioned(store_path: Path,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "enterprises.csv"
    run("export", "enterprises", "--format", "csv", "--out", str(path), "--db", str(store_path))
    again = import_json(store_path, "enterprises", str(path), "--report-dir", str(tmp_path))
    assert again["inserted"] == again["updated"] == 0
    assert again["unchanged"] == again["accepted"] > 1000
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.loc[0, "name"] = df.loc[0, "name"] + "（更名）"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    changed = import_json(store_path, "enterprises", str(path), "--report-dir", str(tmp_path))
    assert (changed["inserted"], changed["updated"]) == (0, 1)
    with Store.open(store_path) as s:
        h = s.history("enterprises", df.loc[0, "credit_code"])
    assert h.version.tolist() == [1, 2] and h.name.iloc[1].endswith("（更名）")


def test_export_round_trips_through_import(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as s:
        planted = s.anomalies()
    # the demo plants parcels whose registered area disagrees with their shape (E109):
    # re-importing them must quarantine exactly those, and keep every other parcel
    mismatch = planted[planted.detail.str.startswith("area_mismatch")].record_key.tolist()
    assert mismatch
    for kind, fmt in (("parcels", "gpkg"), ("parcels", "geojson"), ("parks", "csv"),
                      ("occupancy", "xlsx")):
        path = tmp_path / f"{kind}.{fmt}"
        run("export", kind, "--format", fmt, "--out", str(path), "--db", str(store_path))
        res = import_json(store_path, kind, str(path), "--report-dir", str(tmp_path))
        expected_rejects = len(mismatch) if kind == "parcels" else 0
        assert res["rejected"] == expected_rejects, (kind, fmt, res)
        if kind == "parcels":
            report = pd.read_csv(res["report"], dtype=str, encoding="utf-8-sig")
            assert set(report.iloc[:, 2]) == {"E109"}
            assert sorted(report.iloc[:, 6].astype(float).round(2)) == sorted(
                float(k) for k in _areas(store_path, mismatch))
        # GeoJSON goes through EPSG:4490 and back: coordinates move by far less than the
        # store's 1 mm tolerance, so nothing counts as changed there either.
        assert res["inserted"] == res["updated"] == 0, (kind, fmt, res)
        assert res["unchanged"] == res["accepted"] > 0


def test_unreadable_file_exits_non_zero_with_a_clear_error(store_path: Path,
                                                           tmp_path: Path) -> None:
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    r = run("import", "parcels", str(bad), "--db", str(store_path), "--json", check=False)
    assert r.returncode != 0
    err = json.loads(r.stdout)
    assert err["message_zh"] and err["message_en"]


def _areas(db: Path, parcel_ids: list[str]) -> list[float]:
    with Store.open(db) as s:
        p = s.read_frame("parcels")
    return p[p.parcel_id.isin(parcel_ids)].area_m2.round(2).tolist()
