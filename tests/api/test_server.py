"""A server that stays up and answers in one shape (issue #15): background jobs, upload
limits checked before and while the body streams, ids, and 4xx JSON for bad input."""

from __future__ import annotations

import asyncio
import io
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.services import uploads
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")



@pytest.fixture(scope="module")
def world(
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    db = tmp_path_factory.mktemp("server") / "demo.gpkg"
    shutil.copy(small_demo, db)
    app = create_app(db)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield {
            "c": c,
            "app": app,
            "h": {u: bearer(c, u) for u in ("admin", "officer", "officer2", "auditor")},
        }


def wait(c: TestClient, job: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(6000):
        body: dict[str, Any] = c.get(job["href"], headers=headers).json()
        if body["state"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("job did not end")


def assert_json_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert body["message_zh"] and body["message_en"]
    assert "/tmp" not in r.text and "site-packages" not in r.text and "Traceback" not in r.text
    return body


# ---------------------------------------------------------------- jobs
FIRMS_CSV = "统一社会信用代码,企业名称,所在区县\n91330203MA2AAAAA0X,测试企业,330203\n"


def test_upload_is_a_job_with_progress_and_a_report(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    r = c.post(
        "/api/imports?kind=enterprises",
        headers=h["admin"],
        files={"file": ("firms.csv", FIRMS_CSV.encode())},
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "import" and job["state"] in ("queued", "running", "done")
    assert job["href"] == f"/api/jobs/{job['job_id']}"
    done = wait(c, job, h["admin"])
    assert done["state"] == "done" and done["progress"] == 1.0, done
    assert done["result"]["source"] == "firms.csv" and done["result"]["rows_read"] == 1
    # one row with a bad code: quarantined with its reason, not lost silently
    assert done["result"]["rejected"] == 1 and done["result"]["issues"][0]["source_row"] == 2
    # the import record names the upload, not the server's temporary folder
    past = c.get("/api/imports", headers=h["admin"]).json()[0]
    assert past["source"] == "firms.csv"
    audit = c.get("/api/audit?table=enterprises", headers=h["admin"]).json()["items"]
    assert audit and all("indspace-upload-" not in (a["reason"] or "") for a in audit)


def test_a_job_is_visible_only_to_its_owner(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    job = c.post(
        "/api/imports?kind=enterprises",
        headers=h["admin"],
        files={"file": ("firms.csv", FIRMS_CSV.encode())},
    ).json()
    wait(c, job, h["admin"])
    assert_json_error(c.get(job["href"], headers=h["auditor"]), 404)
    assert_json_error(c.get(job["href"]), 401)
    assert_json_error(c.get("/api/jobs/" + "f" * 32, headers=h["admin"]), 404)


def test_an_evaluation_runs_as_a_job(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    assert_json_error(
        c.post("/api/evaluation/runs", json={"year": 2025}, headers=h["officer"]), 403
    )
    stored = next(x for x in c.get("/api/evaluation/runs", params={"year": 2025},
                               headers=h["admin"]).json() if x["version"] == 1)
    r = c.post("/api/evaluation/runs", headers=h["admin"],
               json={"year": 2025, "method_date": stored["method_date"]})
    assert r.status_code == 202, r.text
    done = wait(c, r.json(), h["admin"])
    assert done["state"] == "done", done
    # same inputs, profile text and method date: the stored run is found again
    assert done["result"]["run_id"] == stored["run_id"] and done["result"]["reused"] is True
    bad = c.post("/api/evaluation/runs", json={"year": 2019}, headers=h["admin"])
    failed = wait(c, bad.json(), h["admin"])  # no data for 2019: a failed job, in JSON
    assert failed["state"] == "failed" and failed["error"]["message_en"]


# ---------------------------------------------------------------- limits before the body
def test_anonymous_upload_is_refused_before_its_body_is_read(world: dict[str, Any]) -> None:
    """A 1 GiB upload without credentials: 401 and not one body chunk pulled."""
    app, pulled = world["app"], [0]

    async def receive() -> dict[str, Any]:
        pulled[0] += 1
        return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/imports",
        "raw_path": b"/api/imports",
        "query_string": b"kind=parcels",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-length", str(1 << 30).encode()),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 401 and pulled[0] == 0


def test_declared_oversize_is_413_before_reading(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    r = c.post(
        "/api/imports?kind=parcels",
        content=b"",
        headers={
            **h["admin"],
            "Content-Length": str(1 << 30),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    assert assert_json_error(r, 413)["message_en"] == "file larger than 200 MB"


def test_a_zip_bomb_stops_at_the_unzipped_limit(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "MAX_UNZIPPED_BYTES", 4 << 20)  # 4 MiB for the test
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.shp", b"\0" * (64 << 20))  # 64 MiB of zeros → ~64 kB
    assert len(buf.getvalue()) < 1 << 20
    r = world["c"].post(
        "/api/imports?kind=parcels",
        headers=world["h"]["admin"],
        files={"file": ("bomb.zip", buf.getvalue())},
    )
    assert "unzipped content larger than 4 MB" in assert_json_error(r, 413)["message_en"]


def test_a_million_column_header_is_refused_at_once(world: dict[str, Any]) -> None:
    wide = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n1\n"
    r = world["c"].post(
        "/api/imports?kind=enterprises",
        headers=world["h"]["admin"],
        files={"file": ("wide.csv", wide)},
    )
    body = assert_json_error(r, 422)
    # counting stops at the first megabyte: enough to know it is over the limit
    assert "columns, more than 2,000" in body["message_en"]
    assert body["where"].startswith("wide.csv")


# ---------------------------------------------------------------- 4xx JSON, never a 500
@pytest.mark.parametrize(
    "method,url,kw,status",
    [
        ("GET", "/ogc/collections/parcels/items?offset=9223372036854775808", {}, 422),
        ("GET", "/api/evaluation/explain/91330203MA2AAAAA0X?year=0", {}, 422),
        (
            "POST",
            "/api/controlline/proposals",
            {"json": {"type": "FeatureCollection", "features": "abc"}},
            422,
        ),
        (
            "POST",
            "/api/controlline/proposals",
            {"json": {"type": "FeatureCollection", "features": [1, 2]}},
            422,
        ),
        (
            "POST",
            "/api/imports?kind=enterprises",
            {"files": {"file": ("a" * 300 + ".csv", b"x")}},
            202,
        ),
        ("POST", "/api/imports?kind=nonsense", {"files": {"file": ("a.csv", b"x")}}, 422),
        ("POST", "/api/imports?kind=enterprises", {"content": b"plain"}, 422),
    ],
)
def test_bad_input_is_a_bilingual_4xx(
    world: dict[str, Any], method: str, url: str, kw: dict[str, Any], status: int
) -> None:
    c, h = world["c"], world["h"]
    r = c.request(method, url, headers=h["admin"], **kw)
    if status == 202:  # a 300-character name is shortened, not a 500
        done = wait(c, r.json(), h["admin"])
        # the file has no header the importer knows: the job fails with a 4xx-class error
        # that names the (shortened) upload, never the server's folder
        assert done["state"] == "failed" and done["error"]["status"] == 422, done
        assert done["error"]["message_en"] and "/tmp" not in str(done)
        assert "indspace-upload" not in str(done)
        return
    assert_json_error(r, status)


# ---------------------------------------------------------------- proposal ids
def _proposal(pid: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "district": "330203",
        "reason": "道路拓宽",
        "documents": ["测试"],
        "in": "POLYGON((640000 3300000, 640040 3300000, 640040 3300050, "
        "640000 3300050, 640000 3300000))",
    }
    return {**body, "proposal_id": pid} if pid else body


def test_ids_are_generated_and_a_chosen_id_is_checked(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]["officer"]
    first = c.post("/api/controlline/proposals", json=_proposal(), headers=h).json()
    year, n = first["proposal_id"].rsplit("-", 2)[1:]
    # a chosen id that looks like the next automatic one
    nxt = f"CL-{year}-{int(n) + 1:04d}"
    assert c.post("/api/controlline/proposals", json=_proposal(nxt), headers=h).status_code == 201
    auto = c.post("/api/controlline/proposals", json=_proposal(), headers=h)
    assert auto.status_code == 201, auto.text  # not blocked (was 503)
    assert auto.json()["proposal_id"] == f"CL-{year}-{int(n) + 2:04d}"
    assert_json_error(c.post("/api/controlline/proposals", json=_proposal(nxt), headers=h), 409)
    for bad in ("x" * 100_000, "../../../etc/passwd", "a b", "-lead", "é"):
        body = assert_json_error(
            c.post("/api/controlline/proposals", json=_proposal(bad), headers=h), 422
        )
        assert body["where"] == "proposal.proposal_id" and len(body["message_en"]) < 200
