"""OGC API – Features at /ogc over the small demo city: TestClient checks, then a real client
(GDAL's OAPIF driver, via ogrinfo) against the app served by uvicorn."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
import uvicorn
from fastapi.testclient import TestClient
from shapely.geometry import shape

from indspace.api.app import create_app
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BBOX = (121.5, 29.8, 121.8, 29.9)  # lon/lat window over Beilun / Yinzhou in the demo city


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


def _all_pages(client: TestClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    feats: list[dict[str, Any]] = []
    r = client.get(url, params=params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        feats += body["features"]
        nxt = [lk["href"] for lk in body["links"] if lk["rel"] == "next"]
        if not nxt:
            return feats
        r = client.get(nxt[0])


def test_landing_and_conformance(client: TestClient) -> None:
    r = client.get("/ogc")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    rels = {lk["rel"]: lk for lk in r.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].endswith("/openapi.json")
    assert client.get(rels["service-desc"]["href"]).status_code == 200
    conf = client.get("/ogc/conformance", params={"f": "json"}).json()["conformsTo"]
    for c in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert client.get("/ogc", params={"f": "xml"}).status_code == 400


def test_collections_with_extent_and_crs(client: TestClient) -> None:
    body = client.get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["parcels", "buildings", "control_lines", "parks"]
    parcels = client.get("/ogc/collections/parcels").json()
    (minx, miny, maxx, maxy), = parcels["extent"]["spatial"]["bbox"]
    assert parcels["extent"]["spatial"]["crs"] == CRS84
    assert 120.5 < minx < maxx < 122.5 and 28.5 < miny < maxy < 30.8  # Ningbo, lon/lat
    assert parcels["crs"][0] == CRS84
    assert parcels["storageCrs"].endswith("/EPSG/0/4549")
    assert any(lk["rel"] == "items" and lk["type"] == "application/geo+json"
               for lk in parcels["links"])
    # not a collection: anonymous callers are asked to log in (which collections exist is
    # not told them), logged-in ones get the 404
    assert client.get("/ogc/collections/enterprises").status_code == 401
    admin = bearer(client, "admin")
    assert client.get("/ogc/collections/enterprises", headers=admin).status_code == 404


def test_items_paging_and_counts(client: TestClient) -> None:
    total = client.get("/api/info").json()["counts"]["parcels"]
    r = client.get("/ogc/collections/parcels/items")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert r.headers["content-crs"] == f"<{CRS84}>"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == total and body["numberReturned"] == 100
    nxt = [lk["href"] for lk in body["links"] if lk["rel"] == "next"]
    assert nxt and "offset=100" in nxt[0]
    page2 = client.get(nxt[0]).json()
    ids1 = [f["id"] for f in body["features"]]
    ids2 = [f["id"] for f in page2["features"]]
    assert ids1 == sorted(ids1) and not set(ids1) & set(ids2) and ids2[0] > ids1[-1]
    last = client.get("/ogc/collections/parcels/items",
                      params={"offset": total - 3, "limit": 10}).json()
    assert last["numberReturned"] == 3
    assert not [lk for lk in last["links"] if lk["rel"] == "next"]
    # one feature by its natural key, and properties as GeoJSON
    one = client.get(f"/ogc/collections/parcels/items/{ids1[0]}")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("application/geo+json")
    assert one.json()["id"] == ids1[0] and one.json()["properties"]["parcel_id"] == ids1[0]
    assert client.get("/ogc/collections/parcels/items/nope").status_code == 404


def test_property_filter_and_bad_parameters(client: TestClient) -> None:
    api = client.get("/api/parcels", params={"district": "330212", "limit": 1}).json()
    body = client.get("/ogc/collections/parcels/items",
                      params={"district": "330212", "limit": 50}).json()
    assert body["numberMatched"] == api["total"] > 0
    assert {f["properties"]["district"] for f in body["features"]} == {"330212"}
    nxt = [lk["href"] for lk in body["links"] if lk["rel"] == "next"]
    assert "district=330212" in nxt[0]
    floors = client.get("/ogc/collections/buildings/items",
                        params={"floors": "3", "limit": 5}).json()
    assert {f["properties"]["floors"] for f in floors["features"]} <= {3}
    for bad in ({"colour": "red"}, {"crs": "EPSG:3857"}, {"bbox": "1,2,3"},
                {"floors": "three"}):
        r = client.get("/ogc/collections/buildings/items", params=bad)
        assert r.status_code == 400, (bad, r.text)


def test_bbox_matches_a_brute_force_scan(client: TestClient) -> None:
    everything = _all_pages(client, "/ogc/collections/parcels/items", {"limit": 10_000})
    box = shapely.box(*BBOX)
    expected = sorted(f["id"] for f in everything if shape(f["geometry"]).intersects(box))
    assert 0 < len(expected) < len(everything)
    params = {"bbox": ",".join(map(str, BBOX)), "limit": 25}
    first = client.get("/ogc/collections/parcels/items", params=params).json()
    assert first["numberMatched"] == len(expected)
    got = [f["id"] for f in _all_pages(client, "/ogc/collections/parcels/items", params)]
    assert got == expected
    hits = client.get("/ogc/collections/parcels/items",
                      params={**params, "resultType": "hits"}).json()
    assert hits["numberMatched"] == len(expected) and hits["features"] == []
    # with a property filter too
    both = client.get("/ogc/collections/parcels/items",
                      params={**params, "district": "330206"}).json()
    assert all(f["properties"]["district"] == "330206" for f in both["features"])
    assert both["numberMatched"] <= len(expected)


def test_output_and_bbox_crs(client: TestClient) -> None:
    pid = client.get("/ogc/collections/parcels/items", params={"limit": 1}).json()[
        "features"][0]["id"]
    url = f"/ogc/collections/parcels/items/{pid}"
    lon, lat = client.get(url).json()["geometry"]["coordinates"][0][0][0]
    r = client.get(url, params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4490"})
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    lat2, lon2 = r.json()["geometry"]["coordinates"][0][0][0]  # EPSG:4490 is lat/lon
    assert abs(lat2 - lat) < 1e-6 and abs(lon2 - lon) < 1e-6
    r = client.get(url, params={"crs": "EPSG:4549"})
    north, east = r.json()["geometry"]["coordinates"][0][0][0]  # EPSG:4549 is N/E
    assert 3.2e6 < north < 3.4e6 and 3e5 < east < 7e5
    # the same window given in EPSG:4326 axis order (lat,lon) selects the same parcels
    crs84 = client.get("/ogc/collections/parcels/items",
                       params={"bbox": ",".join(map(str, BBOX))}).json()["numberMatched"]
    latlon = ",".join(map(str, (BBOX[1], BBOX[0], BBOX[3], BBOX[2])))
    r = client.get("/ogc/collections/parcels/items",
                   params={"bbox": latlon, "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert r.status_code == 200 and r.json()["numberMatched"] == crs84


# ---------------------------------------------------------------- a real OAPIF client
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(small_demo: Path) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(small_demo), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/ogc"
    server.should_exit = True
    thread.join(timeout=10)


def _ogrinfo(gdal_bin: str, *args: str, user: str | None = None) -> str:
    """ogrinfo as GIS users run it; ``user`` logs in with HTTP basic (a demo account)."""
    import os

    from indspace.services.demo import DEMO_PASSWORDS

    env = dict(os.environ)
    if user is not None:
        env.update(GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"{user}:{DEMO_PASSWORDS[user]}")
    r = subprocess.run([gdal_bin, "-ro", *args], capture_output=True, text=True, timeout=120,
                       env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_ogrinfo_with_basic_auth_sees_the_scoped_result_layers(
        gdal_bin: str, served: str, client: TestClient) -> None:
    """Anonymous: the four public layers. Logged in with HTTP basic (as QGIS/ogrinfo do):
    also the latest grades and units — a district officer only its district's parcels."""
    anon = _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}")
    assert "parcel_grades" not in anon and "lowuse_units" not in anon
    admin = _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}", user="admin")
    assert ": parcel_grades (" in admin and ": lowuse_units (" in admin
    total = client.get("/api/info").json()["counts"]["parcels"]
    assert f"Feature Count: {total}" in _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}",
                                                 "parcel_grades", user="admin")
    d1 = client.get("/api/parcels", params={"district": "330203", "limit": 1}).json()["total"]
    mine = _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}", "parcel_grades", user="officer")
    assert f"Feature Count: {d1}" in mine and 0 < d1 < total
    assert "grade: String" in mine and "land_grade: String" in mine


