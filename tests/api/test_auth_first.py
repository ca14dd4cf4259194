"""Who is calling is settled before the request's values are judged, on every route: an
anonymous caller learns nothing of a route beyond "log in" (401, never the schema's 422 on a
bad ``limit``, ``order`` or ``state``), a caller without the role nothing beyond 403; only a
caller who may call the route gets the 422 naming the bad value (docs/web-api.md, "Order of
checks").

The anonymous walk covers every operation of the OpenAPI document (and asserts that the
routes hidden from it are the known public pages): every path parameter, query parameter
and body set to a deliberately bad value. Public routes are listed here by name, so a new
route is either public on purpose (added to a list below) or answers 401."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")

BAD = "%%bad%%"

PUBLIC = {
    ("POST", "/api/auth/login"),
    ("GET", "/api/health"),
    ("GET", "/api/info"),
    ("GET", "/api/clock"),
    ("GET", "/api/districts"),
    ("GET", "/api/districts/geojson"),
    ("GET", "/api/basemap"),
    ("GET", "/api/vocabulary"),
    ("GET", "/ogc"),
    ("GET", "/ogc/conformance"),
    ("GET", "/ogc/collections"),  # lists what the caller may read
    ("GET", "/tiles"),
}
"""Public whatever the deployment: login, the store's facts, words, the OGC and tile lists."""

LAYERED = {
    ("GET", "/api/parcels"),
    ("GET", "/api/parcels/{parcel_id}"),
    ("GET", "/api/parcels/{parcel_id}/summary"),
    ("GET", "/api/search"),
    ("GET", "/api/controlline/overlay"),
    ("GET", "/ogc/collections/{collection_id}"),
    ("GET", "/ogc/collections/{collection_id}/items"),
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"),
    ("GET", "/tiles/{layer_id}.json"),
    ("GET", "/tiles/{layer_id}/{z}/{x}/{y}.mvt"),
}
"""Public while the layers they read are (``INDSPACE_PUBLIC_LAYERS``; parcels and control
lines by default); 401 for anonymous callers when they are not."""

