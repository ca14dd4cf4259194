"""JSON API and landing page over the small demo city."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")



@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    """Logged in as the demo's city administrator (sees the whole city)."""
    with TestClient(create_app(small_demo)) as c:
        c.headers.update(bearer(c, "admin"))
        yield c


def test_landing_page_in_chinese_and_english(client: TestClient) -> None:
    zh = client.get("/about")
    assert zh.status_code == 200
    assert "产业空间治理平台" in zh.text and "海曙区" in zh.text and "<svg" in zh.text
    en = client.get("/about?lang=en")
    assert "industrial-space governance" in en.text and "Haishu" in en.text


def test_info_matches_store(client: TestClient) -> None:
    info = client.get("/api/info").json()
    assert info["crs"] == "EPSG:4549" and info["counts"]["districts"] == 10


def test_enterprise_page_and_record_with_history(client: TestClient) -> None:
    page = client.get("/api/enterprises", params={"limit": 5, "offset": 10}).json()
    assert page["limit"] == 5 and page["offset"] == 10 and len(page["items"]) == 5
    assert page["total"] == client.get("/api/info").json()["counts"]["enterprises"]
    code = page["items"][0]["credit_code"]
    one = client.get(f"/api/enterprises/{code}").json()
    assert one["credit_code"] == code
    assert [h["version"] for h in one["history"]] == [1]
    years = client.get(f"/api/indicators/{code}").json()
    assert sorted(i["year"] for i in years["items"]) == [2021, 2022, 2023, 2024, 2025]


def test_district_filter(client: TestClient) -> None:
    rows = {r["admin_code"]: r for r in client.get("/api/districts").json()}
    page = client.get("/api/enterprises", params={"district": "330282", "limit": 1}).json()
    assert page["total"] == rows["330282"]["enterprises"]


def test_parcels_are_geojson_in_wgs84_inside_ningbo(client: TestClient) -> None:
    fc = client.get("/api/parcels", params={"limit": 20}).json()["items"]
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 20
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 120.8 < lon < 122.4 and 28.8 < lat < 30.6
    pid = fc["features"][0]["properties"]["parcel_id"]
    one = client.get(f"/api/parcels/{pid}").json()
    assert one["properties"]["parcel_id"] == pid and one["history"][0]["version"] == 1


def test_errors_have_one_bilingual_shape(client: TestClient) -> None:
    r = client.get("/api/parcels/NOPE")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "NotFoundError" and "不存在" in body["message_zh"]
    assert "not found" in body["message_en"]
    assert client.get("/api/enterprises", params={"limit": 0}).status_code == 422


def test_demo_pipeline_stored_an_evaluation_run(client: TestClient) -> None:
    """The demo evaluates its five years (each on 31 March of the year after)."""
    runs = client.get("/api/evaluation/runs").json()
    assert [r["run_id"] for r in runs] == [f"{y}-ningbo-demo-v1" for y in range(2021, 2026)]
    assert [r["created_at"][:10] for r in runs] == [f"{y}-03-31" for y in range(2022, 2027)]
    run = runs[-1]
    assert run["state"] == "computed" and run["created_at"].startswith("2026-03-31")
    grades = run["summary"]["grades"]
    assert grades["A"] > grades["D"] > 0
    detail = client.get("/api/evaluation/runs/2025-ningbo-demo-v1").json()
    assert detail["inputs_hash"] == run["inputs_hash"]
    assert client.get("/api/evaluation/runs/nope").status_code == 404


def test_run_summary_counts_firms_as_the_overview_does(client: TestClient) -> None:
    """The evaluation page and the overview show one distribution for one run: the firms
    graded in their own right (graded or vetoed), with the tenants that share a landlord's
    grade counted apart — ``grades`` (every firm with a grade) is the sum of both."""
    run = client.get("/api/evaluation/runs").json()[-1]
    s = run["summary"]
    head = client.get("/api/overview", params={"year": run["year"]}).json()["headline"]
    assert s["grades_evaluated"] == head["counts"]
    assert s["evaluated"] == head["firms_evaluated"]
    assert sum(s["grades_evaluated"].values()) == head["firms_graded"]
    st = s["status"]
    assert s["evaluated"] == st.get("graded", 0) + st.get("ungraded", 0) + st.get("vetoed", 0)
    followers = st.get("merged", 0) + st.get("inherited", 0)
    assert followers > 0  # the demo has tenants merged into their landlords
    assert sum(s["grades"].values()) - sum(s["grades_evaluated"].values()) <= followers


