"""The workflows of issue #16 item 5 through the HTTP API, on a copy of the small demo: an
objection's preview (nothing stored), the superseded version refusing objections with a
bilingual error, the version comparison (JSON and XLSX), and control-line proposals
rejected or withdrawn — illegal transitions refused — with their map and ledger effect."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from indspace.api.app import create_app
from tests.api.conftest import bearer
from tests.e2e.test_workflows import DISTRICT, empty_spot

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(scope="module")
def world(
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Path]]:
    db = tmp_path_factory.mktemp("wf-api") / "wf.gpkg"
    shutil.copyfile(small_demo, db)
    with TestClient(create_app(db)) as c:
        yield c, {u: bearer(c, u) for u in ("admin", "officer", "firm")}, db


def job_result(c: TestClient, answer: dict[str, Any], h: dict[str, str]) -> Any:
    for _ in range(600):
        job = c.get(f"/api/jobs/{answer['job_id']}", headers=h).json()
        if job["state"] in ("done", "failed"):
            assert job["state"] == "done", job
            return job["result"]
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_preview_supersede_and_compare(world: Any) -> None:
    c, h, _ = world
    firm = c.get("/api/auth/me", headers=h["firm"]).json()["credit_code"]
    v1 = c.get("/api/evaluation/runs", headers=h["admin"]).json()[-1]["run_id"]
    assert c.post(f"/api/evaluation/runs/{v1}/publish", headers=h["admin"]).status_code == 200
    form = c.get(f"/api/evaluation/runs/{v1}/objection-fields/{firm}", headers=h["firm"]).json()
    tax = next(f for f in form["fields"] if f["field"] == "tax")
    assert form["open"] is True and tax["unit"] == "万元" and tax["value"] > 0
    r = c.post(
        f"/api/evaluation/runs/{v1}/objections",
        headers=h["firm"],
        json={
            "credit_code": firm,
            "field": "tax",
            "claimed_value": tax["value"] * 4,
            "reason": "漏计税款",
        },
    )
    assert r.status_code == 201, r.text
    oid = r.json()["objection_id"]

    # the preview: the officer of the district, nothing stored; not for the firm itself
    runs_before = len(c.get("/api/evaluation/runs", headers=h["admin"]).json())
    assert c.get(f"/api/evaluation/objections/{oid}/preview", headers=h["firm"]).status_code == 403
    p = c.get(f"/api/evaluation/objections/{oid}/preview", headers=h["officer"]).json()
    assert (p["value_before"], p["value_after"]) == (tax["value"], tax["value"] * 4)
    assert p["after"]["score"] > p["before"]["score"] and p["stored"] is False
    assert len(c.get("/api/evaluation/runs", headers=h["admin"]).json()) == runs_before

    obj = c.get(f"/api/evaluation/objections/{oid}", headers=h["officer"])
    answer = c.post(
        f"/api/evaluation/objections/{oid}/resolve",
        headers={**h["officer"], "If-Match": obj.headers["ETag"]},
        json={"accept": True, "note": "核实"},
    )
    assert answer.status_code == 202
    v2 = job_result(c, answer.json(), h["officer"])["run"]["run_id"]
    res = c.get(f"/api/evaluation/runs/{v2}/results?limit=500", headers=h["admin"]).json()
    mine = next(i for i in res["items"] if i["credit_code"] == firm)
    assert (mine["grade"], mine["score"]) == (
        p["after"]["grade"],
        pytest.approx(p["after"]["score"], abs=1e-9),
    )  # the preview was what acceptance gives

    # v1 is closed to objections now, with a bilingual error naming v2
    again = c.post(
        f"/api/evaluation/runs/{v1}/objections",
        headers=h["firm"],
        json={"credit_code": firm, "field": "revenue", "claimed_value": 1.0, "reason": "再议"},
    )
    assert again.status_code == 422, again.text  # ValidationError
    err = again.json()
    assert "取代" in err["message_zh"] and "superseded" in err["message_en"]
    assert v2 in err["message_zh"] and v2 in err["message_en"]
    assert c.get(f"/api/evaluation/runs/{v1}", headers=h["admin"]).json()["superseded_by"] == v2
    settled = c.get(
        f"/api/evaluation/objections?run_id={v2}&with_resolved=true", headers=h["officer"]
    ).json()
    assert [(o["objection_id"], o["state"]) for o in settled] == [(oid, "accepted")]

    # the comparison: the firm moved as the preview said; the XLSX holds the same rows
    cmp = c.get(f"/api/evaluation/compare?run_a={v1}&run_b={v2}", headers=h["officer"]).json()
    row = next(i for i in cmp["items"] if i["credit_code"] == firm)
    assert (row["grade_a"], row["grade_b"]) == (p["before"]["grade"], p["after"]["grade"])
    assert row["tax_per_mu_b"] == pytest.approx(4 * row["tax_per_mu_a"])
    assert {i["district"] for i in cmp["items"]} == {DISTRICT}  # the officer's scope
    moved = c.get(
        f"/api/evaluation/compare?run_a={v1}&run_b={v2}&moved_only=true", headers=h["officer"]
    ).json()["items"]
    assert len(moved) == cmp["summary"]["moved"] and all(i["moved"] for i in moved)
    x = c.get(
        f"/api/evaluation/compare.xlsx?run_a={v1}&run_b={v2}&moved_only=true", headers=h["officer"]
    )
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert ws.max_row == 1 + len(moved) and ws["B1"].value == "企业名称"
    assert firm in [r[0].value for r in ws.iter_rows(min_row=2)] or not row["moved"]


def test_proposals_rejected_withdrawn_and_illegal_steps(world: Any) -> None:
    c, h, db = world
    lon_lat = empty_spot(db, DISTRICT)
    import geopandas as gpd
    from shapely.geometry import Point

    p = gpd.GeoSeries([Point(*lon_lat)], crs=4326).to_crs(4549).iloc[0]

    def file(dx: float) -> dict[str, Any]:
        # 60 m × 60 m in = 3 600 m² (≥ the 2 000 m² minimum)
        r = c.post(
            "/api/controlline/proposals",
            headers=h["officer"],
            json={
                "district": DISTRICT,
                "reason": "补划（接口测试）",
                "in": box(p.x + dx, p.y, p.x + dx + 60, p.y + 60).wkt,
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    a = file(-150)
    m = c.get(f"/api/controlline/proposals/{a['proposal_id']}/map", headers=h["officer"]).json()
    assert m["effect"]["area_in_m2"] == pytest.approx(3600.0, abs=0.01)
    assert m["effect"]["area_in_mu"] == pytest.approx(5.4)  # 3 600 ÷ 666.67
    assert m["effect"]["balance_after_m2"] == pytest.approx(
        m["effect"]["balance_m2"] + 3600, abs=0.02
    )
    r = c.post(
        f"/api/controlline/proposals/{a['proposal_id']}/reject",
        headers={**h["officer"], "If-Match": a["etag"]},
        json={"note": "不连片"},
    )
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    # a rejected proposal can be neither reviewed nor withdrawn: 4xx, both languages
    for action in ("review", "withdraw", "approve"):
        bad = c.post(
            f"/api/controlline/proposals/{a['proposal_id']}/{action}",
            headers={**h["admin"], "If-Match": r.json()["etag"]},
            json={},
        )
        assert bad.status_code in (409, 422), (action, bad.text)
        if action != "approve":
            assert "已驳回" in bad.json()["message_zh"] and "rejected" in bad.json()["message_en"]
    b = file(150)
    w = c.post(
        f"/api/controlline/proposals/{b['proposal_id']}/withdraw",
        headers={**h["officer"], "If-Match": b["etag"]},
        json={"note": "重报"},
    )
    assert w.status_code == 200 and w.json()["state"] == "withdrawn"
    states = {
        x["proposal_id"]: x["state"]
        for x in c.get("/api/controlline/proposals", headers=h["officer"]).json()
    }
    assert (states[a["proposal_id"]], states[b["proposal_id"]]) == ("rejected", "withdrawn")
    assert (
        c.get("/api/controlline/proposals?state=withdrawn", headers=h["officer"]).json()[0][
            "close_note"
        ]
        == "重报"
    )
    assert (
        c.get(f"/api/controlline/ledger?district={DISTRICT}", headers=h["admin"]).json()["entries"]
        == []
    )
