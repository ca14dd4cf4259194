"""A stateful schemathesis run (issue #15): the state machine follows the OpenAPI links of
the main flows (a created proposal → its GET and its review with the ETag as If-Match; a
run → its results and an objection → the objection → its resolution; a 202 → its job) as
the city administrator on a copy of the small demo, and no step answers 5xx. Bounded by
``max_examples`` and ``stateful_step_count`` (the whole run ≈ 1–2 minutes in CI)."""

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


@pytest.fixture(scope="module")
def app_and_headers(
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Any, dict[str, str]]:
    db = tmp_path_factory.mktemp("stateful") / "demo.gpkg"
    shutil.copy(small_demo, db)  # the machine writes (proposals, objections, …)
    app = create_app(db)
    with TestClient(app) as c:
        return app, bearer(c, "admin")


def test_every_link_names_an_operation(app_and_headers: tuple[Any, dict[str, str]]) -> None:
    spec = app_and_headers[0].openapi()
    ops = {o["operationId"] for p in spec["paths"].values() for o in p.values()}
    links = [
        (path, name, link["operationId"])
        for path, item in spec["paths"].items()
        for op in item.values()
        for resp in op.get("responses", {}).values()
        for name, link in resp.get("links", {}).items()
    ]
    assert len(links) >= 15
    assert [x for x in links if x[2] not in ops] == []


def test_stateful_walk_finds_no_server_errors(app_and_headers: tuple[Any, dict[str, str]]) -> None:
    app, headers = app_and_headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    calls: list[tuple[str, int]] = []

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # the admin's token replaces generated credentials; an If-Match a link set from
            # an ETag stays
            return {"headers": {**(case.headers or {}), **headers}}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            calls.append((f"{case.method} {case.operation.path}", response.status_code))
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                response.text[:500],
            )

    Walk.run(
        settings=settings(
            max_examples=40,
            # 12 steps: the derandomized walk is one fixed path through the demo's data; with
            # 8 it no longer reached a linked record once the demo's market and low-efficiency
            # data were recalibrated (sixth session), with 12 it does
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # the walk went somewhere: many operations, and ids taken from earlier answers (links)
    # reached records that exist
    assert len({c for c, _ in calls}) >= 10
    assert any("{" in c and 200 <= s < 300 for c, s in calls), calls
