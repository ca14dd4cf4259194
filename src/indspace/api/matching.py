"""供需匹配 routes (issue #19): a stored matching run — its summary beside the greedy
baseline, the demands with the spaces they got and why — as JSON pages and as an XLSX export
of exactly the same rows. Pages read what ``indspace match --save`` (or the demo) stored."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from indspace.api.deps import LOGIN, District, StoreDep, Who
from indspace.services import matching

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RunId = Annotated[
    str | None, Query(max_length=80, description="匹配批次，缺省为最新 / run id, default latest")
]
Served = Annotated[
    Literal["yes", "no"] | None,
    Query(description="是否已匹配 / only served (yes) or unserved (no) demands"),
]
Q = Annotated[str | None, Query(max_length=40, description="需求编号或信用代码 / id or code")]


def router() -> APIRouter:
    r = APIRouter(prefix="/api/matching", tags=["matching 供需匹配"], dependencies=[LOGIN])

    @r.get("/matches")
    def matches(
        store: StoreDep,
        who: Who,
        run_id: RunId = None,
        served: Served = None,
        district: District = None,
        q: Q = None,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """供需匹配结果：每个需求一行（匹配的空间、月租金、紧约束、理由），附最优解与先到先得
        的对比 / one row per demand (the space it got, monthly rent, binding constraints,
        reasons) with the optimum beside the first-come baseline."""
        run, rows = matching.stored_rows(
            store, run_id, who=who, served=served, district=district, q=q
        )
        return matching.page_payload(run, rows, offset, limit)

    @r.get("/matches.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
    def matches_xlsx(
        store: StoreDep,
        who: Who,
        run_id: RunId = None,
        served: Served = None,
        district: District = None,
        q: Q = None,
    ) -> Response:
        """导出 Excel：与 /api/matching/matches 相同筛选的全部行 / every row of the same
        filters as XLSX."""
        run, rows = matching.stored_rows(
            store, run_id, who=who, served=served, district=district, q=q
        )
        name = f"{run.get('run_id', 'matching')}.xlsx"
        return Response(
            matching.matches_xlsx(rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return r
