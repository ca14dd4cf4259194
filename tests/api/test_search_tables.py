"""Search, the enterprise table and its XLSX export, and the vocabulary (issue #16), over the
small demo city, as each role."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.store import Store, runs
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


FIRM_NAME = "宁波海曙博辉铸造有限公司"  # a firm of the small demo (district 330203)


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


@pytest.fixture(scope="module")
def heads(client: TestClient) -> dict[str, dict[str, str]]:
    return {u: bearer(client, u) for u in ("admin", "officer", "officer2", "firm")}


@pytest.fixture(scope="module")
def firms(small_demo: Path):  # type: ignore[no-untyped-def]
    return Store.open(small_demo).read_frame("enterprises")


def test_two_characters_of_a_name_find_the_firm(client: TestClient, heads, firms) -> None:
    r = client.get("/api/enterprises", params={"q": "博辉"}, headers=heads["admin"])
    assert r.status_code == 200, r.text
    body = r.json()
    names = [i["name"] for i in body["items"]]
    assert FIRM_NAME in names
    # exactly the register's firms whose name holds the two characters
    expected = set(firms.loc[firms["name"].str.contains("博辉", regex=False), "credit_code"])
    assert {i["credit_code"] for i in body["items"]} == expected and body["total"] == len(expected)
    hit = body["items"][names.index(FIRM_NAME)]
    assert hit["chain_label"] == "新能源汽车及高端装备" and hit["scale_label"] in ("规上", "规下")


def test_credit_code_prefix_and_limit(client: TestClient, heads, firms) -> None:
    code = firms["credit_code"].sort_values().iloc[100]
    r = client.get("/api/enterprises", params={"q": code[:12].lower()}, headers=heads["admin"])
    assert r.status_code == 200
    items = r.json()["items"]
    assert items[0]["credit_code"].startswith(code[:12])
    assert code in {i["credit_code"] for i in items}
    r = client.get("/api/enterprises", params={"q": "宁波", "limit": 5}, headers=heads["admin"])
    body = r.json()
    assert len(body["items"]) == 5 and body["total"] > 5


def test_search_stays_in_the_callers_scope(client: TestClient, heads, firms) -> None:
    home = firms.loc[firms["name"] == FIRM_NAME, "district"].iloc[0]
    mine = client.get("/api/auth/me", headers=heads["officer"]).json()
    other = client.get("/api/auth/me", headers=heads["officer2"]).json()
    assert mine["district"] == home and other["district"] != home
    # the officer of the firm's district finds it; the other district's officer does not
    r = client.get("/api/enterprises", params={"q": "博辉"}, headers=heads["officer"])
    assert FIRM_NAME in [i["name"] for i in r.json()["items"]]
    r = client.get(
        "/api/enterprises", params={"q": "博辉", "limit": 1000}, headers=heads["officer2"]
    )
    assert r.status_code == 200 and FIRM_NAME not in [i["name"] for i in r.json()["items"]]
    # a name part every district has: each officer sees its own district's firms only
    for who, acct in (("officer", mine), ("officer2", other)):
        r = client.get("/api/enterprises", params={"q": "宁波", "limit": 1000}, headers=heads[who])
        body = r.json()
        expected = firms[
            (firms["district"] == acct["district"])
            & firms["name"].str.contains("宁波", regex=False)
        ]
        assert body["total"] == len(expected) > 0
        assert {i["district"] for i in body["items"]} == {acct["district"]}
    # the enterprise user finds itself only
    me = client.get("/api/auth/me", headers=heads["firm"]).json()
    r = client.get("/api/enterprises", params={"q": "宁波", "limit": 1000}, headers=heads["firm"])
    assert [i["credit_code"] for i in r.json()["items"]] == [me["credit_code"]]
    # anonymous: no enterprise list at all
    assert client.get("/api/enterprises", params={"q": "宁波"}).status_code == 401


def test_one_search_box_finds_enterprises_and_parcels(client: TestClient, heads) -> None:
    r = client.get("/api/search", params={"q": "330203001001GB0000"}, headers=heads["officer"])
    assert r.status_code == 200, r.text
    parcels = r.json()["parcels"]
    # ids 330203001001GB00001 … 330203001001GB00009 (nine with this prefix)
    assert parcels["total"] == 9
    assert all(p["parcel_id"].startswith("330203001001GB0000") for p in parcels["items"])
    for p in parcels["items"]:
        assert 120.8 < p["lon"] < 122.4 and 28.8 < p["lat"] < 30.4  # inside Ningbo
    r = client.get("/api/search", params={"q": "博辉"}, headers=heads["officer"])
    body = r.json()
    assert FIRM_NAME in [i["name"] for i in body["enterprises"]["items"]]
    assert body["parcels"]["total"] == 0
    # anonymous: parcels (a public layer) yes, enterprises no; the owner is hidden
    r = client.get("/api/search", params={"q": "330203001001GB00001"})
    body = r.json()
    assert body["enterprises"]["items"] == [] and body["parcels"]["total"] == 1
    assert body["parcels"]["items"][0]["owner_credit_code"] is None
    bad = client.get("/api/search", params={"q": "   "}, headers=heads["admin"])
    assert bad.status_code == 422 and bad.json()["where"] == "q"


def test_table_has_grades_of_the_newest_run_and_filters(
    client: TestClient,
    heads,
    small_demo: Path,
) -> None:
    store = Store.open(small_demo)
    run = runs.list_runs(store).iloc[-1]
    results = runs.read_results(store, run["run_id"])
    r = client.get("/api/enterprises/table", params={"limit": 5}, headers=heads["admin"])
    body = r.json()
    assert body["run_id"] == run["run_id"]
    # the classes come from the run's profile: every grade a result holds is offered
    assert set(results["grade"].dropna()) <= set(body["grades"])
    assert body["total"] == 2000
    grade = body["grades"][0]
    r = client.get(
        "/api/enterprises/table",
        params={"grade": grade, "limit": 1000, "sort": "score", "desc": True},
        headers=heads["admin"],
    )
    rows = r.json()["items"]
    assert len(rows) == (results["grade"] == grade).sum() > 0
    assert {x["grade"] for x in rows} == {grade}
    # highest score first; firms graded without a score of their own (a tenant inheriting
    # its landlord's grade) come last
    scores = [x["score"] for x in rows]
    known = [x for x in scores if x is not None]
    assert scores == sorted(known, reverse=True) + [None] * (len(scores) - len(known))
    assert all(not x["chain_label"].startswith("361-2025:") for x in rows if x["chain"])
    # a district officer: its district only; another district is refused, not emptied
    mine = client.get("/api/auth/me", headers=heads["officer"]).json()["district"]
    r = client.get("/api/enterprises/table", params={"limit": 1000}, headers=heads["officer"])
    assert {x["district"] for x in r.json()["items"]} == {mine}
    other = client.get("/api/auth/me", headers=heads["officer2"]).json()["district"]
    r = client.get("/api/enterprises/table", params={"district": other}, headers=heads["officer"])
    assert r.status_code == 403
    r = client.get("/api/enterprises/table", params={"sort": "nope"}, headers=heads["admin"])
    assert r.status_code == 422 and r.json()["where"] == "sort"


def test_export_holds_exactly_the_filtered_rows(client: TestClient, heads) -> None:
    filters = {"grade": "A", "chain": "361-2025:new_materials", "industry": "29"}
    shown = client.get(
        "/api/enterprises/table", params={**filters, "limit": 1000}, headers=heads["officer"]
    ).json()
    assert shown["total"] > 0
    r = client.get("/api/enterprises/table.xlsx", params=filters, headers=heads["officer"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("统一社会信用代码", "企业名称", "所在区县")
    assert "综合得分（分）" in header and "用地面积（亩）" in header
    body = rows[1:]
    assert [x[0] for x in body] == [x["credit_code"] for x in shown["items"]]
    grade_col, chain_col = header.index("亩均效益等级"), header.index("产业链")
    assert {x[grade_col] for x in body} == {"A"} and {x[chain_col] for x in body} == {"新材料"}
    assert all(str(x[3]).startswith("29") for x in body)
    # same filters, same bytes; English headers on request
    again = client.get("/api/enterprises/table.xlsx", params=filters, headers=heads["officer"])
    assert again.content == r.content
    en = client.get(
        "/api/enterprises/table.xlsx", params={**filters, "lang": "en"}, headers=heads["officer"]
    )
    ws = openpyxl.load_workbook(io.BytesIO(en.content)).active
    assert next(ws.iter_rows(values_only=True))[0] == "credit code"
    assert client.get("/api/enterprises/table.xlsx").status_code == 401


def test_vocabulary_labels_every_chain_one_language_at_a_time(
    client: TestClient,
    firms,
    small_demo: Path,
) -> None:
    zh = client.get("/api/vocabulary", params={"lang": "zh"}).json()
    en = client.get("/api/vocabulary", params={"lang": "en"}).json()
    for chain in firms["chain"].dropna().unique():
        assert chain in zh["chain"] and chain in en["chain"]
    assert zh["chain"]["361-2025:fashion_consumer"] == "时尚消费品"
    assert en["chain"]["361-2025:fashion_consumer"] == "fashion consumer goods"
    assert zh["ledger_direction"]["out"] == "调出" and en["ledger_direction"]["out"] == "out"
    assert zh["check"]["already_industrial"] != "already_industrial"
    assert set(zh) == set(en) and all(set(zh[g]) == set(en[g]) for g in zh)
    # every land-use class (用地分类) of the demo's parcels has its words
    store = Store.open(small_demo)
    try:
        uses = store.read_frame("parcels", columns=["land_use_code"])["land_use_code"]
    finally:
        store.close()
    assert len(uses.dropna().unique()) >= 3
    for code in uses.dropna().unique():
        assert zh["land_use"][code] != code and en["land_use"][code] != zh["land_use"][code]
