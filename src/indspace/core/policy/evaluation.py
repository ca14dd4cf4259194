"""Schema of the 亩均效益综合评价 method inside a policy profile (mujun-evaluation.md).

A profile's ``evaluation`` section maps the date a method version takes effect to the method::

    evaluation:
      2022-01-01:
        source: 黄岩区 2022 年度亩均效益综合评价 得分计算说明
        confidence: C
        method:
          attribution_mode: owner_merged
          populations: [...]
          indicator_sets: {above_scale: {...}, below_scale: {...}}
          grading: {mode: rank_quota, group_by: [district], quotas: {A: 0.25, B: 0.70, C: 0.95}}
          policies: [...]

Every number is data: the engine (``indspace.core.engines.mujun``) holds no weights,
benchmarks or quotas of its own. Units follow the exchange format: money in 万元, land in 亩,
energy in tce, electricity in kWh, emissions in t.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GRADES = ("A", "B", "C", "D")

# Input columns an indicator formula may use: the indicators contract plus the attributed
# land (``land_area_mu``, from the land-attribution engine).
FORMULA_INPUTS = ("revenue", "tax", "value_added", "employees", "energy_tce",
                  "electricity_kwh", "emissions", "rd_spend", "water_t", "land_area_mu")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Benchmark(_Strict):
    """基准值: a fixed number, or the average of a comparison group (Σ÷Σ or mean of ratios)."""

    mode: Literal["fixed", "group_average", "group_median"]
    value: float | None = Field(default=None, gt=0)
    group_by: tuple[str, ...] = Field(
        default=(), description="enterprise columns forming the comparison group within the "
                                "population, e.g. [district] or [district, industry_group]")
    average_method: Literal["aggregate_ratio", "mean_of_ratios"] = "aggregate_ratio"

    @model_validator(mode="after")
    def _value_for_fixed(self) -> Benchmark:
        if self.mode == "fixed" and self.value is None:
            raise ValueError("benchmark mode 'fixed' needs a value")
        if self.mode != "fixed" and self.value is not None:
            raise ValueError(f"benchmark mode '{self.mode}' takes no value")
        return self


class Indicator(_Strict):
    """One scored indicator: value = numerator ÷ denominator × factor (higher is better)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, description="Chinese name, e.g. 亩均税收")
    unit: str
    numerator: Literal[FORMULA_INPUTS]  # type: ignore[valid-type]
    denominator: Literal[FORMULA_INPUTS]  # type: ignore[valid-type]
    factor: float = Field(default=1.0, gt=0,
                          description="unit conversion, e.g. 10000 for 万元/kWh → 元/kWh")
    weight: float = Field(gt=0)
    benchmark: Benchmark
    when_missing: Literal["zero", "average_score"] = Field(
        default="zero", description="score when the value cannot be computed: 0 points, or "
                                    "the mean points of the firms in the benchmark group")


class IndicatorSet(_Strict):
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    score_cap_ratio: float | None = Field(
        default=None, gt=0, description="an indicator scores at most cap × weight; null = no cap")

    @model_validator(mode="after")
    def _unique(self) -> IndicatorSet:
        names = [i.name for i in self.indicators]
        if len(names) != len(set(names)):
            raise ValueError(f"indicator names repeat: {names}")
        return self


