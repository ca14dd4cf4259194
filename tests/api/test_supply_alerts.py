"""供地监管预警 over the API (issue #17 item 4): ``GET /api/supply/alerts`` and its XLSX export
on the small demo city, whose contracts hold planted breaches, as each role."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.services.demo import DEMO_AS_OF
from indspace.services.supply import run_monitor
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


@pytest.fixture(scope="module")
def heads(client: TestClient) -> dict[str, dict[str, str]]:
    return {u: bearer(client, u) for u in ("admin", "auditor", "officer", "officer2", "firm")}


@pytest.fixture(scope="module")
def me(client: TestClient, heads) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {u: client.get("/api/auth/me", headers=h).json() for u, h in heads.items()}


@pytest.fixture(scope="module")
def store(small_demo: Path) -> Store:
    return Store.open(small_demo)


@pytest.fixture(scope="module")
def parcel_district(store: Store) -> dict[str, str]:
    p = store.read_frame("parcels", columns=["parcel_id", "district"])
    return dict(zip(p["parcel_id"], p["district"], strict=True))


def rows(client: TestClient, head: dict[str, str], **params: object) -> list[dict]:  # type: ignore[type-arg]
    r = client.get("/api/supply/alerts", params={"as_of": AS_OF, **params}, headers=head)
    assert r.status_code == 200, r.text
    return r.json()["alerts"]


def keys(items) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(a["contract_id"], a["rule"], a["status"]) for a in items]


def test_city_roles_see_exactly_the_monitor_output(client, heads, store) -> None:  # type: ignore[no-untyped-def]
    expected = run_monitor(store, DEMO_AS_OF).alerts
    assert len(expected) > 0
    for user in ("admin", "auditor"):
        got = rows(client, heads[user])
        assert keys(got) == list(
            zip(expected["contract_id"], expected["rule"], expected["status"], strict=True)
        )
        # the columns as text, plus the Chinese labels
        assert got[0]["amount_wan"] == expected["amount_wan"].iloc[0]
        assert all(isinstance(a["amount_wan"], str) for a in got)
    labelled = {a["rule"]: a["rule_label"] for a in rows(client, heads["admin"])}
    assert labelled["idle_1y"] == "闲置满一年" and labelled["transfer_blocked"] == "违规转让"


def test_rule_status_and_district_filters_match_the_service(client, heads, store) -> None:  # type: ignore[no-untyped-def]
    full = run_monitor(store, DEMO_AS_OF).alerts
    got = rows(client, heads["admin"], rule="idle_1y")
    assert len(got) == int((full["rule"] == "idle_1y").sum()) > 0
    assert {a["rule"] for a in got} == {"idle_1y"}
    status = full["status"].iloc[0]
    assert len(rows(client, heads["admin"], status=status)) == int((full["status"] == status).sum())
    district = "330203"
    by_district = run_monitor(store, DEMO_AS_OF, district=district).alerts
    assert keys(rows(client, heads["admin"], district=district)) == list(
        zip(by_district["contract_id"], by_district["rule"], by_district["status"], strict=True)
    )


def test_officer_sees_only_their_district(client, heads, me, store, parcel_district) -> None:  # type: ignore[no-untyped-def]
    mine, other = me["officer"]["district"], me["officer2"]["district"]
    assert mine != other
    got = rows(client, heads["officer"])
    assert got and {parcel_district[a["parcel_id"]] for a in got} == {mine}
    assert len(got) == len(run_monitor(store, DEMO_AS_OF, district=mine).alerts)
    theirs = {a["contract_id"] for a in rows(client, heads["officer2"])}
    assert theirs and not theirs & {a["contract_id"] for a in got}
    # asking for another district is refused, naming it
    r = client.get(
        "/api/supply/alerts", params={"as_of": AS_OF, "district": other}, headers=heads["officer"]
    )
    assert r.status_code == 403 and other in r.text
    r = client.get(
        "/api/supply/alerts.xlsx",
        params={"as_of": AS_OF, "district": other},
        headers=heads["officer"],
    )
    assert r.status_code == 403


def test_firm_sees_only_its_own_contracts(client, heads, me, store) -> None:  # type: ignore[no-untyped-def]
    code = me["firm"]["credit_code"]
    got = rows(client, heads["firm"])
    # the demo firm holds planted breaches (demo/_contracts.py SHOWCASE): it sees them
    assert got and {a["credit_code"] for a in got} == {code}
    assert len(got) == len(run_monitor(store, DEMO_AS_OF, credit_code=code).alerts)
    planted = store.anomalies()
    planted = planted[planted["kind"] == "contract_breach"]
    mine = {
        (k, d.split(":")[0])
        for k, d in zip(planted["record_key"], planted["detail"], strict=True)
        if k in {a["contract_id"] for a in got}
    }
    assert {(a["contract_id"], a["rule"]) for a in got} == mine
    assert {a["rule"] for a in got} >= {"idle_1y", "installment_overdue"}
    # the firm's district filter cannot widen its view
    assert len(rows(client, heads["firm"], district=me["officer2"]["district"])) <= len(got)


def test_anonymous_and_bad_input_are_refused(client, heads) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/supply/alerts", params={"as_of": AS_OF}).status_code == 401
    r = client.get("/api/supply/alerts", params={"as_of": "2025-13-01"}, headers=heads["admin"])
    assert r.status_code in (400, 422) and "as_of" in r.text
    r = client.get(
        "/api/supply/alerts", params={"as_of": AS_OF, "rule": "nope"}, headers=heads["admin"]
    )
    assert r.status_code in (400, 422) and "idle_1y" in r.text  # the hint lists the rules


def test_xlsx_holds_exactly_the_filtered_rows(client, heads) -> None:  # type: ignore[no-untyped-def]
    params = {"as_of": AS_OF, "rule": "installment_overdue"}
    want = rows(client, heads["admin"], rule="installment_overdue")
    assert want
    r = client.get("/api/supply/alerts.xlsx", params=params, headers=heads["admin"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    table = list(ws.iter_rows(values_only=True))
    assert table[0] == (
        "合同编号",
        "宗地代码",
        "统一社会信用代码",
        "规则",
        "状态",
        "起始日",
        "期限日",
        "金额（万元）",
        "依据",
    )
    assert [(c[0], c[3], c[7] or "") for c in table[1:]] == [
        (a["contract_id"], a["rule_label"], a["amount_display"]) for a in want
    ]
    # amounts for people: 万元 to 2 decimals (4 below 1 万元), rounded half-even from the
    # exact amount, which the JSON keeps (the demo's unpaid halves have 6 decimals)
    for a in want:
        exact = Decimal(a["amount_wan"])
        places = Decimal("0.01") if exact >= 1 else Decimal("0.0001")
        assert a["amount_display"] == str(exact.quantize(places, rounding=ROUND_HALF_EVEN))
    assert any(len(a["amount_wan"].split(".")[-1]) > 2 for a in want)
    # every cell is a string cell: amounts stay decimal text, nothing is a formula
    assert all(
        c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row if c.value is not None
    )
    again = client.get("/api/supply/alerts.xlsx", params=params, headers=heads["admin"])
    assert again.content == r.content  # same rows, same bytes


def test_an_enterprise_with_findings_sees_only_its_own(store) -> None:  # type: ignore[no-untyped-def]
    # The scope is also checked on the firm with the most findings: an enterprise principal
    # of that firm, through the service.
    from indspace.core.access import Principal
    from indspace.services.supply import scoped_alerts

    full = run_monitor(store, DEMO_AS_OF).alerts
    code = full["credit_code"].value_counts().index[0]
    who = Principal("firm-x", "enterprise", credit_code=code)
    got = scoped_alerts(store, DEMO_AS_OF, who=who).alerts
    assert len(got) == int((full["credit_code"] == code).sum()) > 0
    assert set(got["credit_code"]) == {code}
    assert len(got) < len(full)  # the other firms' findings are not there


def test_as_of_defaults_to_today_in_the_deployment_time_zone(client, heads, store) -> None:  # type: ignore[no-untyped-def]
    """Without ``as_of`` the monitor runs as of today in the store's time zone (the one clock:
    services.controlline.today), like ``indspace supply monitor`` without ``--as-of``."""
    from indspace.services.controlline import today

    before = today(store)
    r = client.get("/api/supply/alerts", headers=heads["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["as_of"] in {before.isoformat(), today(store).isoformat()}
