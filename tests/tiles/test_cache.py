"""The tile cache drops exactly the tiles an edit or a new run changes, and serves the new
content afterwards (GeoPackage and PostGIS)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
import shapely.affinity

from indspace.services.lowuse import plan
from indspace.services.tiles import TileService
from indspace.store import Store
from tests.tiles.conftest import FAR, TILE

pytestmark = pytest.mark.xdist_group("small_demo")


def props(data: bytes, layer: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """parcel_id → properties of a decoded tile."""
    if not data:
        return {}
    return {f["properties"]["parcel_id"]: f["properties"]
            for f in mapbox_vector_tile.decode(data)[layer]["features"]}


def children(z: int, x: int, y: int) -> list[tuple[int, int, int]]:
    return [(z + 1, 2 * x + i, 2 * y + j) for i in (0, 1) for j in (0, 1)]


def edit_one_parcel(store: Store) -> None:
    svc = TileService(store, poll_interval=0)
    keys = [("parcels", *TILE), ("parcels", *FAR), *[("parcels", *c) for c in children(*TILE)]]
    before = props(svc.tile(*keys[0]), "parcels")
    for k in keys[1:]:
        svc.tile(*k)
    assert all(k in svc.cache for k in keys)   # type: ignore[operator]
    pid = sorted(before)[0]
    geom = store.read_frame("parcels", where={"parcel_id": pid}).geometry.iloc[0]
    assert before[pid].get("land_use_code") != "100199"

    store.update("parcels", pid, {"land_use_code": "100199"},
                 at=datetime.now(UTC), actor="test", reason="tile cache test")
    svc.tile("parcels", *FAR)                  # any request polls the audit log
    assert svc.cache is not None
    for k in keys:
        touches = bool(shapely.intersects(svc.tile_area(*k[1:]), geom))
        assert (k not in svc.cache) == touches, k   # dropped exactly when the parcel touches
    assert ("parcels", *FAR) in svc.cache
    assert props(svc.tile("parcels", *TILE), "parcels")[pid]["land_use_code"] == "100199"

    # a geometry edit: the parcel moves 5 km east; old and new places are both dropped
    moved = shapely.affinity.translate(geom, xoff=5000.0)
    x_new = TILE[1] + 2                        # 2 z14 tiles ≈ 4.9 km (at 2 446 m a tile)
    for x in range(TILE[1] + 1, TILE[1] + 4):
        svc.tile("parcels", 14, x, TILE[2])
    svc.tile("parcels", *TILE)
    store.update("parcels", pid, {"geometry": moved},
                 at=datetime.now(UTC) + timedelta(seconds=1), actor="test")
    svc.tile("parcels", *FAR)
    for x in range(TILE[1], TILE[1] + 4):
        area = svc.tile_area(14, x, TILE[2])
        touches = bool(shapely.intersects(area, geom) or shapely.intersects(area, moved))
        assert (("parcels", 14, x, TILE[2]) not in svc.cache) == touches, x
    assert ("parcels", *FAR) in svc.cache
    assert pid not in props(svc.tile("parcels", *TILE), "parcels") or \
        shapely.intersects(svc.tile_area(*TILE), moved)
    assert any(pid in props(svc.tile("parcels", 14, x, TILE[2]), "parcels")
               for x in (x_new - 1, x_new, x_new + 1))


def test_edit_gpkg(gpkg_copy: Path) -> None:
    with Store.open(gpkg_copy) as store:
        edit_one_parcel(store)


@pytest.mark.postgis
def test_edit_postgis(pg_demo: str) -> None:
    with Store.open(pg_demo) as store:
        edit_one_parcel(store)


def test_new_lowuse_run_drops_tiles_of_changed_parcels(gpkg_copy: Path) -> None:
    # start from a store without a low-efficiency run (the demo pipeline stores one), so
    # the new run changes the flag of its parcels
    with sqlite3.connect(gpkg_copy) as conn:
        for table in ("lowuse_units", "lowuse_parcels", "lowuse_runs"):
            conn.execute(f"DELETE FROM {table}")
    with Store.open(gpkg_copy) as store:
        svc = TileService(store, poll_interval=0)
        z, x0, y0 = TILE
        keys = [("parcel_grades", z, x0 + dx, y0 + dy) for dx in range(-3, 4)
                for dy in range(-3, 4)] + [("parcel_grades", *FAR), ("parcels", *TILE)]
        for k in keys:
            svc.tile(*k)
        assert svc.cache is not None
        cached = [k for k in keys if k in svc.cache]
        assert len(cached) == len(keys)
        run = plan(store, 2025, actor="test", now=datetime.now(UTC))
        svc.tile("parcels", *FAR)              # poll
        low = set(run.parcels["parcel_id"])
        parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
        changed = np.asarray(parcels[parcels["parcel_id"].isin(low)].geometry.values)
        dropped = kept = 0
        for k in keys:
            if k[0] != "parcel_grades":
                assert k in svc.cache          # other layers untouched by a run
                continue
            touches = bool(shapely.intersects(svc.tile_area(*k[1:]), changed).any())
            assert (k not in svc.cache) == touches, k
            dropped += touches
            kept += not touches
        assert dropped and kept
        fresh = props(svc.tile("parcel_grades", *TILE), "parcel_grades")
        assert {p for p, v in fresh.items() if v["lowuse"] == 1} == low & set(fresh)
        assert low & set(fresh)
