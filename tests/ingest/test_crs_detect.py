"""CRS detection and transformation (reference-data.md §3), golden cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from indspace.core.errors import ValidationError
from indspace.core.geo import NINGBO, CrsDecision, Region, detect_crs, identify_epsg, to_crs

P = shapely.Point
LON, LAT = 121.55, 29.87
"""Reference point of reference-data §3 (recomputed values below)."""
E4549, N4549 = 649_758, 3_306_712
E4550, N4550 = 359_905, 3_306_586
E4529 = 41_359_905


def pts(*xy: tuple[float, float]) -> np.ndarray:
    return np.array([P(x, y) for x, y in xy], dtype=object)


def project(epsg: int, lon: float = LON, lat: float = LAT) -> tuple[float, float]:
    x, y = Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)
    return float(x), float(y)


# --------------------------------------------------------------------------- reference point


@pytest.mark.parametrize(("epsg", "east", "north"), [
    (4549, E4549, N4549), (4550, E4550, N4550), (4529, E4529, N4550),
])
def test_reference_point_recomputed_values(epsg: int, east: float, north: float) -> None:
    x, y = project(epsg)
    assert abs(x - east) <= 1.0 and abs(y - north) <= 1.0


@pytest.mark.parametrize("src", [4490, 4550, 4529, 4528, 4549])
@pytest.mark.parametrize("swapped", [False, True])
def test_round_trip_into_4549_within_a_centimetre(src: int, swapped: bool) -> None:
    lons = np.array([LON, 120.95, 122.25, 121.2])
    lats = np.array([LAT, 28.9, 30.45, 29.8])
    xs, ys = Transformer.from_crs(4490, src, always_xy=True).transform(lons, lats)
    ex, ey = Transformer.from_crs(4490, 4549, always_xy=True).transform(lons, lats)
    stored = pts(*((y, x) if swapped else (x, y) for x, y in zip(xs, ys, strict=True)))
    decision = detect_crs(stored)
    assert (decision.epsg, decision.swapped_axes) == (src, swapped)
    out = to_crs(stored, decision, 4549)
    got = shapely.get_coordinates(out)
    assert np.abs(got - np.column_stack([ex, ey])).max() < 0.01
    # and back again
    back = to_crs(out, CrsDecision(4549, "given", False, "", ""), src)
    want = np.column_stack([xs, ys])
    assert np.abs(shapely.get_coordinates(back) - want).max() < 0.01


# --------------------------------------------------------------------------- detection branches


@pytest.mark.parametrize(("coords", "epsg", "swapped", "needle"), [
    pytest.param([(LON, LAT), (121.2, 29.8)], 4490, False, "GCJ-02", id="geographic"),
    pytest.param([(LAT, LON), (29.8, 121.2)], 4490, True, "纬度在前", id="geographic-lat-lon"),
    pytest.param([(E4549, N4549)], 4549, False, "120°E", id="plain-cm120"),
    pytest.param([(E4550, N4550)], 4550, False, "123°E", id="plain-cm123"),
    pytest.param([(N4549, E4549)], 4549, True, "X/Y", id="plain-swapped"),
    pytest.param([(N4550, E4550)], 4550, True, "X/Y", id="plain-cm123-swapped"),
    pytest.param([(E4529, N4550)], 4529, False, "41 带", id="zone-41"),
    pytest.param([(project(4528)[0], project(4528)[1])], 4528, False, "40 带", id="zone-40"),
    pytest.param([(N4550, E4529)], 4529, True, "X/Y", id="zone-swapped"),
    pytest.param([(500_001, 3.3e6)], 4549, False, "E > 500 000", id="rule-just-east"),
    pytest.param([(499_999, 3.3e6)], 4550, False, "E > 500 000", id="rule-just-west"),
    pytest.param([(21_359_905, 3.3e6)], 4499, False, "6°", id="legacy-6-degree-zone"),
])
def test_detect_branches(coords: list[tuple[float, float]], epsg: int, swapped: bool,
                         needle: str) -> None:
    d = detect_crs(pts(*coords))
    assert (d.epsg, d.source, d.swapped_axes) == (epsg, "detected", swapped)
    assert needle in d.reason_zh + d.reason_en
    assert d.reason_zh and d.reason_en


def test_geographic_reason_warns_about_gcj02_and_bd09() -> None:
    d = detect_crs(pts((LON, LAT)))
    assert "GCJ-02" in d.reason_zh and "BD-09" in d.reason_zh
    assert "GCJ-02" in d.reason_en and "BD-09" in d.reason_en


def test_sample_parcels_detected_as_zone_40(parcels_4528) -> None:  # type: ignore[no-untyped-def]
    d = detect_crs(parcels_4528.geometry.values)
    assert (d.epsg, d.swapped_axes) == (4528, False)


def test_declared_crs_is_used_when_coordinates_agree(parcels_4528) -> None:  # type: ignore[no-untyped-def]
    d = detect_crs(parcels_4528.geometry.values, declared_epsg=4528)
    assert (d.epsg, d.source, d.swapped_axes) == (4528, "declared", False)
    assert "4528" in d.reason_zh


def test_declared_crs_with_survey_order_is_kept_and_swapped() -> None:
    d = detect_crs(pts((N4549, E4549)), declared_epsg=4549)
    assert (d.epsg, d.source, d.swapped_axes) == (4549, "declared", True)


@pytest.mark.parametrize(("coords", "declared", "epsg", "needle"), [
    pytest.param([(E4549, N4549)], 4490, 4549, "经纬度范围", id="4490-but-metres"),
    pytest.param([(E4529, N4550)], 4549, 4529, "6 位数", id="4549-but-zone-prefix"),
    pytest.param([(E4529, N4550)], 4528, 4529, "带号 40", id="4528-but-zone-41"),
    pytest.param([(E4549, N4549)], 4528, 4549, "带号 40", id="4528-but-plain"),
    pytest.param([(LON, LAT)], 4549, 4490, "经纬度", id="4549-but-degrees"),
    pytest.param([(LON, LAT)], 3857, 4490, "经纬度", id="web-mercator-but-degrees"),
])
def test_declared_wrong_is_detected_and_explained(coords: list[tuple[float, float]],
                                                  declared: int, epsg: int, needle: str) -> None:
    d = detect_crs(pts(*coords), declared_epsg=declared)
    assert (d.epsg, d.source) == (epsg, "detected")
    assert f"EPSG:{declared}" in d.reason_zh and "声明有误" in d.reason_zh
    assert "declaration is wrong" in d.reason_en
    assert needle in d.reason_zh


def test_declared_crs_far_from_region_is_kept_with_a_warning() -> None:
    # 4550 data declared as 4549 (a classic mix-up): the declaration is possible, so kept
    d = detect_crs(pts((E4550, N4550)), declared_epsg=4549)
    assert (d.epsg, d.source) == (4549, "declared")
    assert "不在宁波范围" in d.reason_zh and "outside Ningbo" in d.reason_en


def test_unknown_declared_epsg_falls_back_to_detection() -> None:
    d = detect_crs(pts((E4549, N4549)), declared_epsg=999_999)
    assert (d.epsg, d.source) == (4549, "detected")
    assert "999999" in d.reason_zh


def test_given_crs_wins_over_declaration_and_detection() -> None:
    d = detect_crs(pts((E4549, N4549)), declared_epsg=4549, given_epsg=4550)
    assert (d.epsg, d.source, d.swapped_axes) == (4550, "given", False)
    assert "用户指定" in d.reason_zh


def test_given_crs_detects_survey_order() -> None:
    d = detect_crs(pts((N4549, E4549)), given_epsg=4549)
    assert (d.epsg, d.source, d.swapped_axes) == (4549, "given", True)


def test_given_crs_contradicted_is_kept_with_warning() -> None:
    d = detect_crs(pts((E4549, N4549)), given_epsg=4490)
    assert (d.epsg, d.source, d.swapped_axes) == (4490, "given", False)
    assert "警告" in d.reason_zh and "Warning" in d.reason_en


def test_given_unknown_epsg_is_an_error() -> None:
    with pytest.raises(ValidationError, match="EPSG:123456"):
        detect_crs(pts((E4549, N4549)), given_epsg=123456)


def test_none_and_empty_geometries_are_ignored() -> None:
    geoms = np.array([None, shapely.Point(), P(E4549, N4549), shapely.Polygon()], dtype=object)
    assert detect_crs(geoms).epsg == 4549


def test_no_coordinates_uses_given_or_declared_else_fails() -> None:
    empty = np.array([None, shapely.Point()], dtype=object)
    assert detect_crs(empty, given_epsg=4549).source == "given"
    assert detect_crs(empty, declared_epsg=4528).source == "declared"
    with pytest.raises(ValidationError, match="--crs"):
        detect_crs(empty)


@pytest.mark.parametrize(("coords", "needle"), [
    pytest.param([(5_000, 3_000)], "--crs", id="local-cad-coordinates"),
    pytest.param([(1e9, 1e9)], "--crs", id="out-of-every-range"),
    pytest.param([(40_600_000, 3.3e6), (41_400_000, 3.3e6)], "40–41", id="two-zones"),
    pytest.param([(LON, LAT), (E4529, N4550)], "混有", id="mixed-magnitudes"),
    pytest.param([(3.3e6, 3.4e6)], "--crs", id="two-northings"),
    pytest.param([(99_000_000, 3.3e6)], "带号 99", id="zone-not-in-china"),
])
def test_impossible_coordinates_explain_how_to_fix(coords: list[tuple[float, float]],
                                                   needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        detect_crs(pts(*coords))
    err = info.value
    assert needle in str(err)
    assert err.hint_zh and "--crs" in err.hint_zh and err.hint_en and "--crs" in err.hint_en


def test_declared_wrong_and_undetectable_says_both() -> None:
    with pytest.raises(ValidationError) as info:
        detect_crs(pts((5_000, 3_000)), declared_epsg=4490)
    assert "EPSG:4490" in info.value.message_zh and "无法从坐标判断" in info.value.message_zh


def test_non_finite_coordinates_are_an_error() -> None:
    with pytest.raises(ValidationError, match="NaN"):
        detect_crs(pts((float("nan"), 1.0), (E4549, N4549)))


def test_non_geometry_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        detect_crs(np.array(["POINT (1 2)"], dtype=object))


# --------------------------------------------------------------------------- region parameter


def test_region_zones_and_codes() -> None:
    assert NINGBO.zones == (40, 41)
    assert NINGBO.plain_epsgs == (4549, 4550)
    assert NINGBO.zone_epsgs == (4528, 4529)
    with pytest.raises(ValueError):
        Region("x", "x", 10.0, 20.0, 0.0, 10.0)


def test_other_region_picks_its_own_central_meridian() -> None:
    guangzhou = Region("广州", "Guangzhou", 112.9, 114.1, 22.5, 24.0)
    assert guangzhou.plain_epsgs == (4547,)
    x, y = project(4547, 113.3, 23.1)
    d = detect_crs(pts((x, y)), region=guangzhou)
    assert d.epsg == 4547 and "广州" in d.reason_zh
    assert "不在" not in d.reason_zh
    # the same numbers in a Ningbo deployment land on CM 123°E and get a warning
    d = detect_crs(pts((x, y)))
    assert d.epsg == 4550 and "不在宁波范围" in d.reason_zh


def test_region_spanning_three_zones_uses_nearest_meridian_or_asks() -> None:
    # spans CM 117 and CM 120 but reaches east of 120°E: the 500 000 rule does not hold
    wide = Region("西", "West", 117.2, 121.0, 28.0, 31.0)
    assert wide.plain_epsgs == (4548, 4549)
    x, y = project(4549, 119.0, 29.5)  # E ≈ 403 000: 119.0°E under CM 120, 116.0°E under 117
    assert detect_crs(pts((x, y)), region=wide).epsg == 4549
    x, y = project(4548, 117.3, 29.5)  # E ≈ 529 000: 117.3°E under CM 117, 120.3°E under 120
    with pytest.raises(ValidationError, match="EPSG:4548"):
        detect_crs(pts((x, y)), region=wide)


# --------------------------------------------------------------------------- identify_epsg

ESRI_4549 = ('PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_'
             'System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_'
             'Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
             'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER['
             '"Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
ESRI_4490 = ('GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
             'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
             'UNIT["Degree",0.0174532925199433]]')


@pytest.mark.parametrize(("crs", "epsg"), [
    (ESRI_4549, 4549),
    (ESRI_4549.replace("CM_120E", "Zone_40").replace('"False_Easting",500000.0',
                                                      '"False_Easting",40500000.0'), 4528),
    (ESRI_4490, 4490),
    ("+proj=tmerc +lat_0=0 +lon_0=123 +k=1 +x_0=41500000 +y_0=0 +ellps=GRS80 +units=m", 4529),
    ("+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m", 4549),
    # Krasovsky ellipsoid: Beijing 1954, not CGCS2000
    ("+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=krass +units=m", 2437),
    ("EPSG:2364", 2364),
    ("OGC:CRS84", 4326),
    ("+proj=longlat +ellps=GRS80 +no_defs", None),
    (4550, 4550),
    (None, None),
    ("garbage", None),
])
def test_identify_epsg(crs: object, epsg: int | None) -> None:
    assert identify_epsg(crs) == epsg


# --------------------------------------------------------------------------- to_crs


def test_to_crs_keeps_none_empty_and_z() -> None:
    geoms = np.array([None, shapely.Point(), shapely.Point(E4550, N4550, 12.5),
                      shapely.box(E4550, N4550, E4550 + 10, N4550 + 10)], dtype=object)
    d = detect_crs(geoms)
    out = to_crs(geoms, d, 4549)
    assert out[0] is None and out[1].is_empty
    assert out[2].has_z and out[2].z == 12.5
    assert abs(out[2].x - E4549) < 1 and abs(out[2].y - N4549) < 1
    assert shapely.area(out[3]) == pytest.approx(100.0, rel=2e-3)


def test_to_crs_identity_and_swap_only() -> None:
    geoms = pts((E4549, N4549))
    same = to_crs(geoms, CrsDecision(4549, "declared", False, "", ""), 4549)
    assert shapely.equals(same[0], geoms[0]) and same is not geoms
    swapped = to_crs(pts((N4549, E4549)), CrsDecision(4549, "declared", True, "", ""), 4549)
    assert (swapped[0].x, swapped[0].y) == (E4549, N4549)


def test_to_crs_accepts_a_geoseries(parcels_4528) -> None:  # type: ignore[no-untyped-def]
    d = detect_crs(parcels_4528.geometry)
    out = to_crs(parcels_4528.geometry, d, 4549)
    want = parcels_4528.to_crs(4549).geometry.values
    assert shapely.equals_exact(out, np.asarray(want), tolerance=0.01).all()


def test_to_crs_non_finite_result_is_an_error() -> None:
    # plain 6-digit eastings forced into zone 40 land 40 000 km off the central meridian
    with pytest.raises(ValidationError, match="EPSG:4528"):
        to_crs(pts((E4549, N4549)), CrsDecision(4528, "given", False, "", ""), 4549)


def test_to_crs_unknown_target_is_an_error() -> None:
    with pytest.raises(ValidationError, match="999999"):
        to_crs(pts((E4549, N4549)), CrsDecision(4549, "given", False, "", ""), 999_999)


# --------------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(NINGBO.lon_min, NINGBO.lon_max),
    lat=st.floats(NINGBO.lat_min, NINGBO.lat_max),
    size_m=st.floats(1.0, 5_000.0),
    src=st.sampled_from([4490, 4549, 4550, 4528, 4529]),
    swapped=st.booleans(),
)
def test_any_ningbo_feature_is_detected_and_lands_right(lon: float, lat: float, size_m: float,
                                                        src: int, swapped: bool) -> None:
    """Data anywhere in Ningbo, in any of its five systems, in either axis order."""
    x, y = Transformer.from_crs(4490, src, always_xy=True).transform(lon, lat)
    d = size_m / 111_000.0 if src == 4490 else size_m
    coords = [(x, y), (x + d, y + d)]
    line = shapely.LineString([(b, a) for a, b in coords] if swapped else coords)
    geoms = np.array([line], dtype=object)
    decision = detect_crs(geoms)
    assert (decision.epsg, decision.swapped_axes) == (src, swapped)
    out = to_crs(geoms, decision, 4549)[0]
    ex, ey = Transformer.from_crs(4490, 4549, always_xy=True).transform(lon, lat)
    first = shapely.get_coordinates(out)[0]
    assert abs(first[0] - ex) < 0.01 and abs(first[1] - ey) < 0.01
