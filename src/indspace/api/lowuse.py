"""低效用地 routes: runs and redevelopment units."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from indspace.api.deps import Limit, Offset, StoreDep, Who
from indspace.services import lowuse


def router() -> APIRouter:
    r = APIRouter(prefix="/api/lowuse", tags=["lowuse 低效用地"])

    @r.get("/runs")
    def runs(store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """低效用地批次 / low-efficiency runs with their summaries."""
        return lowuse.runs_list(store, who=who)

    @r.get("/runs/{run_id}/units")
    def units(run_id: str, store: StoreDep, who: Who, limit: Limit = 100, offset: Offset = 0,
              district: str | None = None) -> dict[str, Any]:
        """连片改造单元（项目类型、推荐模式）/ redevelopment units with project type and
        recommended mode."""
        return lowuse.units_page(store, run_id, who=who, limit=limit, offset=offset,
                                 district=district)

    return r
