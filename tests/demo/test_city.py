"""The synthetic demo city: contracts, geometry, calibration, planted anomalies, determinism."""

from __future__ import annotations

import inspect
from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely

import indspace.demo
from indspace.core.model.credit_code import is_valid_credit_code
from indspace.core.model.entities import ENTITIES, check_frame
from indspace.core.model.units import M2_PER_MU
from indspace.demo import SIZES, DemoCity, build_city, iter_city_parts

AS_OF = date(2025, 12, 31)


# --- helpers: recompute from the data what an engine would -----------------------------

def true_parcel(city: DemoCity) -> pd.Series:
    """The parcel each building stands on: its id's prefix (``<parcel_id>-F001``), whatever
    its parcel code says (a third have none, a few a wrong one)."""
    return city.buildings["building_id"].str.slice(0, 19)


def counted_far(city: DemoCity) -> pd.Series:
    """FAR per parcel with storeys over 8 m counted twice (glossary ``plot_ratio``)."""
    b = city.buildings
    counted = b["gfa_m2"] * np.where(b["height_m"] / b["floors"] > 8, 2, 1)
    p = city.parcels.set_index("parcel_id")
    far = counted.groupby(true_parcel(city)).sum().reindex(p.index, fill_value=0.0)
    return far / p.geometry.area


def tax_per_mu(city: DemoCity) -> tuple[pd.Series, float]:
    """Last-year tax per mu of every firm on land attributed by floor share, and the mean."""
    o = city.occupancy
    area = city.parcels.set_index("parcel_id").geometry.area
    floor_total = o.groupby("parcel_id")["floor_area_m2"].transform("sum")
    share = np.where(floor_total > 0, o["floor_area_m2"] / floor_total,
                     (o["role"] == "owner").astype(float))
    land_mu = (share * area.reindex(o["parcel_id"]).to_numpy() / M2_PER_MU)
    land = pd.Series(land_mu).groupby(o["credit_code"].to_numpy()).sum()
    ind = city.indicators
    tax = ind[ind["year"] == AS_OF.year].set_index("credit_code")["tax"]
    land = land.reindex(tax.index)
    return tax / land, float(tax.sum() / land.sum())


def inside_line(city: DemoCity) -> pd.Series:
    p = city.parcels
    tree = shapely.STRtree(city.control_lines.geometry.to_numpy())
    idx, _ = tree.query(p.geometry.to_numpy(), predicate="covered_by")
    flag = np.zeros(len(p), dtype=bool)
    flag[idx] = True
    return pd.Series(flag, index=p["parcel_id"])


def anomalies(city: DemoCity, kind: str, prefix: str = "") -> pd.DataFrame:
    a = city.anomalies
    a = a[a["kind"] == kind]
    return a[a["detail"].str.startswith(prefix)] if prefix else a


# --- contracts and sizes ---------------------------------------------------------------

def test_public_surface() -> None:
    assert sorted(indspace.demo.__all__) == sorted(
        n for n, v in vars(indspace.demo).items()
        if not n.startswith("_") and not inspect.ismodule(v))


def test_size_table_is_data() -> None:
    assert set(SIZES) == {"small", "city", "province"}
    assert SIZES["city"].parcels == 40_000 and SIZES["city"].buildings == 150_000
    assert SIZES["province"].parcels == 30 * SIZES["city"].parcels
    assert SIZES["small"].factor == 1.0


def test_frames_meet_their_contracts(small_city: DemoCity) -> None:
    for name, frame in small_city.tables().items():
        entity = ENTITIES[name]
        check_frame(entity, frame, source=name)
        expected = entity.columns + (["geometry"] if entity.geometry else [])
        assert list(frame.columns) == expected, name
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, name
        key = frame[list(entity.key)]
        assert not key.duplicated().any(), name
        assert key.equals(key.sort_values(list(entity.key), ignore_index=True)), name
        if entity.geometry:
            assert frame.crs.to_epsg() == 4549, name
            assert (frame.geom_type == "MultiPolygon").all(), name
            assert frame.is_valid.all(), name
    assert list(small_city.anomalies.columns) == ["kind", "table_name", "record_key", "detail"]


