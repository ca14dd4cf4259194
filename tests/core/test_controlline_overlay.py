"""Golden geometric cases of the control-line overlay, worked by hand (metres, m²)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from indspace.core.engines.controlline import overlay, summarise


def frames(parcels: dict[str, object], blocks: dict[str, object]
           ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    p = gpd.GeoDataFrame({"parcel_id": list(parcels), "district": "330212"},
                         geometry=list(parcels.values()), crs=4549)
    b = gpd.GeoDataFrame({"block_id": list(blocks), "park_id": [f"P-{k}" for k in blocks]},
                         geometry=list(blocks.values()), crs=4549)
    return p, b


LINE = {"B1": box(0, 0, 100, 100)}


def row(result, pid):  # type: ignore[no-untyped-def]
    return result.set_index("parcel_id").loc[pid]


def test_inside_outside_and_half_in() -> None:
    p, b = frames({"in": box(10, 10, 50, 50),           # 40 × 40 wholly inside
                   "out": box(200, 0, 240, 40),         # far outside
                   "half": box(80, 10, 120, 50)},       # x 80–120: 20 of 40 m inside
                  LINE)
    r = overlay(p, b, tolerance_m=0.5)
    assert row(r, "in")["status"] == "inside" and row(r, "in")["inside_share"] == 1.0
    assert row(r, "in")["block_id"] == "B1" and row(r, "in")["park_id"] == "P-B1"
    assert row(r, "out")["status"] == "outside" and row(r, "out")["inside_share"] == 0.0
    assert pd.isna(row(r, "out")["block_id"])
    half = row(r, "half")
    # 20 × 40 = 800 m² of 40 × 40 = 1 600 m² → 0.5
    assert half["status"] == "partial"
    assert half["inside_m2"] == pytest.approx(800.0) and half["inside_share"] == 0.5


def test_slivers_under_the_tolerance_snap() -> None:
    # parcel x 60–100.3: 0.3 m × 40 m = 12 m² outside; band = 0.5 m × perimeter
    # 2 × (40.3 + 40) = 160.6 m → 80.3 m² ≥ 12 → inside, share snapped to 1
    # parcel x 99.7–140: 0.3 × 40 = 12 m² inside ≤ band 80.3 → outside, share 0
    # parcel x 60–103: 3 × 40 = 120 m² outside > band 0.5 × 2 × (43 + 40) = 83 → partial
    p, b = frames({"noise_in": box(60, 10, 100.3, 50), "noise_out": box(99.7, 10, 140, 50),
                   "real": box(60, 10, 103, 50)}, LINE)
    r = overlay(p, b, tolerance_m=0.5)
    assert row(r, "noise_in")["status"] == "inside"
    assert row(r, "noise_in")["inside_share"] == 1.0
    assert row(r, "noise_out")["status"] == "outside"
    assert row(r, "noise_out")["inside_m2"] == 0.0
    real = row(r, "real")
    assert real["status"] == "partial"
    assert real["inside_share"] == pytest.approx(1600 / 1720)     # 40 × 40 of 43 × 40
    # with no tolerance the noise counts
    r0 = overlay(p, b, tolerance_m=0.0)
    assert row(r0, "noise_in")["status"] == "partial"


def test_multipolygon_with_a_part_outside() -> None:
    # parts 20 × 20 = 400 inside and 10 × 10 = 100 outside → 400 / 500 = 0.8
    mp = MultiPolygon([box(10, 10, 30, 30), box(150, 10, 160, 20)])
    p, b = frames({"mp": mp, "mp_in": MultiPolygon([box(10, 10, 20, 20), box(50, 50, 60, 60)])},
                  LINE)
    r = overlay(p, b, tolerance_m=0.5)
    assert row(r, "mp")["status"] == "partial"
    assert row(r, "mp")["area_m2"] == pytest.approx(500.0)
    assert row(r, "mp")["inside_share"] == pytest.approx(0.8)
    assert row(r, "mp_in")["status"] == "inside"


def test_parcel_across_two_blocks_and_overlapping_blocks() -> None:
    blocks = {"W": box(0, 0, 100, 100), "E": box(100, 0, 200, 100),
              "E2": box(150, 0, 250, 100)}                       # E and E2 overlap 150–200
    p, b = frames({"across": box(70, 10, 130, 50),             # 30 m in W, 30 m in E
                   "strip": box(140, 10, 260, 50)},            # 140–250 covered once: 110 m
                  blocks)
    r = overlay(p, b, tolerance_m=0.5)
    assert row(r, "across")["status"] == "inside"               # covered by the two together
    assert row(r, "across")["inside_share"] == 1.0
    strip = row(r, "strip")
    # 110 × 40 = 4 400 m² inside of 120 × 40 = 4 800 (the 150–200 overlap counts once)
    assert strip["inside_m2"] == pytest.approx(4400.0)
    assert strip["block_id"] == "E2"                            # 100 m of it in E2, 60 in E


def test_summary_by_district_and_park() -> None:
    p, b = frames({"in": box(10, 10, 50, 50), "half": box(80, 10, 120, 50),
                   "out": box(200, 0, 240, 40)}, LINE)
    s = summarise(overlay(p, b, tolerance_m=0.5), "district").set_index("district").loc["330212"]
    assert (s["n_inside"], s["n_partial"], s["n_outside"]) == (1, 1, 1)
    # land 1 600 + 1 600 + 1 600 = 4 800 m²; inside 1 600 + 800 = 2 400 → 0.5
    assert s["inside_land_share"] == pytest.approx(0.5)
    assert s["inside_mu"] == pytest.approx(2400 * 3 / 2000)
