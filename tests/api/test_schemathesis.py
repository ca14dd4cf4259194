"""schemathesis against the OpenAPI spec (issue #8): generated requests to every operation,
as the city administrator (the widest scope, so the deepest code paths), find no 5xx."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from indspace.api.app import create_app
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")


_state: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(small_demo: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Any:
    db = tmp_path_factory.mktemp("fuzz") / "demo.gpkg"
    shutil.copy(small_demo, db)              # the fuzzer writes (objections, imports, …)
    app = create_app(db)
    with TestClient(app) as c:
        _state["headers"] = bearer(c, "admin")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    response = case.call(headers=_state["headers"])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
