"""Row validation: golden conversions, GFA by hand, every rule code, a 10 000-row mix, junk."""

from __future__ import annotations

import hashlib
import io
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

import indspace.ingest.validate as validate_module
from indspace.core.model.entities import ENTITIES, check_frame
from indspace.ingest.aliases import KINDS, resolve_headers
from indspace.ingest.rules import RULES
from indspace.ingest.validate import (
    ISSUE_COLUMNS,
    ValidationContext,
    ValidationResult,
    validate,
)

C1, C2, C3 = "91310110666007217T", "914403001922038216", "91330212MA2H7K1C31"
X0, Y0 = 600_000.0, 3_300_000.0          # EPSG:4549 metres, inside Ningbo's CM 120 band
DISTRICTS = gpd.GeoSeries([box(590_000, 3_290_000, 700_000, 3_400_000)], crs=4549)
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def sq(i: int, size: float = 100.0) -> Polygon:
    """A size × size square, the i-th along a row 1 km apart (no overlaps between rows)."""
    return box(X0 + 1000 * i, Y0, X0 + 1000 * i + size, Y0 + size)


PLACED = ValidationContext(existing_parcels=gpd.GeoDataFrame(
    {"parcel_id": ["P1", "P2"]}, geometry=[sq(0), sq(1)], crs=4549))
BOWTIE = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])

GOOD: dict[str, dict[str, str]] = {
    "enterprises": {"credit_code": C1, "name": "宁波甲机械有限公司", "district": "330212",
                    "industry_code": "3481", "chain": "高端装备", "scale": "规上",
                    "founded": "2006-05-18"},
    "indicators": {"credit_code": C1, "year": "2024", "revenue": "100", "tax": "5",
                   "value_added": "20", "employees": "30", "energy_tce": "40",
                   "electricity_kwh": "50000", "emissions": "1.5", "rd_spend": "3",
                   "safety_veto": "否", "environment_veto": "否"},
    "parcels": {"parcel_id": "P1", "land_use_code": "100101", "area_m2": "10000",
                "right_type": "出让", "right_start": "2006-06-01", "right_end": "2056-05-31",
                "owner_credit_code": C1, "district": "330212"},
    "buildings": {"building_id": "B1", "parcel_id": "P1", "floors": "3", "height_m": "12",
                  "gfa_m2": "30000", "use": "厂房", "year_built": "2010", "district": "330212"},
    "occupancy": {"credit_code": C1, "parcel_id": "P1", "building_id": "", "role": "自有",
                  "land_area_m2": "10000", "floor_area_m2": "3600", "start": "2006-06-01",
                  "end": "2056-05-31"},
    "control-lines": {"block_id": "K1", "name": "一号区块", "district": "330212",
                      "line_type": "一级", "effective_from": "2022-06-30"},
    "parks": {"park_id": "Y1", "name": "示例战略产业园", "tier": "战略产业园"},
}
SPATIAL = {"parcels", "buildings", "control-lines", "parks"}


def run(kind: str, rows: list[dict[str, Any]], geoms: list[Any] | None = None,
        ctx: ValidationContext | None = None) -> ValidationResult:
    """Validate ``rows`` (dicts keyed by header) as read from a CSV: rows 2, 3, …"""
    frame = pd.DataFrame(rows)
    if kind in SPATIAL:
        frame["geometry"] = geoms if geoms is not None else [sq(i) for i in range(len(rows))]
    res = resolve_headers(kind, [str(c) for c in frame.columns])
    return validate(kind, frame, res, np.arange(2, 2 + len(frame)), ctx or ValidationContext(),
                    source="test.csv")


