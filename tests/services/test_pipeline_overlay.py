"""The overlay's own reader (``read_overlay_input``: Arrow, no GeoPandas) gives the rows,
the order and therefore the bits of the pipeline's reader (issue #20)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from indspace.demo import build_city
from indspace.demo.parquet import read_partitioned_geoparquet, write_partitioned_geoparquet
from indspace.services.pipeline_overlay import (
    BUILDING_COLUMNS,
    PART_FILE,
    parcel_stats,
    read_overlay_input,
)

COPY = "000000"  # sorts before every real district, its ids after theirs


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo plus a shifted copy of its first district whose ids end in ``~1``:
    the files taken in turn are then not in id order (as the benchmark's tiled inputs)."""
    out = tmp_path_factory.mktemp("overlay") / "input"
    write_partitioned_geoparquet(build_city("small"), out)
    import geopandas as gpd

    for table, key in (("parcels", "parcel_id"), ("buildings", "building_id")):
        first = sorted((out / table).glob(f"district=*/{PART_FILE}"))[0]
        frame = gpd.read_parquet(first)
        frame[key] = frame[key] + "~1"
        if table == "buildings":
            frame["parcel_id"] = frame["parcel_id"] + "~1"
        frame = frame.set_geometry(shapely.transform(frame.geometry.values, lambda xy: xy + 5e4))
        dest = out / table / f"district={COPY}" / PART_FILE
        dest.parent.mkdir(parents=True)
        frame.to_parquet(dest, index=False)
    return out


def test_same_rows_in_the_same_order(tiled: Path) -> None:
    parcels, buildings, area = read_overlay_input(tiled, threads=2)
    want_p = read_partitioned_geoparquet(tiled, "parcels", columns=["parcel_id", "geometry"])
    want_b = read_partitioned_geoparquet(tiled, "buildings")[BUILDING_COLUMNS]
    ids = buildings["building_id"].to_numpy(dtype=object)
    assert (ids[:-1] < ids[1:]).all()  # sorted although the files were not in id order
    # the copy's file comes first, its ids do not
    assert not ids[0].endswith("~1") and any(i.endswith("~1") for i in ids)
    assert len(ids) == len(want_b)
    assert list(buildings.columns) == list(BUILDING_COLUMNS)
    for got, want in ((parcels, want_p), (buildings, want_b)):
        for col in want.columns:
            if col == "geometry":
                assert (
                    shapely.to_wkb(got[col].to_numpy()).tolist()
                    == shapely.to_wkb(np.asarray(want[col].values)).tolist()
                )
            else:
                assert got[col].tolist() == want[col].tolist(), col
    assert area.tolist() == shapely.area(np.asarray(want_p.geometry.values)).tolist()


def test_same_figures_to_the_bit(tiled: Path) -> None:
    parcels, buildings, _ = read_overlay_input(tiled, threads=2)
    got = parcel_stats(parcels, buildings, 8.0, threads=2)
    want = parcel_stats(
        read_partitioned_geoparquet(tiled, "parcels", columns=["parcel_id", "geometry"]),
        read_partitioned_geoparquet(tiled, "buildings")[BUILDING_COLUMNS],
        8.0,
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in ("footprint_m2", "floor_area_m2", "far_floor_m2", "mean_year_built"):
        assert got[col].to_numpy().tobytes() == want[col].to_numpy().tobytes(), col
    assert got["parcel_id"].str.endswith("~1").sum() > 0  # the copy is overlaid too
