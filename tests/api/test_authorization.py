"""Roles and scopes, endpoint by endpoint (issue #8): a district officer cannot read or write
another district, an enterprise user cannot see another enterprise, the auditor writes
nothing, anonymous callers get 401 — enforced in the services, so every route shows it.

The demo accounts (services/demo.py): ``officer`` works in the first district by code
(330203), ``officer2`` in the second (330205), ``firm`` is a C/D-graded firm of 330203.
Each module works on its own copy of the small demo, since it writes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely import box

from indspace.api.app import create_app
from indspace.services import controlline_ledger
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


RUN = "2025-ningbo-demo-v1"
D1, D2 = "330203", "330205"
USERS = ("admin", "officer", "officer2", "firm", "auditor")


@pytest.fixture(scope="module")
def world(small_demo: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict]:  # type: ignore[type-arg]
    db = tmp_path_factory.mktemp("authz") / "demo.gpkg"
    shutil.copy(small_demo, db)
    store = Store.open(db)
    firms = store.read_frame("enterprises", columns=["credit_code", "district"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "district",
                                                   "owner_credit_code", "geometry"])
    # a draft control-line adjustment in D2 (area in: a 50 m square west of a D2 parcel)
    x0, y0, _, _ = parcels[parcels["district"] == D2].geometry.iloc[0].bounds
    pid = controlline_ledger.propose(store, {
        "district": D2, "reason": "补划", "documents": ["测试"],
        "in": box(x0 - 60, y0, x0 - 10, y0 + 50).wkt}, actor="test")["proposal_id"]
    store.close()
    with TestClient(create_app(db)) as c:
        h = {u: bearer(c, u) for u in USERS}
        me = c.get("/api/auth/me", headers=h["firm"]).json()
        own = me["credit_code"]
        assert me["role"] == "enterprise" and firms.set_index("credit_code").at[own,
                                                                              "district"] == D1
        other_d1 = firms[(firms["district"] == D1) & (firms["credit_code"] != own)
                         ]["credit_code"].iloc[0]
        in_d2 = firms[firms["district"] == D2]["credit_code"].iloc[0]
        owned = parcels.dropna(subset=["owner_credit_code"])
        p_d2 = owned[owned["owner_credit_code"].isin(firms[firms["district"] == D2]
                                                     ["credit_code"])]["parcel_id"].iloc[0]
        p_own = owned[owned["owner_credit_code"] == own]["parcel_id"].iloc[0]
        published = c.post(f"/api/evaluation/runs/{RUN}/publish", headers=h["admin"])
        assert published.status_code == 200
        assert published.json()["state"] == "published" and "summary" in published.json()
        yield {"c": c, "h": h, "own": own, "other_d1": other_d1, "in_d2": in_d2,
               "p_d2": p_d2, "p_own": p_own, "proposal": pid}


def wait_job(c: TestClient, href: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """Poll a background job until it ends (the UI does the same)."""
    for _ in range(6000):
        r = c.get(href, headers=headers)
        if r.json().get("state") in ("done", "failed"):
            return r
        time.sleep(0.05)
    raise AssertionError(f"job {href} did not end")


def status(w: dict, user: str | None, method: str, url: str,  # type: ignore[type-arg]
           headers: dict[str, str] | None = None, **kw: object) -> int:
    """The status of one request as ``user`` (None: anonymous), extra headers added."""
    sent = {**(w["h"][user] if user else {}), **(headers or {})}
    return int(w["c"].request(method, url, headers=sent, **kw).status_code)


# ---------------------------------------------------------------- reads of one enterprise
FIRM_READS = ["/api/enterprises/{code}", "/api/indicators/{code}",
              "/api/evaluation/explain/{code}?year=2025", "/api/enterprises/{code}/grades"]


@pytest.mark.parametrize("template", FIRM_READS)
def test_firm_reads_follow_the_scope(world: dict, template: str) -> None:  # type: ignore[type-arg]
    url = lambda code: template.format(code=code)  # noqa: E731
    # anonymous: 401 everywhere
    assert status(world, None, "GET", url(world["own"])) == 401
    # the enterprise user: own firm yes, any other firm no (same district or not)
    assert status(world, "firm", "GET", url(world["own"])) == 200
    assert status(world, "firm", "GET", url(world["other_d1"])) == 403
    assert status(world, "firm", "GET", url(world["in_d2"])) == 403
    # a district officer: its district's firms yes, another district's no
    assert status(world, "officer", "GET", url(world["other_d1"])) == 200
    assert status(world, "officer", "GET", url(world["in_d2"])) == 403
    assert status(world, "officer2", "GET", url(world["in_d2"])) == 200
    # city-wide readers
    assert status(world, "admin", "GET", url(world["in_d2"])) == 200
    assert status(world, "auditor", "GET", url(world["in_d2"])) == 200


def test_an_unknown_code_does_not_tell_an_outsider_whether_it_exists(world: dict) -> None:  # type: ignore[type-arg]
    assert status(world, "firm", "GET", "/api/enterprises/NO-SUCH-CODE") == 403
    # a district officer too (issue #15 review): 404 for an unknown code beside 403 for
    # another district's firm told it which codes the register holds elsewhere
    for url in ("/api/enterprises/NO-SUCH-CODE", "/api/indicators/NO-SUCH-CODE",
                "/api/enterprises/NO-SUCH-CODE/grades"):
        assert status(world, "officer", "GET", url) == 403
        assert status(world, "officer", "GET", url.replace("NO-SUCH-CODE",
                                                           world["in_d2"])) == 403
    assert status(world, "admin", "GET", "/api/enterprises/NO-SUCH-CODE") == 404


# ---------------------------------------------------------------- lists are narrowed
def test_enterprise_list(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    mine = c.get("/api/enterprises", params={"limit": 1000}, headers=h["officer"]).json()
    assert mine["total"] > 0 and {i["district"] for i in mine["items"]} == {D1}
    assert status(world, "officer", "GET", f"/api/enterprises?district={D2}") == 403
    own = c.get("/api/enterprises", headers=h["firm"]).json()
    assert [i["credit_code"] for i in own["items"]] == [world["own"]]
    assert status(world, None, "GET", "/api/enterprises") == 401


def test_run_results(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    url = f"/api/evaluation/runs/{RUN}/results"
    everyone = c.get(url, params={"limit": 1}, headers=h["admin"]).json()["total"]
    d1 = c.get(url, params={"limit": 1000}, headers=h["officer"]).json()
    assert 0 < d1["total"] < everyone and {i["district"] for i in d1["items"]} == {D1}
    assert status(world, "officer", "GET", url, params={"district": D2}) == 403
    firm = c.get(url, headers=h["firm"]).json()
    assert [i["credit_code"] for i in firm["items"]] == [world["own"]]
    assert status(world, None, "GET", url) == 401


def test_lowuse_units(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    run = c.get("/api/lowuse/runs", headers=h["officer"]).json()[-1]["run_id"]
    url = f"/api/lowuse/runs/{run}/units"
    d1 = c.get(url, params={"limit": 1000}, headers=h["officer"]).json()
    assert {i["district"] for i in d1["items"]} <= {D1}
    total = c.get(url, params={"limit": 1}, headers=h["admin"]).json()["total"]
    assert d1["total"] < total
    assert status(world, "officer", "GET", url, params={"district": D2}) == 403
    assert status(world, "firm", "GET", url) == 403
    assert status(world, None, "GET", url) == 401


def test_lowuse_units_largest_first(world: dict) -> None:  # type: ignore[type-arg]
    """By default the largest units come first (ties by unit id); ``sort=gfa`` by the floor
    area to gain, ``sort=unit_id`` by id; an unknown order is a 422 naming the choices."""
    c, h = world["c"], world["h"]
    run = c.get("/api/lowuse/runs", headers=h["admin"]).json()[-1]["run_id"]
    url = f"/api/lowuse/runs/{run}/units"

    def keys(sort: str | None, *cols: str) -> list[tuple]:  # type: ignore[type-arg]
        params = {"limit": 1000, **({"sort": sort} if sort else {})}
        body = c.get(url, params=params, headers=h["admin"]).json()
        return [tuple(i[k] for k in cols) for i in body["items"]]

    by_area = keys(None, "area_mu", "unit_id")
    assert len(by_area) > 2 and by_area[0][0] > by_area[-1][0]
    assert by_area == sorted(by_area, key=lambda r: (-r[0], r[1]))
    by_gfa = keys("gfa", "potential_gfa_m2", "unit_id")
    assert by_gfa == sorted(by_gfa, key=lambda r: (-r[0], r[1]))
    ids = keys("unit_id", "unit_id")
    assert ids == sorted(ids) and set(ids) == {(r[1],) for r in by_area}
    assert status(world, "admin", "GET", url, params={"sort": "name"}) == 422


def test_lowuse_units_role_before_sort(world: dict) -> None:  # type: ignore[type-arg]
    """Who is calling is decided before the query string is judged: with a bad ``sort``,
    ``limit`` or ``offset`` an anonymous caller gets 401 and an enterprise user 403 (not a
    422 listing the orders);
    a reader gets the service's bilingual 422 naming the parameter and the choices. The
    OpenAPI schema still lists the orders."""
    c, h = world["c"], world["h"]
    run = c.get("/api/lowuse/runs", headers=h["admin"]).json()[-1]["run_id"]
    url = f"/api/lowuse/runs/{run}/units"
    bad = {"sort": "name"}
    assert status(world, None, "GET", url, params=bad) == 401
    assert status(world, "firm", "GET", url, params=bad) == 403
    # so are a page size and an offset out of range (FastAPI's own checks come after)
    assert status(world, None, "GET", url, params={"limit": 0, "offset": -1}) == 401
    assert status(world, "firm", "GET", url, params={"limit": 0}) == 403
    assert status(world, "auditor", "GET", url, params={"limit": 0}) == 422
    assert status(world, "officer", "GET", url, params={**bad, "district": D2}) == 403
    r = c.get(url, params=bad, headers=h["auditor"])
    assert r.status_code == 422
    body = r.json()
    assert body["where"] == "sort"
    assert "area, gfa, unit_id" in body["message_zh"]
    assert "area, gfa, unit_id" in body["message_en"]
    spec = c.get("/openapi.json").json()["paths"]["/api/lowuse/runs/{run_id}/units"]["get"]
    (sort,) = [p for p in spec["parameters"] if p["name"] == "sort"]
    assert sort["schema"]["enum"] == ["area", "gfa", "unit_id"]


def test_unit_proforma(world: dict) -> None:  # type: ignore[type-arg]
    """A unit's pro forma (issue #18): four modes, balances adding up to the NPV, money as
    0.01 万元 text; a district officer sees only the district's units."""
    from decimal import Decimal

    c, h = world["c"], world["h"]
    run = c.get("/api/lowuse/runs", headers=h["admin"]).json()[-1]["run_id"]
    items = c.get(f"/api/lowuse/runs/{run}/units", params={"limit": 1000},
                  headers=h["admin"]).json()["items"]
    mine = next(i["unit_id"] for i in items if i["district"] == D1)
    other = next(i["unit_id"] for i in items if i["district"] == D2)
    url = f"/api/lowuse/runs/{run}/units/{mine}/proforma"
    body = c.get(url, headers=h["officer"]).json()
    assert body["unit_id"] == mine and body["lowuse_run_id"] == run
    assert [r["mode"] for r in body["rows"]] == ["gov_led_contiguous", "enterprise_led",
                                                 "village_enterprise_coop", "operator_led"]
    for r in body["rows"]:
        parties = sum(Decimal(r[f"balance_{p}_wan"])
                      for p in ("government", "operator", "owners", "collective"))
        assert abs(parties - Decimal(r["npv_wan"])) <= Decimal("0.02")
        assert r["npv_wan"] == str(Decimal(r["npv_wan"]).quantize(Decimal("0.01")))
    one = c.get(url, params={"mode": "operator_led"}, headers=h["admin"]).json()
    assert one["rows"][0] == body["rows"][3]           # the same numbers, one mode
    assert c.get(url, params={"mode": "castle"}, headers=h["admin"]).status_code == 422
    assert status(world, "officer", "GET",
                  f"/api/lowuse/runs/{run}/units/{other}/proforma") == 403
    assert status(world, "firm", "GET", url) == 403
    assert status(world, None, "GET", url) == 401
    assert status(world, "admin", "GET",
                  f"/api/lowuse/runs/{run}/units/U-none/proforma") == 404


