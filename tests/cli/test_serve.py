"""`indspace serve --db FILE.gpkg --port P` serves the small demo to real clients (issue #8):
GDAL's OAPIF driver counts the same parcels as the store, and a z14 tile over the demo's
parcels decodes as MVT with parcel features."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest

from tests.cli.conftest import info_json

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(scope="module")
def served(small_demo: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "indspace", "serve", "--db",
                                 str(small_demo), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(base + "/api/health", timeout=2):
                        break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, \
                        log.read_text()[-3000:]
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_ogrinfo_counts_what_the_store_holds(served: str, gdal_bin: str,
                                             small_demo: Path) -> None:
    expected = info_json(small_demo)["counts"]["parcels"]
    out = subprocess.run([gdal_bin, "-ro", "-so", f"OAPIF:{served}/ogc", "parcels"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert f"Feature Count: {expected}" in out


def test_a_z14_tile_over_the_parcels_decodes_as_mvt(served: str) -> None:
    with urllib.request.urlopen(f"{served}/ogc/collections/parcels/items?limit=1") as r:
        feature = json.load(r)["features"][0]
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    # WebMercatorQuad tile of (lon, lat) at z14: x = ⌊(lon+180)/360·2¹⁴⌋,
    # y = ⌊(1 − asinh(tan φ)/π)/2 · 2¹⁴⌋
    n = 2 ** 14
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    with urllib.request.urlopen(f"{served}/tiles/parcels/14/{x}/{y}.mvt") as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
        tile = mapbox_vector_tile.decode(r.read())
    feats = tile["parcels"]["features"]
    assert feature["id"] in {f["properties"]["parcel_id"] for f in feats}
    assert {"parcel_id", "district", "land_use_code", "area_mu", "line_status"} <= set(
        feats[0]["properties"])
