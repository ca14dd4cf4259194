"""``POST /api/plans/check`` (issue #18): the answer of ``indspace check-plan`` over HTTP, for
any logged-in user; bad fields answer 422 naming the field.

Plans are the golden cases of tests/services/test_plan_check.py (鄞州, site 10 000 m²,
approved 2025-06-30).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.services.accounts import create_user
from indspace.store import Store
from tests.services.test_plan_check import BASE, COEF_2023, URBAN_FAR


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("plans") / "empty.gpkg"
    store = Store.create(db)
    create_user(store, "firm", "long-enough", "enterprise", credit_code="91330200MA2AAAAA0X")
    store.close()
    with TestClient(create_app(db)) as c:
        yield c


def login(client: TestClient) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": "firm", "password": "long-enough"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_a_logged_in_user_checks_a_plan(client: TestClient) -> None:
    r = client.post("/api/plans/check", json=BASE, headers=login(client))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pass"] is True and body["profile"]["id"] == "ningbo-demo"
    far = body["checks"][0]
    assert (far["rule"], far["value"], far["limit"], far["pass"], far["clause"]) == (
        "plot_ratio",
        2.0,
        2.0,
        True,
        URBAN_FAR,
    )
    assert r.headers["Cache-Control"] == "no-store"


def test_boundary_through_the_api(client: TestClient) -> None:
    # footprint 2 999 / 10 000 = 0.2999 < 0.30: fails, citing the 2023 edition
    plan = copy.deepcopy(BASE)
    plan["footprint_m2"] = 2999
    body = client.post("/api/plans/check", json=plan, headers=login(client)).json()
    coef = body["checks"][1]
    assert (coef["rule"], coef["value"], coef["pass"]) == ("building_coefficient", 0.2999, False)
    assert coef["clause"].startswith(COEF_2023) and body["pass"] is False
    # the JSON float 3000.0 is the exact 3 000: 0.30 passes
    plan["footprint_m2"] = 3000.0
    assert (
        client.post("/api/plans/check", json=plan, headers=login(client)).json()["checks"][1][
            "pass"
        ]
        is True
    )


def test_anonymous_callers_must_log_in(client: TestClient) -> None:
    r = client.post("/api/plans/check", json=BASE)
    assert r.status_code == 401 and r.json()["message_zh"] == "需要登录"


def test_a_bad_field_is_named(client: TestClient) -> None:
    plan = copy.deepcopy(BASE)
    plan["storeys"][0]["height_m"] = "tall"
    r = client.post("/api/plans/check", json=plan, headers=login(client))
    assert r.status_code == 422
    err = r.json()
    assert err["where"] == "body: storeys[0].height_m" and "须为数字" in err["message_zh"]
    assert "must be a number" in err["message_en"]


def test_profile_parameter(client: TestClient) -> None:
    h = login(client)
    r = client.post(
        "/api/plans/check", params={"profile": "zhejiang-reference"}, json=BASE, headers=h
    )
    assert r.status_code == 200 and r.json()["profile"]["id"] == "zhejiang-reference"
    # only bundled ids: a path is an unknown profile, never a file read on the server
    r = client.post(
        "/api/plans/check", params={"profile": "/etc/passwd.yaml"}, json=BASE, headers=h
    )
    assert r.status_code == 422 and "未知策略配置" in r.json()["message_zh"]
