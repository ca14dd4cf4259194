"""A building plan (方案) for the 工业上楼 plan check (issue #18).

A plan is JSON (``indspace check-plan PLAN.json``, ``POST /api/plans/check``)::

    {"plan_id": "P-001", "district": "330212", "industry_code": "3981",
     "land_class": "M1", "site_area_m2": 20000, "footprint_m2": 8000,
     "admin_living_land_m2": 1200, "green_area_m2": 1500, "investment_wan": 12000,
     "approved": "2025-06-30",
     "storeys": [{"use": "production", "area_m2": 8000, "height_m": 9.0,
                  "underground": false}, ...]}

Areas in m², money in 万元, heights in m. Numbers are read as exact decimals (a JSON
``0.0701`` is ``Decimal('0.0701')``), so a boundary is decided on the figures as written.
``approved`` (the approval date, 批准日期) picks the rule edition; omitted, the checker uses
today in the deployment's time zone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StoreyUse = Literal["production", "rnd", "admin_living", "warehouse"]
"""生产 / 研发（研发、设计、检测、中试）/ 行政办公及生活服务 / 仓储."""
LandClass = Literal["M1", "M2", "M0"]

USE_LABELS: dict[str, tuple[str, str]] = {
    "production": ("生产", "production"),
    "rnd": ("研发、设计、检测、中试", "R&D, design, testing, pilot"),
    "admin_living": ("行政办公及生活服务", "admin and living"),
    "warehouse": ("仓储", "warehouse"),
}

_AREA = Decimal("1e9")  # m²: a site of 1 000 km² is a typo, not a plan
_MONEY = Decimal("1e12")  # 万元


class Storey(BaseModel):
    """One storey (or a group of identical storeys entered as one area)."""

    model_config = ConfigDict(extra="forbid")
    use: StoreyUse
    area_m2: Decimal = Field(gt=0, le=_AREA, allow_inf_nan=False)
    height_m: Decimal = Field(gt=0, le=1000, allow_inf_nan=False)
    underground: bool = False


class Plan(BaseModel):
    """A plan to check; field names are the JSON contract of issue #18."""

    model_config = ConfigDict(extra="forbid")
    plan_id: str = Field(min_length=1, max_length=200)
    district: str = Field(pattern=r"^\d{6}$", description="区县代码 GB/T 2260, e.g. 330212")
    industry_code: str = Field(
        pattern=r"^\d{2,4}$", description="国民经济行业代码 GB/T 4754-2017 (2–4 digits)"
    )
    land_class: LandClass
    site_area_m2: Decimal = Field(ge=1, le=_AREA, allow_inf_nan=False)
    footprint_m2: Decimal = Field(ge=0, le=_AREA, allow_inf_nan=False)
    admin_living_land_m2: Decimal = Field(ge=0, le=_AREA, allow_inf_nan=False)
    green_area_m2: Decimal = Field(ge=0, le=_AREA, allow_inf_nan=False)
    investment_wan: Decimal = Field(ge=0, le=_MONEY, allow_inf_nan=False)
    storeys: list[Storey] = Field(min_length=1, max_length=500)
    approved: date | None = None

    @model_validator(mode="after")
    def _parts_fit_the_site(self) -> Plan:
        for name in ("footprint_m2", "admin_living_land_m2", "green_area_m2"):
            if getattr(self, name) > self.site_area_m2:
                raise ValueError(
                    f"{name} 大于用地面积 site_area_m2 / {name} exceeds site_area_m2 "
                    f"({getattr(self, name)} > {self.site_area_m2})"
                )
        return self