def test_counts_in_range(small_city: DemoCity) -> None:
    c = small_city
    assert len(c.districts) == 10
    assert len(c.enterprises) == 2_000 and len(c.parcels) == 2_500
    assert 0.9 * 9_400 < len(c.buildings) < 1.1 * 9_400
    assert 80 <= len(c.parks) <= 90
    assert c.parks["tier"].value_counts()["strategic"] <= 20
    n_above = (c.enterprises["scale"] == "above").sum()
    assert 4.0 < (len(c.enterprises) - n_above) / n_above < 4.4
    assert 4.8 * len(c.enterprises) < len(c.indicators) <= 5 * len(c.enterprises)
    assert set(c.indicators["year"]) == set(range(AS_OF.year - 4, AS_OF.year + 1))
    tenants = c.occupancy[c.occupancy["role"] == "tenant"]
    hosts = tenants["parcel_id"].nunique() / len(c.parcels)
    assert 0.13 < hosts < 0.2
    assert tenants.groupby("parcel_id").size().between(1, 5).all()
    owners = set(c.occupancy.loc[c.occupancy["role"] == "owner", "credit_code"])
    below = c.enterprises[c.enterprises["scale"] == "below"]
    landless = ~below["credit_code"].isin(owners)
    assert 0.3 < landless.mean() < 0.4
    assert set(c.parcels["district"]) == set(c.districts["admin_code"])


def test_ids_follow_their_formats(small_city: DemoCity) -> None:
    c = small_city
    assert c.parcels["parcel_id"].str.fullmatch(r"3302\d{8}GB\d{5}").all()
    assert (c.parcels["parcel_id"].str.slice(0, 6) == c.parcels["district"]).all()
    assert c.buildings["building_id"].str.fullmatch(r"3302\d{8}GB\d{5}-F\d{3}").all()
    coded = c.buildings["parcel_id"].notna()
    wrong = set(anomalies(c, "wrong_parcel_code")["record_key"])
    right = coded & ~c.buildings["building_id"].isin(wrong)
    assert (true_parcel(c)[right] == c.buildings["parcel_id"][right]).all()
    assert (true_parcel(c)[~right & coded] != c.buildings["parcel_id"][~right & coded]).all()
    assert 0.30 < 1 - coded.mean() < 0.37                   # a third without a parcel code
    assert len(wrong) == 6 and coded[c.buildings["building_id"].isin(wrong)].all()
    assert c.control_lines["block_id"].str.fullmatch(r"CL-3302\d\d-\d{4}").all()
    assert c.occupancy["occupancy_id"].str.fullmatch(r"OC-\d{6}").all()
    assert c.occupancy["occupancy_id"].iloc[0] == "OC-000001"
    assert c.control_lines["park_id"].isin(c.parks["park_id"]).all()
    assert c.enterprises["chain"].dropna().str.fullmatch(r"361-2025:[a-z_]+").all()
    assert c.enterprises["industry_code"].str.fullmatch(r"\d{4}").all()
    div = c.enterprises["industry_code"].str.slice(0, 2).astype(int)
    assert div.between(13, 43).all()
    assert c.enterprises["name"].str.endswith("公司").all()
    assert c.enterprises["name"].is_unique


def test_credit_codes_valid_unique_and_linked(small_city: DemoCity) -> None:
    c = small_city
    codes = c.enterprises["credit_code"]
    assert codes.is_unique
    assert all(is_valid_credit_code(x) for x in codes)
    assert (codes.str.slice(2, 8) == c.enterprises["district"]).all()
    assert c.parcels["owner_credit_code"].isin(codes).all()
    assert c.occupancy["credit_code"].isin(codes).all()
    assert c.indicators["credit_code"].isin(codes).all()
    assert c.occupancy["parcel_id"].isin(c.parcels["parcel_id"]).all()
    assert c.occupancy["building_id"].dropna().isin(c.buildings["building_id"]).all()


