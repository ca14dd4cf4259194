"""Reports on the web (issue #21): generated as a background job for the caller's scope,
downloaded by the account that asked for them only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from tests.api.conftest import bearer


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


def _wait(client: TestClient, job: dict, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    jobs.wait(job["job_id"], timeout=300)
    r = client.get(job["href"], headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_officer_gets_its_district_and_only_it(client: TestClient) -> None:
    officer = bearer(client, "officer")
    me = client.get("/api/auth/me", headers=officer).json()
    r = client.post(
        "/api/reports", json={"kind": "annual", "format": "xlsx", "year": 2025}, headers=officer
    )
    assert r.status_code == 202, r.text
    done = _wait(client, r.json(), officer)
    assert done["state"] == "done", done
    result = done["result"]
    assert result["district"] == me["district"]
    assert result["href"].startswith("/api/reports/")
    assert "/tmp" not in str(result)  # no server path reaches a client
    f = client.get(result["href"], headers=officer)
    assert f.status_code == 200
    assert f.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(f.content))
    assert wb["概况"]["A1"].value.startswith("2025 年度") and "全市" not in wb["概况"]["A1"].value
    # another account (even an admin) cannot download it
    assert client.get(result["href"], headers=bearer(client, "officer2")).status_code == 404
    assert client.get(result["href"], headers=bearer(client, "admin")).status_code == 404
    # another district is refused at once (403), before any job starts
    other = client.post(
        "/api/reports", json={"kind": "annual", "year": 2025, "district": "330206"}, headers=officer
    )
    assert other.status_code == 403, other.text
    assert other.json()["message_zh"]


def test_admin_pdf_and_refusals(client: TestClient) -> None:
    admin = bearer(client, "admin")
    r = client.post("/api/reports", json={"kind": "lowuse", "format": "pdf"}, headers=admin)
    assert r.status_code == 202, r.text
    done = _wait(client, r.json(), admin)
    assert done["state"] == "done" and done["progress"] == 1.0
    f = client.get(done["result"]["href"], headers=admin)
    assert f.status_code == 200 and f.content.startswith(b"%PDF")
    assert (
        client.post(
            "/api/reports", json={"kind": "annual", "year": 2025}, headers=bearer(client, "firm")
        ).status_code
        == 403
    )
    assert client.post("/api/reports", json={"kind": "annual", "year": 2025}).status_code == 401
    assert (
        client.post(
            "/api/reports", json={"kind": "annual", "year": 1999}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.post("/api/reports", json={"kind": "bogus", "year": 2025}, headers=admin).status_code
        == 422
    )


def test_supply_report_job_as_of_a_day(client: TestClient) -> None:
    officer = bearer(client, "officer")
    me = client.get("/api/auth/me", headers=officer).json()
    r = client.post(
        "/api/reports",
        json={"kind": "supply", "format": "xlsx", "as_of": "2025-12-31"},
        headers=officer,
    )
    assert r.status_code == 202, r.text
    done = _wait(client, r.json(), officer)
    assert done["state"] == "done", done
    result = done["result"]
    assert result["district"] == me["district"] and result["run_id"] == "2025-12-31"
    f = client.get(result["href"], headers=officer)
    wb = openpyxl.load_workbook(io.BytesIO(f.content))
    assert "截至 2025-12-31" in wb["概况"]["A1"].value and "全市" not in wb["概况"]["A1"].value