def test_control_line_proposals_and_ledger(world: dict) -> None:  # type: ignore[type-arg]
    c, h, pid = world["c"], world["h"], world["proposal"]
    assert pid not in [p["proposal_id"] for p in
                       c.get("/api/controlline/proposals", headers=h["officer"]).json()]
    assert pid in [p["proposal_id"] for p in
                   c.get("/api/controlline/proposals", headers=h["officer2"]).json()]
    assert status(world, "officer", "GET", f"/api/controlline/proposals/{pid}") == 403
    assert status(world, "firm", "GET", "/api/controlline/proposals") == 403
    assert status(world, "officer", "GET", f"/api/controlline/ledger?district={D2}") == 403
    assert status(world, "officer", "GET", "/api/controlline/ledger") == 200
    # writes: another district's officer, the auditor, anonymous
    etag = c.get(f"/api/controlline/proposals/{pid}", headers=h["officer2"]).headers["ETag"]
    for user, code in (("officer", 403), ("auditor", 403), ("firm", 403), (None, 401)):
        assert status(world, user, "POST", f"/api/controlline/proposals/{pid}/review",
                      headers={"If-Match": etag}) == code
    # approval is the city's, not the district's
    assert status(world, "officer2", "POST", f"/api/controlline/proposals/{pid}/approve",
                  headers={"If-Match": etag}) == 403


