"""低效用地 routes: runs and redevelopment units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from indspace.api.deps import LOGIN, Limit, Offset, StoreDep, Who, allowed
from indspace.core.access import Principal
from indspace.services import lowuse, proforma


def units_reader(who: Who) -> Principal:
    """The caller, once the service's rule says it may read units: FastAPI solves this
    dependency before it validates the route's query parameters, so 401/403 come first."""
    return lowuse.require_units_reader(who)


UnitsReader = Annotated[Principal, Depends(units_reader)]


def router() -> APIRouter:
    r = APIRouter(prefix="/api/lowuse", tags=["lowuse 低效用地"], dependencies=[LOGIN])

    @r.get("/runs")
    def runs(store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """低效用地批次 / low-efficiency runs with their summaries."""
        return lowuse.runs_list(store, who=who)

    @r.get("/runs/{run_id}/units")
    def units(run_id: str, store: StoreDep, who: UnitsReader, limit: Limit = 100,
              offset: Offset = 0,
              district: str | None = None,
              sort: Annotated[str, Query(
                  description="排序：area 面积从大到小（缺省）、gfa 可增建筑面积从大到小、"
                              "unit_id 单元编号 / order: area (largest first, default), gfa "
                              "(most floor area to gain first), unit_id",
                  json_schema_extra={"enum": list(lowuse.UNIT_ORDERS)})] = "area",
              ) -> dict[str, Any]:
        """连片改造单元（项目类型、推荐模式）/ redevelopment units with project type and
        recommended mode."""
        # The caller's role is checked by the UnitsReader dependency before FastAPI judges
        # limit and offset; ``sort`` is plain text checked by the service after the caller's
        # district too (a Literal would answer 422 before an officer asking for another
        # district got 403). The schema still lists the orders (the enum above).
        return lowuse.units_page(store, run_id, who=who, limit=limit, offset=offset,
                                 district=district, sort=sort)

    @r.get("/runs/{run_id}/units/{unit_id}/proforma",
           dependencies=[allowed(lowuse.require_units_reader)])
    def unit_proforma(run_id: str, unit_id: str, store: StoreDep, who: Who,
                      mode: str | None = None) -> dict[str, Any]:
        """单元资金平衡测算（四种工改工模式或 mode 指定的一种）：逐年现金流、净现值、内部收益率、
        回收期、各方资金平衡、敏感性与资金平衡最大的容积率；金额为 0.01 万元的十进制文本 /
        a unit's pro forma under the four 工改工 modes (or ``mode``): yearly cash flows, NPV,
        IRR, payback, each party's balance, tornado and the balance-maximising FAR; money as
        decimal text in 0.01 万元."""
        modes = (mode,) if mode else proforma.MODES
        return proforma.unit_proforma(store, run_id, unit_id, who=who, modes=modes)

    return r
