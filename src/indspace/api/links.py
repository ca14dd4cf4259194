"""OpenAPI links between operations (OpenAPI 3.0 §4.7.21): how the answer of one call feeds
the next — the id a POST created into the GET of that id, an ETag into the If-Match of an
edit, a job id into ``GET /api/jobs/{job_id}``. They document the main flows for client
authors and let schemathesis' state machine walk them (tests/api/test_stateful.py).

Targets are named by FastAPI's generated operation ids (``<function>_<path>_<method>``); a
test checks that every link names an operation that exists."""

from __future__ import annotations

from typing import Any

JOB = "job_api_jobs__job_id__get"
PROPOSAL = "proposal_api_controlline_proposals__proposal_id__get"
PROPOSAL_ACT = "act_api_controlline_proposals__proposal_id___action__post"
RUN = "run_api_evaluation_runs__run_id__get"
RUN_RESULTS = "results_api_evaluation_runs__run_id__results_get"
FILE_OBJECTION = "file_objection_api_evaluation_runs__run_id__objections_post"
OBJECTION = "objection_api_evaluation_objections__objection_id__get"
RESOLVE = "resolve_api_evaluation_objections__objection_id__resolve_post"
IMPORT_ISSUES = "issues_api_imports__import_id__issues_get"
PARCEL = "parcel_api_parcels__parcel_id__get"
PARCEL_SUMMARY = "summary_api_parcels__parcel_id__summary_get"
ENTERPRISE = "enterprise_api_enterprises__credit_code__get"

Link = tuple[str, dict[str, str]]


def links(status: int, **targets: Link) -> dict[str, Any]:
    """``openapi_extra`` for a route: the links of its ``status`` response, each
    ``name=(operation id, {parameter: runtime expression})``; a parameter name may carry
    its location (``header.If-Match``)."""
    return {
        "responses": {
            str(status): {
                "links": {
                    name: {"operationId": op, "parameters": params}
                    for name, (op, params) in targets.items()
                }
            }
        }
    }


def to_job(status: int = 202) -> dict[str, Any]:
    """A 202 answer's job → its state."""
    return links(status, GetJob=(JOB, {"job_id": "$response.body#/job_id"}))