def test_city_only_endpoints(world: dict) -> None:  # type: ignore[type-arg]
    for url in ("/api/audit", "/api/users", "/api/imports"):
        assert status(world, None, "GET", url) == 401
        for user in ("officer", "firm"):
            # a district officer lists its own imports (issue #15)
            want = 200 if (user, url) == ("officer", "/api/imports") else 403
            assert status(world, user, "GET", url) == want
        assert status(world, "auditor", "GET", url) == 200
        assert status(world, "admin", "GET", url) == 200
    csv = ("统一社会信用代码,企业名称\n", "x.csv")
    for user, code in (("firm", 403), ("auditor", 403), (None, 401)):
        assert status(world, user, "POST", "/api/imports?kind=enterprises",
                      files={"file": (csv[1], csv[0].encode(), "text/csv")}) == code
    # district officers import enterprises, parcels and buildings of their district (each
    # row checked, services/import_scope.py), nothing else
    assert status(world, "officer", "POST", "/api/imports?kind=indicators",
                  files={"file": (csv[1], csv[0].encode(), "text/csv")}) == 403
    for user, code in (("officer", 403), ("firm", 403), ("auditor", 403), (None, 401)):
        assert status(world, user, "POST", f"/api/evaluation/runs/{RUN}/publish") == code