def test_run_results_are_paged_filtered_and_ranked(client: TestClient) -> None:
    url = "/api/evaluation/runs/2025-ningbo-demo-v1/results"
    page = client.get(url, params={"grade": "A", "limit": 7}).json()
    assert len(page["items"]) == 7 and {i["grade"] for i in page["items"]} == {"A"}
    runs = client.get("/api/evaluation/runs").json()
    assert page["total"] == runs[-1]["summary"]["grades"]["A"]
    group = page["items"][0]["group_label"]
    ranked = client.get(url, params={"group": group, "order": "rank", "limit": 1000}).json()
    ranks = [i["rank"] for i in ranked["items"] if i["rank"] is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert client.get(url, params={"order": "bogus"}).status_code == 422


def test_explain_endpoint(client: TestClient) -> None:
    url = "/api/evaluation/runs/2025-ningbo-demo-v1/results"
    item = client.get(url, params={"grade": "C", "limit": 1}).json()["items"][0]
    data = client.get(f"/api/evaluation/explain/{item['credit_code']}",
                      params={"year": 2025}).json()
    assert data["grade"] == "C" and data["next_grade"]["target"] == "B"
    assert data["score"] == pytest.approx(item["score"])
    assert data["run_id"] == "2025-ningbo-demo-v1" and data["previous"]["year"] == 2024


def test_explain_without_year_reads_the_newest_evaluated_year(client: TestClient) -> None:
    """No ``year``: the newest year the runs list shows (2025 of 2021–2025), the same answer
    as with ``year=2025``; an explicit older year still answers that year."""
    url = "/api/evaluation/runs/2025-ningbo-demo-v1/results"
    code = client.get(url, params={"grade": "C", "limit": 1}).json()["items"][0]["credit_code"]
    newest = max(r["year"] for r in client.get("/api/evaluation/runs").json())
    assert newest == 2025
    bare = client.get(f"/api/evaluation/explain/{code}")
    assert bare.status_code == 200, bare.text
    assert bare.json()["year"] == 2025 and bare.json()["run_id"] == "2025-ningbo-demo-v1"
    assert bare.json() == client.get(f"/api/evaluation/explain/{code}",
                                     params={"year": 2025}).json()
    older = client.get(f"/api/evaluation/explain/{code}", params={"year": 2023}).json()
    assert older["year"] == 2023 and older["run_id"] == "2023-ningbo-demo-v1"
    assert client.get(f"/api/evaluation/explain/{code}", params={"year": 1900}).status_code == 422


def test_explain_without_year_and_without_runs_says_so(tmp_path: Path) -> None:
    """A store with no run: no newest year to default to, a 404 in both languages that
    says what to do (evaluate first)."""
    from indspace.core.errors import NotFoundError
    from indspace.services import evaluation as ev
    from indspace.store import Store

    store = Store.create(tmp_path / "empty.gpkg")
    try:
        with pytest.raises(NotFoundError) as err:
            ev.answer_run(store, None, "ningbo-demo")
    finally:
        store.close()
    e = err.value
    assert e.http_status == 404 and "评价批次" in e.message_zh and "run" in e.message_en
    assert e.hint_zh and e.hint_en


def test_explain_and_zones_read_the_stored_run(client: TestClient, small_demo: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers come from the stored run: with every evaluation path made to fail they
    still come, with the numbers the computing path gives for the same run (a C firm with a
    next-grade search, a B firm, each zone kind)."""
    from indspace.services import evaluation as ev
    from indspace.store import Store
    from tests.services.test_stored_answers import forbid_evaluation, plain

    url = "/api/evaluation/runs/2025-ningbo-demo-v1/results"
    codes = [client.get(url, params={"grade": g, "limit": 1}).json()["items"][0]["credit_code"]
             for g in ("C", "B")]
    store = Store(small_demo)
    try:
        want = {c: plain(ev.explain(store, c, run_id="2025-ningbo-demo-v1")) for c in codes}
        rollup = ev.zone_rollup(store, None, None, run_id="2025-ningbo-demo-v1")
    finally:
        store.close()
    forbid_evaluation(monkeypatch)
    for code in codes:
        got = client.get(f"/api/evaluation/explain/{code}", params={"year": 2025})
        assert got.status_code == 200, got.text
        assert plain(got.json()) == want[code], code
    for kind in ("district", "park", "chain"):
        rows = client.get("/api/evaluation/zones", params={"year": 2025, "kind": kind}).json()
        assert rows == plain(ev.zone_rows(rollup, kind)), kind
        assert len(rows) > 0
    missing = client.get("/api/evaluation/zones", params={"year": 2019})
    assert missing.status_code == 404 and "评价批次" in missing.json()["message_zh"]


def test_landing_links_the_latest_evaluation(client: TestClient) -> None:
    page = client.get("/about").text
    assert "/api/evaluation/runs" in page and "/api/evaluation/zones?year=2025" in page


def test_clock_gives_today_in_the_store_time_zone(client: TestClient) -> None:
    """The UI's default "as of" day comes from the server: today in the deployment's zone
    (the demo's Asia/Shanghai, UTC+8), which from 16:00 UTC on is the next UTC day."""
    from datetime import UTC, datetime, timedelta

    body = client.get("/api/clock").json()
    assert body["time_zone"] == "Asia/Shanghai"
    now = datetime.now(UTC)
    assert body["today"] in {(now + timedelta(hours=8, seconds=s)).date().isoformat()
                             for s in (-60, 0, 60)}
