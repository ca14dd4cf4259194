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
    ids = np.asarray(buildings["building_id"], dtype=object)
    assert (ids[:-1] < ids[1:]).all()  # sorted although the files were not in id order
    # the copy's file comes first, its ids do not
    assert not ids[0].endswith("~1") and any(i.endswith("~1") for i in ids)
    assert len(ids) == len(want_b)
    assert list(buildings) == list(BUILDING_COLUMNS)
    for got, want in ((parcels, want_p), (buildings, want_b)):
        for col in want.columns:
            if col == "geometry":  # the WKB kept, measured without decoding (Shapes)
                shapes = got[col]
                geoms = shapes.geoms(np.arange(len(shapes)))
                assert (
                    shapely.to_wkb(geoms).tolist()
                    == shapely.to_wkb(np.asarray(want[col].values)).tolist()
                )
                assert np.array_equal(
                    shapes.bounds, shapely.bounds(np.asarray(want[col].values)), equal_nan=True
                )
            else:
                assert got[col].tolist() == want[col].tolist(), col
    assert area.tobytes() == shapely.area(np.asarray(want_p.geometry.values)).tobytes()


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


def test_numeric_columns_with_nulls_read_as_arrow_gives_them(
    tiled: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The numeric columns are copied file by file into whole arrays; a column with nulls
    in some file is converted as ``Table.to_pandas`` converts it (integers with nulls:
    float64 with NaN) — the same values and dtypes as the pipeline's reader."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path_factory.mktemp("nulls") / "input"
    shutil.copytree(tiled, out)
    files = sorted((out / "buildings").glob(f"district=*/{PART_FILE}"))
    for f, cols in ((files[1], ["floors", "height_m"]), (files[-1], ["floors"])):
        t = pq.read_table(f)
        for c in cols:  # every third value null, the type and the metadata kept
            values = t.column(c).to_pylist()
            values[::3] = [None] * len(values[::3])
            at = t.schema.get_field_index(c)
            t = t.set_column(at, t.schema.field(c), pa.array(values, t.column(c).type))
        pq.write_table(t, f)
    _, buildings, _ = read_overlay_input(out, threads=2)
    want = read_partitioned_geoparquet(out, "buildings")[BUILDING_COLUMNS]
    assert buildings["floors"].dtype == want["floors"].dtype == np.float64
    assert buildings["gfa_m2"].dtype == want["gfa_m2"].dtype == np.float64  # no null: as read
    for col in BUILDING_COLUMNS:
        if col != "geometry":
            pd.testing.assert_series_equal(
                buildings[col].reset_index(drop=True),
                want[col].reset_index(drop=True),
                check_exact=True,
                check_names=False,
            )
    assert buildings["floors"].isna().sum() > 10


def test_the_reader_allocates_from_jemalloc_and_restores_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pyarrow as pa

    from indspace.services.pipeline_overlay import _arrow_pool

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("pyarrow built without jemalloc")
    with _arrow_pool():
        assert pa.default_memory_pool().backend_name == "jemalloc"
    assert pa.default_memory_pool().backend_name == before
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", before)  # the user's choice stands
    with _arrow_pool():
        assert pa.default_memory_pool().backend_name == before


# ------------------------------------------------------------------ the step on a pool
@pytest.fixture(scope="module")
def crossing(tiled: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """``tiled`` with three buildings of the first pool group's first district moved onto
    two parcels of the other group: one inside parcel ``P``, one across ``P``'s west edge,
    one without geometry whose ``parcel_id`` names parcel ``Q``. Only the halo brings them
    to the process of the other group."""
    import shutil

    import geopandas as gpd

    from indspace.services.pipeline_overlay import _groups

    out = tmp_path_factory.mktemp("crossing") / "input"
    shutil.copytree(tiled, out)
    first, last = _groups(out, 2)[0][0], _groups(out, 2)[-1][0]
    theirs = gpd.read_parquet(out / "parcels" / f"district={last}" / PART_FILE)
    p_row, q_row = theirs.iloc[0], theirs.iloc[1]
    x0, y0, x1, y1 = p_row.geometry.bounds
    w, h = x1 - x0, y1 - y0
    f = out / "buildings" / f"district={first}" / PART_FILE
    mine = gpd.read_parquet(f)
    geoms = mine.geometry.to_numpy().copy()
    geoms[0] = shapely.box(x0 + 0.3 * w, y0 + 0.3 * h, x0 + 0.4 * w, y0 + 0.4 * h)
    geoms[1] = shapely.box(x0 - 0.05 * w, y0 + 0.5 * h, x0 + 0.05 * w, y0 + 0.6 * h)
    geoms[2] = None
    mine = mine.set_geometry(gpd.GeoSeries(geoms, crs=mine.crs))
    mine.loc[mine.index[2], "parcel_id"] = q_row["parcel_id"]
    mine.to_parquet(f, index=False)
    return out, str(p_row["parcel_id"]), str(q_row["parcel_id"])


def _pool_and_one(path: Path, monkeypatch: pytest.MonkeyPatch):
    import indspace.services.pipeline_overlay as po

    monkeypatch.setattr(po, "POOL_MIN_BUILDINGS", 0)  # the small inputs use the pool too
    monkeypatch.setattr(po, "POOL_MAX_HALO", 1.0)  # … whatever their halo
    assert len(po._groups(path, 2)) == 2
    return po.overlay_stats(path, 8.0, workers=2), po.overlay_stats(path, 8.0, workers=1)


def _same_bits(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in ("footprint_m2", "floor_area_m2", "far_floor_m2", "mean_year_built"):
        assert got[col].to_numpy().tobytes() == want[col].to_numpy().tobytes(), col


@pytest.mark.parametrize("which", ["tiled", "crossing"])
def test_pool_gives_the_single_process_bits(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = request.getfixturevalue(which)
    path = data if which == "tiled" else data[0]
    (got, got_area), (want, want_area) = _pool_and_one(path, monkeypatch)
    _same_bits(got, want)
    assert got_area.tobytes() == want_area.tobytes()
    # … the area of each row's parcel (the first row of a repeated id, as the sums)
    p = read_partitioned_geoparquet(path, "parcels", columns=["parcel_id", "geometry"])
    p = p.drop_duplicates("parcel_id").set_index("parcel_id")
    by_id = shapely.area(np.asarray(p.geometry.loc[want["parcel_id"].to_numpy(object)].values))
    assert want_area.tobytes() == by_id.tobytes()
    # and the single process is the engine on the pipeline's reader
    _same_bits(
        want,
        parcel_stats(
            read_partitioned_geoparquet(path, "parcels", columns=["parcel_id", "geometry"]),
            read_partitioned_geoparquet(path, "buildings")[BUILDING_COLUMNS],
            8.0,
        ),
    )


def test_the_halo_brings_the_other_districts_buildings(
    tiled: Path, crossing: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, p, q = crossing
    (got, _), _ = _pool_and_one(path, monkeypatch)
    (before, _), _ = _pool_and_one(tiled, monkeypatch)
    got, before = got.set_index("parcel_id"), before.set_index("parcel_id")
    # P gains the building inside it and part of the one across its edge; Q the building
    # without geometry (attribute fallback: its floor area, no footprint)
    assert got.loc[p, "footprint_m2"] > before["footprint_m2"].get(p, 0.0)
    assert got.loc[q, "floor_area_m2"] > before["floor_area_m2"].get(q, 0.0)
    assert got.loc[q, "footprint_m2"] == before["footprint_m2"].get(q, 0.0)


def test_the_cluster_tasks_give_the_single_process_bits(
    crossing: tuple[Path, str, str],
) -> None:
    # the Dask engine's partition tasks (each parcel partition with its own district's
    # buildings and the halos of the others, Shapes throughout) on a LocalCluster of one
    # in-process worker: the figures of the single process to the bit — the building
    # without geometry that names another district's parcel Q included (the halo carries
    # the buildings without geometry, as group_stats does)
    import indspace.services.pipeline_overlay as po

    path, _, q = crossing
    client, cluster = po.connect(None, 2, "1GiB", threads=True)
    try:
        futures = po.overlay_futures(client, path, 8.0)
        got, _ = po.gather_overlay(client, futures, len(po.districts_of(path, "parcels")))
    finally:
        client.close()
        cluster.close()
    want, _ = po.overlay_stats(path, 8.0, workers=1)
    _same_bits(got, want)
    assert q in set(want["parcel_id"])


def test_wkb_bounds_are_shapely_bounds() -> None:
    import pyarrow as pa

    from indspace.core.engines.shapes import wkb_bounds

    geoms = np.array(
        [
            shapely.box(0, 0, 1, 2),  # polygon, one 5-point ring: the NumPy path
            shapely.MultiPolygon([shapely.box(5, 6, 7, 8)]),  # one-part multipolygon: too
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
            None,
            shapely.Polygon(),
            shapely.Point(1, 2).buffer(1),
            shapely.Polygon([(0, 0), (4, 1), (3, 5), (0, 0)]),  # a triangle: 4 points
        ],
        dtype=object,
    )
    values = pa.array(list(shapely.to_wkb(geoms)), type=pa.binary())
    for arr in (values, values.slice(1), pa.chunked_array([values[:3], values[3:]])):
        want = shapely.bounds(geoms[len(geoms) - len(arr) :])
        assert np.array_equal(wkb_bounds(arr), want, equal_nan=True)


def test_pipeline_local_on_the_pool_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``indspace pipeline --engine local`` with its overlay step on the pool (threshold
    lowered) writes the same bytes as in one process, on the small demo with every other
    parcel of a district of the pool's first group moved into the partition of a district
    of its second group (their buildings stay: the second process needs the halo)."""
    from datetime import date

    import indspace.services.pipeline_overlay as po
    from indspace.services.pipeline import OUTPUTS, run_local
    from indspace.services.profiles import resolve_profile

    city = build_city("small")
    plain = tmp_path / "plain"
    write_partitioned_geoparquet(city, plain)
    first, second = po._groups(plain, 2)
    a, b = first[-1], second[0]
    p = city.parcels
    mine = (p["district"] == a).to_numpy()
    moved = mine & (np.cumsum(mine) % 2 == 0)
    city.parcels = p.assign(district=p["district"].mask(moved, b))
    src = tmp_path / "input"
    write_partitioned_geoparquet(city, src)
    profile, on = resolve_profile("ningbo-demo"), date(2026, 3, 1)
    run_local(src, 2025, profile, on, tmp_path / "one")
    monkeypatch.setattr(po, "POOL_MIN_BUILDINGS", 0)
    # the split of the plain input, which puts a and b apart (on the moved input the
    # smallest-halo order would put them together)
    monkeypatch.setattr(po, "_plan", lambda _dir, _n: ([first, second], 0, 1))
    moved_ids = set(city.parcels["parcel_id"][moved])
    b_of_a = pd.read_parquet(src / "buildings" / f"district={a}" / PART_FILE)
    assert b_of_a["parcel_id"].isin(moved_ids).sum() > 10  # the case occurs
    run_local(src, 2025, profile, on, tmp_path / "pool")
    for name, file in OUTPUTS.items():
        a, b = tmp_path / "one" / file, tmp_path / "pool" / file
        assert a.exists() == b.exists(), name
        if a.exists():
            pd.testing.assert_frame_equal(
                pd.read_parquet(a), pd.read_parquet(b), check_exact=True, obj=name
            )


@pytest.mark.parametrize(
    "ids",
    [
        ["P1", "P2", "P3", "P4"],  # increasing: the ids are their own codes
        ["P2", "P1", "P3", "P1"],  # a repeated id and out of order: factorize
        ["P1", None, "P3", "P4"],  # no id: code −1
        ["P1", "P2", "P2", "P4"],  # sorted but repeated: not strictly increasing
    ],
)
def test_parcel_id_codes_are_factorize_s(ids: list[str | None]) -> None:
    from indspace.core.engines.land_figures import overlay_buildings
    from indspace.services.land import StoreOverlay

    parcels = {
        "parcel_id": np.array(ids, dtype=object),
        "geometry": shapely.box(np.arange(4.0) * 10, 0, np.arange(4.0) * 10 + 9, 9),
    }
    buildings = {
        "building_id": np.array(["B1"], dtype=object),
        "geometry": [shapely.box(1, 1, 2, 2)],
    }
    codes, uniques = StoreOverlay(
        parcels, buildings, overlay_buildings(parcels, buildings)
    )._id_codes
    want_codes, want_uniques = pd.factorize(np.array(ids, dtype=object))
    np.testing.assert_array_equal(codes, want_codes)
    assert list(uniques) == list(want_uniques)