def good(kind: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {**GOOD[kind], **changes}
    return {k: v for k, v in row.items() if v is not None}


def codes_at(res: ValidationResult, row: int) -> set[str]:
    return set(res.issues.loc[res.issues["source_row"] == row, "code"])


def accepted(res: ValidationResult) -> set[int]:
    return set(res.valid["source_row"].tolist())


# --- golden conversions ----------------------------------------------------------------------
def test_tax_in_yuan_is_stored_in_wan_yuan() -> None:
    res = run("indicators", [good("indicators", tax=None, revenue="50", **{"税收(元)": "123456"})])
    assert res.valid["tax"].tolist() == [12.3456]         # 123 456 元 ÷ 10 000 = 12.3456 万元


def test_land_area_in_mu_is_stored_in_m2() -> None:
    row = good("parcels", area_m2=None, **{"用地面积(亩)": "3"})
    res = run("parcels", [row], [box(X0, Y0, X0 + 40, Y0 + 50)])     # 40 × 50 = 2000 m²
    assert res.valid["area_m2"].tolist() == [2000.0]      # 3 亩 × 2000/3 = 2000 m² exactly
    assert res.issues.empty


def test_electricity_in_10k_kwh_is_stored_in_kwh() -> None:
    res = run("indicators", [good("indicators", electricity_kwh=None,
                                  **{"用电量(万千瓦时)": "1.5"})])
    assert res.valid["electricity_kwh"].tolist() == [15000.0]   # 1.5 × 10 000 kWh


def test_mjdw_gives_the_unit_of_zdmj_row_by_row() -> None:
    rows = [{"ZDDM": "A", "ZDMJ": "3", "MJDW": "2"},       # 3 亩 = 2000 m²
            {"ZDDM": "B", "ZDMJ": "0.2", "MJDW": "3"},     # 0.2 公顷 = 2000 m²
            {"ZDDM": "C", "ZDMJ": "2000", "MJDW": ""},     # m² by default
            {"ZDDM": "D", "ZDMJ": "2000", "MJDW": "7"}]    # unknown unit code
    geoms = [box(X0 + 1000 * i, Y0, X0 + 1000 * i + 40, Y0 + 50) for i in range(4)]
    res = run("parcels", rows, geoms)
    assert res.valid["area_m2"].tolist() == [2000.0, 2000.0, 2000.0]
    assert codes_at(res, 5) == {"E116"}
    assert res.extras["area_unit"].tolist() == ["2", "3", ""]


def test_money_with_separators_and_full_width_digits() -> None:
    res = run("indicators", [good("indicators", revenue="1,234.5", tax="１２")])
    assert res.valid[["revenue", "tax"]].values.tolist() == [[1234.5, 12.0]]


# --- GFA derivation: the real floor area, footprint × storeys (issue #13) ----------------
# Storeys higher than 8 m count twice only in FAR (land-rules A2), in the land figures
# (tests/core/test_land_figures.py); counting them here as well would double them twice.
@pytest.mark.parametrize(("floors", "height", "expected"), [
    ("3", "12", 3600.0),   # 1 200 m² × 3 storeys = 3 600 m²
    ("1", "12", 1200.0),   # 12 m storey: still 1 200 m² of floor (FAR counts it twice)
    ("2", "18", 2400.0),   # 9 m storeys: 1 200 m² × 2 = 2 400 m²
    ("2", "16", 2400.0),   # 1 200 m² × 2 = 2 400 m²
    ("2", "", 2400.0),     # no height: 1 200 m² × 2 = 2 400 m²
])
def test_gfa_is_footprint_times_storeys(floors: str, height: str, expected: float
                                                ) -> None:
    row = good("buildings", gfa_m2="", floors=floors, height_m=height)
    res = run("buildings", [row], [box(X0, Y0, X0 + 30, Y0 + 40)])   # footprint 30 × 40 m
    assert res.valid["gfa_m2"].tolist() == [expected]
    info = res.issues[res.issues["code"] == "I125"]
    assert len(info) == 1 and f"{expected:.0f} 平方米" in info["message_zh"].iloc[0]
    assert "gfa_m2" in res.columns


def test_gfa_uses_zzdmj_as_footprint_and_keeps_a_given_gfa() -> None:
    rows = [good("buildings", building_id="B1", gfa_m2="", floors="3", height_m="9",
                 ZZDMJ="1000"),                  # 9 ÷ 3 = 3 m → 1 000 m² × 3 = 3 000 m²
            good("buildings", building_id="B2", gfa_m2="5000", floors="3", ZZDMJ="1000")]
    res = run("buildings", rows)
    assert res.valid["gfa_m2"].tolist() == [3000.0, 5000.0]
    assert set(res.issues["code"]) == {"I125"}


def test_measured_floor_area_comes_before_predicted() -> None:
    rows = [{"ZRZH": "A1", "DSCS": "2", "SCJZMJ": "6500", "YCJZMJ": "7000"},
            {"ZRZH": "A2", "DSCS": "2", "SCJZMJ": "", "YCJZMJ": "7000"},
            {"ZRZH": "A3", "DSCS": "", "ZCS": "4", "SCJZMJ": "1", "YCJZMJ": ""}]
    res = run("buildings", rows)
    assert res.valid["gfa_m2"].tolist() == [6500.0, 7000.0, 1.0]
    assert res.valid["floors"].tolist() == [2, 2, 4]


# --- value vocabularies ----------------------------------------------------------------------
def test_vocabularies() -> None:
    res = run("enterprises", [good("enterprises", credit_code=c, scale=s)
                              for c, s in ((C1, "规上"), (C2, "规下"), (C3, "above"))])
    assert res.valid["scale"].tolist() == ["above", "below", "above"]
    res = run("occupancy", [good("occupancy", role="自有"),
                            good("occupancy", role="承租", credit_code=C2)])
    assert res.valid["role"].tolist() == ["owner", "tenant"]
    res = run("parks", [good("parks", park_id="1", tier="战略产业园"),
                        good("parks", park_id="2", tier="优势产业社区")])
    assert res.valid["tier"].tolist() == ["strategic", "community"]
    res = run("control-lines", [good("control-lines", block_id="1", line_type="一级"),
                                good("control-lines", block_id="2", line_type="二级")])
    assert res.valid["line_type"].tolist() == ["level1", "level2"]


@pytest.mark.parametrize(("text", "value"), [
    ("是", True), ("否", False), ("true", True), ("FALSE", False), ("1", True), ("0", False),
    ("Y", True), ("n", False), ("1.0", True)])
def test_yes_no(text: str, value: bool) -> None:
    res = run("indicators", [good("indicators", safety_veto=text)])
    assert res.valid["safety_veto"].tolist() == [value]


@pytest.mark.parametrize(("qllx", "qlxz", "expected"), [
    ("国有建设用地使用权", "出让", "grant"), ("", "划拨", "allocation"), ("租赁", "", "lease"),
    ("集体建设用地使用权", "", "collective"), ("国有建设用地使用权", "协议出让", "grant"),
    ("", "先租后让", "lease"), ("集体经营性建设用地", "出让", "grant")])
def test_right_type_from_qllx_and_qlxz(qllx: str, qlxz: str, expected: str) -> None:
    res = run("parcels", [{"ZDDM": "A", "ZDMJ": "10000", "QLLX": qllx, "QLXZ": qlxz}])
    assert res.valid["right_type"].tolist() == [expected]


# --- dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", [
    "2024-01-05", "2024/1/5", "2024.1.5", "2024年1月5日", "2024 年 1 月 5 日", "20240105",
    "45296", "45296.0", "2024-01-05 00:00:00", "2024-01-05T08:30:00", "２０２４－０１－０５",
    date(2024, 1, 5), datetime(2024, 1, 5, 13, 0), pd.Timestamp("2024-01-05"), 45296])
