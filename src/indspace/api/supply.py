"""供地监管预警 routes (issue #17): the contract monitor's findings as of a day, scoped to the
caller, as JSON and as an XLSX export of exactly the same rows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from indspace.api.deps import LOGIN, District, StoreDep, Who
from indspace.services import supply

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        description="监管基准日 YYYY-MM-DD，缺省为今天（部署时区）/ the day to monitor as of; "
        "default today in the deployment's time zone",
    ),
]
Within = Annotated[
    int | None,
    Query(
        ge=0,
        le=3650,
        description="提前 N 天列为即将到期（缺省取"
        "策略配置）/ list deadlines within N days as upcoming",
    ),
]
Rule = Annotated[str | None, Query(max_length=40, description="规则 / rule, e.g. idle_1y")]
Status = Annotated[str | None, Query(max_length=20, description="状态 overdue / upcoming / breach")]
Lang = Annotated[Literal["zh", "en"], Query(description="语言 / language")]


def router() -> APIRouter:
    r = APIRouter(prefix="/api/supply", tags=["supply 供地监管"], dependencies=[LOGIN])

    @r.get("/alerts")
    def alerts(
        store: StoreDep,
        who: Who,
        as_of: AsOf = None,
        within: Within = None,
        district: District = None,
        rule: Rule = None,
        status: Status = None,
        lang: Lang = "zh",
    ) -> dict[str, Any]:
        """供地监管预警：截至某日的合同履约发现（闲置、停工、逾期竣工、欠缴等），按账户范围；
        金额为万元十进制文本 / contract findings as of a day within the caller's scope;
        amounts as decimal text in 万元."""
        result = supply.scoped_alerts(
            store,
            as_of,
            who=who,
            within=within,
            district=district,
            rule=rule,
            status=status,
            lang=lang,
        )
        return supply.alerts_payload(result)

    @r.get("/alerts.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
    def alerts_xlsx(
        store: StoreDep,
        who: Who,
        as_of: AsOf = None,
        within: Within = None,
        district: District = None,
        rule: Rule = None,
        status: Status = None,
        lang: Lang = "zh",
    ) -> Response:
        """导出 Excel：与 /api/supply/alerts 相同筛选的全部行 / exactly the rows of the same
        filters as XLSX."""
        result = supply.scoped_alerts(
            store,
            as_of,
            who=who,
            within=within,
            district=district,
            rule=rule,
            status=status,
            lang=lang,
        )
        body = supply.alerts_xlsx(result, lang)
        name = f"supply-alerts-{result.as_of.isoformat()}.xlsx"
        return Response(
            body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @r.get("/parcel-status")
    def parcel_status(
        store: StoreDep,
        who: Who,
        as_of: AsOf = None,
        within: Within = None,
        lang: Lang = "zh",
    ) -> dict[str, Any]:
        """宗地合同状态（地图着色）：违约、预警、正常各自的宗地编号，其余为无合同；按账户范围 /
        each parcel's contract status as of a day, for colouring the map: the parcel ids in
        breach, with warnings and normal; every other parcel has no contract (within the
        caller's scope)."""
        return supply.parcel_contract_status(store, as_of, who=who, within=within, lang=lang)

    return r
