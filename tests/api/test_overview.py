"""GET /api/overview (首页, issue #16) against figures worked out independently from the
stored run of the small demo: the SQL sums of the stored results and the year's indicators,
not the roll-up engine the service uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


SUMS = """
SELECT sum(coalesce(i.tax, 0)) AS tax, sum(coalesce(i.value_added, 0)) AS va,
       sum(coalesce(r.land_area_mu, 0)) AS land,
       sum(CASE WHEN r.status IN ('graded','vetoed','ungraded') THEN 1 ELSE 0 END) AS evaluated,
       sum(CASE WHEN r.status IN ('graded','vetoed','ungraded') AND r.grade = 'A' THEN 1
           ELSE 0 END) AS n_a,
       sum(CASE WHEN r.status IN ('graded','vetoed','ungraded') AND r.grade IN ('A','B','C','D')
           THEN 1 ELSE 0 END) AS graded
FROM evaluation_results r
JOIN enterprises e ON e.credit_code = r.credit_code
LEFT JOIN indicators i ON i.credit_code = r.credit_code AND i.year = :year
WHERE r.run_id = :run AND r.status IN ('graded','vetoed','ungraded','merged','inherited')
  AND (:district IS NULL OR e.district = :district)
"""
"""Who counts (docs: core/engines/zones.py): the evaluated firms (graded, vetoed, ungraded)
and the tenants that follow a landlord (merged, inherited) — their tax and value added, and
the land the run attributed (0 for a merged tenant). 亩均税收 = Σtax ÷ Σland."""


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


def sums(db: Path, run: str, year: int, district: str | None) -> dict[str, float]:
    store = Store.open(db)
    with store.engine.connect() as conn:
        row = (
            conn.execute(sa.text(SUMS), {"run": run, "year": year, "district": district})
            .mappings()
            .one()
        )
    return {k: float(v) for k, v in row.items()}


@pytest.mark.parametrize(("user", "district"), [("admin", None), ("officer", "330203")])
def test_headline_figures_match_the_stored_run(
    client: TestClient,
    small_demo: Path,
    user: str,
    district: str | None,
) -> None:
    body = client.get("/api/overview", headers=bearer(client, user)).json()
    run = body["run"]["run_id"]
    s = sums(small_demo, run, body["year"], district)
    hl = body["headline"]
    # 亩均税收 = Σtax (万元) ÷ Σland (亩); e.g. the whole small city: 1 649 321.41 ÷ 42 218.13
    # ≈ 39.07 万元/亩 (the run of 2025)
    assert hl["tax_per_mu"] == pytest.approx(s["tax"] / s["land"], abs=1e-4)
    assert hl["value_added_per_mu"] == pytest.approx(s["va"] / s["land"], abs=1e-4)
    assert hl["firms_evaluated"] == int(s["evaluated"])
    assert hl["firms_graded"] == int(s["graded"])
    assert hl["counts"]["A"] == int(s["n_a"])
    assert hl["shares"]["A"] == pytest.approx(s["n_a"] / s["graded"], abs=1e-4)
    assert sum(hl["counts"].values()) == hl["firms_graded"]
    # the demo evaluates five years: the change is against the previous year's run, from its
    # own stored rows — yoy = (Σtax₂₀₂₅ ÷ Σland₂₀₂₅) ÷ (Σtax₂₀₂₄ ÷ Σland₂₀₂₄) − 1
    prev = body["previous_run"]
    assert prev["year"] == body["year"] - 1
    p = sums(small_demo, prev["run_id"], prev["year"], district)
    assert hl["tax_per_mu_previous"] == pytest.approx(p["tax"] / p["land"], abs=1e-4)
    assert hl["tax_per_mu_yoy"] == pytest.approx(
        (s["tax"] / s["land"]) / (p["tax"] / p["land"]) - 1, abs=1e-4
    )
    assert body["scope"]["kind"] == ("district" if district else "city")


def test_district_rows_and_lowuse_against_the_stored_runs(
    client: TestClient,
    small_demo: Path,
) -> None:
    body = client.get("/api/overview", headers=bearer(client, "admin")).json()
    store = Store.open(small_demo)
    with store.engine.connect() as conn:
        units = pd.read_sql(
            sa.text("SELECT district, area_mu FROM lowuse_units WHERE run_id = :r"),
            conn,
            params={"r": body["lowuse"]["run_id"]},
        )
    assert body["lowuse"]["area_mu"] == pytest.approx(units["area_mu"].sum(), abs=0.01)
    # 盘活目标 30 000 亩 (ningbo-demo low_efficiency_target_mu, 甬政办发〔2025〕1号)
    assert body["lowuse"]["target_mu"] == 30000.0
    assert body["lowuse"]["share_of_target"] == pytest.approx(
        units["area_mu"].sum() / 30000, abs=1e-4
    )
    run = body["run"]["run_id"]
    rows = {r["admin_code"]: r for r in body["districts"]}
    assert len(rows) == 10
    for code in ("330203", "330206"):
        s = sums(small_demo, run, body["year"], code)
        assert rows[code]["tax_per_mu"] == pytest.approx(s["tax"] / s["land"], abs=1e-4)
        assert rows[code]["lowuse_area_mu"] == pytest.approx(
            units.loc[units["district"] == code, "area_mu"].sum(), abs=0.01
        )


def test_scope_is_enforced(client: TestClient) -> None:
    officer = bearer(client, "officer")
    r = client.get("/api/overview", params={"district": "330205"}, headers=officer)
    assert r.status_code == 403
    assert client.get("/api/overview").status_code == 401
    firm = client.get("/api/overview", headers=bearer(client, "firm")).json()
    assert firm["scope"]["kind"] == "enterprise" and firm["headline"] is None
    assert firm["lowuse"] is None and firm["ledger"] is None
    assert firm["enterprise"]["grade"] in firm["classes"]


def test_district_geojson_and_basemap(client: TestClient) -> None:
    fc = client.get("/api/districts/geojson").json()
    assert len(fc["features"]) == 10
    p = fc["features"][0]["properties"]
    assert {"admin_code", "name", "name_en", "label_lon", "label_lat"} <= set(p)
    assert 120 < p["label_lon"] < 123 and 28 < p["label_lat"] < 31  # Ningbo, EPSG:4326
    # the offline demo has no basemap
    assert client.get("/api/basemap").json() == {
        "kind": "none",
        "layers": [],
        "gcj02": False,
        "attribution": "",
    }


def test_basemap_choices() -> None:
    from indspace.services.overview import basemap

    t = basemap("tianditu", key="KEY")
    assert [x["id"] for x in t["layers"]] == ["tianditu-vec", "tianditu-cva"]
    first = t["layers"][0]["tiles"][0]
    assert "tk=KEY" in first and "TILEMATRIXSET=w" in first
    assert t["gcj02"] is False
    assert basemap("tianditu")["kind"] == "none"  # no key, no basemap
    x = basemap("xyz", url="https://tiles.example/{z}/{x}/{y}.png", gcj02=True)
    assert x["gcj02"] is True and x["layers"][0]["tiles"] == [
        "https://tiles.example/{z}/{x}/{y}.png"
    ]


def test_figures_follow_a_new_import(small_demo: Path, tmp_path: Path) -> None:
    """The roll-ups are kept per audit-log position: an import after a first answer moves
    the next one (+100 万元 of one graded firm's tax → the city's Σtax + 100)."""
    import shutil

    from indspace.core.access import Principal
    from indspace.services.overview import overview
    from indspace.services.uploads import upload

    db = tmp_path / "copy.gpkg"
    shutil.copy(small_demo, db)
    store = Store.open(db)
    admin = Principal("admin", "city_admin")
    before = overview(store, who=admin)["headline"]
    ind = store.read_frame("indicators")
    row = ind[(ind["year"] == 2025) & (ind["credit_code"] == "9133020301UHU9FE2T")]
    row = row.drop(columns=["is_synthetic"])
    assert len(row) == 1  # a graded firm of 海曙 (land 8.06 亩, tax 28.05 万元)
    row = row.assign(tax=row["tax"].astype(float) + 100.0)
    data = row.to_csv(index=False).encode("utf-8")
    upload(store, "indicators", "fix.csv", data, who=admin)
    after = overview(store, who=admin)["headline"]
    assert after["tax_wan"] == pytest.approx(before["tax_wan"] + 100.0, abs=0.01)
    # 亩均税收 moves by 100 ÷ Σland: e.g. 100 ÷ 42 218.13 亩 ≈ +0.0024 万元/亩
    assert after["tax_per_mu"] == pytest.approx(
        before["tax_per_mu"] + 100.0 / before["land_area_mu"], abs=1e-4
    )