def test_ogrinfo_reads_the_service(gdal_bin: str, served: str, client: TestClient) -> None:
    total = client.get("/api/info").json()["counts"]["parcels"]
    listing = _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}")
    for name in ("parcels", "buildings", "control_lines", "parks"):
        assert f": {name} (" in listing
    summary = _ogrinfo(gdal_bin, "-so", f"OAPIF:{served}", "parcels")
    assert "Geometry: Multi Polygon" in summary
    assert f"Feature Count: {total}" in summary
    assert "parcel_id: String" in summary and "area_m2: Real" in summary
    # spatial filter: GDAL sends bbox= and pages through the next links
    expected = client.get("/ogc/collections/parcels/items",
                          params={"bbox": ",".join(map(str, BBOX)), "limit": 1}
                          ).json()["numberMatched"]
    spat = _ogrinfo(gdal_bin, "-so", "-oo", "PAGE_SIZE=50", f"OAPIF:{served}", "parcels",
                    "-spat", *map(str, BBOX))
    assert f"Feature Count: {expected}" in spat
    # an attribute filter on the string id becomes GET items/{id}
    pid = client.get("/ogc/collections/parcels/items", params={"limit": 1}).json()[
        "features"][0]["id"]
    one = _ogrinfo(gdal_bin, "-q", f"OAPIF:{served}", "parcels", "-where", f"id='{pid}'")
    assert f"parcel_id (String) = {pid}" in one and "MULTIPOLYGON" in one