def test_date_forms(cell: Any) -> None:
    res = run("enterprises", [good("enterprises", founded=cell)])
    assert res.valid["founded"].tolist() == [date(2024, 1, 5)]


@pytest.mark.parametrize("cell", ["2024-02-30", "2024-13-01", "2024", "abc", "0001-01-01",
                                  "1/5/2024", "99999999"])
def test_bad_dates(cell: str) -> None:
    res = run("enterprises", [good("enterprises", founded=cell)])
    assert codes_at(res, 2) == {"E105"} and res.valid.empty


def test_typed_columns_as_read_from_a_geopackage() -> None:
    frame = pd.DataFrame({
        "building_id": ["B1", "B2"], "floors": np.array([3, 5], dtype="int64"),
        "height_m": np.array([12.0, np.nan]), "gfa_m2": np.array([3000.0, 5000.0]),
        "year_built": pd.to_datetime(["2010-06-30", "2012-01-01"]),       # JGRQ-like dates
        "is_synthetic": np.array([False, True])})
    frame["geometry"] = [sq(0), sq(1)]
    res = validate("buildings", frame, resolve_headers("buildings", list(frame.columns)),
                   np.array([1, 2]), ValidationContext(), source="b.gpkg")
    assert res.issues.empty
    v = res.valid
    assert v["year_built"].tolist() == [2010, 2012]
    assert v["is_synthetic"].tolist() == [False, True]
    assert str(v["floors"].dtype) == "Int64" and str(v["is_synthetic"].dtype) == "boolean"


# --- contract of the result ------------------------------------------------------------------
def test_valid_frame_is_typed_per_contract() -> None:
    res = run("parcels", [good("parcels")])
    v = res.valid
    assert isinstance(v, gpd.GeoDataFrame) and v.crs.to_epsg() == 4549
    assert list(v.columns) == [*ENTITIES["parcels"].columns, "geometry", "source_row"]
    assert v["area_m2"].dtype == "float64" and v["source_row"].dtype == "int64"
    assert isinstance(v["right_start"].iloc[0], date)
    assert v.geometry.iloc[0].geom_type == "MultiPolygon"
    check_frame(ENTITIES["parcels"], v)
    assert list(res.issues.columns) == list(ISSUE_COLUMNS)
    assert res.columns[-1] == "geometry" and "is_synthetic" in res.columns


def test_every_error_of_a_row_is_listed() -> None:
    row = good("indicators", credit_code="91310110666007217Y", tax="abc", revenue="-1",
               safety_veto="也许", year="20x4")
    res = run("indicators", [row, good("indicators", credit_code=C2)])
    assert codes_at(res, 2) == {"E102", "E104", "E106", "E116"}
    assert accepted(res) == {3}


def test_a_header_error_rejects_the_whole_file() -> None:
    res = run("indicators", [{"credit_code": C1, "year": "2024", "税收(万元)": "1",
                              "实缴税金(万元)": "2"}])
    assert res.valid.empty and list(res.rejected_rows) == [2]
    assert set(res.issues["source_row"]) == {0}


def test_missing_required_column_is_reported_once() -> None:
    res = run("enterprises", [{"credit_code": C1}, {"credit_code": C2}])
    assert res.issues[["source_row", "code", "field"]].values.tolist() == [[0, "E101", "name"]]
    assert res.valid.empty


def test_occupancy_id_is_derived_deterministically() -> None:
    row = good("occupancy", role="承租", building_id="B7")
    res1 = run("occupancy", [row])
    res2 = run("occupancy", [row])
    key = f"{C1}|P1|B7|tenant|2006-06-01"
    expected = "OCC-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
    assert res1.valid["occupancy_id"].tolist() == [expected] == res2.valid["occupancy_id"].tolist()
    assert "occupancy_id" in res1.columns
    given = run("occupancy", [good("occupancy", occupancy_id="OC-1")])
    assert given.valid["occupancy_id"].tolist() == ["OC-1"]


