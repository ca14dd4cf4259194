"""No server path in any response (issue #15): the store's folder, a temporary upload folder
or a module path never reaches a client — not in /api/info or the landing page (which named
the store's full path to anonymous callers), not in a job's result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.api.deps import scrub_paths
from indspace.core.access import Principal
from indspace.services.jobs import Jobs
from indspace.store import Store

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo), raise_server_exceptions=False) as c:
        yield c


def test_anonymous_pages_name_no_server_folder(client: TestClient, small_demo: Path) -> None:
    store = Store.open(small_demo)
    ids = {
        "parcel_id": store.read_frame("parcels", columns=["parcel_id"]).iloc[0, 0],
        "credit_code": store.read_frame("enterprises", columns=["credit_code"]).iloc[0, 0],
        "collection_id": "parcels",
    }
    store.close()
    ids["feature_id"] = ids["parcel_id"]
    folder = str(small_demo.parent)
    urls = ["/about", "/about?lang=en", "/ogc", "/ogc/collections", "/api/info"]
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if "get" in ops and all(n in ids for n in names) and not path.startswith("/tiles"):
            urls.append(
                path.format(**{n: ids[n] for n in names})
                + ("?year=2025" if "explain" in path else "")
            )
    assert len(urls) >= 20
    for url in urls:
        r = client.get(url)
        assert r.status_code < 500, url
        assert folder not in r.text and "/tmp/" not in r.text, url
    info = client.get("/api/info").json()
    assert info["store"] == small_demo.name and info["counts"]["parcels"] > 0


def test_a_job_result_is_scrubbed_like_an_error() -> None:
    jobs = Jobs(scrub=scrub_paths)
    who = Principal("admin", "city_admin")
    job = jobs.submit(
        "import",
        who,
        lambda progress: {
            "source": "firms.csv",
            "href": "/api/imports",
            "notes": ["GDAL: cannot open /tmp/indspace-zip-x1/layer.shx / 无法打开"],
            "issues": [{"message_en": "see /srv/indspace/data/store.gpkg", "value": 3}],
        },
    )
    done = jobs.wait(job["job_id"])
    jobs.shutdown()
    assert done["result"] == {
        "source": "firms.csv",
        "href": "/api/imports",
        "notes": ["GDAL: cannot open layer.shx / 无法打开"],
        "issues": [{"message_en": "see store.gpkg", "value": 3}],
    }


def test_the_audit_page_names_a_cli_import_by_its_file(
    small_demo: Path,
    tmp_path: Path,
) -> None:
    import shutil

    from indspace.services.importing import import_file
    from tests.api.conftest import bearer

    db = tmp_path / "copy.gpkg"
    shutil.copy(small_demo, db)
    folder = tmp_path / "srv" / "exchange"
    folder.mkdir(parents=True)
    csv = folder / "firms.csv"
    csv.write_text("统一社会信用代码,企业名称\n91330203MA2AAAAA0X,测试企业\n", encoding="utf-8")
    store = Store.open(db)
    import_file(store, "enterprises", csv, actor="cli", report_dir=tmp_path / "r")
    store.close()
    with TestClient(create_app(db)) as c:
        body = c.get("/api/audit?table=enterprises", headers=bearer(c, "admin")).json()
    reasons = [i["reason"] for i in body["items"] if i["action"] in ("import", "import_rejected")]
    assert reasons and reasons[0] == "import enterprises firms.csv"
    assert str(folder) not in str(body)
