"""Public means public (issue #15): anonymous callers get no enterprise-identifying attribute
from any route, OGC collection or tile, and cannot filter on one.

The sweep: every GET operation of the OpenAPI spec that an anonymous caller may call (path
parameters filled with real ids of the demo), the items of every OGC collection the
anonymous landing page lists, and a sample of vector tiles (decoded) — each body searched
for unified social credit codes (18 characters, valid check character, GB 32100-2015). The
same sweep as the city administrator finds codes, so the search itself works."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.core.model.credit_code import CHARSET, is_valid_credit_code
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


CODE = re.compile(rf"(?<![0-9A-Z])[{CHARSET}]{{18}}(?![0-9A-Z])")


def codes_in(text: str) -> set[str]:
    return {m for m in CODE.findall(text) if is_valid_credit_code(m)}


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo), raise_server_exceptions=False) as c:
        yield c


def _samples(db: Path) -> dict[str, str]:
    store = Store.open(db)
    parcels = store.read_frame("parcels", columns=["parcel_id", "owner_credit_code", "geometry"])
    owned = parcels.dropna(subset=["owner_credit_code"]).iloc[0]
    firm = store.read_frame("enterprises", columns=["credit_code"]).iloc[0]["credit_code"]
    store.close()
    centre = parcels.geometry.iloc[[0]].to_crs(4326).iloc[0].centroid
    tiles = []
    for z in (10, 12, 14):  # the tile holding that parcel, 3 zooms
        n = 2**z
        tiles.append(
            (
                z,
                int((centre.x + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(centre.y))) / math.pi) / 2 * n),
            )
        )
    return {
        "parcel_id": owned["parcel_id"],
        "credit_code": firm,
        "owner": owned["owner_credit_code"],
        "tiles": tiles,
    }


def sweep(c: TestClient, headers: dict[str, str], ids: dict[str, Any]) -> dict[str, set[str]]:
    """Every GET route, OGC collection and a tile sample; the codes found in each body."""
    found: dict[str, set[str]] = {}
    spec = c.get("/openapi.json").json()
    fill = {
        "parcel_id": ids["parcel_id"],
        "credit_code": ids["credit_code"],
        "feature_id": ids["parcel_id"],
        "collection_id": "parcels",
        "layer": "parcels",
        "z": "14",
        "x": "13705",
        "y": "6696",
    }
    for path, ops in spec["paths"].items():
        if "get" not in ops or path.startswith(("/tiles", "/docs", "/redoc")):
            continue
        names = re.findall(r"{(\w+)}", path)
        if any(n not in fill for n in names):
            continue
        url = path.format(**{n: fill[n] for n in names})
        query = "?year=2025" if "explain" in path else ""
        r = c.get(url + query, headers=headers)
        assert r.status_code < 500, (url, r.text[:300])
        found[url] = codes_in(r.text)
    landing = c.get("/ogc/collections", headers=headers).json()
    for coll in landing["collections"]:
        url = f"/ogc/collections/{coll['id']}/items?limit=10000"
        r = c.get(url, headers=headers)
        assert r.status_code < 500, (url, r.text[:300])
        found[url] = codes_in(r.text)
    for layer in ("parcels", "buildings", "control_lines", "parks"):
        for z, x, y in ids["tiles"]:
            r = c.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers=headers)
            if r.status_code != 200 or not r.content:
                continue
            tile = mapbox_vector_tile.decode(r.content)
            found[f"tile {layer}/{z}/{x}/{y}"] = codes_in(repr(tile))
    return found


def test_no_anonymous_response_contains_a_credit_code(client: TestClient, small_demo: Path) -> None:
    ids = _samples(small_demo)
    found = sweep(client, {}, ids)
    assert len(found) >= 15  # the sweep did look at many bodies
    assert sum(k.startswith("tile parcels") for k in found) >= 2  # tiles decoded
    leaks = {url: codes for url, codes in found.items() if codes}
    assert leaks == {}
    # the detector works: as the city administrator the same sweep finds the owner's code
    admin = sweep(client, bearer(client, "admin"), ids)
    assert any(ids["owner"] in codes for codes in admin.values())


@pytest.mark.parametrize(
    "url",
    [
        "/api/parcels?owner_credit_code={owner}",
        "/ogc/collections/parcels/items?owner_credit_code={owner}",
    ],
)
def test_anonymous_reverse_lookup_by_owner_is_refused(
    client: TestClient,
    small_demo: Path,
    url: str,
) -> None:
    ids = _samples(small_demo)
    r = client.get(url.format(**ids))
    assert r.status_code == 401, r.text  # it needs a login (tests/api/test_auth_first.py)
    body = r.json()
    assert "owner_credit_code" in body["message_zh"] and "anonymous" in body["message_en"]
    # an officer of another district is refused too; the city administrator is not
    officer = client.get(url.format(**ids), headers=bearer(client, "officer2"))
    assert officer.status_code in (200, 403)
    assert client.get(url.format(**ids), headers=bearer(client, "admin")).status_code == 200