def test_identical_occupancy_rows_collide_as_duplicates() -> None:
    res = run("occupancy", [good("occupancy"), good("occupancy")])
    assert codes_at(res, 2) == codes_at(res, 3) == {"E103"}


def test_short_zrzh_is_prefixed_with_zddm() -> None:
    res = run("buildings", [{"ZDDM": "330212001001GB00001", "ZRZH": "F0001", "DSCS": "2"},
                            {"ZDDM": "330212001001GB00001",
                             "ZRZH": "330212001001GB00001F0002", "DSCS": "2"}])
    assert res.valid["building_id"].tolist() == ["330212001001GB00001F0001",
                                                 "330212001001GB00001F0002"]


def test_extras_and_unknown_columns_are_kept_for_accepted_rows() -> None:
    rows = [good("parcels", BDCDYH="330212001001GB00001W00000000", 备注="a"),
            good("parcels", parcel_id="", BDCDYH="x", 备注="b")]
    res = run("parcels", rows)
    assert res.extras.to_dict("list") == {"source_row": [2],
                                          "unit_number": ["330212001001GB00001W00000000"],
                                          "备注": ["a"]}


def test_geometry_forms() -> None:
    coll = GeometryCollection([sq(0), LineString([(X0, Y0), (X0 + 5, Y0 + 5)])])
    z = Polygon([(X0, Y0, 5), (X0 + 50, Y0, 5), (X0 + 50, Y0 + 50, 5)])
    multi = MultiPolygon([sq(2, 50), box(X0 + 2100, Y0, X0 + 2150, Y0 + 50)])
    rows = [good("parks", park_id=str(i)) for i in range(4)]
    res = run("parks", rows, [coll, z, multi, sq(3)])
    assert codes_at(res, 2) == {"W111"}           # line part dropped
    assert codes_at(res, 3) == codes_at(res, 4) == codes_at(res, 5) == set()
    assert accepted(res) == {2, 3, 4, 5}
    assert set(res.valid.geometry.geom_type) == {"MultiPolygon"}
    assert not res.valid.geometry.has_z.any()
    assert res.valid.geometry.iloc[2].area == pytest.approx(5000.0)


@pytest.mark.parametrize("geom", [None, Point(X0, Y0), LineString([(X0, Y0), (X0 + 1, Y0)]),
                                  Polygon(), Polygon([(X0, Y0), (X0 + 1, Y0), (X0 + 2, Y0)]),
                                  box(X0, Y0, X0 + 0.01, Y0 + 0.01)])
def test_empty_or_degenerate_geometry_is_rejected(geom: Any) -> None:
    res = run("parks", [good("parks")], [geom])
    assert codes_at(res, 2) == {"E110"} and res.valid.empty


def test_repaired_bowtie_is_a_multipolygon_with_a_warning() -> None:
    res = run("parks", [good("parks")], [BOWTIE])
    assert codes_at(res, 2) == {"W111"}
    g = res.valid.geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and g.is_valid and g.area == pytest.approx(5000.0)
    assert "Self-intersection" in res.issues["message_en"].iloc[0]


# --- every rule code, triggered by one hand-made row -----------------------------------------
Case = Callable[[], tuple[ValidationResult, int]]


def _e113() -> tuple[ValidationResult, int]:
    far = box(10_000_000, 0, 10_000_100, 100)
    return run("parks", [good("parks", park_id="1"), good("parks", park_id="2")], [sq(0), far],
               ValidationContext(districts=DISTRICTS)), 3


def _w112() -> tuple[ValidationResult, int]:
    old = gpd.GeoDataFrame({"parcel_id": ["OLD", "P2"]},
                           geometry=[box(X0 + 50, Y0, X0 + 150, Y0 + 100), sq(1)], crs=4549)
    res = run("parcels", [good("parcels"), good("parcels", parcel_id="P2")], None,
              ValidationContext(existing_parcels=old))
    assert codes_at(res, 3) == set()        # the stored version of the same parcel
    return res, 2


