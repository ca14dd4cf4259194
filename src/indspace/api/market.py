"""二级市场监管与产业集群 routes (issue #19): the market scan as of a day (flags, watch list
per district, market indicators) within the caller's scope, and the cluster and chain
tables of a year."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from indspace.api.deps import LOGIN, District, StoreDep, Who
from indspace.services import clusters, market

AsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        description="基准日 YYYY-MM-DD，缺省今天 / the day to scan as of; default today",
    ),
]
Rule = Annotated[str | None, Query(max_length=40, description="规则 / rule, e.g. flip")]
Year = Annotated[
    int | None,
    Query(ge=1900, le=2100, description="年度 / year (default: the latest with indicators)"),
]


def router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["market 二级市场与产业集群"], dependencies=[LOGIN])

    @r.get("/market/scan")
    def scan(
        store: StoreDep, who: Who, as_of: AsOf = None, district: District = None, rule: Rule = None
    ) -> dict[str, Any]:
        """二级市场监管：风险交易、各区县关注名单与市场指标（成交量、单价中位数）/ market
        flags, watch lists per district and indicators (volumes, median unit prices)."""
        return market.scoped_scan(store, as_of, who=who, district=district, rule=rule)

    @r.get("/clusters")
    def cluster_tables(store: StoreDep, who: Who, year: Year = None) -> dict[str, Any]:
        """产业集群与产业链：园区与产业链指标、区位熵、链条完整度、链主与招商目标 / park and
        chain figures, location quotients, completeness, leaders and targets."""
        return clusters.clusters_payload(store, year, who=who)

    return r