def test_parcel_summary_hides_the_owner_outside_the_scope(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    url = f"/api/parcels/{world['p_d2']}/summary"
    anon = c.get(url).json()                     # parcels are a public layer in the demo
    assert anon["parcel"]["parcel_id"] == world["p_d2"] and anon["owner"] is None
    assert anon["restricted"] is True and anon["evaluation"] is None
    assert anon["parcel"]["owner_credit_code"] is None            # issue #15: it leaked
    other = c.get(url, headers=h["officer"]).json()
    assert other["owner"] is None and other["evaluation"] is None and other["restricted"]
    assert other["parcel"]["owner_credit_code"] is None
    theirs = c.get(url, headers=h["officer2"]).json()
    assert theirs["parcel"]["owner_credit_code"] is not None
    assert theirs["owner"]["district"] == D2 and theirs["evaluation"]["grade"] in "ABCD"
    mine = c.get(f"/api/parcels/{world['p_own']}/summary", headers=h["firm"]).json()
    assert mine["owner"]["credit_code"] == world["own"] and mine["evaluation"]["breakdown"]


# ---------------------------------------------------------------- objections
def test_objections_scope_etag_and_resolution(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    url = f"/api/evaluation/runs/{RUN}/objections"

    def body(code: str) -> dict[str, object]:
        return {"credit_code": code, "field": "tax", "claimed_value": 123.0,
                "reason": "税收口径有误"}

    # filing: the firm for itself only; an officer for its district only; never the auditor
    assert status(world, "firm", "POST", url, json=body(world["other_d1"])) == 403
    assert status(world, "firm", "POST", url, json=body(world["in_d2"])) == 403
    assert status(world, "officer", "POST", url, json=body(world["in_d2"])) == 403
    assert status(world, "auditor", "POST", url, json=body(world["own"])) == 403
    assert status(world, None, "POST", url, json=body(world["own"])) == 401
    mine = c.post(url, json=body(world["own"]), headers=h["firm"])
    assert mine.status_code == 201, mine.text
    theirs = c.post(url, json=body(world["in_d2"]), headers=h["officer2"]).json()
    # listing: each sees its own scope
    seen = lambda u: {o["objection_id"] for o in  # noqa: E731
                      c.get("/api/evaluation/objections", headers=h[u]).json()}
    oid = mine.json()["objection_id"]
    assert seen("firm") == {oid} and seen("officer") == {oid}
    assert seen("officer2") == {theirs["objection_id"]}
    assert seen("admin") >= {oid, theirs["objection_id"]}
    # resolving: not the firm, not the auditor, not another district; If-Match required
    got = c.get(f"/api/evaluation/objections/{oid}", headers=h["officer"])
    etag = got.headers["ETag"]
    assert got.json()["etag"] == etag
    resolve = f"/api/evaluation/objections/{oid}/resolve"
    decision = {"accept": True, "note": "核实"}
    for user, code in (("firm", 403), ("auditor", 403), ("officer2", 403), (None, 401)):
        assert status(world, user, "POST", resolve, json=decision,
                      headers={"If-Match": etag}) == code
    assert status(world, "officer", "POST", resolve, json=decision) == 428
    assert status(world, "officer", "POST", resolve, json=decision,
                  headers={"If-Match": '"stale"'}) == 409
    started = c.post(resolve, json=decision, headers={**h["officer"], "If-Match": etag})
    assert started.status_code == 202, started.text        # the re-run is a background job
    assert status(world, "officer2", "GET", started.json()["href"]) == 404   # not theirs
    done = wait_job(c, started.json()["href"], h["officer"])
    assert done.status_code == 200 and done.json()["state"] == "done", done.text
    result = done.json()["result"]
    assert result["run"]["run_id"] == "2025-ningbo-demo-v2"
    # the same decision again, on the old tag: 409, never a second recomputation
    assert status(world, "admin", "POST", resolve, json=decision,
                  headers={"If-Match": etag}) == 409
    runs = c.get("/api/evaluation/runs", params={"year": 2025}, headers=h["firm"]).json()
    assert [r["run_id"] for r in runs] == [RUN, "2025-ningbo-demo-v2"]
    assert runs[1]["state"] == "computed" and runs[1]["published_at"] is None   # not "NaT"
    assert "fid" not in result["objection"]


# ---------------------------------------------------------------- map tiles
def _tile_of(c: TestClient, parcel_id: str, z: int = 14) -> tuple[int, int, int]:
    import math

    feat = c.get(f"/api/parcels/{parcel_id}").json()
    lon, lat = shapely_centroid(feat["geometry"])
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def shapely_centroid(geometry: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    from shapely.geometry import shape

    p = shape(geometry).representative_point()
    return p.x, p.y


def _grades(c: TestClient, h: dict[str, str], zxy: tuple[int, int, int]) -> set[str]:
    import mapbox_vector_tile

    r = c.get("/tiles/parcel_grades/{}/{}/{}.mvt".format(*zxy), headers=h)
    assert r.status_code in (200, 204), r.text
    if r.status_code == 204:
        return set()
    layer = mapbox_vector_tile.decode(r.content)["parcel_grades"]
    return {f["properties"]["parcel_id"] for f in layer["features"]}


def test_grade_tiles_are_narrowed_to_the_scope(world: dict) -> None:  # type: ignore[type-arg]
    c, h = world["c"], world["h"]
    admin = h["admin"]                   # owners are shown only within the caller's scope
    total = c.get("/api/parcels", params={"limit": 1}, headers=admin).json()["total"]
    parcels = {f["properties"]["parcel_id"]: f["properties"]
               for offset in range(0, total, 1000)
               for f in c.get("/api/parcels", params={"limit": 1000, "offset": offset},
                              headers=admin).json()["items"]["features"]}
    other = _tile_of(c, world["p_d2"])
    assert world["p_d2"] in _grades(c, h["admin"], other)
    officer = _grades(c, h["officer"], other)
    assert world["p_d2"] not in officer
    assert all(parcels[p]["district"] == D1 for p in officer)
    assert world["p_d2"] in _grades(c, h["officer2"], other)
    home = _tile_of(c, world["p_own"])
    firm = _grades(c, h["firm"], home)
    assert world["p_own"] in firm
    assert all(parcels[p]["owner_credit_code"] == world["own"] for p in firm)
    assert len(_grades(c, h["admin"], home)) > len(firm)
    assert c.get("/tiles/parcel_grades/{}/{}/{}.mvt".format(*home)).status_code == 401
    z, x, y = home
    assert c.get(f"/tiles/lowuse_units/{z}/{x}/{y}.mvt",
                 headers=h["firm"]).status_code == 403
    assert c.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").status_code == 200    # public layer


def test_filing_a_control_line_adjustment(world: dict) -> None:  # type: ignore[type-arg]
    """POST /api/controlline/proposals: an officer for its own district only; the auditor
    and enterprises never; bad input is a bilingual 422, not a 500."""
    c, h = world["c"], world["h"]
    x0, y0 = 640_000.0, 3_300_000.0     # somewhere in the store CRS (EPSG:4549), metres

    def body(district: str) -> dict[str, object]:
        return {"district": district, "reason": "道路拓宽补划", "documents": ["测试文件"],
                "in": box(x0, y0, x0 + 40, y0 + 50).wkt}

    for user, code in (("officer", 403), ("firm", 403), ("auditor", 403), (None, 401)):
        assert status(world, user, "POST", "/api/controlline/proposals",
                      json=body(D2)) == code
    made = c.post("/api/controlline/proposals", json=body(D1), headers=h["officer"])
    assert made.status_code == 201, made.text
    p = made.json()
    assert p["district"] == D1 and p["state"] == "draft" and p["area_in_m2"] == 2000.0
    assert made.headers["ETag"] == p["etag"] and isinstance(p["problems"], list)
    assert p["proposal_id"] in {x["proposal_id"] for x in c.get(
        "/api/controlline/proposals", headers=h["officer"]).json()}
    bad = c.post("/api/controlline/proposals", headers=h["officer"],
                 json={**body(D1), "in": "POLYGON((not wkt"})
    assert bad.status_code == 422 and bad.json()["message_en"].startswith("cannot read")
    crs = c.post("/api/controlline/proposals", headers=h["officer"],
                 json={**body(D1), "crs": "EPSG:nonsense"})
    assert crs.status_code == 422


def test_an_officer_cannot_take_land_out_of_another_districts_block(world: dict  # type: ignore[type-arg]
                                                                     ) -> None:
    """Issue #15: officer 330203 filed a proposal whose "out" area lay in a 330205 block; it
    passed, and enforcement shrank the 330205 block on 330203's ledger. The geometry decides,
    not the ``district`` field: refused at filing, naming the block and its district."""
    c, h = world["c"], world["h"]
    store = Store.open(c.app.state.store.url.removeprefix("sqlite:///"))
    blocks = store.read_frame("control_lines", columns=["block_id", "district", "geometry"])
    block = blocks[blocks["district"] == D2].iloc[0]
    p = block.geometry.representative_point()
    out = box(p.x - 20, p.y - 20, p.x + 20, p.y + 20)            # 40 m × 40 m = 1 600 m²
    assert block.geometry.contains(out)
    before = len(store.audit_log())
    r = c.post("/api/controlline/proposals", headers=h["officer"], json={
        "district": D1, "reason": "道路拓宽", "documents": ["测试"], "out": out.wkt})
    assert r.status_code == 403, r.text
    err = r.json()
    assert err["error"] == "OutOfDistrictError"
    assert block["block_id"] in err["message_zh"] and D2 in err["message_zh"]
    assert block["block_id"] in err["message_en"] and f"district {D2}" in err["message_en"]
    assert "1,600.00 m²" in err["message_en"]
    assert len(store.audit_log()) == before                    # nothing was written
    # the city administrator cannot book 330205's block against 330203 either (CLI or web)
    assert status(world, "admin", "POST", "/api/controlline/proposals", json={
        "district": D1, "reason": "道路拓宽", "documents": ["测试"], "out": out.wkt}) == 403
    # the same area out, filed for its own district by its own officer, is accepted
    own = c.post("/api/controlline/proposals", headers=h["officer2"], json={
        "district": D2, "reason": "道路拓宽", "documents": ["测试"], "out": out.wkt})
    assert own.status_code == 201, own.text
    store.close()