CASES: dict[str, Case] = {
    "E101": lambda: (run("enterprises", [good("enterprises"),
                                         good("enterprises", credit_code=C2, name="")]), 3),
    "E102": lambda: (run("enterprises", [good("enterprises"), good(
        "enterprises", credit_code="91310110666007217Y")]), 3),
    "E103": lambda: (run("enterprises", [good("enterprises", credit_code=C2),
                                         good("enterprises"), good("enterprises")]), 4),
    "E104": lambda: (run("indicators", [good("indicators"),
                                        good("indicators", credit_code=C2, tax="abc")]), 3),
    "E105": lambda: (run("enterprises", [good("enterprises"),
                                         good("enterprises", credit_code=C2,
                                              founded="2024-02-30")]), 3),
    "E106": lambda: (run("indicators", [good("indicators"),
                                        good("indicators", credit_code=C2, revenue="-5")]), 3),
    "E107": lambda: (run("indicators", [good("indicators"), good(
        "indicators", credit_code=C2, tax="200", revenue="100")]), 3),
    "E108": lambda: (run("occupancy", [good("occupancy"), good(
        "occupancy", credit_code=C2, land_area_m2="1000", floor_area_m2="30000")]), 3),
    "E109": lambda: (run("parcels", [good("parcels"),
                                     good("parcels", parcel_id="P2", area_m2="20000")]), 3),
    "E110": lambda: (run("parcels", [good("parcels"), good("parcels", parcel_id="P2")],
                         [sq(0), None]), 3),
    "W111": lambda: (run("parks", [good("parks", park_id="1"), good("parks", park_id="2")],
                         [sq(0), BOWTIE]), 3),
    "W112": _w112,
    "E113": _e113,
    "E114": lambda: (run("indicators", [good("indicators"), good("indicators", credit_code=C2)],
                         ctx=ValidationContext(known_enterprises=frozenset({C1}))), 3),
    "E115": lambda: (run("occupancy", [good("occupancy"), good("occupancy", parcel_id="P9")],
                         ctx=ValidationContext(known_parcels=frozenset({"P1"}))), 3),
    "E116": lambda: (run("enterprises", [good("enterprises"),
                                         good("enterprises", credit_code=C2, scale="特大")]), 3),
    "E117": lambda: (run("indicators", [good("indicators"),
                                        good("indicators", credit_code=C2, year="2023")],
                         ctx=ValidationContext(year=2024)), 3),
    "E118": lambda: (run("enterprises", [good("enterprises", 企业名称="乙")]), 0),
    "E119": lambda: (run("indicators", [good("indicators", **{"税收(美元)": "1"})]), 0),
    "I120": lambda: (run("enterprises", [good("enterprises", 备注="x")]), 0),
    "I121": lambda: (run("indicators", [good("indicators", tax=None, 税收="1")]), 0),
    "E122": lambda: (run("parcels", [good("parcels"), good(
        "parcels", parcel_id="P2", right_start="2056-05-31", right_end="2006-06-01")]), 3),
    "E123": lambda: (run("buildings", [good("buildings"),
                                       good("buildings", building_id="B2", floors="0")]), 3),
    "W124": lambda: (run("parcels", [good("parcels"), good("parcels", parcel_id="P2",
                                                             owner_credit_code=C2)],
                         ctx=ValidationContext(known_enterprises=frozenset({C1}))), 3),
    "I125": lambda: (run("buildings", [good("buildings"),
                                       good("buildings", building_id="B2", gfa_m2="")]), 3),
    "E126": lambda: (run("occupancy", [good("occupancy"), good("occupancy", credit_code=C2,
                                                               building_id="B9")],
                         ctx=ValidationContext(known_buildings=frozenset({"B1"}))), 3),
    "E130": lambda: (run("enterprises", [good("enterprises"),
                                         good("enterprises", credit_code=C2, name="乙\n公司")]), 3),
    "E131": lambda: (run("enterprises", [good("enterprises"),
                                         good("enterprises", credit_code=C2, district="")],
                         ctx=ValidationContext(stored=pd.DataFrame(
                             {"credit_code": [C2], "name": ["乙"], "district": ["330203"],
                              "industry_code": ["3481"], "scale": ["above"]}))), 3),
    "W132": lambda: (run("enterprises", [good("enterprises"), good(
        "enterprises", credit_code=C2, name='=HYPERLINK("http://x.example","点击")')]), 3),
    # stored parcels P1 = sq(0), P2 = sq(1); B2 stands in neither (W133), B3 says P1 but
    # stands in P2 (W134)
    "W133": lambda: (run("buildings", [good("buildings"), good("buildings", building_id="B2")],
                         [box(X0 + 10, Y0 + 10, X0 + 50, Y0 + 50), sq(5, 40)], ctx=PLACED), 3),
    "W134": lambda: (run("buildings", [good("buildings"), good("buildings", building_id="B3")],
                         [box(X0 + 10, Y0 + 10, X0 + 50, Y0 + 50), sq(1, 40)], ctx=PLACED), 3),
}
READER_RULES = {"E127", "E128", "E129"}
"""Raised while reading a CSV line by line: tests/ingest/test_csv_lines.py."""
OFFICER_RULES = {"E135", "E136", "E137"}
"""Raised for a district officer's import (services/import_scope.py):
tests/services/test_officer_imports.py."""


def test_buildings_off_their_parcels_name_the_area_and_the_parcel() -> None:
    # B1 inside P1 with its code, B2 inside P2 without one: nothing to say
    rows = [good("buildings"), good("buildings", building_id="B2", parcel_id=None)]
    res = run("buildings", rows, [box(X0 + 90, Y0, X0 + 100, Y0 + 40), sq(1, 40)], ctx=PLACED)
    assert codes_at(res, 2) == set() and codes_at(res, 3) == set()   # inside, no code: fine
    rows = [good("buildings", building_id="B4")]
    res = run("buildings", rows, [box(X0 + 90, Y0, X0 + 110, Y0 + 40)], ctx=PLACED)
    msg = res.issues.loc[res.issues["code"] == "W133", "message_en"].iloc[0]
    # B4 20 × 40 m across P1's east edge (x0 + 100): 10 × 40 = 400 m² lie outside, 50 %
    assert msg.startswith("400 m² of the building (50% of its footprint)")
    rows = [good("buildings", building_id="B5")]
    res = run("buildings", rows, [sq(1, 40)], ctx=PLACED)
    hit = res.issues[res.issues["code"] == "W134"].iloc[0]
    assert hit["value"] == "P1" and "most of the footprint lies in parcel P2" in hit["message_en"]
    assert accepted(res) == {2}


