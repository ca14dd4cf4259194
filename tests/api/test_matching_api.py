"""供需匹配 over the API (issue #19): ``GET /api/matching/matches`` and its XLSX export on the
small demo city, which keeps one matching run, as each role."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.core.engines.matching import MATCH_COLUMNS
from indspace.store import Store
from indspace.store.match_runs import list_match_runs, read_match_results
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


def test_matches_pages_scope_and_export(client: TestClient, small_demo: Path) -> None:
    store = Store.open(small_demo)
    run = list_match_runs(store).iloc[-1]
    stored = read_match_results(store, str(run["run_id"]))
    admin = bearer(client, "admin")
    r = client.get("/api/matching/matches", params={"limit": 1000}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["run_id"] == run["run_id"] and body["total"] == len(stored)
    s = body["summary"]
    assert {"objective", "greedy_objective", "gap"} <= set(s)
    assert s["objective"]["served"] >= s["greedy_objective"]["served"]
    assert set(body["rows"][0]) == set(MATCH_COLUMNS)
    served = sum(1 for x in body["rows"] if x["space_id"])
    assert served == s["objective"]["served"] > 0
    r = client.get("/api/matching/matches", params={"served": "no", "limit": 1000}, headers=admin)
    assert r.json()["total"] == len(stored) - served
    # an officer sees its district's firms' demands and the spaces in its district only
    officer = bearer(client, "officer")
    me = client.get("/api/auth/me", headers=officer).json()
    firms = store.read_frame("enterprises", columns=["credit_code", "district"])
    home = set(firms.loc[firms["district"] == me["district"], "credit_code"])
    rows = client.get("/api/matching/matches", params={"limit": 1000}, headers=officer).json()[
        "rows"
    ]
    assert rows and all(x["credit_code"] in home or x["district"] == me["district"] for x in rows)
    assert client.get("/api/matching/matches").status_code == 401
    x = client.get("/api/matching/matches.xlsx", params={"served": "yes"}, headers=admin)
    assert x.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert sheet.max_row - 1 == served
    assert sheet.cell(1, 1).value == "需求编号"