class Population(_Strict):
    """评价对象类别: which firms are evaluated together, with which indicator set."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    scale: Literal["above", "below", "any"]
    min_land_mu: float = Field(default=0.0, ge=0)
    max_land_mu: float | None = Field(default=None, gt=0)
    indicator_set: str


class Exemptions(_Strict):
    """Who is evaluated but not graded (不定等级，参照B类管理)."""

    industry_prefixes: tuple[str, ...] = Field(
        default=(), description="GB/T 4754 code prefixes of exempt industries (utilities)")
    registration_years: float | None = Field(
        default=None, ge=0, description="firms founded fewer years ago than this before the "
                                        "end of the evaluated year are ungraded")
    land_years: float | None = Field(
        default=None, ge=0, description="firms whose earliest land right started fewer years "
                                        "ago than this are ungraded (ramp-up)")


class BonusItem(_Strict):
    item: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    points: float


class Adjustments(_Strict):
    """加分 / 减分 / 一票否决."""

    bonus: tuple[BonusItem, ...] = ()
    bonus_cap: float | None = Field(default=None, ge=0)
    penalty: tuple[BonusItem, ...] = ()
    veto_columns: tuple[str, ...] = ("safety_veto", "environment_veto")


class Grading(_Strict):
    mode: Literal["rank_quota", "score_threshold"]
    group_by: tuple[str, ...] = Field(
        default=(), description="enterprise columns forming the grading group within the "
                                "population, e.g. [district]")
    fallback_group_by: tuple[str, ...] | None = Field(
        default=None, description="groups smaller than min_group_size are pooled under these "
                                  "columns (dropping the finer split)")
    quotas: dict[Literal["A", "B", "C"], float] | None = None
    thresholds: dict[Literal["A", "B", "C"], float] | None = None
    min_group_size: int = Field(default=20, ge=1)
    veto_in_quota: bool = False

    @model_validator(mode="after")
    def _mode_params(self) -> Grading:
        table = self.quotas if self.mode == "rank_quota" else self.thresholds
        if table is None or set(table) != {"A", "B", "C"}:
            need = "quotas" if self.mode == "rank_quota" else "thresholds"
            raise ValueError(f"grading mode '{self.mode}' needs {need} for A, B and C")
        a, b, c = table["A"], table["B"], table["C"]
        if self.mode == "rank_quota" and not 0 < a <= b <= c <= 1:
            raise ValueError("quotas must satisfy 0 < A ≤ B ≤ C ≤ 1")
        if self.mode == "score_threshold" and not a >= b >= c:
            raise ValueError("thresholds must satisfy A ≥ B ≥ C")
        return self


class PolicyMeasure(_Strict):
    """差别化政策 row: (grade, measure_type, amount, unit, consecutive_years_min)."""

    grade: Literal["A", "B", "C", "D"]
    measure_type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    amount: float | None = None
    unit: str = ""
    basis: Literal["electricity_kwh", "water_t", "energy_tce", "emissions", "land_area_m2",
                   "land_area_mu", "none"] = "none"
    consecutive_years_min: int = Field(default=1, ge=1)
    note: str = ""


class DualEvaluation(_Strict):
    """地企双评: parcel-level evaluation parameters (mujun-evaluation.md §10)."""

    min_far: float = Field(default=1.0, ge=0)
    min_building_coefficient: float = Field(default=0.30, ge=0, le=1)
    max_vacant_share: float = Field(default=0.20, ge=0, le=1)
    downgrade_per_failed_check: bool = True


class EvaluationMethod(_Strict):
    attribution_mode: Literal["owner_merged", "tenant_separate", "owner_grade_inherited"]
    populations: tuple[Population, ...] = Field(min_length=1)
    indicator_sets: dict[str, IndicatorSet] = Field(min_length=1)
    exemptions: Exemptions = Exemptions()
    adjustments: Adjustments = Adjustments()
    grading: Grading
    policies: tuple[PolicyMeasure, ...] = ()
    dual: DualEvaluation = DualEvaluation()
    objection_window_days: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _sets_exist(self) -> EvaluationMethod:
        for p in self.populations:
            if p.indicator_set not in self.indicator_sets:
                raise ValueError(f"population {p.name} uses unknown indicator set "
                                 f"{p.indicator_set} (have: {', '.join(self.indicator_sets)})")
        names = [p.name for p in self.populations]
        if len(names) != len(set(names)):
            raise ValueError(f"population names repeat: {names}")
        return self


class EvaluationVersion(_Strict):
    source: str = Field(min_length=1, description="文号 or publication")
    confidence: str = Field(default="I", pattern="^[CIU]$")
    method: EvaluationMethod
