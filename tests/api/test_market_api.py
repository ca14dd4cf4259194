"""二级市场监管与产业集群 over the API (issue #19): ``GET /api/market/scan`` and
``GET /api/clusters`` on the small demo city, as each role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.services.demo import DEMO_AS_OF
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


@pytest.fixture(scope="module")
def heads(client: TestClient) -> dict[str, dict[str, str]]:
    return {u: bearer(client, u) for u in ("admin", "officer", "firm")}


def test_market_scan_scoped(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    admin = client.get("/api/market/scan", params={"as_of": AS_OF}, headers=heads["admin"])
    assert admin.status_code == 200, admin.text
    body = admin.json()
    assert body["flags"] and body["watch"] and body["indicators"]
    assert set(body["by_rule"]) == set(body["rules"])  # every rule planted
    me = client.get("/api/auth/me", headers=heads["officer"]).json()
    officer = client.get(
        "/api/market/scan", params={"as_of": AS_OF}, headers=heads["officer"]
    ).json()
    assert officer["flags"] and {f["district"] for f in officer["flags"]} == {me["district"]}
    assert len(officer["flags"]) == sum(f["district"] == me["district"] for f in body["flags"])
    other = next(f["district"] for f in body["flags"] if f["district"] != me["district"])
    r = client.get(
        "/api/market/scan", params={"as_of": AS_OF, "district": other}, headers=heads["officer"]
    )
    assert r.status_code == 403
    firm = client.get("/api/market/scan", params={"as_of": AS_OF}, headers=heads["firm"])
    fme = client.get("/api/auth/me", headers=heads["firm"]).json()
    assert {f["buyer_credit_code"] for f in firm.json()["flags"]} <= {fme["credit_code"]}
    bad = client.get(
        "/api/market/scan", params={"as_of": AS_OF, "rule": "nope"}, headers=heads["admin"]
    )
    assert bad.status_code == 422
    flips = client.get(
        "/api/market/scan", params={"as_of": AS_OF, "rule": "flip"}, headers=heads["admin"]
    ).json()["flags"]
    assert flips and {f["rule"] for f in flips} == {"flip"}


def test_clusters(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    r = client.get("/api/clusters", params={"year": 2025}, headers=heads["officer"])
    assert r.status_code == 200, r.text
    body = r.json()
    kinds = {z["zone_kind"] for z in body["zones"]}
    assert kinds == {"park", "chain"}
    assert body["leaders"] and body["targets"] and body["lq"] and body["park_points"]
    # the demo's 链主 are designated
    assert {ld["basis"] for ld in body["leaders"]} == {"designation"}
    assert client.get("/api/clusters").status_code == 401