SUPPLY_RULES = {"E138", "E139", "E140", "E141", "E142"}
"""Raised where a contract's stored schedule is known (an unknown contract, the installment
rules; services/importing.py): each is triggered in tests/supply/test_contract_import.py."""


DEMAND_RULES = {"E150", "E151"}
"""Raised on the demands kind (the district list needs the store's districts): each is
triggered in tests/matching/test_demand_import.py."""


def test_every_rule_has_a_case() -> None:
    assert set(CASES) | READER_RULES | OFFICER_RULES | SUPPLY_RULES | DEMAND_RULES == set(RULES)
    demand_tests = (Path(__file__).parents[1] / "matching" / "test_demand_import.py"
                    ).read_text(encoding="utf-8")
    assert all(f'"{code}"' in demand_tests for code in DEMAND_RULES)
    supply_tests = (Path(__file__).parents[1] / "supply" / "test_contract_import.py").read_text(
        encoding="utf-8")
    assert all(f'"{code}"' in supply_tests for code in SUPPLY_RULES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_is_triggered(code: str) -> None:
    res, row = CASES[code]()
    assert code in codes_at(res, row), res.issues[["source_row", "code", "message_en"]]
    hit = res.issues[(res.issues["code"] == code) & (res.issues["source_row"] == row)].iloc[0]
    assert hit["message_zh"] and hit["message_en"] and hit["hint_zh"] and hit["hint_en"]
    assert "{" not in hit["message_zh"] + hit["message_en"]
    rule = RULES[code]
    if row == 0:
        return
    if rule.severity == "error":
        assert row not in accepted(res)
        if code == "E103":
            assert codes_at(res, row - 1) == {"E103"}            # both duplicates rejected
            assert accepted(res) == {2}
        else:
            assert accepted(res) == {2}                          # the good row is kept
    else:
        assert row in accepted(res)


def test_implausible_far_of_a_parcel_plot_ratio_limit() -> None:
    res = run("parcels", [good("parcels", RJL="1.2-2.0"),
                          good("parcels", parcel_id="P2", RJL="25")])
    assert codes_at(res, 3) == {"E108"} and accepted(res) == {2}


def test_unknown_parcel_of_a_building() -> None:
    res = run("buildings", [good("buildings", parcel_id="P9")],
              ctx=ValidationContext(known_parcels=frozenset({"P1"})))
    assert codes_at(res, 2) == {"E115"}


# --- 10 000 rows: twelve kinds of broken rows among good ones --------------------------------
def test_ten_thousand_rows_with_broken_ones_mixed_in() -> None:
    n, side = 10_000, 100
    i = np.arange(n)
    x, y = X0 + (i % side) * 50.0, Y0 + (i // side) * 50.0      # a tessellation of 50 m squares
    geoms = np.asarray(shapely.box(x, y, x + 50, y + 50), dtype=object)
    frame = pd.DataFrame({
        "宗地代码": np.char.add("330212001001GB", np.char.zfill(i.astype(str), 5)).astype(object),
        "用地分类代码": "100101", "宗地面积(平方米)": "2500", "权利类型": "出让",
        "使用期限起": "2006/6/1", "使用期限止": "2056年5月31日",
        "权利人统一社会信用代码": np.where(i % 2 == 0, C1, C2).astype(object),
        "所在区县": "330212", "RJL": "1.2-2.0"})
    rng = np.random.default_rng(7)
    picked = rng.choice(n, size=13 * 25, replace=False).reshape(13, 25)
    gone = set(picked[8:10].ravel().tolist())           # rows whose geometry will be unusable
    spare = [r for r in rng.permutation(n).tolist()
             if r not in picked and r % side and r - 1 not in gone]
    shifted = np.array(spare[:25])
    expect: dict[int, str] = {}

    def brk(k: int, code: str, col: str | None = None, value: Any = None) -> np.ndarray:
        rows = picked[k]
        if col is not None:
            frame.loc[rows, col] = value
        for r in rows:
            expect[int(r)] = code
        return rows

    brk(0, "E101", "宗地代码", "")
    brk(1, "E102", "权利人统一社会信用代码", "91310110666007217Y")
    dup = brk(2, "E103")
    frame.loc[dup[1::2], "宗地代码"] = frame.loc[dup[0::2][:12], "宗地代码"].to_numpy()
    for r in dup[-1:]:                     # the 25th row of the group needs a partner too
        frame.loc[r, "宗地代码"] = frame.loc[dup[0], "宗地代码"]
    brk(3, "E104", "宗地面积(平方米)", "两千五")
    brk(4, "E105", "使用期限起", "2006-13-45")
    brk(5, "E106", "宗地面积(平方米)", "-2500")
    brk(6, "E108", "RJL", "35")
    brk(7, "E109", "宗地面积(平方米)", "5000")
    geoms[brk(8, "E110")] = None
    for r in brk(9, "E113"):
        geoms[r] = shapely.box(10_000_000 + r * 100, 0, 10_000_050 + r * 100, 50)
    brk(10, "E116", "权利类型", "赠与")
    brk(11, "E122", "使用期限止", "2001-01-01")
    warned: dict[int, str] = {}
    for r in picked[12]:                    # a bow tie within the square: repaired, kept
        warned[int(r)] = "W111"
        frame.loc[r, "宗地面积(平方米)"] = "1250"   # its two triangles: 2 × 25 × 50 m²
        x0, y0 = x[r], y[r]
        geoms[r] = Polygon([(x0, y0), (x0 + 50, y0 + 50), (x0 + 50, y0), (x0, y0 + 50)])
    for r in shifted:                       # 20 m into the left neighbour: overlaps, kept
        warned[int(r)] = "W112"
        geoms[r] = shapely.box(x[r] - 20, y[r], x[r] + 30, y[r] + 50)
    frame["geometry"] = geoms
    res_h = resolve_headers("parcels", list(frame.columns))
    ctx = ValidationContext(districts=DISTRICTS, known_enterprises=frozenset({C1, C2}))

    # how long this takes is measured in benchmarks/validate_rows.py, never asserted here
    res = validate("parcels", frame, res_h, i + 2, ctx, source="big.csv")

    issues = res.issues
    for r, code in expect.items():
        assert code in codes_at(res, r + 2), (r, code)
    for r, code in warned.items():
        assert code in codes_at(res, r + 2), (r, code)
    broken = {r + 2 for r in expect}
    rejected = set(res.rejected_rows.tolist())
    assert rejected == broken
    assert accepted(res) == set((i + 2).tolist()) - broken         # every good row is kept
    errors = issues[issues["severity"] == "error"]
    assert set(errors["source_row"]) == broken


# --- junk never raises -----------------------------------------------------------------------
JUNK_TEXT = ["", " ", "-", "是", "否", "Y", "2024-02-30", "20240105", "45296", "1,234.5", "１２",
             "nan", "inf", "-1", "1e400", "规上", "出让", "承租", "一级", "战略产业园", C1, C2,
             "９１３１０１１０６６６００７２１７Ｔ", "0", "2024年1月5日", "P1", "B1", "{value}",
             "=1+1", "\n", "1.5", "99999999999999999999"]
cells = st.one_of(st.none(), st.sampled_from(JUNK_TEXT), st.text(max_size=8),
                  st.floats(allow_nan=True, allow_infinity=True),
                  st.integers(min_value=-(10**20), max_value=10**20), st.booleans(),
                  st.dates(), st.datetimes())
shapes = st.sampled_from([
    None, sq(0), sq(0), BOWTIE, Point(X0, Y0), LineString([(X0, Y0), (X0 + 9, Y0)]), Polygon(),
    GeometryCollection([sq(1), Point(X0, Y0)]), box(10_000_000, 0, 10_000_100, 100),
    MultiPolygon([sq(2), sq(3)]), box(X0, Y0, X0, Y0 + 5)])


@st.composite
def junk_tables(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    table = KINDS[kind]
    names = [*ENTITIES[table].columns, "税收(元)", "ZDMJ", "MJDW", "RJL", "ZZDMJ", "备注"]
    headers = draw(st.lists(st.sampled_from(names), min_size=1, max_size=9, unique=True))
    n = draw(st.integers(min_value=1, max_value=6))
    data = {h: draw(st.lists(cells, min_size=n, max_size=n)) for h in headers}
    frame = pd.DataFrame(data)
    if kind in SPATIAL:
        frame["geometry"] = draw(st.lists(shapes, min_size=n, max_size=n))
    return kind, frame


CTX = ValidationContext(
    known_enterprises=frozenset({C1, C2}), known_parcels=frozenset({"P1"}),
    known_buildings=frozenset({"B1"}), districts=DISTRICTS, year=2024,
    existing_parcels=gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[sq(0)], crs=4549))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk_tables())
def test_junk_never_raises_and_every_row_is_accounted_for(table: tuple[str, pd.DataFrame]
                                                          ) -> None:
    kind, frame = table
    rows = np.arange(2, 2 + len(frame))
    res = validate(kind, frame, resolve_headers(kind, [str(c) for c in frame.columns]), rows,
                   CTX, source="junk.csv")
    valid = set(res.valid["source_row"].tolist())
    rejected = set(res.rejected_rows.tolist())
    assert valid | rejected == set(rows.tolist()) and not valid & rejected
    errors = res.issues[res.issues["severity"] == "error"]
    assert not valid & set(errors["source_row"])
    if not (errors["source_row"] == 0).any():
        assert rejected == set(errors["source_row"])
    assert list(res.issues.columns) == list(ISSUE_COLUMNS)
    assert res.issues["source_row"].dtype == "int64"
    check_frame(ENTITIES[KINDS[kind]], res.valid)


TEXT_CELLS = st.one_of(
    st.none(), st.sampled_from(JUNK_TEXT),
    st.sampled_from(["", " ", "NULL", " n/a ", "Na", "—", "ＮＵＬＬ", "\u3000Ｐ１\u3000", "P1 ",
                     "\x1cP1\x1f", "İNA", "\u212aA", "B1\u2003", " 2010 ", "2006年6月1日",
                     "是", "Y", "出让", " 厂房", C1, f" {C1.lower()} ", "330212", "鄞州区"]),
    st.text(alphabet=st.sampled_from(list(" \t\u3000\xa0aAnN/-—1０P")), max_size=6))


@st.composite
def text_tables(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    table = KINDS[kind]
    headers = draw(st.lists(st.sampled_from(ENTITIES[table].columns), min_size=1, max_size=9,
                            unique=True))
    n = draw(st.integers(min_value=1, max_value=80))
    frame = pd.DataFrame({h: draw(st.lists(TEXT_CELLS, min_size=n, max_size=n))
                          for h in headers}, dtype=object)
    return kind, frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_tables())
def test_arrow_and_python_text_columns_validate_alike(table: tuple[str, pd.DataFrame]) -> None:
    """GeoPackage reads give Arrow-backed text; CSV-like tables give Python objects. Both are
    trimmed, recognised as missing and normalised the same way."""
    kind, frame = table
    results = []
    for dtype in (object, pd.StringDtype("pyarrow")):
        f = frame.astype(dtype)
        if kind in SPATIAL:
            f["geometry"] = [sq(i) for i in range(len(f))]
        results.append(validate(kind, f, resolve_headers(kind, [str(c) for c in f.columns]),
                                np.arange(2, 2 + len(f)), CTX, source="t.csv"))
    a, b = results
    pd.testing.assert_frame_equal(a.issues, b.issues)
    pd.testing.assert_frame_equal(pd.DataFrame(a.valid), pd.DataFrame(b.valid))


def test_whitespace_table_is_what_str_strip_removes() -> None:
    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(validate_module._WHITESPACE) == every


# --- the documented examples import cleanly --------------------------------------------------
def _with_wkt(frame: pd.DataFrame) -> pd.DataFrame:
    """A CSV's ``wkt`` column as the geometry (the import service does the same)."""
    if "wkt" not in frame.columns:
        return frame
    geoms = shapely.from_wkt(frame["wkt"].replace("", None).to_numpy(dtype=object))
    return gpd.GeoDataFrame(frame.drop(columns="wkt"), geometry=geoms, crs=4549)


def _check_clean(kind: str, frame: pd.DataFrame, ctx: ValidationContext) -> ValidationResult:
    res = validate(kind, frame, resolve_headers(kind, [str(c) for c in frame.columns]),
                   np.arange(2, 2 + len(frame)), ctx, source=kind)
    assert (res.issues["severity"] != "error").all(), (kind, res.issues)
    assert len(res.valid) == len(frame), kind
    return res


def test_examples_validate_without_errors() -> None:
    read = {kind: _with_wkt(pd.read_csv(EXAMPLES / f"{kind}.csv", dtype=str,
                                        keep_default_na=False)) for kind in KINDS}
    ctx = ValidationContext(
        known_enterprises=frozenset(read["enterprises"]["credit_code"]),
        known_parcels=frozenset(read["parcels"]["parcel_id"]),
        known_buildings=frozenset(read["buildings"]["building_id"]),
        districts=DISTRICTS, year=2024)
    results = {kind: _check_clean(kind, frame, ctx) for kind, frame in read.items()}
    # the second building has no gfa_m2: 60 × 30 m × 1 storey = 1 800 m² (its 12 m storey
    # counts twice only in FAR)
    assert results["buildings"].valid["gfa_m2"].tolist() == [9600.0, 1800.0, 42000.0]
    geojson = gpd.read_file(EXAMPLES / "parcels.geojson").to_crs(4549)
    res = _check_clean("parcels", geojson, ctx)
    assert res.valid["area_m2"].tolist() == results["parcels"].valid["area_m2"].tolist()
    assert res.valid["right_start"].tolist() == results["parcels"].valid["right_start"].tolist()


def test_doc_snippets_validate_without_errors() -> None:
    doc = (EXAMPLES.parent / "import-format.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```csv\n(.*?)```", doc, flags=re.S)
    assert len(snippets) == 2
    ind = pd.read_csv(io.StringIO(snippets[0]), dtype=str, keep_default_na=False)
    res = _check_clean("indicators", ind, ValidationContext(year=2024))
    assert res.valid[["tax", "electricity_kwh"]].values.tolist() == [[2100.3, 18_500_000.0]]
    par = _with_wkt(pd.read_csv(io.StringIO(snippets[1]), dtype=str, keep_default_na=False))
    res = _check_clean("parcels", par, ValidationContext())
    assert res.valid["area_m2"].tolist() == [12000.0]          # 18 亩 × 2000/3
    assert res.valid["right_type"].tolist() == ["grant"]
    assert set(res.extras.columns) == {"source_row", "unit_number", "address", "area_unit"}
