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
          grading:
            mode: rank_quota
            scale: {classes: [{code: A, label: A类, label_en: class A}, ...], good: [A, B],
                    ungraded_as: B, source: ..., confidence: C}
            group_by: [district]
            quotas: {A: 0.25, B: 0.70, C: 0.95}
          policies: [...]

Every number is data: the engine (``indspace.core.engines.mujun``) holds no weights,
benchmarks, quotas or grade letters of its own. The grade classes (分类等级) are the
method's ``grading.scale``: named best → worst, with Chinese and English labels, the classes
that count as good (A/B in Zhejiang) and the class whose policies an ungraded firm follows
(参照B类管理); the worst class is the one vetoed firms get. Every engine reads them from
here. Units follow the exchange format: money in 万元, land in 亩,
energy in tce, electricity in kWh, emissions in t.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class GradeClass(_Strict):
    """One grade class: its code (written in results, e.g. ``A``) and labels."""

    code: str = Field(pattern=r"^[^\s\-,;/|]+$",
                      description="the class as written in results; no spaces, '-' (an "
                                  "ungraded year in grade histories), ',', ';', '/' or '|'")
    label: str = Field(min_length=1, description="Chinese label, e.g. A类")
    label_en: str = Field(min_length=1, description="English label, e.g. class A")


class GradeScale(_Strict):
    """分类等级: the classes of a method, best → worst, with the source that sets them."""

    classes: tuple[GradeClass, ...] = Field(min_length=2)
    good: tuple[str, ...] = Field(
        min_length=1, description="classes counted as good by the rules that split good from "
                                  "weak (地企双评 matrix, unit occupant shares): A and B in "
                                  "Zhejiang")
    ungraded_as: str = Field(description="the class whose policies ungraded firms follow "
                                         "(不定等级，参照B类管理)")
    source: str = Field(min_length=1, description="文号 or publication")
    confidence: str = Field(default="I", pattern="^[CIU]$")

    @model_validator(mode="after")
    def _consistent(self) -> GradeScale:
        codes = self.codes
        if len(set(codes)) != len(codes):
            raise ValueError(f"grade class codes repeat: {list(codes)}")
        for a in codes:          # grade histories are codes written one after another
            for b in codes:
                if a != b and a.endswith(b):
                    raise ValueError(f"grade class {a} ends with class {b}: a grade history "
                                     "could not be read back")
        unknown = [g for g in (*self.good, self.ungraded_as) if g not in codes]
        if unknown:
            raise ValueError(f"unknown grade classes {unknown} (classes: {list(codes)})")
        if codes[-1] in self.good:
            raise ValueError(f"the worst class {codes[-1]} cannot count as good")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """Class codes, best first."""
        return tuple(c.code for c in self.classes)

    @property
    def best(self) -> str:
        return self.classes[0].code

    @property
    def worst(self) -> str:
        """The worst class (vetoed firms; the "D" of D-class rules)."""
        return self.classes[-1].code

    @property
    def weak(self) -> tuple[str, ...]:
        """The classes not counted as good, best first (C and D in Zhejiang)."""
        return tuple(c for c in self.codes if c not in self.good)

    def rank(self, code: str) -> int:
        """0 for the best class, 1 for the next, …"""
        return self.codes.index(code)

    def label(self, code: str) -> str:
        return self.classes[self.rank(code)].label

    def label_en(self, code: str) -> str:
        return self.classes[self.rank(code)].label_en


FOUR_CLASSES_BEFORE_ISSUE_14 = {
    "classes": [{"code": c, "label": f"{c}类", "label_en": f"class {c}"} for c in "ABCD"],
    "good": ["A", "B"], "ungraded_as": "B",
    "source": "浙江省亩均效益综合评价 A/B/C/D 四类（mujun-evaluation.md §8）；"
              "本字段出现前写成的策略配置 / Zhejiang's four classes, read for profiles "
              "written before grading.scale existed",
    "confidence": "C"}
"""How a profile without ``grading.scale`` is read: profiles (and the profile texts stored
with runs) written before the classes became data all meant Zhejiang's A/B/C/D. Every
bundled profile names its scale explicitly."""


class Grading(_Strict):
    mode: Literal["rank_quota", "score_threshold"]
    scale: GradeScale = Field(
        default_factory=lambda: GradeScale.model_validate(FOUR_CLASSES_BEFORE_ISSUE_14),
        description="the grade classes, best → worst (absent: the four classes A–D)")
    group_by: tuple[str, ...] = Field(
        default=(), description="enterprise columns forming the grading group within the "
                                "population, e.g. [district]")
    fallback_group_by: tuple[str, ...] | None = Field(
        default=None, description="groups smaller than min_group_size are pooled under these "
                                  "columns (dropping the finer split)")
    quotas: dict[str, float] | None = Field(
        default=None, description="rank share up to which a firm is in each class but the "
                                  "worst (class code → share), e.g. {A: 0.25, B: 0.70, C: 0.95}")
    thresholds: dict[str, float] | None = Field(
        default=None, description="lowest score of each class but the worst")
    min_group_size: int = Field(default=20, ge=1)
    veto_in_quota: bool = False

    @model_validator(mode="after")
    def _mode_params(self) -> Grading:
        table = self.quotas if self.mode == "rank_quota" else self.thresholds
        above = self.scale.codes[:-1]          # every class but the worst has a limit
        names = f"{', '.join(above[:-1])} and {above[-1]}" if len(above) > 1 else above[0]
        if table is None or set(table) != set(above):
            need = "quotas" if self.mode == "rank_quota" else "thresholds"
            raise ValueError(f"grading mode '{self.mode}' needs {need} for {names}")
        limits = [table[c] for c in above]
        if self.mode == "rank_quota" and not (
                limits[0] > 0 and limits[-1] <= 1
                and all(x <= y for x, y in pairwise(limits))):
            raise ValueError(f"quotas must satisfy 0 < {' ≤ '.join(above)} ≤ 1")
        if self.mode == "score_threshold" and not all(
                x >= y for x, y in pairwise(limits)):
            raise ValueError(f"thresholds must satisfy {' ≥ '.join(above)}")
        return self


class PolicyMeasure(_Strict):
    """差别化政策 row: (grade, measure_type, amount, unit, consecutive_years_min)."""

    grade: str = Field(description="a class of the method's grading.scale")
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
        codes = self.grading.scale.codes
        bad = sorted({m.grade for m in self.policies if m.grade not in codes})
        if bad:
            raise ValueError(f"policies name unknown grade classes {bad} "
                             f"(classes: {list(codes)})")
        return self


class EvaluationVersion(_Strict):
    source: str = Field(min_length=1, description="文号 or publication")
    confidence: str = Field(default="I", pattern="^[CIU]$")
    method: EvaluationMethod
