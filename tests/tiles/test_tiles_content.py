"""A z14 tile over the small demo decodes as MVT with the contract's attributes, on the
GeoPackage (in-process encoder) and on PostGIS (ST_AsMVT) — with the same feature ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest

from indspace.core.model.units import M2_PER_MU
from indspace.services.tiles import LAYERS, TileService
from indspace.store import Store
from indspace.store.lowuse_runs import list_lowuse_runs
from tests.tiles.conftest import FAR, TILE

pytestmark = pytest.mark.xdist_group("small_demo")


def decode(data: bytes, layer: str) -> dict[int, dict[str, Any]]:
    """MVT bytes → {feature id: properties} of one layer (asserting tile structure)."""
    tile = mapbox_vector_tile.decode(data)
    assert list(tile) == [layer]
    assert tile[layer]["extent"] == 4096
    out = {}
    for f in tile[layer]["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        out[f["id"]] = f["properties"]
    return out


def check_parcels(store: Store, feats: dict[int, dict[str, Any]]) -> None:
    assert len(feats) > 50
    parcels = store.read_frame("parcels").set_index("parcel_id")
    for props in feats.values():
        assert set(props) <= set(LAYERS["parcels"].fields)
        assert {"parcel_id", "district", "area_mu", "line_status"} <= set(props)
        assert props["line_status"] in ("inside", "partial", "outside")
        row = parcels.loc[props["parcel_id"]]
        assert props["district"] == row["district"]
        assert props["area_mu"] == pytest.approx(row["area_m2"] / M2_PER_MU, abs=0.006)
    statuses = {p["line_status"] for p in feats.values()}
    assert "inside" in statuses


def test_gpkg_tile(small_demo: Path) -> None:
    with Store.open(small_demo) as store:
        gpkg_tile(store)


def gpkg_tile(store: Store) -> None:
    svc = TileService(store, use_cache=False)
    check_parcels(store, decode(svc.build("parcels", *TILE), "parcels"))
    grades = decode(svc.build("parcel_grades", *TILE), "parcel_grades")
    assert {p.get("grade") for p in grades.values()} <= {"A", "B", "C", "D", None}
    # the demo pipeline stored one low-efficiency run: the flag is that run's parcels
    run = list_lowuse_runs(store)["run_id"].iloc[-1]
    with store.engine.connect() as conn:
        low = {r[0] for r in conn.exec_driver_sql(
            "SELECT parcel_id FROM lowuse_parcels WHERE run_id = ?", (run,))}
    flagged = {p["parcel_id"] for p in grades.values() if p["lowuse"] == 1}
    here = {p["parcel_id"] for p in grades.values()}
    assert flagged == low & here
    assert (svc.build("lowuse_units", *TILE) != b"") == bool(flagged)
    blds = decode(svc.build("buildings", *TILE), "buildings")
    assert len(blds) > 100 and all(isinstance(p["floors"], int) for p in blds.values())
    assert decode(svc.build("control_lines", *TILE), "control_lines")
    assert decode(svc.build("parks", *TILE), "parks")
    assert svc.build("parcels", 14, 0, 0) == b""            # the Arctic: no parcel


@pytest.mark.postgis
def test_postgis_tile_same_ids_as_gpkg(small_demo: Path, pg_demo: str) -> None:
    with Store.open(small_demo) as g, Store.open(pg_demo) as p:
        same_ids(TileService(g, use_cache=False), TileService(p, use_cache=False))


def same_ids(gp: TileService, pg: TileService) -> None:
    check_parcels(pg.store, decode(pg.build("parcels", *TILE), "parcels"))
    for layer in ("parcels", "parcel_grades", "buildings", "control_lines", "parks"):
        for z, x, y in (TILE, FAR, (12, TILE[1] // 4, TILE[2] // 4), (16, 4 * TILE[1] + 1,
                                                                      4 * TILE[2] + 2)):
            if z < LAYERS[layer].minzoom:
                continue
            a, b = gp.build(layer, z, x, y), pg.build(layer, z, x, y)
            fa = decode(a, layer) if a else {}
            fb = decode(b, layer) if b else {}
            assert set(fa) == set(fb), (layer, z, x, y)
            assert fa == fb, (layer, z, x, y)   # and the same attributes
