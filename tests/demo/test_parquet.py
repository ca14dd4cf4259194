"""District-partitioned (Geo)Parquet output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from indspace.core.model.entities import ENTITIES
from indspace.demo import DemoCity, iter_city_parts
from indspace.demo.parquet import read_partitioned_geoparquet, write_partitioned_geoparquet


def test_round_trip(small_city: DemoCity, tmp_path: Path) -> None:
    counts = write_partitioned_geoparquet(small_city, tmp_path)
    assert counts["parcels"] == len(small_city.parcels)
    assert counts["anomalies"] == len(small_city.anomalies)
    for name, frame in small_city.tables().items():
        parts = sorted(p.name for p in (tmp_path / name).iterdir())
        every = [f"district={c}" for c in small_city.districts["admin_code"]]
        if name == "plan_zones":     # only districts with a planted low-efficiency cluster
            assert parts and set(parts) <= set(every), parts
        else:
            assert parts == every, name
        back = read_partitioned_geoparquet(tmp_path, name)
        pd.testing.assert_frame_equal(back, frame, obj=name)
        if ENTITIES[name].geometry:
            assert back.crs.to_epsg() == 4549
    one = read_partitioned_geoparquet(tmp_path, "parcels", districts=["330205"])
    assert (one["district"] == "330205").all() and len(one) > 0


def test_columns_read_without_decoding_the_shapes(small_city: DemoCity, tmp_path: Path) -> None:
    write_partitioned_geoparquet(small_city, tmp_path)
    full = read_partitioned_geoparquet(tmp_path, "parcels")
    some = read_partitioned_geoparquet(tmp_path, "parcels", columns=["district", "area_m2"])
    # the key is always read (rows sorted by it); no geometry asked: a plain DataFrame
    assert set(some.columns) == {"parcel_id", "district", "area_m2"}
    assert type(some) is pd.DataFrame
    pd.testing.assert_frame_equal(some, pd.DataFrame(full[list(some.columns)]))
    shaped = read_partitioned_geoparquet(tmp_path, "parcels", columns=["parcel_id", "geometry"])
    assert shaped.crs.to_epsg() == 4549 and shaped.geometry.equals(full.geometry)


def test_generic_hive_reader_sees_the_partition_as_text(small_city: DemoCity,
                                                          tmp_path: Path) -> None:
    write_partitioned_geoparquet(small_city, tmp_path)
    part = ds.partitioning(pa.schema([("district", pa.string())]), flavor="hive")
    table = ds.dataset(tmp_path / "indicators", format="parquet", partitioning=part).to_table()
    assert table.num_rows == len(small_city.indicators)
    assert set(table.column("district").to_pylist()) == set(small_city.districts["admin_code"])


def test_parts_stream_and_refuse_overwrite(tmp_path: Path) -> None:
    parts = iter_city_parts("small", districts=["330205", "330211"])
    counts = write_partitioned_geoparquet(parts, tmp_path)
    assert counts["districts"] == 2
    with pytest.raises(FileExistsError):
        write_partitioned_geoparquet(iter_city_parts("small", districts=["330205"]), tmp_path)


def test_one_district_per_process_writes_the_same_bytes(tmp_path: Path) -> None:
    """``demo --parquet`` on every core (one district per process, issue #20) writes the
    files one process writes, byte for byte."""
    from indspace.services.demo import build_demo_parquet

    one = build_demo_parquet(tmp_path / "one", scale="small", workers=1)
    two = build_demo_parquet(tmp_path / "two", scale="small", workers=2)
    assert one.counts == two.counts and one.anomalies == two.anomalies
    files = sorted(p.relative_to(tmp_path / "one")
                   for p in (tmp_path / "one").rglob("*.parquet"))
    assert len(files) > 100
    assert files == sorted(p.relative_to(tmp_path / "two")
                           for p in (tmp_path / "two").rglob("*.parquet"))
    for f in files:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f
