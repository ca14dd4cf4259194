"""工业上楼 plan check: a building plan against the control indicators (issue #18, item 1).

Pure: takes a :class:`~indspace.core.model.plan.Plan` and the profile's provisions in force
on the plan's approval date (:data:`PARAMETERS`, resolved by the caller with
``PolicyProfile.provision``); holds no policy number. Every figure is exact: areas are
decimals as written and ratios are :class:`fractions.Fraction`, so 7 % against 7.01 % or
0.30 against 0.2999 is decided on the figures, never on a rounded float.

Checks (rule names are the contract; shared/domain/land-rules.md A2–A7, B1–B3):

========================= =============================================== ===============
rule                      value                                           passes when
========================= =============================================== ===============
plot_ratio                计容建筑面积 ÷ site_area_m2                      ≥ minimum (≤ cap)
building_coefficient      footprint_m2 ÷ site_area_m2                     ≥ minimum
admin_living_land_share   admin_living_land_m2 ÷ site_area_m2             ≤ cap
rnd_floor_share           R&D floor area ÷ total floor area               ≤ cap
green_ratio               green_area_m2 ÷ site_area_m2                    ≤ cap
investment_intensity      investment_wan ÷ (site_area_m2 ÷ 10 000), 万元/公顷 ≥ table value
========================= =============================================== ===============

Counting:

* 计容建筑面积 (FAR floor area) = Σ storey area, a storey whose ``height_m`` is strictly
  greater than ``double_storey_height_m`` counted twice (8.00 m once, 8.01 m twice);
  underground storeys only if ``underground_counts_in_plot_ratio`` is true.
* Total floor area (for ``rnd_floor_share``) = Σ area of the same storeys, each once (建筑面积,
  not doubled). R&D (研发、设计、检测、中试) floors are counted apart from admin/living
  (B2): they are neither in the admin/living land nor in any admin/living figure.
* FAR minimum: the largest of the industry floor (A6, ``min_plot_ratio_by_industry`` by the
  2-digit division), the county's own floor (``min_plot_ratio_new_supply_by_district``), the
  市区 floor (``min_plot_ratio_new_supply_urban`` when ``district`` is in ``urban_districts``)
  and the M0 floor (``min_plot_ratio_m0`` for land_class M0) — a local value may be stricter
  than the national one, never laxer (A1). The clause is the binding one's source. No cap
  unless ``max_plot_ratio_new_supply`` has a value.
* Investment intensity is judged only where ``min_investment_intensity_by_district`` gives a
  value for the district (or ``"*"``) and the division; otherwise it is reported with
  ``passed = None`` (the edition's table is not known).

Beyond the checks: the smallest and largest compliant floor area on the site and the storey
mix that maximises production floor area (a small linear programme solved in closed form, see
:func:`production_mix`).

>>> from indspace.core.policy.profile import Provision
>>> from datetime import date
>>> def rule(name, value):
...     return Provision(name, value, f"source of {name}", "C", date(2008, 1, 31))
>>> plan = Plan.model_validate({
...     "plan_id": "doc", "district": "330212", "industry_code": "3981", "land_class": "M1",
...     "site_area_m2": 10000, "footprint_m2": 3000, "admin_living_land_m2": 700,
...     "green_area_m2": 1000, "investment_wan": 5000,
...     "storeys": [{"use": "production", "area_m2": 10000, "height_m": 8.0}]})
>>> rules = {"double_storey_height_m": rule("double_storey_height_m", 8.0),
...          "min_building_coefficient": rule("min_building_coefficient", 0.3),
...          "max_admin_living_land_share": rule("max_admin_living_land_share", 0.07)}
>>> result = check_plan(plan, rules)
>>> for c in result.checks[:3]:
...     print(c.rule, c.value, c.passed)
plot_ratio 1 None
building_coefficient 3/10 True
admin_living_land_share 7/100 True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from indspace.core.errors import PolicyError
from indspace.core.model.plan import Plan
from indspace.core.policy.profile import Provision

RULES = (
    "plot_ratio",
    "building_coefficient",
    "admin_living_land_share",
    "rnd_floor_share",
    "green_ratio",
    "investment_intensity",
)
"""The checks, in the order they are answered (rule names are the contract of issue #18)."""

PARAMETERS = (
    "double_storey_height_m",
    "underground_counts_in_plot_ratio",
    "min_plot_ratio_by_industry",
    "min_plot_ratio_new_supply_by_district",
    "urban_districts",
    "min_plot_ratio_new_supply_urban",
    "min_plot_ratio_m0",
    "max_plot_ratio_new_supply",
    "min_building_coefficient",
    "max_admin_living_land_share",
    "max_rd_pilot_floor_share",
    "max_green_ratio",
    "min_investment_intensity_by_district",
)
"""Profile parameters the checker reads (each optional but ``double_storey_height_m``)."""

RULE_LABELS: dict[str, tuple[str, str, str]] = {
    "plot_ratio": ("容积率", "plot ratio (FAR)", "1"),
    "building_coefficient": ("建筑系数", "building coefficient", "1"),
    "admin_living_land_share": (
        "行政办公及生活服务设施用地比重",
        "admin/living land share",
        "1",
    ),
    "rnd_floor_share": ("研发中试用房占总建筑面积比重", "R&D and pilot floor share", "1"),
    "green_ratio": ("绿地率", "green ratio", "1"),
    "investment_intensity": ("投资强度", "investment intensity", "万元/公顷"),
}
"""rule → (Chinese label, English label, unit)."""

M2_PER_HECTARE = 10_000

Rules = Mapping[str, Provision | None]


@dataclass(frozen=True)
class Check:
    """One rule's answer. ``passed`` is None when the rule cannot be judged (no limit known);
    ``limit`` is the minimum for ``>=`` rules and the cap for ``<=`` rules; ``limit_max`` and
    ``clause_max`` carry a FAR cap when the profile sets one."""

    rule: str
    value: Fraction
    limit: Fraction | None
    comparison: Literal[">=", "<="]
    passed: bool | None
    clause: str | None
    parameter: str | None = None
    confidence: str | None = None
    limit_max: Fraction | None = None
    clause_max: str | None = None
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class FloorFigures:
    """The plan's floor areas (m², exact)."""

    total_floor_m2: Fraction
    """建筑面积 of the storeys that count (above ground; underground if the profile counts it)."""
    far_floor_m2: Fraction
    """计容建筑面积: as total_floor_m2, a storey higher than the limit twice."""
    underground_m2: Fraction
    """All underground floor area (whether or not it counts)."""
    by_use_m2: dict[str, Fraction]
    """Counted floor area (each storey once) by use."""
    doubled_m2: Fraction
    """Floor area of the storeys counted twice."""


@dataclass(frozen=True)
class FloorRange:
    """Smallest and largest compliant 计容建筑面积 on the site (m²; ``max_m2`` None = no cap;
    both None when no floor area complies)."""

    min_m2: Fraction | None
    max_m2: Fraction | None
    binding_min: str
    """What sets the minimum: ``plot_ratio``, ``rnd_floor_share`` or ``planned_floors``."""


@dataclass(frozen=True)
class ProductionMix:
    """The storey mix that maximises production floor area (see :func:`production_mix`)."""

    budget_m2: Fraction
    basis: Literal["max_plot_ratio", "plan", "min_plot_ratio"]
    production_m2: Fraction
    rnd_m2: Fraction
    admin_living_m2: Fraction
    warehouse_m2: Fraction
    max_storey_height_m: Fraction
    storeys_on_footprint: int | None
    production_gain_m2: Fraction


@dataclass(frozen=True)
class PlanCheck:
    checks: tuple[Check, ...]
    figures: FloorFigures
    floor_range: FloorRange
    mix: ProductionMix | None

    @property
    def passed(self) -> bool:
        """True when no judged check fails (a check reported without a limit does not fail)."""
        return all(c.passed is not False for c in self.checks)


def exact(value: Any) -> Fraction:
    """A profile or plan number as an exact fraction (a float via its shortest decimal text,
    so the YAML ``0.07`` is 7/100, not the binary double nearest to it).

    >>> exact(0.07), exact("2.5"), exact(8)
    (Fraction(7, 100), Fraction(5, 2), Fraction(8, 1))
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(str(value)) if not isinstance(value, Fraction) else value


def floor_figures(plan: Plan, storey_limit_m: Fraction, underground_counts: bool) -> FloorFigures:
    """Floor areas of the plan (see the module docstring for the counting rules)."""
    total = far = under = doubled = Fraction(0)
    by_use = {u: Fraction(0) for u in ("production", "rnd", "admin_living", "warehouse")}
    for s in plan.storeys:
        area = exact(s.area_m2)
        if s.underground:
            under += area
            if not underground_counts:
                continue
        total += area
        by_use[s.use] += area
        if exact(s.height_m) > storey_limit_m:  # 8.00 m once, 8.01 m twice
            far += 2 * area
            doubled += area
        else:
            far += area
    return FloorFigures(total, far, under, by_use, doubled)


def check_plan(plan: Plan, rules: Rules) -> PlanCheck:
    """Check ``plan`` against ``rules`` (parameter name → provision in force, or None).

    Raises
    ------
    PolicyError
        When ``double_storey_height_m`` has no value in force (FAR cannot be counted).
    """
    limit = rules.get("double_storey_height_m")
    if limit is None or limit.value is None:
        raise PolicyError(
            "策略配置在批准日没有层高加倍计算规则 double_storey_height_m",
            "the profile has no double_storey_height_m in force on the approval date",
            where="double_storey_height_m",
        )
    under = rules.get("underground_counts_in_plot_ratio")
    figures = floor_figures(plan, exact(limit.value), bool(under is not None and under.value))
    site = exact(plan.site_area_m2)
    checks = (
        _plot_ratio(plan, figures, site, rules),
        _share(
            "building_coefficient",
            exact(plan.footprint_m2) / site,
            ">=",
            rules.get("min_building_coefficient"),
        ),
        _share(
            "admin_living_land_share",
            exact(plan.admin_living_land_m2) / site,
            "<=",
            rules.get("max_admin_living_land_share"),
        ),
        _share(
            "rnd_floor_share",
            figures.by_use_m2["rnd"] / figures.total_floor_m2
            if figures.total_floor_m2
            else Fraction(0),
            "<=",
            rules.get("max_rd_pilot_floor_share"),
        ),
        _share("green_ratio", exact(plan.green_area_m2) / site, "<=", rules.get("max_green_ratio")),
        _investment(plan, site, rules.get("min_investment_intensity_by_district")),
    )
    far = checks[0]
    rng = floor_range(
        site, far.limit, far.limit_max, figures, _value(rules.get("max_rd_pilot_floor_share"))
    )
    mix = production_mix(plan, figures, rng, exact(limit.value))
    return PlanCheck(checks, figures, rng, mix)


def floor_range(
    site: Fraction,
    min_far: Fraction | None,
    max_far: Fraction | None,
    figures: FloorFigures,
    max_rd_share: Fraction | None,
) -> FloorRange:
    """Smallest and largest compliant 计容建筑面积, keeping the plan's R&D, admin/living and
    warehouse floors, every storey at most the height limit (so counted = built):

    min = max(min FAR × site, R&D ÷ R&D cap, R&D + admin/living + warehouse);
    max = max FAR × site (None without a cap). min > max: nothing complies (both None).

    >>> f = FloorFigures(Fraction(0), Fraction(0), Fraction(0),
    ...     {"production": 0, "rnd": Fraction(4000), "admin_living": 0, "warehouse": 0}, 0)
    >>> r = floor_range(Fraction(10000), Fraction(2), None, f, Fraction(15, 100))
    >>> r.min_m2, r.max_m2, r.binding_min
    (Fraction(80000, 3), None, 'rnd_floor_share')
    """
    by_use = figures.by_use_m2
    fixed = by_use["rnd"] + by_use["admin_living"] + by_use["warehouse"]
    floors = [(Fraction(0), "planned_floors")]
    if min_far is not None:
        floors.append((min_far * site, "plot_ratio"))
    if max_rd_share:
        floors.append((by_use["rnd"] / max_rd_share, "rnd_floor_share"))
    floors.append((fixed, "planned_floors"))
    low, why = max(floors, key=lambda x: x[0])
    high = max_far * site if max_far is not None else None
    if high is not None and low > high:
        return FloorRange(None, None, why)
    return FloorRange(low, high, why)


def production_mix(
    plan: Plan, figures: FloorFigures, rng: FloorRange, storey_limit_m: Fraction
) -> ProductionMix | None:
    """The mix that maximises production floor area: the linear programme

        max p  s.t.  p + r + a + w + t ≤ B,  r ≤ s·(p + r + a + w),  r = r₀, a = a₀, w = w₀,
                     p, t ≥ 0

    where t is the extra FAR area of storeys higher than the limit (a tall storey costs its
    area twice) and B the FAR floor-area budget: the largest compliant area when the profile
    caps FAR, otherwise the plan's own 计容建筑面积 raised to the smallest compliant area.
    Its solution is t = 0 (every storey at most the limit) and p = B − r₀ − a₀ − w₀; the R&D
    cap holds because B ≥ r₀ ÷ s. None when no floor area complies.
    """
    if rng.min_m2 is None:
        return None
    basis: Literal["max_plot_ratio", "plan", "min_plot_ratio"]
    if rng.max_m2 is not None:
        budget, basis = rng.max_m2, "max_plot_ratio"
    elif figures.far_floor_m2 >= rng.min_m2:
        budget, basis = figures.far_floor_m2, "plan"
    else:
        budget, basis = rng.min_m2, "min_plot_ratio"
    by_use = figures.by_use_m2
    production = budget - by_use["rnd"] - by_use["admin_living"] - by_use["warehouse"]
    footprint = exact(plan.footprint_m2)
    storeys = math.ceil(budget / footprint) if footprint > 0 else None
    return ProductionMix(
        budget,
        basis,
        production,
        by_use["rnd"],
        by_use["admin_living"],
        by_use["warehouse"],
        storey_limit_m,
        storeys,
        production - by_use["production"],
    )


# ------------------------------------------------------------------ the checks
def _value(p: Provision | None) -> Fraction | None:
    return None if p is None or p.value is None else exact(p.value)


def _judge(value: Fraction, limit: Fraction, comparison: str) -> bool:
    return value >= limit if comparison == ">=" else value <= limit


def _share(
    rule: str, value: Fraction, comparison: Literal[">=", "<="], p: Provision | None
) -> Check:
    limit = _value(p)
    if p is None or limit is None:
        return Check(
            rule,
            value,
            None,
            comparison,
            None,
            p.source if p else None,
            p.name if p else None,
            p.confidence if p else None,
            note_zh="批准日没有生效的限值，只报告不判定",
            note_en="no limit in force on the approval date: reported, not judged",
        )
    return Check(
        rule,
        value,
        limit,
        comparison,
        _judge(value, limit, comparison),
        p.source,
        p.name,
        p.confidence,
    )


def _plot_ratio(plan: Plan, figures: FloorFigures, site: Fraction, rules: Rules) -> Check:
    value = figures.far_floor_m2 / site
    division = plan.industry_code[:2]
    candidates: list[tuple[Fraction, Provision]] = []  # later = more specific on a tie
    table = rules.get("min_plot_ratio_by_industry")
    if table is not None and isinstance(table.value, dict) and division in table.value:
        candidates.append((exact(table.value[division]), table))
    urban = rules.get("urban_districts")
    in_urban = urban is not None and plan.district in (urban.value or [])
    county = rules.get("min_plot_ratio_new_supply_by_district")
    if not in_urban and county is not None and plan.district in (county.value or {}):
        candidates.append((exact(county.value[plan.district]), county))
    urban_min = rules.get("min_plot_ratio_new_supply_urban")
    if in_urban and urban_min is not None and urban_min.value is not None:
        candidates.append((exact(urban_min.value), urban_min))
    m0 = rules.get("min_plot_ratio_m0")
    if plan.land_class == "M0" and m0 is not None and m0.value is not None:
        candidates.append((exact(m0.value), m0))
    cap = rules.get("max_plot_ratio_new_supply")
    cap_value = _value(cap)
    cap_ok = cap_value is None or value <= cap_value
    extra: dict[str, Any] = {}
    if cap is not None and cap_value is not None:
        extra = {"limit_max": cap_value, "clause_max": cap.source}
    if not candidates:
        return Check(
            "plot_ratio",
            value,
            None,
            ">=",
            cap_ok if cap_value is not None else None,
            None,
            None,
            None,
            **extra,
            note_zh=f"行业大类 {division} 无容积率下限（A6），所在区县亦无",
            note_en=f"no FAR minimum for division {division} (A6) nor for the district",
        )
    best = candidates[0]
    for c in candidates[1:]:
        if c[0] >= best[0]:
            best = c
    limit, p = best
    note = ("", "")
    if figures.doubled_m2:
        note = (
            f"层高超过限值的楼层 {_m2(figures.doubled_m2)} m² 加倍计入",
            f"{_m2(figures.doubled_m2)} m² of storeys above the height limit counted twice",
        )
    return Check(
        "plot_ratio",
        value,
        limit,
        ">=",
        value >= limit and cap_ok,
        p.source,
        p.name,
        p.confidence,
        **extra,
        note_zh=note[0],
        note_en=note[1],
    )


def _investment(plan: Plan, site: Fraction, p: Provision | None) -> Check:
    value = exact(plan.investment_wan) / (site / M2_PER_HECTARE)
    table = p.value if p is not None and isinstance(p.value, dict) else None
    row = None
    if table is not None:
        row = table.get(plan.district, table.get("*"))
    division = plan.industry_code[:2]
    if p is None or not isinstance(row, dict) or row.get(division) is None:
        return Check(
            "investment_intensity",
            value,
            None,
            ">=",
            None,
            p.source if p else None,
            p.name if p else None,
            p.confidence if p else None,
            note_zh="该版本投资强度控制指标表未知（或未列本区县、行业），只报告不判定",
            note_en="the edition's investment-intensity table is not known (or lacks this "
            "district or division): reported, not judged",
        )
    limit = exact(row[division])
    return Check(
        "investment_intensity", value, limit, ">=", value >= limit, p.source, p.name, p.confidence
    )


def _m2(x: Fraction) -> str:
    return f"{float(x):,.2f}"
