"""/tiles over HTTP (list, TileJSON, MVT, 204, 400, guard) and `indspace export-tiles`."""

from __future__ import annotations

import gzip
from pathlib import Path

import mapbox_vector_tile
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType

from indspace.api.app import create_app
from indspace.api.tiles import router
from indspace.core.errors import IndspaceError
from indspace.store import Store
from tests.api.conftest import bearer
from tests.cli.conftest import run
from tests.tiles.conftest import TILE

pytestmark = pytest.mark.xdist_group("small_demo")


def test_http(small_demo: Path) -> None:
    with TestClient(create_app(small_demo)) as c:
        layers = c.get("/tiles", headers=bearer(c, "admin")).json()["layers"]
        assert [lay["id"] for lay in layers] == ["parcels", "parcel_grades", "buildings",
                                                 "control_lines", "parks", "lowuse_units"]
        # anonymously only the public ones (which layers exist is not told)
        layers = c.get("/tiles").json()["layers"]
        assert [lay["id"] for lay in layers] == ["parcels", "buildings", "control_lines",
                                                 "parks"]
        tj = c.get("/tiles/parcels.json").json()
        assert tj["tilejson"] == "3.0.0" and tj["minzoom"] == 12
        assert tj["tiles"][0].endswith("/tiles/parcels/{z}/{x}/{y}.mvt")
        lon0, lat0, lon1, lat1 = tj["bounds"]
        assert 120 < lon0 < lon1 < 123 and 28 < lat0 < lat1 < 31   # Ningbo
        assert set(tj["vector_layers"][0]["fields"]) == {
            "parcel_id", "district", "land_use_code", "area_mu", "line_status"}
        z, x, y = TILE
        r = c.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        assert mapbox_vector_tile.decode(r.content)["parcels"]["features"]
        assert c.get("/tiles/parcels/14/0/0.mvt").status_code == 204     # empty
        for bad in ("14/16384/0", "14/-1/3", "25/0/0", "3/0/0"):   # 3 < minzoom 12
            r = c.get(f"/tiles/parcels/{bad}.mvt")
            assert r.status_code == 400, bad
            body = r.json()
            assert body["error"] == "TileRangeError"
            assert body["message_zh"] and body["message_en"]
        # an unknown layer: 401 anonymously (like a login layer: which layers exist is not
        # told), 404 once logged in
        assert c.get("/tiles/nope/14/1/1.mvt").status_code == 401
        admin = bearer(c, "admin")
        assert c.get("/tiles/nope/14/1/1.mvt", headers=admin).status_code == 404
        assert c.get("/tiles/nope.json", headers=admin).json()["error"] == "NotFoundError"


class Refused(IndspaceError):
    http_status = 403


def test_guard_refuses(small_demo: Path) -> None:
    def guard(request: Request, layer: str) -> None:
        if layer == "parcel_grades" and "authorization" not in request.headers:
            raise Refused("需要登录", "login required", where=f"tiles/{layer}")

    app = FastAPI()
    app.exception_handler(IndspaceError)(
        lambda _r, e: JSONResponse(e.to_dict(), status_code=e.http_status))
    with Store.open(small_demo) as store:
        app.include_router(router(store, guard))
        with TestClient(app) as c:
            z, x, y = TILE
            assert c.get(f"/tiles/parcel_grades/{z}/{x}/{y}.mvt").status_code == 403
            assert c.get("/tiles/parcel_grades.json").status_code == 403
            ok = c.get(f"/tiles/parcel_grades/{z}/{x}/{y}.mvt",
                       headers={"Authorization": "Bearer x"})
            assert ok.status_code == 200
            assert c.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").status_code == 200


def test_export_pmtiles(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "city.pmtiles"
    run("export-tiles", "--db", str(small_demo), "--format", "pmtiles", "--out", str(out),
        "--layers", "parcels,parks", "--minzoom", "13", "--maxzoom", "14")
    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        h = reader.header()
        assert h["tile_type"] == TileType.MVT and h["tile_compression"] == Compression.GZIP
        assert (h["min_zoom"], h["max_zoom"]) == (13, 14)
        assert 120 < h["min_lon_e7"] / 1e7 < 123
        meta = reader.metadata()
        assert [v["id"] for v in meta["vector_layers"]] == ["parcels", "parks"]
        tile = mapbox_vector_tile.decode(gzip.decompress(reader.get(*TILE)))
        assert set(tile) == {"parcels", "parks"}
        assert len(tile["parcels"]["features"]) > 50
        assert reader.get(14, 0, 0) is None


def test_export_refuses_other_formats(small_demo: Path, tmp_path: Path) -> None:
    r = run("export-tiles", "--db", str(small_demo), "--format", "mbtiles", "--out",
            str(tmp_path / "x.mbtiles"), check=False)
    assert r.returncode == 2
    assert "不支持的瓦片导出格式" in r.stderr and "unsupported tile export format" in r.stderr
    assert not (tmp_path / "x.mbtiles").exists()
