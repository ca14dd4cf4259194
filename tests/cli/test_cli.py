"""The command line exactly as the README shows it (real subprocesses, real stores)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import INDSPACE, info_json, run

pytestmark = pytest.mark.xdist_group("small_demo")
COUNT_KEYS = {"enterprises", "parcels", "buildings", "control_lines", "parks", "indicators"}


def test_help_is_bilingual() -> None:
    out = run("--help").stdout
    assert "产业空间治理平台" in out and "industrial-space governance" in out
    for cmd in ("init", "demo", "serve", "info"):
        assert cmd in out
    assert "GeoPackage" in run("demo", "--help").stdout


def test_info_json_of_the_small_demo(small_demo: Path) -> None:
    info = info_json(small_demo)
    assert info["crs"] == "EPSG:4549"
    assert set(info["counts"]) >= COUNT_KEYS
    c = info["counts"]
    assert 1_500 <= c["enterprises"] <= 2_600
    # five years per enterprise, fewer for firms founded in the window
    assert 4 * c["enterprises"] <= c["indicators"] <= 5 * c["enterprises"]
    assert c["parcels"] > 0 and c["buildings"] > c["parcels"] * 0.5
    assert c["districts"] == 10
    assert info["demo"] == {"scale": "small", "seed": "20250429", "as_of": "2025-12-31"}
    assert "ningbo-demo" in info["profiles"]


def test_info_plain_text(small_demo: Path) -> None:
    out = run("info", "--db", str(small_demo)).stdout
    assert "EPSG:4549" in out and "parcels" in out


def test_ogrinfo_sees_the_demo_parcels(small_demo: Path, gdal_bin: str) -> None:
    out = subprocess.run([gdal_bin, "-so", str(small_demo), "parcels"], capture_output=True,
                         text=True, check=True).stdout
    count = int(re.search(r"Feature Count: (\d+)", out).group(1))  # type: ignore[union-attr]
    assert count == info_json(small_demo)["counts"]["parcels"]
    assert 'ID["EPSG",4549]' in out


def test_demo_is_deterministic(small_demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.gpkg"
    run("demo", "--scale", "small", "--no-serve", "--db", str(again))
    assert info_json(again)["counts"] == info_json(small_demo)["counts"]
    from indspace.store import Store

    with Store.open(small_demo) as a, Store.open(again) as b:
        for table in ("enterprises", "indicators", "occupancy"):
            assert a.read_frame(table).equals(b.read_frame(table)), table
        pa, pb = a.read_frame("parcels"), b.read_frame("parcels")
        assert pa.drop(columns="geometry").equals(pb.drop(columns="geometry"))
        assert (pa.geometry.to_wkb() == pb.geometry.to_wkb()).all()


def test_same_demo_in_postgis_reports_identical_counts(small_demo: Path, pg_url: str) -> None:
    run("demo", "--scale", "small", "--no-serve", "--db", pg_url)
    pg = info_json(pg_url)
    assert pg["backend"] == "postgis" and pg["crs"] == "EPSG:4549"
    assert pg["counts"] == info_json(small_demo)["counts"]


def test_missing_store_is_a_bilingual_error(tmp_path: Path) -> None:
    r = run("info", "--db", str(tmp_path / "nope.gpkg"), check=False)
    assert r.returncode == 2
    assert "数据库文件不存在" in r.stderr and "store file not found" in r.stderr
    r = run("info", "--db", str(tmp_path / "nope.gpkg"), "--json", check=False)
    err = json.loads(r.stdout)
    assert err["error"] == "StoreError" and err["hint_en"].startswith("run `indspace init`")


def test_init_then_refuse_to_clobber(tmp_path: Path) -> None:
    db = tmp_path / "new.gpkg"
    run("init", "--db", str(db))
    assert info_json(db)["counts"]["parcels"] == 0
    r = run("init", "--db", str(db), check=False)
    assert r.returncode == 2 and "--overwrite" in r.stderr
    run("init", "--db", str(db), "--overwrite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback(small_demo: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([*INDSPACE, "serve", "--db", str(small_demo), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        assert r.json() == {"status": "ok"}
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "产业空间治理平台" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_demo_to_partitioned_geoparquet(tmp_path: Path) -> None:
    import geopandas as gpd

    out = tmp_path / "pq"
    run("demo", "--scale", "small", "--parquet", str(out), "--no-serve")
    parts = sorted(p.parent.name for p in (out / "parcels").glob("district=*/part-0.parquet"))
    assert len(parts) == 10 and parts[0] == "district=330203"
    one = gpd.read_parquet(out / "parcels" / parts[0] / "part-0.parquet")
    assert one.crs.to_epsg() == 4549 and len(one) > 0
    # building again into the same folder replaces it (make demo can be re-run)
    run("demo", "--scale", "small", "--parquet", str(out), "--no-serve")