# --- geometry ----------------------------------------------------------------------------

def test_parcels_do_not_overlap(small_city: DemoCity) -> None:
    geoms = small_city.parcels.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = a < b
    assert pair.sum() > 0                                    # neighbours touch …
    overlap = shapely.area(shapely.intersection(geoms[a[pair]], geoms[b[pair]]))
    assert overlap.max() == 0.0                              # … but never overlap


def test_buildings_lie_within_their_parcel(small_city: DemoCity) -> None:
    c = small_city
    parcel = c.parcels.set_index("parcel_id").geometry
    assert shapely.within(c.buildings.geometry.to_numpy(),
                          parcel.loc[true_parcel(c)].to_numpy()).all()


def test_parcels_blocks_and_parks_lie_within_their_district(small_city: DemoCity) -> None:
    c = small_city
    district = c.districts.set_index("admin_code").geometry
    for frame in (c.parcels, c.control_lines, c.parks):
        assert shapely.covered_by(frame.geometry.to_numpy(),
                                  district.loc[frame["district"]].to_numpy()).all()
    park = c.parks.set_index("park_id").geometry
    assert shapely.covered_by(c.control_lines.geometry.to_numpy(),
                              park.loc[c.control_lines["park_id"]].to_numpy()).all()


def test_parcel_shapes_and_areas(small_city: DemoCity) -> None:
    p = small_city.parcels
    x0, y0, x1, y1 = shapely.bounds(p.geometry.to_numpy()).T
    ratio = np.maximum(x1 - x0, y1 - y0) / np.minimum(x1 - x0, y1 - y0)
    assert ratio.max() < 3.3                                  # 1:1 – 1:3 up to rounding
    rel = (p["area_m2"] / p.geometry.area - 1).abs()
    assert (rel > 0.05).sum() == len(anomalies(small_city, "bad_record", "area_mismatch"))
    assert (rel[rel <= 0.05] < 1e-6).all()


# --- calibration (synthetic-data.md §2–§4) -------------------------------------------------

def test_control_line_covers_about_85_percent(small_city: DemoCity) -> None:
    flag = inside_line(small_city).to_numpy()
    area = small_city.parcels.geometry.area.to_numpy()
    assert 0.82 < area[flag].sum() / area.sum() < 0.88
    out = small_city.parcels[~flag]
    cixi_yuyao = out["district"].isin(["330281", "330282"])
    assert out.geometry.area[cixi_yuyao].sum() / out.geometry.area.sum() > 0.5


def test_supply_eras_and_far(small_city: DemoCity) -> None:
    p = small_city.parcels
    year = pd.to_datetime(p["right_start"]).dt.year
    era = np.select([year < 2005, year <= 2020], [0, 1], 2)
    shares = np.bincount(era, minlength=3) / len(p)
    np.testing.assert_allclose(shares, [0.35, 0.55, 0.10], atol=0.04)
    far = counted_far(small_city).to_numpy()
    bad = p["parcel_id"].isin(anomalies(small_city, "bad_record", "far_gt_20")["record_key"])
    built = far > 0
    for e, (lo, hi) in enumerate([(0.4, 0.9), (0.8, 1.6), (2.0, 3.5)]):
        f = far[(era == e) & built & ~bad.to_numpy()]
        assert lo - 1e-6 <= f.min() and f.max() <= hi + 1e-6, e
    tall = small_city.buildings
    assert ((tall["floors"] == 1) & (tall["height_m"] > 8)).any()


