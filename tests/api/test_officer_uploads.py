"""Uploads through the web (issue #15): a district officer's parcels are checked row by row
against its district (the rest imports), and a feature over the vertex limit fails the job
with a bilingual 422 naming the feature."""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.ingest.readers import MAX_FEATURE_VERTICES
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(scope="module")
def world(
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    db = tmp_path_factory.mktemp("officer-uploads") / "demo.gpkg"
    shutil.copy(small_demo, db)
    app = create_app(db)
    with TestClient(app, raise_server_exceptions=False) as c:
        h = {u: bearer(c, u) for u in ("admin", "officer", "officer2")}
        me = c.get("/api/auth/me", headers=h["officer"]).json()["district"]
        other = c.get("/api/auth/me", headers=h["officer2"]).json()["district"]
        store = Store.open(db)
        districts = (
            store.read_frame("districts", columns=["admin_code", "geometry"])
            .set_index("admin_code")
            .geometry
        )
        firm = store.read_frame("enterprises", columns=["credit_code", "district"])
        firm = firm[firm["district"] == me]["credit_code"].iloc[0]
        store.close()
        yield {
            "c": c,
            "h": h,
            "me": me,
            "other": other,
            "firm": firm,
            "inside": {d: districts[d].representative_point() for d in (me, other)},
        }


def wait(c: TestClient, job: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(6000):
        body: dict[str, Any] = c.get(job["href"], headers=headers).json()
        if body["state"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("job did not end")


def test_an_officer_uploads_its_own_parcels_and_only_those(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    rows = ["parcel_id,land_use_code,area_m2,right_type,right_start,owner_credit_code,district,wkt"]
    for pid, district, point in (
        ("330299901001GB00001", world["me"], world["inside"][world["me"]]),
        ("330299901001GB00002", world["me"], world["inside"][world["other"]]),
    ):
        box = shapely.box(point.x - 20, point.y - 20, point.x + 20, point.y + 20)  # 1 600 m²
        rows.append(f'{pid},100101,1600,grant,2015-01-01,{world["firm"]},{district},"{box.wkt}"')
    r = c.post(
        "/api/imports?kind=parcels",
        headers=h["officer"],
        files={"file": ("parcels.csv", ("\n".join(rows) + "\n").encode())},
    )
    assert r.status_code == 202, r.text
    done = wait(c, r.json(), h["officer"])
    assert done["state"] == "done", done
    result = done["result"]
    assert (result["accepted"], result["rejected"], result["inserted"]) == (1, 1, 1)
    errors = [i for i in result["issues"] if i["severity"] == "error"]
    # line 3: the whole 40 m × 40 m box lies in the other district
    assert [(i["source_row"], i["code"]) for i in errors] == [(3, "E137")]
    assert errors[0]["message_en"] == (
        f"1,600.0 m² of the geometry lie outside district {world['me']}"
    )
    # the officer sees its import and its report; the other officer sees neither
    mine = c.get("/api/imports", headers=h["officer"]).json()
    assert [m["import_id"] for m in mine] == [result["import_id"]]
    assert c.get("/api/imports", headers=h["officer2"]).json() == []
    assert (
        c.get(f"/api/imports/{result['import_id']}/issues", headers=h["officer2"]).status_code
        == 403
    )
    # other kinds stay with the city administrator
    r = c.post(
        "/api/imports?kind=control-lines", headers=h["officer"], files={"file": ("c.csv", b"x\n")}
    )
    assert r.status_code == 403 and r.json()["message_en"].startswith(
        "district officers cannot import control-lines"
    )


def test_a_feature_over_the_vertex_limit_fails_the_job_naming_it(world: dict[str, Any]) -> None:
    c, h = world["c"], world["h"]
    n = MAX_FEATURE_VERTICES + 10
    ring = [
        [
            121.55 + 0.001 * math.cos(2 * math.pi * i / n),
            29.87 + 0.001 * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"parcel_id": "P1"},
                    "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                }
            ],
        }
    ).encode()
    r = c.post(
        "/api/imports?kind=parcels", headers=h["admin"], files={"file": ("dense.geojson", data)}
    )
    assert r.status_code == 202, r.text
    done = wait(c, r.json(), h["admin"])
    assert done["state"] == "failed" and done["error"]["status"] == 422, done
    assert done["error"]["where"] == "dense.geojson 第 1 个要素 / feature 1"
    assert done["error"]["message_en"] == (
        f"feature 1 has {n + 1:,} vertices, more than {MAX_FEATURE_VERTICES:,}"
    )
    assert "/tmp" not in json.dumps(done)
