"""工业上楼 plan check route (issue #18): ``POST /api/plans/check``. Any logged-in user may
check a plan; nothing is read from or written to the store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from indspace.api.deps import LOGIN, Who
from indspace.core.policy import load_profile
from indspace.services import plan_check
from indspace.settings import deployment

EXAMPLE = {
    "plan_id": "P-001",
    "district": "330212",
    "industry_code": "3981",
    "land_class": "M1",
    "site_area_m2": 10000,
    "footprint_m2": 4000,
    "admin_living_land_m2": 500,
    "green_area_m2": 1000,
    "investment_wan": 5000,
    "approved": "2025-06-30",
    "storeys": [
        {"use": "production", "area_m2": 4000, "height_m": 9.0, "underground": False},
        {"use": "production", "area_m2": 8000, "height_m": 5.0, "underground": False},
        {"use": "rnd", "area_m2": 2000, "height_m": 4.5, "underground": False},
        {"use": "admin_living", "area_m2": 2000, "height_m": 4.5, "underground": False},
    ],
}


def router() -> APIRouter:
    r = APIRouter(prefix="/api/plans", tags=["plans 方案检查"], dependencies=[LOGIN])

    @r.post("/check")
    def check(
        who: Who,
        body: Annotated[
            dict[str, Any],
            Body(
                description="方案（JSON，字段同 `indspace check-plan`，见 docs/plan-check.md）/ "
                "the plan, as for `indspace check-plan`",
                examples=[EXAMPLE],
            ),
        ],
        profile: Annotated[
            str | None,
            Query(
                max_length=100,
                description="内置策略配置 id（默认部署配置）/ bundled profile id (default: "
                "the deployment's)",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """按批准日生效的规则检查工业上楼方案：容积率、建筑系数、行政办公及生活服务设施用地
        比重、研发用房比重、绿地率、投资强度 / check a plan against the control indicators
        in force on its approval date (``rule, value, limit, pass, clause`` per check)."""
        who.require_login()
        settings = deployment()
        return plan_check.check_plan(
            plan_check.plan_from_data(body, "body"),
            load_profile(profile or settings.default_profile),
            today=plan_check.today(settings.tz),
        )

    return r