def test_datetime_serves_the_records_as_they_stood(small_demo: Path,
                                                   tmp_path: Path) -> None:
    """``datetime`` = a valid day (deployment time zone), ``recorded_at`` = what the store
    knew then (history included); an interval → 400."""
    import shutil
    from datetime import UTC, date, datetime

    from indspace.store import Store

    db = tmp_path / "t.gpkg"
    shutil.copy(small_demo, db)
    store = Store.open(db)
    pid = store.read_frame("parcels", columns=["parcel_id"], limit=1)["parcel_id"].iloc[0]
    store.update("parcels", pid, {"land_use_code": "0601"},
                 at=datetime(2026, 6, 1, tzinfo=UTC), actor="test")
    terms = store.read_frame("parcels", columns=["right_start", "right_end"])
    day = date(2025, 6, 30)   # parcels valid then: their land-use right covers the day
    valid = int(((terms["right_start"].isna() | (terms["right_start"] <= day))
                 & (terms["right_end"].isna() | (terms["right_end"] >= day))).sum())
    n_buildings = store.counts()["buildings"]
    store.close()
    assert valid > 0
    with TestClient(create_app(db)) as c:
        url = "/ogc/collections/parcels/items"

        def one(when: str, known: str | None = None) -> dict[str, Any]:
            params = {"datetime": when, "parcel_id": pid,
                      **({"recorded_at": known} if known else {})}
            body = c.get(url, params=params).json()
            assert body["numberMatched"] == 1, body
            return dict(body["features"][0]["properties"])

        # an edit without a valid date is a correction: as recorded now it holds for every
        # day; as the store knew it before the edit, the old value
        assert one("2026-05-31")["land_use_code"] == "0601"
        assert one("2026-06-02", "2026-05-31T23:59:59Z")["land_use_code"] != "0601"
        assert one("2026-06-02", "2026-06-01T00:00:00Z")["land_use_code"] == "0601"
        # valid time comes from the data: the demo's parcels were recorded on 2025-12-31 but
        # are valid on 2025-06-30 when their right covers that day
        hits = c.get(url, params={"datetime": day.isoformat(), "resultType": "hits"}).json()
        assert hits["numberMatched"] == valid
        # buildings carry no valid time: valid from when recorded, 2025-12-31T00:00Z, which
        # is 08:00 on 31 December in the deployment time zone (UTC+8)
        bld = "/ogc/collections/buildings/items"
        assert c.get(bld, params={"datetime": "2025-12-30", "resultType": "hits"}
                     ).json()["numberMatched"] == 0
        assert c.get(bld, params={"datetime": "2025-12-31", "resultType": "hits"}
                     ).json()["numberMatched"] == n_buildings
        assert c.get(url, params={"datetime": "2025-01-01/2026-01-01"}).status_code == 400
        assert c.get(url, params={"datetime": "not-a-date"}).status_code == 400
        assert c.get(url, params={"datetime": "2026-01-01",
                                  "recorded_at": "soon"}).status_code == 400
        assert c.get(url, params={"datetime": "..", "limit": 1}).status_code == 200


def test_big_tables_get_no_full_count(client: TestClient, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    """Above the estimate limit an unfiltered page omits numberMatched (Part 1 allows it)
    and pages on with a next link while pages come back full; hits still count exactly."""
    from indspace.services import ogc as service

    monkeypatch.setattr(service, "EXACT_COUNT_LIMIT", 100)
    url = "/ogc/collections/parcels/items"
    body = client.get(url, params={"limit": 50}).json()
    assert "numberMatched" not in body and body["numberReturned"] == 50
    assert any(lk["rel"] == "next" for lk in body["links"])
    n = client.get(url, params={"resultType": "hits"}).json()["numberMatched"]
    last = client.get(url, params={"limit": 50, "offset": n - 10}).json()
    assert last["numberReturned"] == 10 and not any(lk["rel"] == "next"
                                                    for lk in last["links"])
    district = client.get(url, params={"limit": 1}).json()["features"][0]["properties"][
        "district"]
    filtered = client.get(url, params={"district": district, "limit": 1}).json()
    assert filtered["numberMatched"] > 1          # a filtered page is counted exactly