HIDDEN_PUBLIC = {"/about", "/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
"""Routes outside the OpenAPI document: the landing page, the SPA and the API docs."""

LAYER_PARAMS = {"collection_id": "parcels", "layer_id": "parcels"}
"""Path parameters naming a layer get a real one, so that the layer's rule is what answers."""


def _bad_request(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    """The request with every value bad: path and query parameters, the body."""
    url, query = path, {}
    for p in op.get("parameters", []):
        if p["in"] == "path":
            url = url.replace(
                "{" + p["name"] + "}", LAYER_PARAMS.get(p["name"], quote(BAD, safe=""))
            )
        elif p["in"] == "query":
            query[p["name"]] = "-1" if p["name"] in ("limit", "offset") else BAD
    kw: dict[str, Any] = {"method": method.upper(), "url": url, "params": query}
    if "requestBody" in op:
        kw["json"] = {"bad": BAD, "year": BAD, "accept": BAD, "kind": BAD}
    return kw


def _walk(
    client: TestClient, headers: dict[str, str] | None = None
) -> dict[tuple[str, str], tuple[int, str]]:
    """Every operation of the OpenAPI document called with bad values: its status and body."""
    out = {}
    for path, ops in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, op in ops.items():
            r = client.request(**_bad_request(path, method, op), headers=headers)
            out[(method.upper(), path)] = (r.status_code, r.text[:200])
    return out


@pytest.fixture(scope="module")
def apps(small_demo: Path) -> Iterator[dict[str, TestClient]]:
    """The demo served twice: with the default public layers, and with none public."""
    with (
        TestClient(create_app(small_demo), raise_server_exceptions=False) as default,
        TestClient(
            create_app(small_demo, public_layers=()), raise_server_exceptions=False
        ) as closed,
    ):
        yield {"default": default, "closed": closed}


@pytest.mark.parametrize("layers", ["default", "closed"])
def test_anonymous_bad_values_get_401_everywhere(apps: dict[str, TestClient], layers: str) -> None:
    """Anonymous, with every value bad: 401 on every route that is not public (never 422,
    never 500); with no public layer, the layer routes too."""
    client = apps[layers]
    answers = _walk(client)
    assert set(answers) >= PUBLIC | LAYERED, sorted((PUBLIC | LAYERED) - set(answers))
    public = PUBLIC | (LAYERED if layers == "default" else set())
    wrong = {k: v for k, v in answers.items() if k not in public and v[0] != 401}
    assert not wrong, wrong
    assert len(answers) - len(public) > 40  # the walk saw the API, not an empty schema
    hidden = {
        r.path
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and not r.include_in_schema
    }
    assert hidden <= HIDDEN_PUBLIC, hidden - HIDDEN_PUBLIC
    # a bad token is no better than none
    answers = _walk(client, {"Authorization": "Bearer not-a-token"})
    wrong = {k: v for k, v in answers.items() if k not in public and v[0] != 401}
    assert not wrong, wrong


ROLE_CASES = [
    # (user, method, path, params, json) — the user lacks the route's role
    ("firm", "GET", "/api/audit", {"limit": "-1", "offset": BAD}, None),
    ("officer", "POST", "/api/evaluation/runs", {}, {"year": BAD}),
    ("firm", "GET", "/api/evaluation/compare", {"moved_only": BAD, "offset": "-1"}, None),
    ("firm", "GET", "/api/evaluation/compare.xlsx", {"lang": BAD}, None),
    ("firm", "POST", "/api/evaluation/objections/x/resolve", {}, {"accept": BAD}),
    ("auditor", "POST", "/api/evaluation/runs/x/objections", {}, {"claimed_value": BAD}),
    ("firm", "POST", "/api/reports", {}, {"kind": BAD, "year": BAD}),
    ("firm", "POST", "/api/imports", {"kind": BAD, "year": BAD}, None),
    ("firm", "GET", "/api/imports", {}, None),
    ("firm", "GET", "/api/controlline/proposals", {"state": BAD}, None),
    ("firm", "GET", "/api/controlline/ledger", {"as_of": BAD}, None),
    ("auditor", "POST", "/api/controlline/proposals", {}, [BAD]),
    ("auditor", "POST", f"/api/controlline/proposals/x/{quote(BAD, safe='')}", {}, None),
    ("officer", "POST", "/api/controlline/proposals/x/approve", {}, {"on": BAD}),
    ("firm", "GET", "/api/lowuse/runs/x/units", {"sort": BAD, "limit": "0"}, None),
    ("firm", "GET", "/api/users", {}, None),
]


def test_role_before_bad_values(apps: dict[str, TestClient]) -> None:
    """Logged in without the route's role, with bad values: 403 (not 422); the same request
    from a role that may call the route gets the 422 naming the value."""
    c = apps["default"]
    h = {u: bearer(c, u) for u in ("admin", "officer", "firm", "auditor")}
    got = {}
    for user, method, path, params, body in ROLE_CASES:
        r = c.request(method, path, params=params, json=body, headers=h[user])
        got[(user, method, path)] = (r.status_code, r.text[:120])
    wrong = {k: v for k, v in got.items() if v[0] != 403 or '"ForbiddenError"' not in v[1]}
    assert not wrong, wrong
    # the values are still judged, after the caller: a city administrator gets the 422
    for method, path, params, body, where in [
        ("GET", "/api/audit", {"limit": "-1"}, None, "query.limit"),
        ("POST", "/api/evaluation/runs", {}, {"year": BAD}, "body.year"),
        ("GET", "/api/controlline/proposals", {"state": BAD}, None, "query.state"),
        ("POST", "/api/reports", {}, {"kind": BAD}, "body.kind"),
    ]:
        r = c.request(method, path, params=params, json=body, headers=h["admin"])
        assert (r.status_code, r.json()["where"]) == (422, where), (path, r.text)


NOT_JSON = b'{"year": 2024, not json'
"""A body FastAPI cannot parse: it refuses it (422) before it solves any dependency."""


@pytest.mark.parametrize("layers", ["default", "closed"])
def test_body_that_is_not_json_gets_401_first(apps: dict[str, TestClient], layers: str) -> None:
    """Anonymous (or with a bad token), a body that is not JSON on any route that takes one:
    401, as for a bad value, not the 422 of the body — FastAPI parses the body before the
    route's dependencies, so the refusal asks the route's gates first. Login stays 422."""
    client = apps[layers]
    posted = []
    for path, ops in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, op in ops.items():
            if "application/json" not in op.get("requestBody", {}).get("content", {}):
                continue
            url = path.replace("{action}", "approve")
            for p in op.get("parameters", []):
                url = url.replace("{" + p["name"] + "}", "x")
            posted.append((method.upper(), path, url))
    assert len(posted) >= 7  # the objections, resolutions, proposals, reports, plans…
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        got = {}
        for method, path, url in posted:
            r = client.request(
                method,
                url,
                content=NOT_JSON,
                headers={**headers, "Content-Type": "application/json"},
            )
            got[(method, path)] = (r.status_code, r.json()["error"])
        login = got.pop(("POST", "/api/auth/login"))
        assert login == (422, "RequestValidationError")
        wrong = {k: v for k, v in got.items() if v != (401, "AuthError")}
        assert not wrong, wrong


def test_body_that_is_not_json_gets_403_before_422(apps: dict[str, TestClient]) -> None:
    """Logged in without the route's role (the router's or the route's rule, or the rule of
    the path's action), a body that is not JSON: 403; a caller who may call the route gets
    the 422 of the body."""
    c = apps["default"]
    h = {u: bearer(c, u) for u in ("admin", "officer", "firm", "auditor")}
    json_type = {"Content-Type": "application/json"}
    for user, path in [
        ("firm", "/api/evaluation/runs"),
        ("firm", "/api/evaluation/objections/x/resolve"),
        ("auditor", "/api/evaluation/runs/x/objections"),
        ("auditor", "/api/controlline/proposals"),
        ("officer", "/api/controlline/proposals/x/approve"),
        ("firm", "/api/controlline/proposals/x/withdraw"),
    ]:
        r = c.post(path, content=NOT_JSON, headers={**h[user], **json_type})
        assert (r.status_code, r.json()["error"]) == (403, "ForbiddenError"), (user, path, r.text)
    for path in ("/api/evaluation/runs", "/api/controlline/proposals/x/approve"):
        r = c.post(path, content=NOT_JSON, headers={**h["admin"], **json_type})
        assert (r.status_code, r.json()["error"]) == (422, "RequestValidationError"), r.text
        assert r.json()["where"].startswith("body"), r.text


def test_wrong_method_gets_401_first(apps: dict[str, TestClient]) -> None:
    """A method a protected path does not take is refused like any other bad part of the
    request: 401 for an anonymous caller, 405 for a logged-in one (and for public paths)."""
    c = apps["default"]
    admin = bearer(c, "admin")
    for method, path in [("PUT", "/api/audit"), ("DELETE", "/api/evaluation/runs")]:
        assert c.request(method, path).status_code == 401, path
        assert c.request(method, path, headers=admin).status_code == 405, path
    assert c.request("PUT", "/api/health").status_code == 405


UNKNOWN_LAYER_URLS = [
    "/tiles/no_such_layer.json",
    "/tiles/no_such_layer/14/13700/6700.mvt",
    "/ogc/collections/no_such_layer",
    "/ogc/collections/no_such_layer/items",
    "/ogc/collections/no_such_layer/items/x",
]


@pytest.mark.parametrize("layers", ["default", "closed"])
def test_unknown_layer_is_401_for_anonymous(apps: dict[str, TestClient], layers: str) -> None:
    """An unknown tile layer or OGC collection is refused to an anonymous caller like a layer
    that needs a login (401, so the answers do not tell which layers exist); a logged-in
    caller gets the 404. The public layers still answer anonymously."""
    client = apps[layers]
    for url in UNKNOWN_LAYER_URLS:
        r = client.get(url)
        assert (r.status_code, r.json()["error"]) == (401, "AuthError"), (url, r.text)
        r = client.get(url, headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401, (url, r.text)
    officer = bearer(client, "officer")
    for url in UNKNOWN_LAYER_URLS:
        r = client.get(url, headers=officer)
        assert (r.status_code, r.json()["error"]) == (404, "NotFoundError"), (url, r.text)
    public = 200 if layers == "default" else 401
    for url in (
        "/tiles/parcels.json",
        "/ogc/collections/parcels",
        "/ogc/collections/control_lines",
    ):
        assert client.get(url).status_code == public, url
    assert client.get("/tiles/parcels.json", headers=officer).status_code == 200


def test_owner_filter_asks_login_before_values(apps: dict[str, TestClient]) -> None:
    """A filter naming an enterprise (``owner_credit_code``) on a public layer: an anonymous
    caller gets 401 before any value is judged (not the 422 of a bad ``limit``); for a
    logged-in caller the enterprise is judged on its record, after the values: an officer
    of another district gets the 422 of a bad value, then 403 for the firm; the firm's own
    district officer gets the parcels."""
    c = apps["default"]
    firm = c.get("/api/auth/me", headers=bearer(c, "firm")).json()["credit_code"]
    assert firm
    lists = [
        ("/api/parcels", {"owner_credit_code": firm, "limit": "-1"}, "query.limit"),
        (
            "/ogc/collections/parcels/items",
            {"owner_credit_code": firm, "limit": "0"},
            "query.limit",
        ),
    ]
    other, own = bearer(c, "officer2"), bearer(c, "officer")
    for url, params, where in lists:
        r = c.get(url, params=params)
        body = r.json()
        assert (r.status_code, body["error"], body["where"]) == (
            401,
            "AuthError",
            "owner_credit_code",
        ), (url, r.text)
        assert "owner_credit_code" in body["message_zh"] and "anonymous" in body["message_en"]
        r = c.get(url, params=params, headers=other)
        assert (r.status_code, r.json()["where"]) == (422, where), (url, r.text)
        good = {**params, "limit": "5"}
        r = c.get(url, params=good, headers=other)
        assert (r.status_code, r.json()["error"]) == (403, "ForbiddenError"), (url, r.text)
        r = c.get(url, params=good, headers=own)
        assert r.status_code == 200, (url, r.text)
    # without the filter the public layer answers anonymously, bad values judged as before
    assert c.get("/api/parcels", params={"limit": "5"}).status_code == 200
    assert c.get("/api/parcels", params={"limit": "-1"}).status_code == 422


@pytest.mark.parametrize("layers", ["default", "closed"])
def test_the_tile_list_tells_an_anonymous_caller_only_the_public_layers(
    apps: dict[str, TestClient], layers: str
) -> None:
    """/tiles marks the layers this deployment serves anonymously (its public layers, not
    the code's defaults) and lists only those to an anonymous caller — as the unknown-layer
    401 and /ogc/collections do; a logged-in caller sees every layer."""
    c = apps[layers]
    open_ = set(c.app.state.public_layers)  # type: ignore[attr-defined]
    assert open_ == (
        set() if layers == "closed" else {"parcels", "buildings", "control_lines", "parks"}
    )
    anonymous = c.get("/tiles").json()["layers"]
    assert {lay["id"] for lay in anonymous} == open_
    assert all(lay["public"] for lay in anonymous)
    every = c.get("/tiles", headers=bearer(c, "admin")).json()["layers"]
    assert len(every) == 6
    assert {lay["id"] for lay in every if lay["public"]} == open_
    # the OGC list agrees on what is public
    ogc = c.get("/ogc/collections").json()["collections"]
    assert {col["id"] for col in ogc} == open_