def test_aggregate_economics(small_city: DemoCity) -> None:
    ind = small_city.indicators
    last = ind[(ind["year"] == AS_OF.year) & (ind["employees"] > 0) & (ind["tax"] < ind["revenue"])]
    assert 0.18 < last["value_added"].sum() / last["revenue"].sum() < 0.3
    assert 1.8 < last["value_added"].sum() / last["energy_tce"].sum() < 3.2
    assert 20 < last["value_added"].sum() / last["employees"].sum() < 35
    scale = small_city.enterprises.set_index("credit_code")["scale"]
    tpm, _ = tax_per_mu(small_city)
    tax = ind[ind["year"] == AS_OF.year].set_index("credit_code")["tax"]
    land = tax / tpm
    above = scale.reindex(tax.index) == "above"
    assert 30 < tax[above].sum() / land[above].sum() < 60        # ≈ 43 万元/亩
    assert 8 < tax[~above].sum() / land[~above].sum() < 20       # ≈ 13 万元/亩
    veto = (ind["safety_veto"] | ind["environment_veto"]).mean()
    assert 0.003 < veto < 0.02


# --- planted anomalies ------------------------------------------------------------------------

def test_every_kind_is_planted(small_city: DemoCity) -> None:
    kinds = small_city.anomalies["kind"].value_counts()
    assert kinds["low_efficiency"] == 8 and kinds["low_efficiency_cluster"] == 3
    assert kinds["idle_land"] == 10 and kinds["outside_line_d"] == 4
    assert kinds["bad_record"] == 8


def test_low_efficiency_parcels_are_findable(small_city: DemoCity) -> None:
    c = small_city
    far = counted_far(c)
    tpm, mean = tax_per_mu(c)
    p = c.parcels.set_index("parcel_id")
    keys = list(anomalies(c, "low_efficiency")["record_key"])
    for k in anomalies(c, "low_efficiency_cluster")["record_key"]:
        keys += k.split(";")
    assert len(keys) >= 8 + 3 * 3
    for pid in keys:
        assert p.loc[pid, "right_start"] < date(2005, 1, 1)
        assert far[pid] < 0.8
        assert tpm[p.loc[pid, "owner_credit_code"]] < 0.4 * mean


def test_planted_clusters_really_touch(small_city: DemoCity) -> None:
    p = small_city.parcels.set_index("parcel_id").geometry
    for key in anomalies(small_city, "low_efficiency_cluster")["record_key"]:
        ids = key.split(";")
        assert 3 <= len(ids) <= 8
        g = p.loc[ids].to_numpy()
        touch = shapely.touches(g[:, None], g[None, :])
        overlap = shapely.area(shapely.intersection(g[:, None], g[None, :]))
        assert (overlap[~np.eye(len(ids), dtype=bool)] == 0).all()
        seen, todo = {0}, [0]                                 # connected through touches
        while todo:
            i = todo.pop()
            for j in np.flatnonzero(touch[i]):
                if j not in seen:
                    seen.add(int(j))
                    todo.append(int(j))
        assert len(seen) == len(ids)


def test_idle_land_is_findable(small_city: DemoCity) -> None:
    c = small_city
    p = c.parcels.set_index("parcel_id")
    with_buildings = set(true_parcel(c))
    keys = anomalies(c, "idle_land")["record_key"]
    for pid in keys:
        assert pid not in with_buildings
        assert date(2021, 1, 1) <= p.loc[pid, "right_start"] <= date(2023, 12, 31)
        assert p.loc[pid, "right_type"] == "grant"
    assert set(p.index.difference(list(with_buildings))) == set(keys)


def test_outside_line_d_owners_are_findable(small_city: DemoCity) -> None:
    c = small_city
    inside = inside_line(c)
    tpm, mean = tax_per_mu(c)
    owner = c.parcels.set_index("parcel_id")["owner_credit_code"]
    for pid in anomalies(c, "outside_line_d")["record_key"]:
        assert not inside[pid]
        assert tpm[owner[pid]] < 0.4 * mean


