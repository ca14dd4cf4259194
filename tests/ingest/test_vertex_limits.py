"""Shape limits while reading (issue #15): a feature with more vertices than
``MAX_FEATURE_VERTICES`` is refused (422) naming the feature, a file with more than
``MAX_FILE_VERTICES`` in all is refused (413) — in every spatial reader and in WKT columns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shapely

from indspace.core.errors import TooLargeError, ValidationError
from indspace.ingest import readers
from indspace.ingest.readers import MAX_FEATURE_VERTICES, read_table


def ring(n: int, cx: float = 121.55, cy: float = 29.87, r: float = 0.001) -> list[list[float]]:
    """A closed ring of ``n`` vertices (the closing vertex repeats the first: n + 1 pairs)."""
    pts = [
        [cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return [*pts, pts[0]]


def geojson(path: Path, rings: list[list[list[float]]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"parcel_id": f"P{i}"},
                        "geometry": {"type": "Polygon", "coordinates": [r]},
                    }
                    for i, r in enumerate(rings, start=1)
                ],
            }
        )
    )
    return path


def test_a_small_file_reads(tmp_path: Path) -> None:
    raw = read_table(geojson(tmp_path / "ok.geojson", [ring(4), ring(8)]))
    # 5 + 9 coordinate pairs: the closing vertex counts, as shapely counts it
    assert shapely.get_num_coordinates(raw.frame.geometry.values).tolist() == [5, 9]


def test_a_feature_over_the_vertex_limit_is_named(tmp_path: Path) -> None:
    # feature 2 has MAX_FEATURE_VERTICES + 1 pairs (MAX distinct vertices + the closing one)
    path = geojson(tmp_path / "dense.geojson", [ring(4), ring(MAX_FEATURE_VERTICES)])
    with pytest.raises(ValidationError) as e:
        read_table(path)
    err = e.value
    assert not isinstance(err, TooLargeError) and err.http_status == 422
    assert err.where is not None and err.where.endswith("第 2 个要素 / feature 2")
    assert f"feature 2 has {MAX_FEATURE_VERTICES + 1:,} vertices" in err.message_en
    assert err.message_zh.startswith("第 2 个要素的几何有")


def test_exactly_the_limit_passes(tmp_path: Path) -> None:
    # MAX - 1 distinct vertices + the closing one = MAX pairs: allowed
    raw = read_table(geojson(tmp_path / "edge.geojson", [ring(MAX_FEATURE_VERTICES - 1)]))
    assert len(raw.frame) == 1


def test_a_file_over_the_total_is_413(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_FILE_VERTICES", 20)
    # 3 features × 9 pairs = 27 > 20, each under the per-feature limit
    path = geojson(tmp_path / "many.geojson", [ring(8)] * 3)
    with pytest.raises(TooLargeError) as e:
        read_table(path)
    assert e.value.http_status == 413 and "27 vertices, more than 20" in e.value.message_en


def test_a_shapefile_and_a_geopackage_are_checked_too(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"]},
        geometry=[shapely.Polygon(ring(4)), shapely.Polygon(ring(MAX_FEATURE_VERTICES + 5))],
        crs=4326,
    )
    for name in ("dense.shp", "dense.gpkg"):
        frame.to_file(tmp_path / name)
        with pytest.raises(ValidationError, match="feature 2 has"):
            read_table(tmp_path / name)


def test_a_wkt_column_is_checked_by_row(tmp_path: Path) -> None:
    from indspace.ingest.readers import check_vertices

    geoms = shapely.from_wkt(
        ["POINT (0 0)", None, shapely.to_wkt(shapely.Polygon(ring(MAX_FEATURE_VERTICES)))]
    )
    with pytest.raises(ValidationError) as e:
        check_vertices(geoms, "parcels.csv", readers.np.array([2, 3, 5]), unit=("行", "row"))
    # the third row of the frame is spreadsheet row 5
    assert e.value.where == "parcels.csv 第 5 行 / row 5"