def test_bad_records_are_exactly_the_planted_ones(small_city: DemoCity) -> None:
    c = small_city
    ind = c.indicators
    key = ind["credit_code"] + "|" + ind["year"].astype(str)
    assert set(key[ind["tax"] > ind["revenue"]]) == set(
        anomalies(c, "bad_record", "tax_gt_revenue")["record_key"])
    assert set(key[ind["employees"] < 0]) == set(
        anomalies(c, "bad_record", "negative_employees")["record_key"])
    far = counted_far(c)
    assert set(far.index[far > 20]) == set(anomalies(c, "bad_record", "far_gt_20")["record_key"])
    for frame in (anomalies(c, "bad_record", "tax_gt_revenue"),
                  anomalies(c, "bad_record", "negative_employees")):
        assert (frame["table_name"] == "indicators").all() and len(frame) == 2


# --- determinism ------------------------------------------------------------------------------

def assert_city_equal(a: DemoCity, b: DemoCity) -> None:
    for name in (*ENTITIES, "anomalies"):
        fa, fb = getattr(a, name), getattr(b, name)
        if "geometry" in fa.columns:
            assert (shapely.to_wkb(fa.geometry.to_numpy())
                    == shapely.to_wkb(fb.geometry.to_numpy())).all(), name
            fa, fb = pd.DataFrame(fa.drop(columns="geometry")), pd.DataFrame(
                fb.drop(columns="geometry"))
        pd.testing.assert_frame_equal(fa, fb, obj=name)


def test_same_seed_same_city(small_city: DemoCity) -> None:
    assert_city_equal(small_city, build_city("small"))


def test_other_seed_other_city(small_city: DemoCity) -> None:
    other = build_city("small", seed=1)
    assert not small_city.enterprises["credit_code"].equals(other.enterprises["credit_code"])


def test_a_district_alone_equals_its_share_of_the_city(small_city: DemoCity) -> None:
    (part,) = iter_city_parts("small", districts=["330212"])
    for name in ("parcels", "buildings", "occupancy", "enterprises", "indicators"):
        whole = getattr(small_city, name)
        if name in ("occupancy", "indicators"):
            mine = whole["credit_code"].str.slice(2, 8) == "330212"
        else:
            mine = whole["district"] == "330212"
        expected = whole[mine].reset_index(drop=True)
        got = getattr(part, name)
        if "geometry" in got.columns:
            assert shapely.equals(got.geometry.to_numpy(), expected.geometry.to_numpy()).all()
            got, expected = got.drop(columns="geometry"), expected.drop(columns="geometry")
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected), obj=name)


def test_as_of_moves_every_date() -> None:
    with pytest.raises(ValueError, match="as_of"):
        next(iter_city_parts("small", as_of=date(2020, 1, 1)))
    with pytest.raises(ValueError, match="330100"):
        next(iter_city_parts("small", districts=["330100"]))
    with pytest.raises(ValueError, match="scale"):
        build_city("huge")  # type: ignore[arg-type]
    (part,) = iter_city_parts("small", as_of=date(2024, 6, 30), districts=["330205"])
    assert part.parcels["right_start"].max() <= date(2024, 6, 30)
    assert part.indicators["year"].max() == 2024
    assert part.occupancy["start"].max() <= date(2024, 6, 30)


@pytest.mark.slow
def test_city_scale_meets_contracts() -> None:
    c = build_city("city")
    for name, frame in c.tables().items():
        check_frame(ENTITIES[name], frame, source=name)
    assert len(c.enterprises) == 30_000 and len(c.parcels) == 40_000
    assert 0.95 * 150_000 < len(c.buildings) < 1.05 * 150_000
    assert c.enterprises["credit_code"].is_unique
    assert c.occupancy["occupancy_id"].is_unique
    assert len(c.anomalies) > 16 * 30
